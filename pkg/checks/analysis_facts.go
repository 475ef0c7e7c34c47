package checks

import (
	"crypto/x509"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/pkg/report"
)

// Analysis is what Run worked out about one Set's chain and staple, for the
// report's facts: the report builder describes the same analysis the checks
// judged, never a second one.
type Analysis struct {
	chain *chainAnalysis
	ocsp  *ocspAnalysis
}

// Served is one certificate as served or given, in order.
type Served struct {
	Index int
	Raw   []byte
	// Cert is nil when the certificate did not parse; ParseErr says why.
	Cert     *x509.Certificate
	ParseErr error
}

// Certificates are the certificates in the order served.
func (a *Analysis) Certificates() []Served {
	out := make([]Served, len(a.chain.certs))
	for i, c := range a.chain.certs {
		out[i] = Served{Index: c.index, Raw: c.raw, Cert: c.cert, ParseErr: c.parseErr}
	}
	return out
}

// Leaf is the first certificate, nil when it did not parse.
func (a *Analysis) Leaf() *x509.Certificate { return a.chain.leaf }

// Verified reports whether the leaf chains to a root of the pool using only
// the served certificates.
func (a *Analysis) Verified() bool { return a.chain.verified }

// VerifiedChain is the chain that verified, leaf first, root last.
func (a *Analysis) VerifiedChain() []*x509.Certificate { return a.chain.chain }

// VerifyError is why the chain did not verify, nil when it did.
func (a *Analysis) VerifyError() error { return a.chain.verifyErr }

// IssuingPath is the issuing path through the served certificates, as
// indices into Certificates, leaf first.
func (a *Analysis) IssuingPath() []int { return a.chain.path }

// Issuer is the leaf's issuer, from the served certificates or the pool.
func (a *Analysis) Issuer() *x509.Certificate { return a.chain.issuer }

// Cuts are the bounds the analysis of these certificates hit (see
// MaxChainCerts, MaxSignatureChecks and Context.Deadline): what was left
// unexamined. Empty when nothing was cut.
func (a *Analysis) Cuts() []report.Cut { return append([]report.Cut(nil), a.chain.cuts...) }

// Staple describes the stapled response; nil when none was stapled.
func (a *Analysis) Staple() *StapleFacts {
	o := a.ocsp
	if o == nil {
		return nil
	}
	return &StapleFacts{Raw: o.raw, Response: o.resp, ParseErr: o.parseErr, IDErr: o.idErr, SigErr: o.sigErr,
		ResponderErr: o.responderErr, IssuerKnown: o.issuerKnown, verified: o.verified()}
}

// StapleFacts is a stapled OCSP response as analysed.
type StapleFacts struct {
	Raw []byte
	// Response is nil when it did not parse (ParseErr).
	Response *ocsp.Response
	ParseErr error
	// IDErr says how the response names another certificate (serial,
	// issuer name hash, issuer key hash).
	IDErr error
	// SigErr: the response does not verify against the issuer;
	// ResponderErr: a delegated responder that may not sign.
	SigErr       error
	ResponderErr error
	IssuerKnown  bool
	verified     bool
}

// Verified reports whether the response was checked and holds: about the
// leaf (its full CertID), signed by its issuer or by a responder the
// issuer authorised. The status of a response that did not verify is no
// fact.
func (f *StapleFacts) Verified() bool { return f.verified }

// Err is why the response cannot be used, nil when it can (or when the
// issuer was unknown, so that nothing could be checked).
func (f *StapleFacts) Err() error {
	for _, err := range []error{f.ParseErr, f.IDErr, f.SigErr, f.ResponderErr} {
		if err != nil {
			return err
		}
	}
	return nil
}

// IsSelfSigned reports whether c's issuer is its own subject and its
// signature verifies with its own key.
func IsSelfSigned(c *x509.Certificate) bool { return isSelfSigned(c) }

// SANs are c's subject alternative names: DNS names, then IP addresses.
func SANs(c *x509.Certificate) []string { return sanList(c) }

// DaysLeft is how many whole days c is valid for after now (negative once
// it has expired), as cert.expiry counts them.
func DaysLeft(c *x509.Certificate, now time.Time) int { return days(c.NotAfter.Sub(now)) }
