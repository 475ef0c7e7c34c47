package checks

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/trust"
)

func fingerprint(b []byte) string {
	s := sha256.Sum256(b)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// TestDistrustByFingerprint: a rule matches a root by its certificate's
// SHA-256, and a root re-issued with the same key (another name, another
// certificate) by its SPKI's; the detail says which. A name alone matches
// only as the documented fallback, and says so.
func TestDistrustByFingerprint(t *testing.T) {
	saved := DistrustRules
	t.Cleanup(func() { DistrustRules = saved })
	key := testpki.NewKey(t, testpki.ECDSAP256)
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, Key: key, CommonName: "wacheck distrusted test root",
		Organization: "wacheck test"})
	reissued := testpki.NewRoot(t, testpki.CAOptions{Now: now, Key: key, CommonName: "wacheck renamed test root",
		Organization: "another name"})
	rule := DistrustRule{CA: "Test CA", CommonName: "a name no test certificate has", Organization: "nobody",
		Cutoff: now.Add(-30 * 24 * time.Hour), Who: "a test root program", Source: "https://example.invalid/test"}
	for _, tc := range []struct {
		name     string
		ca       *testpki.CA
		sha, pub bool
		status   report.Status
		in       string
	}{
		{"certificate fingerprint", root, true, false, report.Fail, "by its certificate's SHA-256 fingerprint"},
		{"same key, another certificate", reissued, true, true, report.Fail, "by its public key's SHA-256 (SPKI)"},
		{"no fingerprint, no name", reissued, true, false, report.Pass, "no CA on the path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rule
			if tc.sha {
				r.SHA256 = []string{fingerprint(root.DER)}
			}
			if tc.pub {
				r.SPKI = []string{fingerprint(root.Cert.RawSubjectPublicKeyInfo)}
			}
			DistrustRules = []DistrustRule{r}
			leaf := tc.ca.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
			got := evaluateAt(healthyEvidence(t, [][]byte{leaf.DER}, nil), trust.New("test", tc.ca.Cert), now)
			if g := got["chain.distrust"]; g.Status != tc.status || !strings.Contains(g.Detail, tc.in) {
				t.Errorf("chain.distrust = %s (%s), want %s with %q", g.Status, g.Detail, tc.status, tc.in)
			}
		})
	}
	// The fallback: the root's name, said to be only that.
	DistrustRules = saved
	named := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "HiPKI Root CA - G1",
		Organization: "Chunghwa Telecom Co., Ltd."})
	leaf := named.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	got := evaluateAt(healthyEvidence(t, [][]byte{leaf.DER}, nil), trust.New("test", named.Cert), now)
	if g := got["chain.distrust"]; g.Status != report.Fail || !strings.Contains(g.Detail, "by name only") {
		t.Errorf("name fallback: chain.distrust = %s (%s)", g.Status, g.Detail)
	}
}

// TestDistrustRulesFingerprints: every rule carries the real fingerprints
// (64 hex digits, no duplicates), and the values are the published ones
// for two roots checked by hand against crt.sh.
func TestDistrustRulesFingerprints(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range DistrustRules {
		if len(r.SHA256) == 0 {
			t.Errorf("%s %q: no certificate fingerprint", r.CA, r.CommonName)
		}
		for _, f := range append(append([]string{}, r.SHA256...), r.SPKI...) {
			if _, err := hex.DecodeString(f); err != nil || len(f) != 64 || strings.ToUpper(f) != f || seen[f] {
				t.Errorf("%s %q: fingerprint %q", r.CA, r.CommonName, f)
			}
			seen[f] = true
		}
	}
	want := map[string]string{
		"Entrust Root Certification Authority - G4": "DB3517D1F6732A2D5AB97C533EC70779EE3270A62FB4AC4238372460E6F01E88",
		"HiPKI Root CA - G1":                        "F015CE3CC239BFEF064BE9F1D2C417E1A0264A0A94BE1F0C8D121864EB6949CC",
	}
	for _, r := range DistrustRules {
		if w, ok := want[r.CommonName]; ok && (len(r.SHA256) == 0 || r.SHA256[0] != w) {
			t.Errorf("%s: %v, want %s", r.CommonName, r.SHA256, w)
		}
	}
}
