package checks

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// DistrustRule is a CA whose TLS certificates root programs stopped
// trusting: those issued after Cutoff (every one when Cutoff is zero).
// A certificate on the path matches by its subject's common name and
// organization (the roots' published names); the leaf's issue time is its
// earliest SCT when BySCT (Chrome judges so) and it has one, else its
// notBefore.
type DistrustRule struct {
	CA           string // the CA, in words
	CommonName   string // subject CN of the root; "" matches any CN with Organization
	Organization string // prefix of the subject O
	Cutoff       time.Time
	BySCT        bool
	Who          string // the root programs and versions
	Source       string // the announcement
}

// DistrustRules are the distrust events wacheck knows. Sources (also in
// docs/checks.md, chain.distrust):
//   - Entrust: Mozilla distrust-after 2024-11-30,
//     https://www.mail-archive.com/dev-security-policy@mozilla.org/msg01763.html;
//     Chrome 131+ for certificates whose earliest SCT is after 2024-11-11
//     (first announced as 2024-10-31), Google Security Blog "Sustaining
//     Digital Certificate Security – Entrust Certificate Distrust" (2024-06-27).
//   - Chunghwa Telecom and NetLock: Chrome 139+ for earliest SCT after
//     2025-07-31, Google Security Blog (2025-05-30), reported at
//     https://www.securityweek.com/chrome-to-distrust-chunghwa-telecom-and-netlock-certificates/
//   - Camerfirma: Chrome 90 distrusts every certificate,
//     https://www.mail-archive.com/dev-security-policy@lists.mozilla.org/msg14075.html
var DistrustRules = func() []DistrustRule {
	const entrustSrc = "https://www.mail-archive.com/dev-security-policy@mozilla.org/msg01763.html"
	entrust := []struct{ cn, o string }{
		{"Entrust Root Certification Authority", "Entrust, Inc."},
		{"Entrust Root Certification Authority - EC1", "Entrust, Inc."},
		{"Entrust Root Certification Authority - G2", "Entrust, Inc."},
		{"Entrust Root Certification Authority - G4", "Entrust, Inc."},
		{"Entrust.net Certification Authority (2048)", "Entrust.net"},
		{"AffirmTrust Commercial", "AffirmTrust"},
		{"AffirmTrust Networking", "AffirmTrust"},
		{"AffirmTrust Premium", "AffirmTrust"},
		{"AffirmTrust Premium ECC", "AffirmTrust"},
	}
	var out []DistrustRule
	for _, r := range entrust {
		out = append(out, DistrustRule{CA: "Entrust", CommonName: r.cn, Organization: r.o,
			Cutoff: date(2024, 11, 12), BySCT: true,
			Who:    "Chrome 131+ (certificates whose earliest SCT is after 2024-11-11) and Mozilla (after 2024-11-30)",
			Source: entrustSrc})
	}
	const cnlSrc = "https://www.securityweek.com/chrome-to-distrust-chunghwa-telecom-and-netlock-certificates/"
	for _, r := range []struct{ ca, cn, o string }{
		{"Chunghwa Telecom", "", "Chunghwa Telecom Co., Ltd."}, // ePKI Root Certification Authority (no CN)
		{"Chunghwa Telecom", "HiPKI Root CA - G1", "Chunghwa Telecom Co., Ltd."},
		{"NetLock", "NetLock Arany (Class Gold) Főtanúsítvány", "NetLock Kft."},
	} {
		out = append(out, DistrustRule{CA: r.ca, CommonName: r.cn, Organization: r.o, Cutoff: date(2025, 8, 1),
			BySCT: true, Who: "Chrome 139+ (certificates whose earliest SCT is after 2025-07-31)", Source: cnlSrc})
	}
	out = append(out, DistrustRule{CA: "Camerfirma", Organization: "AC Camerfirma",
		Who:    "Chrome 90+ (every certificate) and Mozilla (websites trust bit removed in Firefox 88)",
		Source: "https://www.mail-archive.com/dev-security-policy@lists.mozilla.org/msg14075.html"})
	return out
}()

func (r DistrustRule) matches(c *x509.Certificate) bool {
	if r.CommonName != "" && c.Subject.CommonName != r.CommonName {
		return false
	}
	for _, o := range c.Subject.Organization {
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
		for _, c := range path {
			if !r.matches(c) {
				continue
			}
			issued, basis := leaf.NotBefore.UTC(), "notBefore"
			if t, ok := earliestSCT(leaf); ok && r.BySCT {
				issued, basis = t, "earliest SCT"
			}
			if r.Cutoff.IsZero() {
				return fail(distrustFix, "the chain goes through %s, a %s CA that %s distrust: %s (source: %s)",
					name(c), r.CA, r.Who, "no certificate from it is trusted", r.Source)
			}
			day := issued.Format(time.DateOnly)
			if !issued.Before(r.Cutoff) {
				return fail(distrustFix, "the chain goes through %s, a %s CA, and the leaf was issued on %s (%s), "+
					"after the cut-off: %s distrust it (source: %s)", name(c), r.CA, day, basis, r.Who, r.Source)
			}
			return info("the chain goes through %s, a %s CA distrusted for certificates issued after %s; this leaf "+
				"was issued on %s (%s), before the cut-off, but its renewal must come from another CA (%s)", name(c),
				r.CA, r.Cutoff.AddDate(0, 0, -1).Format(time.DateOnly), day, basis, r.Who)
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
