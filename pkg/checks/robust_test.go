package checks

import (
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// TestOddEvidenceDoesNotPanic feeds the checks evidence a probe cut short
// at every point could leave, and garbage a hostile server could serve.
func TestOddEvidenceDoesNotPanic(t *testing.T) {
	c := testpki.NewChain(t, now)
	mods := map[string]func(ev *probe.Evidence){
		"empty scan":      func(ev *probe.Evidence) { ev.Endpoints[0].Scan = &tlshello.Result{} },
		"scan of nothing": func(ev *probe.Evidence) { ev.Endpoints[0].Scan = &tlshello.Result{Protocols: []tlshello.Protocol{{}}} },
		"garbage certs":   func(ev *probe.Evidence) { ev.Endpoints[0].Handshake.Certificates = [][]byte{{}, {0x30}, nil} },
		"garbage staple":  func(ev *probe.Evidence) { ev.Endpoints[0].Handshake.OCSPStaple = []byte{0x30, 0x80} },
		"empty sample":    func(ev *probe.Evidence) { ev.Endpoints[0].Samples = []probe.Sample{{}} },
		"empty http":      func(ev *probe.Evidence) { ev.Target.Path = "/"; ev.Endpoints[0].HTTP = &probe.HTTPExchange{} },
		"empty no-SNI":    func(ev *probe.Evidence) { ev.Endpoints[0].NoSNI = &probe.Handshake{} },
		"garbage no-SNI":  func(ev *probe.Evidence) { ev.Endpoints[0].NoSNI = &probe.Handshake{Certificates: [][]byte{{1, 2}}} },
		"no handshake":    func(ev *probe.Evidence) { ev.Endpoints[0].Handshake = nil },
		"empty endpoint":  func(ev *probe.Evidence) { ev.Endpoints[0] = probe.Endpoint{} },
		"garbage CA names": func(ev *probe.Evidence) {
			hs := ev.Endpoints[0].Handshake
			hs.ClientCertRequested, hs.AcceptableCAs = true, [][]byte{nil, {0x30}}
		},
		"rejected, no kind": func(ev *probe.Evidence) { ev.Endpoints[0].Handshake.ClientCertRejected = &probe.NetError{} },
		"no DNS at all":     func(ev *probe.Evidence) { ev.DNS = probe.DNS{}; ev.Endpoints = nil },
		"unparsable scan certs": func(ev *probe.Evidence) {
			failHandshake(ev, probe.ErrNoCommon, 40)
			ev.Endpoints[0].Scan = &tlshello.Result{Certificates: [][]byte{{0x30, 0x00}}}
		},
	}
	for name, mod := range mods {
		t.Run(name, func(t *testing.T) {
			ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
			mod(ev)
			if r := Evaluate(Input{Evidence: ev, Roots: roots(c.Root), Thresholds: DefaultThresholds(), Now: now}); len(r) == 0 {
				t.Error("no checks reported")
			}
		})
	}
}
