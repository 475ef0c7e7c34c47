package checks

import (
	"crypto/x509"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
)

// TestOCSPAboutAnotherIssuer: the full CertID is compared (serial, issuer
// name hash, issuer key hash), and a response that does not verify never
// yields a status.
func TestOCSPAboutAnotherIssuer(t *testing.T) {
	c := testpki.NewChain(t, now)
	other := testpki.NewChain(t, now) // same names, other keys
	otherCA := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Another CA", Organization: "Another"})
	served := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	resp := func(o testpki.OCSPOptions) []byte {
		o.Now, o.Cert = now, c.Leaf.Cert
		return c.Intermediate.OCSPResponse(t, o)
	}
	forged := testpki.NewChain(t, now)
	tests := []struct {
		name   string
		certs  [][]byte
		staple []byte
		wants  []want
	}{
		{"right serial, real issuer's signature, another CA's name", served,
			resp(testpki.OCSPOptions{CertIDIssuer: otherCA.Cert}), []want{
				{"ocsp.valid", report.Fail, []string{"another CA", "issuer name hash", "CN=wacheck test intermediate CA"}},
				{"ocsp.status", report.Skip, []string{"another certificate"}},
			}},
		{"right serial and name, another CA's key", served,
			resp(testpki.OCSPOptions{CertIDIssuer: other.Intermediate.Cert}), []want{
				{"ocsp.valid", report.Fail, []string{"issuer key hash"}},
				{"ocsp.status", report.Skip, nil},
			}},
		{"revoked, about another CA", served,
			resp(testpki.OCSPOptions{CertIDIssuer: otherCA.Cert, Status: ocsp.Revoked}), []want{
				{"ocsp.valid", report.Fail, []string{"another CA"}},
				{"ocsp.status", report.Skip, nil},
			}},
		{"forged: another CA signs a good response for the serial", served,
			forged.Intermediate.OCSPResponse(t, testpki.OCSPOptions{Now: now, Cert: c.Leaf.Cert}), []want{
				{"ocsp.valid", report.Fail, []string{"issuer key hash"}},
				{"ocsp.status", report.Skip, nil},
			}},
		{"forged with the issuer's name, a stranger's key", served,
			resp(testpki.OCSPOptions{Responder: testpki.ResponderUnrelated}), []want{
				{"ocsp.valid", report.Fail, []string{"does not verify"}},
				{"ocsp.status", report.Skip, []string{"does not verify"}},
			}},
		{"delegated responder without EKU: no status", served,
			resp(testpki.OCSPOptions{Responder: testpki.ResponderDelegatedNoEKU}), []want{
				{"ocsp.valid", report.Fail, []string{"OCSPSigning"}},
				{"ocsp.status", report.Skip, nil},
			}},
		{"issuer not served: the name hash still compared", [][]byte{c.Leaf.DER},
			resp(testpki.OCSPOptions{CertIDIssuer: otherCA.Cert}), []want{
				{"ocsp.valid", report.Fail, []string{"issuer name hash"}},
				{"ocsp.status", report.Skip, nil},
			}},
		{"good, full CertID", served, resp(testpki.OCSPOptions{}), []want{
			{"ocsp.valid", report.Pass, []string{"about the served certificate"}},
			{"ocsp.status", report.Pass, []string{"good"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(healthyEvidence(t, tt.certs, tt.staple), roots(c.Root))
			expect(t, got, tt.wants...)
			for id, r := range got {
				if id != "ocsp.status" && strings.Contains(r.Detail, "good (produced") {
					t.Errorf("%s reports a status: %s", id, r.Detail)
				}
			}
		})
	}
}

// TestMustStaple: a certificate with the TLS Feature extension
// (status_request) served without a staple fails ocsp.stapled.
func TestMustStaple(t *testing.T) {
	c := testpki.NewChain(t, now)
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, MustStaple: true,
		OCSPServer: []string{testpki.ChainOCSPURL}})
	served := [][]byte{leaf.DER, c.Intermediate.DER}
	staple := c.Intermediate.OCSPResponse(t, testpki.OCSPOptions{Now: now, Cert: leaf.Cert})
	got := evaluate(healthyEvidence(t, served, nil), roots(c.Root))
	onlyThese(t, got, want{"ocsp.stapled", report.Fail, []string{"must-staple", "status_request"}})
	if r := got["ocsp.stapled"].Remediation; !strings.Contains(r, "ssl_stapling") || !strings.Contains(r, "must-staple") {
		t.Errorf("remediation %q names neither stapling nor reissuing", r)
	}
	expect(t, evaluate(healthyEvidence(t, served, staple), roots(c.Root)),
		want{"ocsp.stapled", report.Pass, []string{"must-staple"}}, want{"ocsp.status", report.Pass, nil})
	if mustStaple(c.Leaf.Cert) {
		t.Error("a certificate without the extension is taken for must-staple")
	}
}

// TestSNIBlamedOnlyWhenItMatters: a wrong-name certificate served alike
// with and without SNI is cert.hostname's finding alone.
func TestSNIBlamedOnlyWhenItMatters(t *testing.T) {
	c := testpki.NewChain(t, now)
	wrong := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"hooks.other.example"}})
	wrong2 := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"default.example"}})
	served := [][]byte{wrong.DER, c.Intermediate.DER}
	tests := []struct {
		name  string
		noSNI *probe.Handshake
		sni   want
	}{
		{"same wrong certificate without SNI", &probe.Handshake{Certificates: served},
			want{"tls.sni", report.Pass, []string{"same certificate with and without SNI", "see cert.hostname"}}},
		{"another wrong certificate without SNI", &probe.Handshake{Certificates: [][]byte{wrong2.DER, c.Intermediate.DER}},
			want{"tls.sni", report.Info, []string{"SNI is not the cause", "default.example"}}},
		{"no certificate without SNI", &probe.Handshake{Err: &probe.NetError{Kind: probe.ErrAlert, Alert: 112}},
			want{"tls.sni", report.Info, []string{"SNI is not the cause", "alert 112"}}},
		{"the right certificate without SNI", &probe.Handshake{Certificates: [][]byte{c.Leaf.DER, c.Intermediate.DER}},
			want{"tls.sni", report.Fail, []string{"without SNI it serves a certificate that does"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, served, nil)
			ev.Endpoints[0].NoSNI = tt.noSNI
			got := evaluate(ev, roots(c.Root))
			expect(t, got, tt.sni, want{"cert.hostname", report.Fail, []string{"hooks.other.example"}})
		})
	}
}

// TestHostileStringsAreBounded: thousands of SANs, long names: the details
// list a few and say how many more.
func TestHostileStringsAreBounded(t *testing.T) {
	c := testpki.NewChain(t, now)
	var sans []string
	for i := range 5000 {
		sans = append(sans, strings.Repeat("a", 60)+"-"+strings.Repeat("b", i%7)+".example")
	}
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: sans, CommonName: strings.Repeat("x", 5000)})
	got := evaluate(healthyEvidence(t, [][]byte{leaf.DER, c.Intermediate.DER}, nil), roots(c.Root))
	expect(t, got, want{"cert.hostname", report.Fail, []string{"(4990 more)"}})
	for id, r := range got {
		if len(r.Detail) > 4000 {
			t.Errorf("%s detail is %d bytes", id, len(r.Detail))
		}
	}
	if mustStaple(&x509.Certificate{}) {
		t.Error("an empty certificate is must-staple")
	}
}
