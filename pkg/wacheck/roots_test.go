package wacheck

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
)

// TestProbeRoots: without roots, Probe judges with Mozilla's, which it loads
// beside the network (rootsBeside), so a chain from a private root does not
// verify; with that root given, it does.
func TestProbeRoots(t *testing.T) {
	now := time.Now()
	chain := testpki.NewChain(t, now)
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{chain.TLSCertificate(chain.Intermediate.DER)}})
	_, port, _ := net.SplitHostPort(addr)
	tgt, err := target.Parse("localhost:"+port, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Probe: probe.Options{
		Target:  tgt,
		Pinned:  map[string][]netip.Addr{tgt.HostPort(): {netip.MustParseAddr("127.0.0.1")}},
		Timeout: 10 * time.Second,
	}}
	for _, tc := range []struct {
		roots    *trust.Store
		name     string
		verified bool
	}{
		{nil, "mozilla", false},
		{trust.New("test", chain.Root.Cert), "test", true},
	} {
		cfg.Roots = tc.roots
		rep := Probe(context.Background(), cfg)
		if rep == nil {
			t.Fatal("no report")
		}
		if rep.Settings.Roots != tc.name {
			t.Errorf("roots %q, want %q", rep.Settings.Roots, tc.name)
		}
		js, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		want := `"verified":` + map[bool]string{true: "true", false: "false"}[tc.verified] + `,`
		if !strings.Contains(string(js), want) || !strings.Contains(string(js), `"roots":"`+tc.name+`"`) {
			t.Errorf("%s roots: the chain's analysis does not say %s with roots %q", tc.name, want, tc.name)
		}
	}
}
