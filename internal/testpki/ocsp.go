package testpki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// Responder selects who signs an OCSP response.
type Responder int

const (
	// ResponderCA signs with the issuing CA's own key (the default).
	ResponderCA Responder = iota
	// ResponderDelegated signs with a responder certificate issued by the
	// CA with the id-kp-OCSPSigning extended key usage, embedded in the
	// response.
	ResponderDelegated
	// ResponderDelegatedNoEKU is ResponderDelegated with a responder
	// certificate that has no extended key usage at all, which RFC 6960
	// does not allow. golang.org/x/crypto/ocsp still accepts it.
	ResponderDelegatedNoEKU
	// ResponderUnrelated names the CA as responder but signs with a fresh
	// key, so the signature does not verify.
	ResponderUnrelated
	// ResponderCAWithCert signs with the CA's own key and encloses the CA's
	// certificate, as openssl ocsp does unless told -resp_no_certs.
	ResponderCAWithCert
)

func (r Responder) String() string {
	switch r {
	case ResponderCA:
		return "CA"
	case ResponderDelegated:
		return "delegated"
	case ResponderDelegatedNoEKU:
		return "delegated without EKU"
	case ResponderUnrelated:
		return "unrelated"
	case ResponderCAWithCert:
		return "CA with its certificate"
	}
	return fmt.Sprintf("Responder(%d)", int(r))
}

// OCSPOptions describes an OCSP response. The zero value with Cert set is a
// "good" response valid from an hour ago for a day.
type OCSPOptions struct {
	Now time.Time // zero means time.Now()

	Cert         *x509.Certificate // the certificate the response is about
	SerialNumber *big.Int          // overrides Cert's serial number

	Status           int       // ocsp.Good (zero), ocsp.Revoked or ocsp.Unknown
	RevokedAt        time.Time // with ocsp.Revoked; default an hour before Now
	RevocationReason int       // with ocsp.Revoked; e.g. ocsp.KeyCompromise

	// ThisUpdate defaults to an hour before Now (or a day before an explicit
	// NextUpdate, if that is earlier); NextUpdate defaults to a day after
	// Now. Either may lie on the wrong side of Now to make a stale or
	// premature response.
	ThisUpdate, NextUpdate time.Time
	NoNextUpdate           bool // omit nextUpdate from the response

	Responder Responder

	// CertIDIssuer is the CA the response's CertID names (its name and key
	// hashes); default the CA that signs. Set to another CA, the response
	// is about the right serial of the wrong issuer.
	CertIDIssuer *x509.Certificate
}

// OCSPResponse returns a DER-encoded OCSP response issued by ca, ready for
// tls.Certificate.OCSPStaple. The CA's key must be RSA or ECDSA, as
// golang.org/x/crypto/ocsp cannot sign with Ed25519. The response's
// producedAt is the real time, which that package does not let callers set.
func (ca *CA) OCSPResponse(tb testing.TB, opts OCSPOptions) []byte {
	tb.Helper()
	serial := opts.SerialNumber
	if serial == nil && opts.Cert != nil {
		serial = opts.Cert.SerialNumber
	}
	if serial == nil {
		tb.Fatal("testpki: OCSPResponse needs Cert or SerialNumber")
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	thisUpdate, nextUpdate := window(now, opts.ThisUpdate, opts.NextUpdate, 24*time.Hour)
	if opts.NoNextUpdate {
		nextUpdate = time.Time{}
	}
	tmpl := ocsp.Response{
		Status:       opts.Status,
		SerialNumber: serial,
		ThisUpdate:   thisUpdate,
		NextUpdate:   nextUpdate,
	}
	if opts.Status == ocsp.Revoked {
		tmpl.RevokedAt = opts.RevokedAt
		if tmpl.RevokedAt.IsZero() {
			tmpl.RevokedAt = now.Add(-time.Hour)
		}
		tmpl.RevocationReason = opts.RevocationReason
	}

	responder := &Leaf{Cert: ca.Cert, Key: ca.Key}
	switch opts.Responder {
	case ResponderCA:
	case ResponderDelegated, ResponderDelegatedNoEKU:
		responder = ca.ocspResponder(tb, now, opts.Responder == ResponderDelegated)
		tmpl.Certificate = responder.Cert
	case ResponderUnrelated:
		responder = &Leaf{Cert: ca.Cert, Key: NewKey(tb, ECDSAP256)}
	case ResponderCAWithCert:
		tmpl.Certificate = ca.Cert
	default:
		tb.Fatalf("testpki: unknown OCSP responder %v", opts.Responder)
	}

	issuer := ca.Cert
	if opts.CertIDIssuer != nil {
		issuer = opts.CertIDIssuer
	}
	der, err := ocsp.CreateResponse(issuer, responder.Cert, tmpl, responder.Key)
	if err != nil {
		tb.Fatalf("testpki: create OCSP response: %v", err)
	}
	return der
}

// ocspResponder issues a delegated OCSP responder certificate.
func (ca *CA) ocspResponder(tb testing.TB, now time.Time, signingEKU bool) *Leaf {
	tb.Helper()
	key := NewKey(tb, ECDSAP256)
	notBefore, notAfter := window(now, time.Time{}, time.Time{}, 30*24*time.Hour)
	tmpl := &x509.Certificate{
		SerialNumber:          orSerial(nil),
		Subject:               pkix.Name{Organization: []string{"wacheck test"}, CommonName: "wacheck test OCSP responder"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	if signingEKU {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	}
	cert, der := create(tb, tmpl, ca.Cert, key.Public(), ca.Key)
	return &Leaf{Cert: cert, Key: key, DER: der}
}
