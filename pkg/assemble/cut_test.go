package assemble

import (
	"fmt"
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/checks"
)

// TestWhatWasCut: the report says what the analysis left unexamined
// (certificates beyond checks.MaxChainCerts, SANs beyond MaxSANs), and
// addresses serving the same chain share one analysis.
func TestWhatWasCut(t *testing.T) {
	c := testpki.NewChain(t, now)
	var sans []string
	for i := range 250 {
		sans = append(sans, fmt.Sprintf("h%d.example", i))
	}
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: append([]string{"localhost"}, sans...)})
	long := [][]byte{leaf.DER}
	for range 30 {
		long = append(long, c.Intermediate.DER)
	}
	r := Probe(evidence(t, endpoint("127.0.0.1", long, nil), endpoint("127.0.0.2", long, nil)), context(c))
	for _, a := range r.Addresses {
		ch := a.Chain
		if ch == nil || len(ch.Cut) != 2 {
			t.Fatalf("%s: chain %+v, want two cuts", a.Address, ch)
		}
		if cut := ch.Cut[0]; cut.Limit != "certificates" || cut.Max != checks.MaxChainCerts || cut.Total != 31 {
			t.Errorf("%s: first cut %+v, want certificates %d of 31", a.Address, cut, checks.MaxChainCerts)
		}
		if cut := ch.Cut[1]; cut.Limit != "sans" || cut.Max != MaxSANs || cut.Total != 251 {
			t.Errorf("%s: second cut %+v, want sans %d of 251", a.Address, cut, MaxSANs)
		}
		if len(a.Certificates) != checks.MaxChainCerts || len(a.Certificates[0].SANs) != MaxSANs {
			t.Errorf("%s: %d certificates, %d SANs listed", a.Address, len(a.Certificates), len(a.Certificates[0].SANs))
		}
		if a.Leaf == nil || len(a.Leaf.SANs) != MaxSANs {
			t.Errorf("%s: the leaf summary lists %v SANs, want %d as certificates[] does", a.Address, a.Leaf, MaxSANs)
		}
		if len(ch.SHA256) != checks.MaxChainCerts {
			t.Errorf("%s: %d fingerprints", a.Address, len(ch.SHA256))
		}
	}
	healthy := Probe(evidence(t, endpoint("127.0.0.1", [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)), context(c))
	if cut := healthy.Addresses[0].Chain.Cut; cut != nil {
		t.Errorf("a healthy chain reports cuts %+v", cut)
	}
}

// TestUnverifiedStapleHasNoStatus: the report's ocsp.status is a fact only
// when the response verified.
func TestUnverifiedStapleHasNoStatus(t *testing.T) {
	c := testpki.NewChain(t, now)
	other := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Another CA", Organization: "Another"})
	for name, tt := range map[string]struct {
		certs    [][]byte
		staple   []byte
		status   string
		verified bool
	}{
		"verified":          {[][]byte{c.Leaf.DER, c.Intermediate.DER}, c.OCSPResponse(t, testpki.OCSPOptions{Now: now}), "good", true},
		"another issuer":    {[][]byte{c.Leaf.DER, c.Intermediate.DER}, c.OCSPResponse(t, testpki.OCSPOptions{Now: now, CertIDIssuer: other.Cert}), "", false},
		"forged":            {[][]byte{c.Leaf.DER, c.Intermediate.DER}, c.OCSPResponse(t, testpki.OCSPOptions{Now: now, Responder: testpki.ResponderUnrelated}), "", false},
		"issuer not served": {[][]byte{c.Leaf.DER}, c.OCSPResponse(t, testpki.OCSPOptions{Now: now}), "", false},
	} {
		o := Probe(evidence(t, endpoint("127.0.0.1", tt.certs, tt.staple)), context(c)).Addresses[0].OCSP
		if o == nil || !o.Stapled || o.Status != tt.status || o.Verified != tt.verified {
			t.Errorf("%s: ocsp = %+v, want status %q, verified %t", name, o, tt.status, tt.verified)
		}
		if !tt.verified && name != "issuer not served" && o.Error == "" {
			t.Errorf("%s: no error said", name)
		}
	}
}
