package checks

import (
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DistrustRule is a CA whose TLS certificates root programs stopped
// trusting: those issued after Cutoff (every one when Cutoff is zero). A
// certificate on the path matches by fingerprint: its SHA-256 is one of
// the roots' (SHA256), or its public key's (SPKI SHA-256, which also
// catches a root re-issued or cross-signed with the same key) is one of
// theirs (SPKI). Only when no fingerprint is known, or to name an
// intermediate whose root is not on the path (no anchor: the root was
// removed from the store), the rule falls back to the root's name: the
// subject's common name and organization, or the issuer's of the topmost
// certificate served. The check says which way it matched. The leaf's issue
// time is its earliest SCT when BySCT (Chrome judges so) and it has one,
// else its notBefore.
type DistrustRule struct {
	CA           string // the CA, in words
	CommonName   string // subject CN of the root; "" matches any CN with Organization
	Organization string // prefix of the subject O
	// SHA256 are the roots' certificate fingerprints, SPKI their public
	// keys', uppercase hex.
	SHA256, SPKI []string
	Cutoff       time.Time
	BySCT        bool
	Who          string // the root programs and versions
	Source       string // the announcement
}

// DistrustRules are the distrust events wacheck knows. Sources (also in
// docs/checks.md, chain.distrust):
//   - Entrust: Chrome 131+ for certificates whose earliest SCT is after
//     2024-11-11 23:59:59 UTC (first announced for Chrome 127 and
//     2024-10-31, moved on 2024-09-10), Google Security Blog "Sustaining
//     Digital Certificate Security – Entrust Certificate Distrust",
//     https://security.googleblog.com/2024/06/sustaining-digital-certificate-security.html;
//     Mozilla distrust-after 2024-11-30,
//     https://www.mail-archive.com/dev-security-policy@mozilla.org/msg01763.html.
//   - Chunghwa Telecom and NetLock: Chrome 139+ for earliest SCT after
//     2025-07-31 23:59:59 UTC, Google Security Blog (2025-05-30),
//     https://security.googleblog.com/2025/05/sustaining-digital-certificate-security-chrome-root-store-changes.html.
//   - Camerfirma: Chrome 90 distrusts every certificate,
//     https://www.mail-archive.com/dev-security-policy@lists.mozilla.org/msg14075.html
//
// The fingerprints: the certificate and SPKI SHA-256 of each root were
// computed from the roots as Mozilla shipped them (the ca-certificates
// bundle built from NSS certdata); Entrust Root Certification Authority -
// G4's certificate fingerprint is the one in NSS 3.48's release notes
// (Bug 1591178), the Camerfirma roots' are those crt.sh and Chromium's
// distrust lists give (Chambers of Commerce Root - 2008, Global Chambersign
// Root - 2008). Their SPKIs were not computed here, so those match by
// certificate or, failing that, by name.
var DistrustRules = func() []DistrustRule {
	const entrustSrc = "https://security.googleblog.com/2024/06/sustaining-digital-certificate-security.html and " +
		"https://www.mail-archive.com/dev-security-policy@mozilla.org/msg01763.html"
	entrust := []struct{ cn, o, sha, spki string }{
		{"Entrust Root Certification Authority", "Entrust, Inc.",
			"73C176434F1BC6D5ADF45B0E76E727287C8DE57616C1E6E6141A2B2CBC7D8E4C",
			"6DBFAE00D37B9CD73F8FB47DE65917AF00E0DDDF42DBCEAC20C17C0275EE2095"},
		{"Entrust Root Certification Authority - EC1", "Entrust, Inc.",
			"02ED0EB28C14DA45165C566791700D6451D7FB56F0B2AB1D3B8EB070E56EDFF5",
			"FEA2B7D645FBA73D753C1EC9A7870C40E1F7B0C561E927B985BF711866E36F22"},
		{"Entrust Root Certification Authority - G2", "Entrust, Inc.",
			"43DF5774B03E7FEF5FE40D931A7BEDF1BB2E6B42738C4E6D3841103D3AA7F339",
			"76EE8590374C715437BBCA6BBA6028EADDE2DC6DBBB8C3F610E851F11D1AB7F5"},
		{"Entrust Root Certification Authority - G4", "Entrust, Inc.",
			"DB3517D1F6732A2D5AB97C533EC70779EE3270A62FB4AC4238372460E6F01E88", ""},
		{"Entrust.net Certification Authority (2048)", "Entrust.net",
			"6DC47172E01CBCB0BF62580D895FE2B8AC9AD4F873801E0C10B9C837D21EB177",
			"1EA3C5E43ED66C2DA2983A42A4A79B1E906786CE9F1B58621419A00463A87D38"},
		{"AffirmTrust Commercial", "AffirmTrust",
			"0376AB1D54C5F9803CE4B2E201A0EE7EEF7B57B636E8A93C9B8D4860C96F5FA7",
			"6C464B9A5B233A5E874DA765C26F045010D2DDCFF45794F0B4C7E4AAFA501495"},
		{"AffirmTrust Networking", "AffirmTrust",
			"0A81EC5A929777F145904AF38D5D509F66B5E2C58FCDB531058B0E17F3F0B41B",
			"94072AD3F58F70F93098E5A5F6C04C96C710BD849D83184919AE90EB890AE400"},
		{"AffirmTrust Premium", "AffirmTrust",
			"70A73F7F376B60074248904534B11482D5BF0E698ECC498DF52577EBF2E93B9A",
			"C7F43B4CF5B71568294F822B53762605F6DDD15CADECE739E9E2C3CBA61E9D67"},
		{"AffirmTrust Premium ECC", "AffirmTrust",
			"BD71FDF6DA97E4CF62D1647ADD2581B07D79ADF8397EB4ECBA9C5E8488821423",
			"3219B09114FF495A3EB6EB00C2EFEAB34002AE5F0A56C7679EA087A3FA037E4F"},
	}
	var out []DistrustRule
	for _, r := range entrust {
		out = append(out, DistrustRule{CA: "Entrust", CommonName: r.cn, Organization: r.o,
			SHA256: list(r.sha), SPKI: list(r.spki), Cutoff: date(2024, 11, 12), BySCT: true,
			Who:    "Chrome 131+ (certificates whose earliest SCT is after 2024-11-11) and Mozilla (after 2024-11-30)",
			Source: entrustSrc})
	}
	const cnlSrc = "https://security.googleblog.com/2025/05/sustaining-digital-certificate-security-chrome-root-store-changes.html"
	for _, r := range []struct{ ca, cn, o, sha, spki string }{
		// ePKI Root Certification Authority has no CN: it is named by its OU.
		{"Chunghwa Telecom", "", "Chunghwa Telecom Co., Ltd.",
			"C0A6F4DC63A24BFDCF54EF2A6A082A0A72DE35803E2FF5FF527AE5D87206DFD5",
			"62554C17005543B237215F04268DCD2FD1C470240AD3C8660E25AE2C59630F55"},
		{"Chunghwa Telecom", "HiPKI Root CA - G1", "Chunghwa Telecom Co., Ltd.",
			"F015CE3CC239BFEF064BE9F1D2C417E1A0264A0A94BE1F0C8D121864EB6949CC",
			"79CAAF5347E6E4A94C8E78A98496FC74020F809EDE13F220FAB6104C8DED329F"},
		{"NetLock", "NetLock Arany (Class Gold) Főtanúsítvány", "NetLock Kft.",
			"6C61DAC3A2DEF031506BE036D2A6FE401994FBD13DF9C8D466599274C446EC98",
			"F48BADD7DF6A06690D0AE31373B12855F8DEDB14517F362A313101CC98CC6B35"},
	} {
		out = append(out, DistrustRule{CA: r.ca, CommonName: r.cn, Organization: r.o, SHA256: list(r.sha),
			SPKI: list(r.spki), Cutoff: date(2025, 8, 1), BySCT: true,
			Who: "Chrome 139+ (certificates whose earliest SCT is after 2025-07-31)", Source: cnlSrc})
	}
	out = append(out, DistrustRule{CA: "Camerfirma", Organization: "AC Camerfirma",
		SHA256: []string{"063E4AFAC491DFD332F3089B8542E94617D893D7FE944E10A7937EE29D9693C0",
			"136335439334A7698016A0D324DE72284E079D7B5220BB8FBD747816EEBEBACA"},
		Who:    "Chrome 90+ (every certificate) and Mozilla (websites trust bit removed in Firefox 88)",
		Source: "https://www.mail-archive.com/dev-security-policy@lists.mozilla.org/msg14075.html"})
	return out
}()

func list(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// How a DistrustRule matched a certificate.
const (
	byCertificate = "by its certificate's SHA-256 fingerprint"
	byKey         = "by its public key's SHA-256 (SPKI) fingerprint"
	byName        = "by name only (no fingerprint matched; the name is the root's)"
	byIssuer      = "by its issuer's name only (the root itself is not on the path)"
)

// match says whether c is one of the rule's roots, and how it matched:
// by fingerprint first, by the subject's name as the fallback.
func (r DistrustRule) match(c *x509.Certificate) (string, bool) {
	sum := sha256.Sum256(c.Raw)
	if slices.Contains(r.SHA256, strings.ToUpper(hex.EncodeToString(sum[:]))) {
		return byCertificate, true
	}
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	if slices.Contains(r.SPKI, strings.ToUpper(hex.EncodeToString(spki[:]))) {
		return byKey, true
	}
	if r.nameMatches(c.Subject) {
		return byName, true
	}
	return "", false
}

// nameMatches is the fallback: the root's CN (when it has one) and an
// organization starting with the rule's.
func (r DistrustRule) nameMatches(n pkix.Name) bool {
	if r.CommonName != "" && n.CommonName != r.CommonName {
		return false
	}
	for _, o := range n.Organization {
		if strings.HasPrefix(o, r.Organization) {
			return true
		}
	}
	return false
}

// maxSCTs bounds the SCTs read from one certificate.
const maxSCTs = 32

// earliestSCT is the earliest timestamp of the SCTs embedded in c (RFC 6962
// §3.3), false when it has none that parse.
func earliestSCT(c *x509.Certificate) (time.Time, bool) {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSCTList) {
			continue
		}
		var list []byte
		if rest, err := asn1.Unmarshal(e.Value, &list); err != nil || len(rest) != 0 || len(list) < 2 {
			return time.Time{}, false
		}
		n := int(binary.BigEndian.Uint16(list))
		b := list[2:]
		if n > len(b) {
			return time.Time{}, false
		}
		b = b[:n]
		var first time.Time
		for i := 0; len(b) >= 2 && i < maxSCTs; i++ {
			l := int(binary.BigEndian.Uint16(b))
			if l > len(b)-2 {
				break
			}
			sct := b[2 : 2+l]
			b = b[2+l:]
			if len(sct) < 1+32+8 || sct[0] != 0 { // v1: version, log id, timestamp (ms)
				continue
			}
			ms := binary.BigEndian.Uint64(sct[33:41])
			if ms > 1<<53 {
				continue
			}
			t := time.UnixMilli(int64(ms)).UTC()
			if first.IsZero() || t.Before(first) {
				first = t
			}
		}
		return first, !first.IsZero()
	}
	return time.Time{}, false
}

const distrustFix = "Replace the certificate with one from a CA the root programs trust (for instance an ACME " +
	"CA such as Let's Encrypt with certbot), and serve that CA's chain; reload the server"

// chainDistrust names a chain whose CA the root programs distrust for
// certificates issued after a cut-off date, when the leaf was issued after it.
func chainDistrust(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	leaf := s.chain.leaf
	var path []*x509.Certificate
	for _, c := range judged(s) {
		path = append(path, c.cert)
	}
	if s.chain.anchor != nil {
		path = append(path, s.chain.anchor)
	}
	for _, r := range DistrustRules {
		for i, c := range path {
			how, ok := r.match(c)
			if !ok && i == len(path)-1 && s.chain.anchor == nil && r.nameMatches(c.Issuer) {
				// The root is not on the path (no anchor in the store):
				// the topmost certificate served names it as its issuer.
				how, ok = byIssuer, true
			}
			if !ok {
				continue
			}
			issued, basis := leaf.NotBefore.UTC(), "notBefore"
			if t, ok := earliestSCT(leaf); ok && r.BySCT {
				issued, basis = t, "earliest SCT"
			}
			if r.Cutoff.IsZero() {
				return fail(distrustFix, "the chain goes through %s (matched %s), a %s CA that %s distrust: %s "+
					"(source: %s)", name(c), how, r.CA, r.Who, "no certificate from it is trusted", r.Source)
			}
			day := issued.Format(time.DateOnly)
			if !issued.Before(r.Cutoff) {
				return fail(distrustFix, "the chain goes through %s (matched %s), a %s CA, and the leaf was issued on "+
					"%s (%s), after the cut-off: %s distrust it (source: %s)", name(c), how, r.CA, day, basis, r.Who,
					r.Source)
			}
			return info("the chain goes through %s (matched %s), a %s CA distrusted for certificates issued after %s; "+
				"this leaf was issued on %s (%s), before the cut-off, but its renewal must come from another CA (%s)",
				name(c), how, r.CA, r.Cutoff.AddDate(0, 0, -1).Format(time.DateOnly), day, basis, r.Who)
		}
	}
	return pass("no CA on the path is under a root program's distrust (%s)", distrustedNames())
}

func distrustedNames() string {
	var out []string
	seen := map[string]bool{}
	for _, r := range DistrustRules {
		if !seen[r.CA] {
			seen[r.CA] = true
			out = append(out, r.CA)
		}
	}
	return fmt.Sprintf("known: %s", strings.Join(out, ", "))
}
