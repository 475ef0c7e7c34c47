package checks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

const fullchainFix = "Serve the full chain, leaf first then each intermediate: nginx `ssl_certificate " +
	"/etc/letsencrypt/live/NAME/fullchain.pem;` (not cert.pem); Apache 2.4.8+ `SSLCertificateFile fullchain.pem`; " +
	"HAProxy: one PEM with leaf, intermediates and key on the `crt` line. Build it with " +
	"`cat leaf.pem intermediate.pem > fullchain.pem`"

// name is the short form of a certificate's subject used in details.
func name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return c.Subject.String()
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return "CN=" + c.Issuer.CommonName
	}
	return c.Issuer.String()
}

func chainComplete(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	a := s.chain
	switch {
	case a.verified:
		return pass("%d certificate(s) %s; path %s", len(a.certs), servedWord(s), pathWords(a.chain))
	case len(a.path) == 1 && a.topSelfSigned:
		return skip("the certificate is self-signed: there is no chain to complete (see chain.trusted)")
	case a.topSelfSigned || a.anchor != nil:
		// The served certificates reach a root: complete, though maybe
		// not trusted (chain.trusted says).
		return pass("the %s certificates lead from the leaf to %s", servedWord(s), name(a.top))
	}
	top := a.top
	missing := issuerName(top)
	where := "the leaf"
	if top != a.leaf {
		where = name(top)
	}
	aia := "names no CA Issuers URL (AIA)"
	if len(top.IssuingCertificateURL) > 0 {
		aia = "points to it at " + strings.Join(top.IssuingCertificateURL, ", ")
	}
	fix := fullchainFix
	if s.Chain.Source == "files" {
		fix += "; `wacheck cert --fix --fetch-intermediates FILE -o fullchain.pem` (or `--bundle` with the CA's " +
			"intermediates) writes it"
	}
	return fail(fix,
		"%s the certificate of %s, which issued %s; %s's AIA %s. Browsers fetch it, "+
			"webhook senders do not: their handshake fails (\"unable to get local issuer certificate\")",
		notSent(s), missing, where, where, aia)
}

func pathWords(chain []*x509.Certificate) string {
	parts := make([]string, len(chain))
	for i, c := range chain {
		parts[i] = name(c)
	}
	return strings.Join(parts, " → ")
}

func chainTrusted(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	a := s.chain
	roots := "the " + cx.Roots.Name + " root store"
	switch {
	case a.verified:
		return pass("chains to %s, in %s", name(a.chain[len(a.chain)-1]), roots)
	case len(a.path) == 1 && a.topSelfSigned:
		return fail("Use a certificate from a public CA"+selfSignedWords(cx)+". "+
			"Let's Encrypt is free: `certbot certonly --nginx -d "+certbotName(s)+"`",
			"the certificate is self-signed (%s): senders reject it", name(a.leaf))
	case a.topSelfSigned:
		return fail("Use a certificate from a public CA trusted by senders ("+cx.Profile.Short+" does not accept private or "+
			"self-signed roots); to test a private CA, pass it with --ca-file",
			"the chain ends at %s, which is not in %s", name(a.top), roots)
	case a.anchor != nil:
		return fail("Replace the certificate with one that verifies: "+verifyHint(a.verifyErr),
			"the chain reaches %s in %s but does not verify: %v", name(a.anchor), roots, a.verifyErr)
	}
	return skip("cannot judge trust: the chain is incomplete (see chain.complete); its next issuer, %s, "+
		"is neither %s nor in %s", issuerName(a.top), servedWord(s), roots)
}

func verifyHint(err error) string {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.IncompatibleUsage:
			return "the leaf must allow serverAuth in its extended key usage"
		case x509.CANotAuthorizedForThisName:
			return "a CA's name constraints do not allow this name"
		case x509.NotAuthorizedToSign:
			return "an intermediate is not marked as a CA"
		}
	}
	var ins x509.InsecureAlgorithmError
	if errors.As(err, &ins) || err != nil && strings.Contains(err.Error(), "insecure algorithm") {
		return "reissue with a SHA-256 signature"
	}
	return "reissue it from your CA"
}

func chainOrder(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	a := s.chain
	inOrder := true
	for i, idx := range a.path {
		if idx != i {
			inOrder = false
		}
	}
	if inOrder {
		return pass("leaf first, then each issuer in order")
	}
	served := make([]string, len(a.certs))
	for i, c := range a.certs {
		served[i] = certLabel(c)
	}
	issuing := make([]string, len(a.path))
	for i, idx := range a.path {
		issuing[i] = strconv.Itoa(idx)
	}
	return warn("Order the PEM file leaf first, then the intermediate that issued it, and so on: "+
		"`cat leaf.pem intermediate.pem > fullchain.pem`; strict clients reject out-of-order chains",
		"%s order: %s; issuing order is #%s", servedWord(s), strings.Join(served, ", "), strings.Join(issuing, " → #"))
}

func certLabel(s served) string {
	if s.cert == nil {
		return fmt.Sprintf("#%d (unparsable)", s.index)
	}
	return fmt.Sprintf("#%d %s", s.index, name(s.cert))
}

func chainExtra(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	a := s.chain
	onPath := map[int]bool{}
	for _, i := range a.path {
		onPath[i] = true
	}
	var unrelated []string
	for _, c := range a.certs {
		if !onPath[c.index] {
			unrelated = append(unrelated, certLabel(c))
		}
	}
	rootSent := len(a.path) > 1 && a.topSelfSigned
	if len(unrelated) > 0 {
		return warn("Remove certificates that are not on the leaf's issuing path from the served chain file "+
			"(ssl_certificate / SSLCertificateFile): they slow every handshake and confuse strict clients",
			"%d certificate(s) %s that are not on the leaf's issuing path: %s",
			len(unrelated), servedWord(s), strings.Join(unrelated, ", "))
	}
	if rootSent {
		return info("the root %s is "+servedWord(s)+" too; clients use their own copy, so it only adds %d bytes to "+
			"every handshake (remove it from the chain file)", name(a.top), len(a.certs[a.path[len(a.path)-1]].raw))
	}
	return pass("only the leaf and its intermediates are %s", servedWord(s))
}

// judged lists the certificates the per-certificate checks look at: all
// that were served and parsed.
func judged(s *State) []served {
	var out []served
	for _, c := range s.chain.certs {
		if c.cert != nil {
			out = append(out, c)
		}
	}
	return out
}

func role(s *State, c served) string {
	switch {
	case c.index == 0:
		return "leaf"
	case isSelfSigned(c.cert):
		return "root"
	case c.cert.IsCA:
		return "intermediate"
	}
	return "certificate"
}

func days(d time.Duration) int {
	return int(d.Hours() / 24)
}

func certExpiry(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	var expired, soon []string
	for _, c := range judged(s) {
		left := c.cert.NotAfter.Sub(cx.Now)
		label := fmt.Sprintf("%s %s (#%d)", role(s, c), name(c.cert), c.index)
		switch {
		case left < 0:
			expired = append(expired, fmt.Sprintf("%s expired on %s, %d days ago", label,
				c.cert.NotAfter.UTC().Format(time.DateOnly), days(-left)))
		case left <= cx.Thresholds.ExpiryWarn:
			soon = append(soon, fmt.Sprintf("%s expires on %s, in %d days", label,
				c.cert.NotAfter.UTC().Format(time.DateOnly), days(left)))
		}
	}
	renew := "Renew the certificate and reload the server: `certbot renew` then `systemctl reload nginx`; " +
		"automate renewal (certbot's timer) so it happens 30 days before expiry"
	if len(expired) > 0 {
		return fail(renew, "%s", strings.Join(append(expired, soon...), "; "))
	}
	if len(soon) > 0 {
		return warn(renew, "%s", strings.Join(soon, "; "))
	}
	return pass("the leaf expires on %s, in %d days", s.chain.leaf.NotAfter.UTC().Format(time.DateOnly),
		days(s.chain.leaf.NotAfter.Sub(cx.Now)))
}

func certValidity(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	var early []string
	for _, c := range judged(s) {
		if cx.Now.Before(c.cert.NotBefore) {
			early = append(early, fmt.Sprintf("%s %s (#%d) is valid only from %s", role(s, c), name(c.cert),
				c.index, c.cert.NotBefore.UTC().Format(time.RFC3339)))
		}
	}
	if len(early) > 0 {
		return fail("Check the server's clock (timedatectl; enable NTP) and the CA's; wait until the "+
			"certificate's notBefore or reissue it", "%s", strings.Join(early, "; "))
	}
	return pass("every %s certificate is within its validity period", servedWord(s))
}

func certHostname(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	leaf := s.chain.leaf
	want := s.Chain.Name
	sans := sanList(leaf)
	if want == "" {
		return skip("no name to match: give the host name the certificate must cover with --name")
	}
	if err := leaf.VerifyHostname(want); err == nil {
		return pass("%s is covered by the certificate (SANs: %s)", want, strings.Join(sans, ", "))
	}
	extra := ""
	if len(sans) == 0 {
		extra = " (it has no subject alternative names; the common name " + leaf.Subject.CommonName +
			" is ignored by modern clients)"
	}
	return fail("Issue a certificate that lists "+want+" in its subject alternative names: `certbot certonly --nginx -d "+
		want+"`; check the server block (server_name) serves the right certificate for this name",
		"%s is not among the certificate's names: %s%s", want, strings.Join(sans, ", "), extra)
}

func sanList(c *x509.Certificate) []string {
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// KeyDescription names a public key: "RSA 2048", "ECDSA P-256", "Ed25519".
func KeyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

func weakKey(c *x509.Certificate) bool {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen() < 2048
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize < 256
	}
	return false
}

func certKey(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	var weak []string
	for _, c := range judged(s) {
		if weakKey(c.cert) {
			weak = append(weak, fmt.Sprintf("%s %s (#%d) has a %s key", role(s, c), name(c.cert), c.index,
				KeyDescription(c.cert)))
		}
	}
	if len(weak) > 0 {
		return fail("Reissue with an ECDSA P-256 key (fastest) or RSA 2048+: `certbot certonly --key-type ecdsa "+
			"--elliptic-curve secp256r1 -d "+certbotName(s)+"`",
			"%s: below the minimum of RSA 2048 / EC 256 bits", strings.Join(weak, "; "))
	}
	leaf := s.chain.leaf
	desc := KeyDescription(leaf)
	if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() >= 4096 {
		return info("%s: secure, but RSA 4096 signing is several times slower than RSA 2048 or ECDSA P-256 and "+
			"lengthens every handshake; ECDSA P-256 is fastest", desc)
	}
	if strings.HasSuffix(desc, "P-256") {
		return pass("%s (the fastest choice)", desc)
	}
	return pass("%s", desc)
}

func insecureSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

func certSignature(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	var bad []string
	for _, c := range judged(s) {
		if isSelfSigned(c.cert) && c.index != 0 {
			continue // a root's self-signature is not checked by clients
		}
		if insecureSignature(c.cert.SignatureAlgorithm) {
			bad = append(bad, fmt.Sprintf("%s %s (#%d) is signed with %s", role(s, c), name(c.cert), c.index,
				c.cert.SignatureAlgorithm))
		}
	}
	if len(bad) > 0 {
		return fail("Reissue the certificate: SHA-1 and MD5 signatures are rejected by every current client; "+
			"any public CA signs with SHA-256 or better",
			"%s", strings.Join(bad, "; "))
	}
	return pass("%s", s.chain.leaf.SignatureAlgorithm)
}

// selfSignedWords is the sender's own words on self-signed certificates.
func selfSignedWords(cx *Context) string {
	if cx.Profile.SelfSignedRefused != "" {
		return ": " + cx.Profile.SelfSignedRefused
	}
	return ": webhook senders verify the certificate and reject self-signed ones"
}

// certbotName is the name a certbot command in a fix names.
func certbotName(s *State) string {
	if s.Chain.Name != "" {
		return s.Chain.Name
	}
	if s.chain != nil && s.chain.leaf != nil && len(s.chain.leaf.DNSNames) > 0 {
		return s.chain.leaf.DNSNames[0]
	}
	return "NAME"
}

// servedWord is "served" for a handshake's certificates, "given" for files.
func servedWord(s *State) string {
	if s.Chain != nil && s.Chain.Source == "files" {
		return "given"
	}
	return "served"
}

// notSent says a certificate is missing, in the words of the source.
func notSent(s *State) string {
	if s.Chain != nil && s.Chain.Source == "files" {
		return "the files do not include"
	}
	return "the server did not send"
}
