package assemble

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/tlshello"
	"github.com/wacheck/wacheck/pkg/trust"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func context(c *testpki.Chain) checks.Context {
	return checks.Context{Profile: profile.MustLookup("meta"), Roots: trust.New("test", c.Root.Cert),
		Thresholds: checks.DefaultThresholds(), Now: now}
}

// endpoint is a completed TLS 1.3 handshake at addr serving certs.
func endpoint(addr string, certs [][]byte, staple []byte) probe.Endpoint {
	return probe.Endpoint{
		Address:      addr,
		ConnectStart: now.Add(5 * time.Millisecond),
		ConnectEnd:   now.Add(6 * time.Millisecond),
		Handshake: &probe.Handshake{ServerName: "localhost", Start: now.Add(6 * time.Millisecond),
			End: now.Add(20 * time.Millisecond), Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256,
			CurveID: uint16(tls.X25519), ALPN: "h2", OfferedALPN: []string{"h2", "http/1.1"},
			Certificates: certs, OCSPStaple: staple},
	}
}

func evidence(t *testing.T, eps ...probe.Endpoint) *probe.Evidence {
	t.Helper()
	tg, err := target.Parse("localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	ev := &probe.Evidence{Target: tg, StartedAt: now, EndedAt: now.Add(40 * time.Millisecond), Timeout: 10 * time.Second,
		DNS: probe.DNS{Resolver: "system", Start: now, End: now.Add(5 * time.Millisecond)}, Endpoints: eps}
	for _, ep := range eps {
		ev.DNS.Addresses = append(ev.DNS.Addresses, ep.Address)
	}
	return ev
}

func TestProbeFacts(t *testing.T) {
	c := testpki.NewChain(t, now)
	staple := c.OCSPResponse(t, testpki.OCSPOptions{Now: now})
	r := Probe(evidence(t, endpoint("127.0.0.1", [][]byte{c.Leaf.DER, c.Intermediate.DER}, staple)), context(c))
	if r.SchemaVersion != 2 || r.Kind != "probe" || r.Sender.Key != "meta" || r.Status != report.Pass {
		t.Errorf("schema %d, kind %q, sender %+v, status %s", r.SchemaVersion, r.Kind, r.Sender, r.Status)
	}
	if len(r.Addresses) != 1 {
		t.Fatalf("%d addresses", len(r.Addresses))
	}
	a := r.Addresses[0]
	if len(a.Certificates) != 2 || a.Certificates[0].SANs[0] != "localhost" || a.Certificates[1].Index != 1 ||
		a.Certificates[0].Key != "ECDSA P-256" || a.Certificates[0].DaysLeft != 90 || a.Certificates[0].PEM == "" {
		t.Fatalf("certificates = %+v", a.Certificates)
	}
	if a.Chain == nil || !a.Chain.Verified || len(a.Chain.Path) != 3 || a.Chain.Source != "handshake" ||
		len(a.Chain.SHA256) != 2 || a.Chain.SHA256[0] != a.Certificates[0].SHA256 || len(a.Chain.ID) != 16 {
		t.Errorf("chain = %+v", a.Chain)
	}
	if a.OCSP == nil || !a.OCSP.Stapled || a.OCSP.Status != "good" || !a.OCSP.Verified || a.OCSP.NextUpdate == nil {
		t.Errorf("ocsp = %+v", a.OCSP)
	}
	if a.TLS == nil || a.TLS.Version != "TLS 1.3" || a.TLS.Cipher != "TLS_AES_128_GCM_SHA256" || a.TLS.Group != "x25519" || a.TLS.ALPN != "h2" {
		t.Errorf("tls = %+v", a.TLS)
	}
	if *a.TimingsMS.Connect != 1 || *a.TimingsMS.TLS != 14 || a.TimingsMS.TTFB != nil || *r.DNS.DurationMS != 5 || r.DurationMS != 40 {
		t.Errorf("timings = %+v, dns %v, duration %v", a.TimingsMS, r.DNS.DurationMS, r.DurationMS)
	}
	if a.Leaf == nil || a.Leaf.Subject != "CN=localhost" || a.Leaf.DaysLeft != 90 {
		t.Errorf("leaf = %+v", a.Leaf)
	}
	if a.ClientAuth == nil || a.ClientAuth.Requested || a.Enumeration != nil {
		t.Errorf("client auth %+v, enumeration %+v", a.ClientAuth, a.Enumeration)
	}
	if !r.Agreement.Agree || len(r.Agreement.Working) != 1 || len(r.Agreement.Chains) != 1 ||
		r.Common.ChainID != a.Chain.ID || r.Common.TLSVersion != "TLS 1.3" || r.Common.Leaf == nil {
		t.Errorf("agreement = %+v, common = %+v", r.Agreement, r.Common)
	}
}

// TestEveryAddressHasItsOwnFacts: the addresses' facts are their own, the
// agreement groups them by chain, and common holds only what they share.
func TestEveryAddressHasItsOwnFacts(t *testing.T) {
	c := testpki.NewChain(t, now)
	other := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	full := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	refused := probe.Endpoint{Address: "127.0.0.3", ConnectStart: now, ConnectEnd: now,
		ConnectErr: &probe.NetError{Kind: probe.ErrRefused, Msg: "connection refused"}}
	odd := endpoint("127.0.0.2", [][]byte{other.DER, c.Intermediate.DER}, nil)
	odd.Handshake.Version = tls.VersionTLS12
	odd.Handshake.CipherSuite = tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	odd.Scan = &tlshello.Result{Connections: 9, Groups: []string{"x25519"}}
	r := Probe(evidence(t, refused, endpoint("127.0.0.1", full, nil), odd), context(c))

	if len(r.Addresses) != 3 {
		t.Fatalf("%d addresses", len(r.Addresses))
	}
	bad, good, second := r.Addresses[0], r.Addresses[1], r.Addresses[2]
	if bad.ErrorKind != "refused" || bad.TLS != nil || bad.Chain != nil || len(bad.Certificates) != 0 || bad.TimingsMS.Connect != nil {
		t.Errorf("refused address = %+v", bad)
	}
	if good.Chain == nil || second.Chain == nil || good.Chain.ID == second.Chain.ID {
		t.Fatalf("chains %+v and %+v should differ", good.Chain, second.Chain)
	}
	if second.TLS.Version != "TLS 1.2" || second.Enumeration == nil || second.Enumeration.Connections != 9 ||
		good.Enumeration != nil {
		t.Errorf("the second address's own facts: tls %+v, enumeration %+v", second.TLS, second.Enumeration)
	}
	ag := r.Agreement
	if ag.Agree || len(ag.Working) != 2 || len(ag.Failing) != 1 || ag.Failing[0].Address != "127.0.0.3" ||
		ag.Failing[0].ErrorKind != "refused" || len(ag.Chains) != 2 || ag.Chains[0].Addresses[0] != "127.0.0.1" ||
		ag.Chains[1].Addresses[0] != "127.0.0.2" {
		t.Errorf("agreement = %+v", ag)
	}
	if r.Common.TLSVersion != "" || r.Common.ChainID != "" || r.Common.Leaf != nil || r.Common.ALPN != "h2" {
		t.Errorf("common = %+v: only ALPN is the same", r.Common)
	}
	// The checks name the address each result concerns.
	for _, ch := range r.Checks {
		if ch.ID == "connect.tcp" && ch.Address == "127.0.0.3" && ch.Status != report.Fail {
			t.Errorf("connect.tcp at the refusing address = %s", ch.Status)
		}
	}
}

func TestFilesReport(t *testing.T) {
	c := testpki.NewChain(t, now)
	set := &subject.Set{Chain: &subject.Chain{Certs: [][]byte{c.Leaf.DER}, Name: "localhost", Source: "files",
		Files: []string{"cert.pem"}}}
	r := Files(set, FilesInfo{Input: "cert.pem", Paths: []string{"cert.pem"}}, context(c), now, now.Add(time.Millisecond))
	if r.Kind != "cert" || r.Files == nil || r.DNS != nil || r.Agreement != nil || len(r.Addresses) != 0 {
		t.Fatalf("kind %q, files %+v, dns %+v, agreement %+v", r.Kind, r.Files, r.DNS, r.Agreement)
	}
	f := r.Files
	if f.Name != "localhost" || len(f.Certificates) != 1 || f.Chain == nil || f.Chain.Source != "files" || f.Chain.Verified ||
		f.OCSP != nil {
		t.Errorf("files = %+v", f)
	}
	statuses := map[string]report.Status{}
	for _, ch := range r.Checks {
		statuses[ch.ID] = ch.Status
		if cat := ch.Category(); cat != "chain" && cat != "cert" {
			t.Errorf("%s judged for files without a staple or key", ch.ID)
		}
	}
	if statuses["chain.complete"] != report.Fail || statuses["cert.hostname"] != report.Pass || r.Status != report.Fail {
		t.Errorf("statuses = %v, overall %s", statuses, r.Status)
	}
}
