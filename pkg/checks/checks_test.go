package checks

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
)

// now is the clock every test judges at.
var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// healthyEvidence is a completed handshake to localhost serving chain's leaf
// and intermediate, with the given staple.
func healthyEvidence(t *testing.T, certs [][]byte, staple []byte) *probe.Evidence {
	t.Helper()
	tg, err := target.Parse("localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	start := now
	return &probe.Evidence{
		Target:    tg,
		StartedAt: start,
		EndedAt:   start.Add(40 * time.Millisecond),
		Timeout:   10 * time.Second,
		DNS: probe.DNS{Resolver: "system", Start: start, End: start.Add(5 * time.Millisecond),
			Addresses: []string{"127.0.0.1"}},
		Endpoints: []probe.Endpoint{{
			Address:      "127.0.0.1",
			ConnectStart: start.Add(5 * time.Millisecond),
			ConnectEnd:   start.Add(6 * time.Millisecond),
			Handshake: &probe.Handshake{
				ServerName:   "localhost",
				Start:        start.Add(6 * time.Millisecond),
				End:          start.Add(20 * time.Millisecond),
				Version:      tls.VersionTLS13,
				CipherSuite:  tls.TLS_AES_128_GCM_SHA256,
				CurveID:      uint16(tls.X25519),
				ALPN:         "h2",
				OfferedALPN:  []string{"h2", "http/1.1"},
				Certificates: certs,
				OCSPStaple:   staple,
				// The strict handshake's flight facts (flightConn).
				HelloRetryKnown: true,
				FlightBytes:     3000,
			},
			NoSNI: &probe.Handshake{Certificates: certs, Version: tls.VersionTLS13},
		}},
	}
}

func evaluate(ev *probe.Evidence, roots *trust.Store) map[string]report.Result {
	out := map[string]report.Result{}
	for _, r := range Evaluate(Input{Evidence: ev, Roots: roots, Thresholds: DefaultThresholds(), Now: now}) {
		out[r.ID] = r
	}
	return out
}

type want struct {
	id     string
	status report.Status
	detail []string // substrings of the detail
}

func expect(t *testing.T, got map[string]report.Result, wants ...want) {
	t.Helper()
	for _, w := range wants {
		r, ok := got[w.id]
		if !ok {
			t.Errorf("%s: no result", w.id)
			continue
		}
		if r.Status != w.status {
			t.Errorf("%s = %s (%s), want %s", w.id, r.Status, r.Detail, w.status)
		}
		for _, d := range w.detail {
			if !strings.Contains(r.Detail, d) {
				t.Errorf("%s detail %q does not mention %q", w.id, r.Detail, d)
			}
		}
		if (r.Status == report.Warn || r.Status == report.Fail) && r.Remediation == "" {
			if r.ID != "connect.tcp" || !strings.Contains(r.Detail, "interrupted") {
				t.Errorf("%s is %s without a remediation", w.id, r.Status)
			}
		}
	}
}

func roots(ca *testpki.CA) *trust.Store { return trust.New("test", ca.Cert) }

func TestEveryCheckReportsOnce(t *testing.T) {
	c := testpki.NewChain(t, now)
	got := Evaluate(Input{Evidence: healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil),
		Roots: roots(c.Root), Thresholds: DefaultThresholds(), Now: now})
	seen := map[string]int{}
	for _, r := range got {
		seen[r.ID]++
		if r.Title == "" || r.Detail == "" {
			t.Errorf("%s has an empty title or detail", r.ID)
		}
	}
	for _, d := range All() {
		want := 1
		if d.Needs == subject.KindKey || d.Needs == subject.KindWebhook {
			want = 0 // a probe has no private key to judge, and makes no webhook exchange
		}
		if seen[d.ID] != want {
			t.Errorf("%s reported %d times, want %d", d.ID, seen[d.ID], want)
		}
	}
}

// TestMissingSubjectSkipsOnce: a Set whose source deals in a kind but has
// no subject of it gets one skip per check with the Set's reason; kinds the
// source does not deal in are not judged at all.
func TestMissingSubjectSkipsOnce(t *testing.T) {
	set := &subject.Set{Address: "192.0.2.1", Missing: map[subject.Kind]string{subject.KindScan: "not enumerated"}}
	out := Run(Context{Thresholds: DefaultThresholds(), Now: now}, []*subject.Set{set})
	n := 0
	for _, r := range out.Results {
		if r.Category() != "protocol" && r.Category() != "cipher" {
			t.Errorf("%s judged though the set deals only in scans", r.ID)
		}
		if r.Status != report.Skip || r.Detail != "not enumerated" || r.Address != "192.0.2.1" {
			t.Errorf("%s = %s %q at %q", r.ID, r.Status, r.Detail, r.Address)
		}
		n++
	}
	if n != 8 {
		t.Errorf("%d results, want the 8 protocol and cipher checks", n)
	}
}

func TestHealthyChain(t *testing.T) {
	c := testpki.NewChain(t, now)
	staple := c.OCSPResponse(t, testpki.OCSPOptions{Now: now})
	got := evaluate(healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, staple), roots(c.Root))
	for id, r := range got {
		if id == "connect.agree" || id == "http.response" || id == "tls.resumption" ||
			id == "dns.cname" || id == "dns.ttl" || // the system resolver reports neither
			strings.HasPrefix(id, "protocol.") || strings.HasPrefix(id, "cipher.") {
			continue // one address, no URL path, no enumeration, no resumption pair: rightly skipped
		}
		if r.Status == report.Warn || r.Status == report.Fail || r.Status == report.Skip {
			t.Errorf("%s = %s: %s", id, r.Status, r.Detail)
		}
	}
	expect(t, got,
		want{"chain.complete", report.Pass, []string{"CN=wacheck test root CA"}},
		want{"chain.trusted", report.Pass, []string{"test root store"}},
		want{"cert.key", report.Pass, []string{"ECDSA P-256", "fastest"}},
		want{"ocsp.valid", report.Pass, []string{"signed by the issuer"}},
		want{"tls.negotiated", report.Info, []string{"TLS 1.3", "TLS_AES_128_GCM_SHA256", "x25519"}},
	)
}

func TestChainShapes(t *testing.T) {
	c := testpki.NewChain(t, now)
	other := testpki.NewChain(t, now)
	self := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	tests := []struct {
		name  string
		certs [][]byte
		roots *trust.Store
		wants []want
	}{
		{"missing intermediate", [][]byte{c.Leaf.DER}, roots(c.Root), []want{
			{"chain.complete", report.Fail, []string{"did not send the certificate of CN=wacheck test intermediate CA", testpki.ChainIssuerURL}},
			{"chain.trusted", report.Skip, []string{"incomplete"}},
			{"cert.expiry", report.Pass, nil}, // facts still judged
			{"cert.hostname", report.Pass, []string{"localhost"}},
			{"ocsp.stapled", report.Warn, []string{testpki.ChainOCSPURL}},
		}},
		{"wrong order", [][]byte{c.Leaf.DER, c.Root.DER, c.Intermediate.DER}, roots(c.Root), []want{
			{"chain.complete", report.Pass, nil},
			{"chain.order", report.Warn, []string{"#0 → #2 → #1"}},
			{"chain.extra", report.Info, []string{"root CN=wacheck test root CA is served"}},
		}},
		{"extra root", [][]byte{c.Leaf.DER, c.Intermediate.DER, c.Root.DER}, roots(c.Root), []want{
			{"chain.order", report.Pass, nil},
			{"chain.extra", report.Info, []string{"root"}},
			{"chain.trusted", report.Pass, nil},
		}},
		{"unrelated certificate", [][]byte{c.Leaf.DER, c.Intermediate.DER, other.Intermediate.DER}, roots(c.Root), []want{
			{"chain.extra", report.Warn, []string{"1 certificate(s)", "#2"}},
		}},
		{"self-signed", [][]byte{self.DER}, roots(c.Root), []want{
			{"chain.trusted", report.Fail, []string{"self-signed"}},
			{"chain.complete", report.Skip, []string{"self-signed"}},
		}},
		{"unknown root", [][]byte{c.Leaf.DER, c.Intermediate.DER, c.Root.DER}, roots(other.Root), []want{
			{"chain.complete", report.Pass, nil},
			{"chain.trusted", report.Fail, []string{"CN=wacheck test root CA", "not in the test root store"}},
		}},
		// The intermediate's issuer is a root outside the pool (another
		// root of the same name is in it): trust fails, not completeness.
		{"unknown root not served", [][]byte{c.Leaf.DER, c.Intermediate.DER}, roots(other.Root), []want{
			{"chain.complete", report.Pass, []string{"CN=wacheck test root CA is a root"}},
			{"chain.trusted", report.Fail, []string{"ends at CN=wacheck test intermediate CA, issued by CN=wacheck test root CA", "not in the test root store"}},
		}},
		{"unparsable intermediate", [][]byte{c.Leaf.DER, []byte("garbage")}, roots(c.Root), []want{
			{"chain.complete", report.Fail, []string{"certificate #1 was served but could not be parsed"}},
			{"chain.extra", report.Warn, []string{"#1 (unparsable)"}},
		}},
		{"unparsable leaf", [][]byte{[]byte("garbage")}, roots(c.Root), []want{
			{"chain.complete", report.Skip, []string{"could not be parsed"}},
			{"cert.expiry", report.Skip, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, evaluate(healthyEvidence(t, tt.certs, nil), tt.roots), tt.wants...)
		})
	}
}

func TestCertificateProperties(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0)})
	rsaRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})
	expiredInter := root.Intermediate(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.Add(-time.Hour)})
	leaf := func(ca *testpki.CA, o testpki.LeafOptions) [][]byte {
		o.Now = now
		if o.DNSNames == nil && o.CommonName == "" {
			o.DNSNames = []string{"localhost"}
		}
		return [][]byte{ca.Leaf(t, o).DER}
	}
	tests := []struct {
		name  string
		certs [][]byte
		roots *trust.Store
		wants []want
	}{
		{"expired", leaf(root, testpki.LeafOptions{NotBefore: now.Add(-100 * 24 * time.Hour), NotAfter: now.Add(-3 * 24 * time.Hour)}), roots(root), []want{
			{"cert.expiry", report.Fail, []string{"leaf", "expired on 2026-05-29, 3 days ago"}},
			{"chain.complete", report.Pass, nil}, // judged apart from expiry
			{"chain.trusted", report.Pass, nil},
		}},
		{"expiring soon", leaf(root, testpki.LeafOptions{NotBefore: now.AddDate(0, 0, -80), NotAfter: now.Add(10*24*time.Hour + time.Hour)}), roots(root), []want{
			{"cert.expiry", report.Warn, []string{"in 10 days"}},
		}},
		{"expired intermediate", append(leaf(expiredInter, testpki.LeafOptions{NotBefore: now.AddDate(0, -1, 0)}), expiredInter.DER), roots(root), []want{
			{"cert.expiry", report.Fail, []string{"intermediate CN=wacheck test intermediate CA (#1) expired"}},
			{"chain.complete", report.Pass, nil},
			{"chain.trusted", report.Pass, []string{"judged apart from validity periods"}},
		}},
		{"not yet valid", leaf(root, testpki.LeafOptions{NotBefore: now.Add(48 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}), roots(root), []want{
			{"cert.validity", report.Fail, []string{"valid only from 2026-06-03"}},
		}},
		{"wrong name", leaf(root, testpki.LeafOptions{DNSNames: []string{"other.example"}}), roots(root), []want{
			{"cert.hostname", report.Fail, []string{"localhost is not among", "other.example"}},
		}},
		{"common name only", leaf(root, testpki.LeafOptions{CommonName: "localhost"}), roots(root), []want{
			{"cert.hostname", report.Fail, []string{"no subject alternative names"}},
		}},
		{"RSA 1024", leaf(root, testpki.LeafOptions{KeyType: testpki.RSA1024}), roots(root), []want{
			{"cert.key", report.Fail, []string{"RSA 1024"}},
		}},
		{"RSA 4096", leaf(root, testpki.LeafOptions{KeyType: testpki.RSA4096}), roots(root), []want{
			{"cert.key", report.Info, []string{"RSA 4096", "slower"}},
		}},
		{"RSA 2048", leaf(root, testpki.LeafOptions{KeyType: testpki.RSA2048}), roots(root), []want{
			{"cert.key", report.Pass, []string{"RSA 2048"}},
		}},
		{"SHA-1 signed", leaf(rsaRoot, testpki.LeafOptions{SignatureAlgorithm: x509.SHA1WithRSA}), roots(rsaRoot), []want{
			{"cert.signature", report.Fail, []string{"SHA1-RSA"}},
			{"chain.complete", report.Pass, nil},
			// The signature is cert.signature's finding alone.
			{"chain.trusted", report.Skip, []string{"signed with SHA1-RSA", "cert.signature"}},
		}},
		{"MD5 signed", leaf(rsaRoot, testpki.LeafOptions{SignatureAlgorithm: x509.MD5WithRSA}), roots(rsaRoot), []want{
			{"cert.signature", report.Fail, []string{"MD5-RSA"}},
		}},
		{"no server auth", leaf(root, testpki.LeafOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}), roots(root), []want{
			{"chain.trusted", report.Fail, []string{"does not verify"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, evaluate(healthyEvidence(t, tt.certs, nil), tt.roots), tt.wants...)
		})
	}
}

func TestOCSP(t *testing.T) {
	c := testpki.NewChain(t, now)
	noOCSP := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	served := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	resp := func(o testpki.OCSPOptions) []byte { o.Now = now; return c.OCSPResponse(t, o) }
	tests := []struct {
		name   string
		certs  [][]byte
		staple []byte
		wants  []want
	}{
		{"good", served, resp(testpki.OCSPOptions{}), []want{
			{"ocsp.stapled", report.Pass, nil}, {"ocsp.status", report.Pass, []string{"good"}}, {"ocsp.valid", report.Pass, nil},
		}},
		{"no staple expected", [][]byte{noOCSP.DER, c.Intermediate.DER}, nil, []want{
			{"ocsp.stapled", report.Info, []string{"names no OCSP responder"}},
			{"ocsp.status", report.Skip, nil}, {"ocsp.valid", report.Skip, nil},
		}},
		{"missing staple", served, nil, []want{{"ocsp.stapled", report.Warn, []string{testpki.ChainOCSPURL}}}},
		{"revoked", served, resp(testpki.OCSPOptions{Status: ocsp.Revoked, RevocationReason: ocsp.KeyCompromise}), []want{
			{"ocsp.status", report.Fail, []string{"revoked on", "keyCompromise"}}, {"ocsp.valid", report.Pass, nil},
		}},
		{"unknown", served, resp(testpki.OCSPOptions{Status: ocsp.Unknown}), []want{{"ocsp.status", report.Warn, []string{"unknown"}}}},
		{"stale", served, resp(testpki.OCSPOptions{ThisUpdate: now.Add(-72 * time.Hour), NextUpdate: now.Add(-24 * time.Hour)}), []want{
			{"ocsp.valid", report.Warn, []string{"stale", "has passed"}},
		}},
		{"from the future", served, resp(testpki.OCSPOptions{ThisUpdate: now.Add(2 * time.Hour), NextUpdate: now.Add(48 * time.Hour)}), []want{
			{"ocsp.valid", report.Warn, []string{"in the future"}},
		}},
		{"other certificate", served, resp(testpki.OCSPOptions{SerialNumber: big.NewInt(42)}), []want{
			{"ocsp.valid", report.Fail, []string{"serial 2a"}}, {"ocsp.status", report.Skip, []string{"another certificate"}},
		}},
		{"bad signature", served, resp(testpki.OCSPOptions{Responder: testpki.ResponderUnrelated}), []want{
			{"ocsp.valid", report.Fail, []string{"does not verify"}},
		}},
		{"CA encloses its own certificate", served, resp(testpki.OCSPOptions{Responder: testpki.ResponderCAWithCert}), []want{
			{"ocsp.valid", report.Pass, []string{"signed by the issuer"}},
		}},
		{"delegated", served, resp(testpki.OCSPOptions{Responder: testpki.ResponderDelegated}), []want{
			{"ocsp.valid", report.Pass, []string{"delegated responder"}},
		}},
		{"delegated without EKU", served, resp(testpki.OCSPOptions{Responder: testpki.ResponderDelegatedNoEKU}), []want{
			{"ocsp.valid", report.Fail, []string{"without the OCSPSigning"}},
		}},
		{"garbage", served, []byte{0x30, 0x03, 0x0a, 0x01, 0x00}, []want{
			{"ocsp.valid", report.Fail, []string{"cannot be used"}}, {"ocsp.status", report.Skip, nil},
		}},
		// A response that could not be verified is no fact: no status.
		{"issuer unknown", [][]byte{c.Leaf.DER}, resp(testpki.OCSPOptions{}), []want{
			{"ocsp.valid", report.Skip, []string{"cannot be checked"}}, {"ocsp.status", report.Skip, []string{"not taken for a fact"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, evaluate(healthyEvidence(t, tt.certs, tt.staple), roots(c.Root)), tt.wants...)
		})
	}
}

// TestIssuerNotMarkedCA follows a chain through an issuer that signed the
// leaf without being a CA: the path is complete, trust fails.
func TestIssuerNotMarkedCA(t *testing.T) {
	c := testpki.NewChain(t, now)
	notCA := &testpki.CA{Cert: c.Leaf.Cert, Key: c.Leaf.Key, DER: c.Leaf.DER}
	leaf := notCA.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	expect(t, evaluate(healthyEvidence(t, [][]byte{leaf.DER, c.Leaf.DER, c.Intermediate.DER}, nil), roots(c.Root)),
		want{"chain.order", report.Pass, nil},
		want{"chain.complete", report.Pass, nil},
		want{"chain.trusted", report.Fail, []string{"does not verify"}})
}
