package checks

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/pkg/trust"
)

// served is one certificate as the server sent it.
type served struct {
	index    int
	raw      []byte
	cert     *x509.Certificate // nil when it did not parse
	parseErr error
}

// chainAnalysis is what the checks need to know about the served chain,
// worked out once per endpoint.
type chainAnalysis struct {
	certs []served
	leaf  *x509.Certificate

	// verified is true when the leaf chains to a root in the pool using
	// only the served certificates (checked at a time when every
	// certificate is valid, so that expiry is judged apart).
	verified  bool
	verifyErr error
	// chain is the verified chain, leaf first, root last.
	chain []*x509.Certificate

	// path is the issuing path through the served certificates as indices
	// into certs, leaf (0) first, built by names and signatures.
	path []int
	// top is the last certificate on path.
	top *x509.Certificate
	// topSelfSigned is true when top is self-signed (a root, or a
	// self-signed leaf).
	topSelfSigned bool
	// anchor is the pool root that issued top, nil when none did.
	anchor *x509.Certificate
	// issuer is the certificate that issued the leaf, from the served
	// certificates or the pool; nil when unknown.
	issuer *x509.Certificate
}

// analyzeChain builds the chainAnalysis of a handshake's certificates.
func analyzeChain(raw [][]byte, roots *trust.Store, now time.Time) *chainAnalysis {
	a := &chainAnalysis{}
	for i, der := range raw {
		c, err := x509.ParseCertificate(der)
		a.certs = append(a.certs, served{index: i, raw: der, cert: c, parseErr: err})
	}
	if len(a.certs) == 0 || a.certs[0].cert == nil {
		return a
	}
	a.leaf = a.certs[0].cert

	// Follow issuers through the served certificates, in any order.
	a.path = []int{0}
	cur := a.leaf
	used := map[int]bool{0: true}
	for !isSelfSigned(cur) {
		next := -1
		for _, s := range a.certs {
			if s.cert != nil && !used[s.index] && issuedBy(cur, s.cert) {
				next = s.index
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		a.path = append(a.path, next)
		cur = a.certs[next].cert
	}
	a.top = cur
	a.topSelfSigned = isSelfSigned(cur)
	if !a.topSelfSigned && roots != nil {
		for _, r := range roots.Certs {
			if issuedBy(cur, r) {
				a.anchor = r
				break
			}
		}
	}
	switch {
	case len(a.path) > 1:
		a.issuer = a.certs[a.path[1]].cert
	case a.anchor != nil:
		a.issuer = a.anchor
	}

	// Verify as a strict sender would: explicit roots, only the served
	// intermediates, no AIA fetching, no OS verifier.
	if roots != nil {
		inter := x509.NewCertPool()
		for _, s := range a.certs[1:] {
			if s.cert != nil {
				inter.AddCert(s.cert)
			}
		}
		opts := x509.VerifyOptions{
			Roots:         roots.Pool,
			Intermediates: inter,
			CurrentTime:   verifyTime(a, now),
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}
		chains, err := a.leaf.Verify(opts)
		if err == nil && len(chains) > 0 {
			a.verified = true
			a.chain = chains[0]
			if a.issuer == nil && len(a.chain) > 1 {
				a.issuer = a.chain[1]
			}
		} else {
			a.verifyErr = err
		}
	}
	return a
}

// verifyTime is now, unless a certificate on the path is outside its
// validity at now: then a moment at which all of them are valid, so that
// the chain's completeness and trust are judged apart from expiry (which
// cert.expiry and cert.validity report).
func verifyTime(a *chainAnalysis, now time.Time) time.Time {
	lo, hi := a.leaf.NotBefore, a.leaf.NotAfter
	onPath := []*x509.Certificate{}
	for _, i := range a.path {
		onPath = append(onPath, a.certs[i].cert)
	}
	if a.anchor != nil {
		onPath = append(onPath, a.anchor)
	}
	for _, c := range onPath {
		if c.NotBefore.After(lo) {
			lo = c.NotBefore
		}
		if c.NotAfter.Before(hi) {
			hi = c.NotAfter
		}
	}
	if !now.Before(lo) && !now.After(hi) {
		return now
	}
	if lo.After(hi) {
		return now
	}
	if now.Before(lo) {
		return lo.Add(time.Second)
	}
	return hi.Add(-time.Second)
}

// issuedBy reports whether parent issued child: the names chain and, where
// the algorithm allows checking, the signature verifies. An insecure
// signature algorithm (SHA-1, MD5) is still followed by names and key IDs so
// that the chain's shape is reported; cert.signature judges the algorithm.
func issuedBy(child, parent *x509.Certificate) bool {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	err := child.CheckSignatureFrom(parent)
	if err == nil {
		return true
	}
	var insecure x509.InsecureAlgorithmError
	if errors.As(err, &insecure) || errors.Is(err, x509.ErrUnsupportedAlgorithm) {
		if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 {
			return bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
		}
		return true
	}
	// A parent that is not marked as a CA still names the right issuer;
	// CheckSignatureFrom refuses it before checking the signature, so check
	// the signature alone (chain.trusted reports the constraint).
	var notCA x509.ConstraintViolationError
	if errors.As(err, &notCA) {
		return parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature) == nil
	}
	return false
}

// isSelfSigned reports whether c's issuer is its own subject and its
// signature verifies with its own key.
func isSelfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawIssuer, c.RawSubject) {
		return false
	}
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}

// ocspAnalysis is the stapled response, parsed.
type ocspAnalysis struct {
	raw []byte
	// resp is the parsed response; when the signature could not be
	// checked it is parsed without verification.
	resp *ocsp.Response
	// parseErr is set when the response could not be parsed at all.
	parseErr error
	// sigErr is set when the response does not verify against the issuer.
	sigErr error
	// issuerKnown is false when the leaf's issuer was not available.
	issuerKnown bool
}

func analyzeOCSP(staple []byte, ca *chainAnalysis) *ocspAnalysis {
	if len(staple) == 0 {
		return nil
	}
	o := &ocspAnalysis{raw: staple}
	// Parse first without the issuer: a response carrying a certificate
	// is then checked against that certificate's key.
	resp, err := ocsp.ParseResponse(staple, nil)
	if err != nil {
		o.parseErr = err
		return o
	}
	o.resp = resp
	if ca.issuer == nil {
		return o
	}
	o.issuerKnown = true
	switch {
	case resp.Certificate != nil && bytes.Equal(resp.Certificate.Raw, ca.issuer.Raw):
		// Signed by the CA itself, which enclosed its own certificate
		// (openssl ocsp does by default): x/crypto/ocsp would wrongly ask
		// the CA to have signed itself. It is a direct signature.
		o.sigErr = resp.CheckSignatureFrom(ca.issuer)
		resp.Certificate = nil
	case resp.Certificate != nil:
		// A delegated responder: its certificate must be issued by the CA.
		if err := resp.Certificate.CheckSignatureFrom(ca.issuer); err != nil {
			o.sigErr = fmt.Errorf("the responder certificate %s is not issued by %s: %w",
				resp.Certificate.Subject, ca.issuer.Subject, err)
		}
	default:
		o.sigErr = resp.CheckSignatureFrom(ca.issuer)
	}
	return o
}
