package checks

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

const fullchainFix = "Serve the full chain, leaf first then each intermediate: nginx `ssl_certificate " +
	"/etc/letsencrypt/live/NAME/fullchain.pem;` (not cert.pem); Apache 2.4.8+ `SSLCertificateFile fullchain.pem`; " +
	"HAProxy: one PEM with leaf, intermediates and key on the `crt` line. Build it with " +
	"`cat leaf.pem intermediate.pem > fullchain.pem`"

// maxNameLen bounds a server-controlled name in a detail, and maxListed the
// items (SANs, URLs) listed from one certificate.
const (
	maxNameLen = 200
	maxListed  = 10
)

// name is the short form of a certificate's subject used in details.
func name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return clip("CN=" + c.Subject.CommonName)
	}
	return clip(c.Subject.String())
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return clip("CN=" + c.Issuer.CommonName)
	}
	return clip(c.Issuer.String())
}

// clip bounds a server-controlled string to maxNameLen runes.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxNameLen {
		return s
	}
	return string([]rune(s)[:maxNameLen]) + "…"
}

// short lists at most n items of list, then how many more there are.
func short(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(append([]string{}, list[:n]...), fmt.Sprintf("… (%d more)", len(list)-n))
}

// sanWords are at most n of c's SANs, each clipped, for a detail.
func sanWords(c *x509.Certificate, n int) []string {
	sans := short(sanList(c), n)
	for i := range sans {
		sans[i] = clip(sans[i])
	}
	return sans
}

func chainComplete(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	a := s.chain
	switch {
	case a.verified:
		return pass("%d certificate(s) %s; path %s", a.total, servedWord(s), pathWords(a.chain))
	case len(a.path) == 1 && a.topSelfSigned:
		return skip("the certificate is self-signed: there is no chain to complete (see chain.trusted)")
	case a.topSelfSigned || a.anchor != nil:
		// The served certificates reach a root: complete, though maybe
		// not trusted (chain.trusted says).
		return pass("the %s certificates lead from the leaf to %s", servedWord(s), name(a.top))
	}
	top := a.top
	fix := fullchainFix
	if s.Chain.Source == "files" {
		fix += "; `wacheck cert --fix --fetch-intermediates FILE -o fullchain.pem` (or `--bundle` with the CA's " +
			"intermediates) writes it"
	}
	switch a.gap {
	case gapRoot:
		return pass("the %s certificates lead from the leaf up to %s, whose issuer %s is a root (%s): a server "+
			"need not send a root; whether it is trusted is chain.trusted's", servedWord(s), name(top),
			issuerName(top), a.gapBasis)
	case gapPrivate:
		return skip("cannot tell whether %s is the root of the leaf's CA or an intermediate: %s (see "+
			"chain.trusted); pass the CA's root with --ca-file to judge the chain", issuerName(top), a.gapBasis)
	case gapCut:
		return skip("could not tell: %s", cutWords(a))
	case gapLoop:
		return fail("Serve the chain your CA delivered with the certificate: leaf, then each intermediate up to a "+
			"root senders trust; leave out certificates that issue each other",
			"the %s certificates go round in a loop and never reach a root: %s was issued by %s (#%d), which is "+
				"on the path already (%s)", servedWord(s), name(top), name(a.certs[a.gapCert].cert), a.gapCert,
			pathIndices(a))
	case gapWrongIssuer:
		other := a.certs[a.gapCert].cert
		return fail("Serve the intermediate that issued this certificate (the one your CA delivered with it: "+
			"certbot's fullchain.pem), not another certificate of the same name",
			"%s (#%d) was %s, but it did not issue %s: the signature does not verify with its key (an older or "+
				"another CA certificate of that name); the certificate of %s that issued it is missing",
			name(other), a.gapCert, servedWord(s), name(top), issuerName(top))
	case gapUnparsable:
		bad := a.certs[a.gapCert]
		return fail("Serve the certificate intact: copy each block from -----BEGIN CERTIFICATE----- to "+
			"-----END CERTIFICATE----- again and check it with `openssl x509 -noout -text -in FILE`",
			"certificate #%d was %s but could not be parsed (%v): it is probably the certificate of %s, which "+
				"issued %s, damaged (truncated or badly copied); senders cannot use it", bad.index, servedWord(s),
			bad.parseErr, issuerName(top), name(top))
	}
	where := "the leaf"
	if top != a.leaf {
		where = name(top)
	}
	aia := "names no CA Issuers URL (AIA)"
	if len(top.IssuingCertificateURL) > 0 {
		aia = "points to it at " + clip(strings.Join(short(top.IssuingCertificateURL, 3), ", "))
	}
	basis := ""
	if a.gapBasis != "" && top != a.leaf { // a lone leaf's missing issuer is the usual case: no need to argue
		basis = " (" + issuerName(top) + " is taken for an intermediate: " + a.gapBasis + ")"
	}
	return fail(fix,
		"%s the certificate of %s, which issued %s; %s's AIA %s. Browsers fetch it, "+
			"webhook senders do not: their handshake fails (\"unable to get local issuer certificate\")%s",
		notSent(s), issuerName(top), where, where, aia, basis)
}

func pathWords(chain []*x509.Certificate) string {
	parts := make([]string, len(chain))
	for i, c := range chain {
		parts[i] = name(c)
	}
	return strings.Join(parts, " → ")
}

func pathIndices(a *chainAnalysis) string {
	parts := make([]string, len(a.path))
	for i, idx := range a.path {
		parts[i] = "#" + strconv.Itoa(idx)
	}
	return strings.Join(parts, " → ")
}

// cutWords says what the analysis cut.
func cutWords(a *chainAnalysis) string {
	parts := make([]string, len(a.cuts))
	for i, c := range a.cuts {
		parts[i] = c.Detail
	}
	return strings.Join(parts, "; ") + ", and the leaf's issuing path goes beyond what was analysed"
}

// untrustedFix is the remedy for a chain that ends outside the store.
func untrustedFix(cx *Context, s *State) string {
	fix := "Use a certificate from a publicly trusted CA (" + cx.Profile.Short + " does not accept private, " +
		"interception or retired roots): Let's Encrypt is free, `certbot certonly --nginx -d " + certbotName(s) + "`"
	if publicStore(cx.Roots) {
		return fix + "; to test against a private CA on purpose, pass its root with --ca-file"
	}
	return fix + "; if it is your own private CA, add its root to the --ca-file"
}

func chainTrusted(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	a := s.chain
	roots := "the " + cx.Roots.Name + " root store"
	switch {
	case a.verified:
		apart := ""
		for _, c := range a.chain {
			if cx.Now.After(c.NotAfter) || cx.Now.Before(c.NotBefore) {
				apart = " (judged apart from validity periods: see cert.expiry and cert.validity)"
				break
			}
		}
		return pass("chains to %s, in %s%s", name(a.chain[len(a.chain)-1]), roots, apart)
	case len(a.path) == 1 && a.topSelfSigned:
		return fail("Use a certificate from a public CA"+selfSignedWords(cx)+". "+
			"Let's Encrypt is free: `certbot certonly --nginx -d "+certbotName(s)+"`",
			"the certificate is self-signed (%s): senders reject it", name(a.leaf))
	case a.anchor != nil && a.insecureLink() != nil && a.linksHold():
		c := a.insecureLink()
		return skip("the chain reaches %s in %s, but %s is signed with %s, which senders refuse: that is "+
			"cert.signature's finding", name(a.anchor), roots, name(c), c.SignatureAlgorithm)
	case a.anchor != nil:
		return fail("Replace the certificate with one that verifies: "+verifyHint(a.verifyErr),
			"the chain reaches %s in %s but does not verify: %s", name(a.anchor), roots, verifyWords(a.verifyErr))
	case a.topSelfSigned:
		return fail(untrustedFix(cx, s), "the chain ends at %s, which is not in %s", name(a.top), roots)
	}
	switch a.gap {
	case gapRoot:
		top := a.top
		switch {
		case a.knownRoot != nil && indexStore(cx.Roots).named(top) != nil:
			return fail("Replace the certificate with one your CA really issued: reissue it",
				"%s names %s of %s as its issuer, but the signature does not verify with that root's key",
				name(top), name(a.knownRoot), roots)
		case a.knownRoot != nil:
			return fail("Senders use current root stores, which have it: judge against one that does (the default "+
				"Mozilla list; for --trust system update the ca-certificates package; for --ca-file add the root)",
				"the chain leads to %s: %s", name(a.knownRoot), a.gapBasis)
		}
		return fail(untrustedFix(cx, s), "the chain ends at %s, issued by %s, which is not in %s: %s",
			name(top), issuerName(top), roots, a.gapBasis)
	case gapPrivate:
		return fail(untrustedFix(cx, s), "the certificate was issued by %s, which is not in %s: %s",
			issuerName(a.top), roots, a.gapBasis)
	case gapCut:
		return skip("could not tell: %s", cutWords(a))
	}
	return skip("cannot judge trust: the chain is incomplete (see chain.complete); its next issuer, %s, "+
		"is neither %s nor in %s", issuerName(a.top), servedWord(s), roots)
}

// insecureLink is the first certificate on the path (below a root) signed
// with SHA-1 or MD5, nil when none is.
func (a *chainAnalysis) insecureLink() *x509.Certificate {
	for _, i := range a.path {
		if c := a.certs[i]; !c.selfSigned && insecureSignature(c.cert.SignatureAlgorithm) {
			return c.cert
		}
	}
	return nil
}

// verifyWords says why a chain that reaches the store does not verify, in
// words first and Go's own message after.
func verifyWords(err error) string {
	if err == nil {
		return "unknown reason"
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.IncompatibleUsage:
			return "the leaf does not allow serverAuth in its extended key usage (" + err.Error() + ")"
		case x509.CANotAuthorizedForThisName:
			return "a CA's name constraints do not allow this name (" + err.Error() + ")"
		case x509.NotAuthorizedToSign:
			return "an intermediate is not marked as a CA (" + err.Error() + ")"
		}
	}
	return err.Error()
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
	if !a.verified && a.gap == gapCut {
		return skip("could not tell: %s", cutWords(a))
	}
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
	return warn("Order the PEM file leaf first, then the intermediate that issued it, and so on: "+
		"`cat leaf.pem intermediate.pem > fullchain.pem`; strict clients reject out-of-order chains",
		"%s order: %s; issuing order is %s", servedWord(s), strings.Join(served, ", "), pathIndices(a))
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
	var extra []string
	for _, c := range a.certs {
		if !a.onPath(c.index) {
			extra = append(extra, a.offPathWords(c, cx))
		}
	}
	extra = short(extra, maxListed)
	if a.total > len(a.certs) {
		extra = append(extra, fmt.Sprintf("#%d to #%d, not analysed (%d certificates served; a chain needs two "+
			"to four)", len(a.certs), a.total-1, a.total))
	}
	rootSent := len(a.path) > 1 && a.topSelfSigned
	if len(extra) > 0 {
		fix := "Remove certificates that are not on the leaf's issuing path from the served chain file " +
			"(ssl_certificate / SSLCertificateFile): they slow every handshake and confuse strict clients"
		if a.anchor != nil {
			fix += "; with certbot, `--preferred-chain \"" + a.anchor.Subject.CommonName + "\"` gets the chain " +
				"without a cross-signed certificate"
		}
		return warn(fix, "%d certificate(s) %s that are not on the path senders build: %s",
			a.total-len(a.path), servedWord(s), strings.Join(extra, "; "))
	}
	if rootSent {
		return info("the root %s is "+servedWord(s)+" too; clients use their own copy, so it only adds %d bytes to "+
			"every handshake (remove it from the chain file)", name(a.top), len(a.certs[a.path[len(a.path)-1]].raw))
	}
	return pass("only the leaf and its intermediates are %s", servedWord(s))
}

// offPathWords describes a served certificate that is not on the path:
// a duplicate, another certificate for a CA on the path (cross-signed, or
// an old one of the same name), unparsable or unrelated; and whether it is
// outside its validity, which older clients that take it trip on.
func (a *chainAnalysis) offPathWords(c served, cx *Context) string {
	label := certLabel(c)
	if c.cert == nil {
		return label + ": " + clip(c.parseErr.Error())
	}
	onPath := []*x509.Certificate{}
	for _, i := range a.path {
		onPath = append(onPath, a.certs[i].cert)
	}
	if a.anchor != nil {
		onPath = append(onPath, a.anchor)
	}
	what := ""
	for _, p := range onPath {
		switch {
		case bytes.Equal(p.Raw, c.raw):
			what = "a second copy of " + name(p)
		case bytes.Equal(p.RawSubject, c.cert.RawSubject) && sameKey(p, c.cert):
			what = fmt.Sprintf("issued by %s: a cross-signed certificate for %s, older clients may choose it "+
				"instead of the path senders build", issuerName(c.cert), name(p))
		case bytes.Equal(p.RawSubject, c.cert.RawSubject):
			what = "another CA certificate named " + name(p) + ", with another key"
		default:
			continue
		}
		break
	}
	switch left := c.cert.NotAfter.Sub(cx.Now); {
	case left < 0:
		what = join(what, fmt.Sprintf("expired on %s: clients that build their path through it fail",
			c.cert.NotAfter.UTC().Format(time.DateOnly)))
	case cx.Now.Before(c.cert.NotBefore):
		what = join(what, "not valid before "+c.cert.NotBefore.UTC().Format(time.DateOnly))
	case left <= expiryWarnWithin(cx, c.cert):
		what = join(what, fmt.Sprintf("expires on %s", c.cert.NotAfter.UTC().Format(time.DateOnly)))
	}
	if what == "" {
		return label
	}
	return label + " (" + what + ")"
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// judged lists the certificates the per-certificate checks look at: those
// on the path a sender builds (the others are chain.extra's).
func judged(s *State) []served {
	var out []served
	for _, i := range s.chain.path {
		if c := s.chain.certs[i]; c.cert != nil {
			out = append(out, c)
		}
	}
	return out
}

func role(s *State, c served) string {
	switch {
	case c.index == 0:
		return "leaf"
	case c.selfSigned:
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
		case left <= expiryWarnWithin(cx, c.cert):
			soon = append(soon, fmt.Sprintf("%s expires on %s, in %d days", label,
				c.cert.NotAfter.UTC().Format(time.DateOnly), days(left)))
		}
	}
	renew := "Renew the certificate and reload the server: `certbot renew` then `systemctl reload nginx`; " +
		"automate renewal (certbot's timer) so it happens 30 days before expiry"
	for _, c := range judged(s) {
		if c.index > 0 && c.cert.NotAfter.Before(cx.Now.Add(expiryWarnWithin(cx, c.cert))) {
			renew = "Serve the current intermediate: your CA's chain file delivered with the certificate " +
				"(certbot's fullchain.pem, refreshed on every renewal), not an old copy; then reload the server"
			if c := s.chain.leaf; c.NotAfter.Before(cx.Now.Add(expiryWarnWithin(cx, c))) {
				renew = "Renew the certificate and serve the current chain with it (`certbot renew`, then reload)"
			}
			break
		}
	}
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
	sans := sanWords(leaf, maxListed)
	if want == "" {
		return skip("no name to match: give the host name the certificate must cover with --name")
	}
	if err := leaf.VerifyHostname(want); err == nil {
		return pass("%s is covered by the certificate (SANs: %s)", want, strings.Join(sans, ", "))
	}
	extra := ""
	if len(sans) == 0 {
		extra = " (it has no subject alternative names; the common name " + clip(leaf.Subject.CommonName) +
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
		if c.selfSigned && c.index != 0 {
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
