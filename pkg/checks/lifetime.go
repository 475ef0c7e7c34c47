package checks

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// lifetimeStep is the longest validity the CA/Browser Forum Baseline
// Requirements allow a public TLS subscriber certificate issued from From
// on (ballot SC-081v3, BR §6.3.2; 398 days since 2020-09-01, the limit
// Chrome and Apple enforce).
// Source: https://github.com/cabforum/servercert/blob/main/docs/BR.md (§1.2.2, §6.3.2).
type lifetimeStep struct {
	From time.Time
	Days int
}

var lifetimeSteps = []lifetimeStep{
	{date(2020, 9, 1), 398},
	{date(2026, 3, 15), 200},
	{date(2027, 3, 15), 100},
	{date(2029, 3, 15), 47},
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// MaxLifetime is the longest validity allowed for a public TLS certificate
// issued at notBefore, and the date that limit took effect; 0 before
// 2020-09-01 (no limit clients enforce).
func MaxLifetime(notBefore time.Time) (days int, since time.Time) {
	for _, s := range lifetimeSteps {
		if !notBefore.Before(s.From) {
			days, since = s.Days, s.From
		}
	}
	return days, since
}

// lifetime is a certificate's validity period, notAfter − notBefore, as
// Chrome measures it for its limit (the BRs count both ends, one second
// more: a CA aiming at the limit exactly is not blamed for that second).
func lifetime(c *x509.Certificate) time.Duration {
	return c.NotAfter.Sub(c.NotBefore)
}

const lifetimeFix = "Get certificates from an ACME CA with automated renewal (certbot, acme.sh, Caddy, " +
	"cert-manager), so shorter lifetimes (200 days from 2026-03-15, 100 from 2027-03-15, 47 from 2029-03-15) " +
	"need no manual work; renew with the CA now for a certificate within the limit"

// privateLeaf is true when the leaf is judged against the user's own roots
// (--ca-file) and carries no Certificate Transparency proof, which every
// public CA embeds: the public lifetime limits do not apply to a private
// hierarchy.
func privateLeaf(cx *Context, s *State) bool {
	return cx.Roots != nil && strings.HasPrefix(cx.Roots.Name, "file:") && !hasSCTs(s.chain.leaf)
}

// certLifetime judges the leaf's validity period against the BR limit for
// its notBefore: Chrome and Apple refuse a leaf longer-lived than 398 days
// issued since 2020-09-01; the later limits are the CAs' to keep, and a
// leaf over them is a mis-issuance clients may refuse.
func certLifetime(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	if privateLeaf(cx, s) {
		return skip("the roots are your own (--ca-file) and the leaf carries no Certificate Transparency proof: the public certificate lifetime limits do not apply to a private CA")
	}
	if !s.chain.verified && s.chain.anchor == nil {
		return skip("the chain does not reach a public root: the public certificate lifetime limits apply only to publicly trusted certificates")
	}
	leaf := s.chain.leaf
	life := lifetime(leaf)
	d := int(life / (24 * time.Hour))
	max, since := MaxLifetime(leaf.NotBefore)
	issued := leaf.NotBefore.UTC().Format(time.DateOnly)
	if max == 0 {
		return pass("the leaf was issued on %s, before public lifetime limits, and lasts %d days", issued, d)
	}
	limit := time.Duration(max) * 24 * time.Hour
	if life <= limit {
		return pass("the leaf lasts %d days (issued %s), within the %d days allowed for public certificates issued "+
			"since %s; renewal should be automated", d, issued, max, since.Format(time.DateOnly))
	}
	words := fmt.Sprintf("the leaf lasts %d days (issued %s, expires %s), longer than the %d days allowed for public "+
		"certificates issued since %s (CA/B Forum Baseline Requirements, ballot SC-081v3)", d, issued,
		leaf.NotAfter.UTC().Format(time.DateOnly), max, since.Format(time.DateOnly))
	if life > 398*24*time.Hour {
		return fail(lifetimeFix, "%s: Chrome and Apple clients refuse it, and senders using their rules may too", words)
	}
	return warn(lifetimeFix, "%s: clients enforcing the limit may refuse it", words)
}

// expiryWarnWithin is how close to expiry c gets a cert.expiry warning.
// Unless the user gave --expiry-warn (Thresholds.ExpiryWarnRelative
// false), it is relative to the certificate's lifetime: a third of it when
// that is less than ExpiryWarn (an ACME client renews a 90-day certificate
// 30 days before expiry, and a 47-day one about 16 days before: warning at
// 30 days would flag every healthy short-lived certificate). A given
// --expiry-warn, 30 included, is used as given.
func expiryWarnWithin(cx *Context, c *x509.Certificate) time.Duration {
	w := cx.Thresholds.ExpiryWarn
	if !cx.Thresholds.ExpiryWarnRelative {
		return w
	}
	if third := lifetime(c) / 3; third > 0 && third < w {
		return third
	}
	return w
}
