package checks

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// ocspSkew is how far in the future thisUpdate may be before a clock
// problem is reported.
const ocspSkew = 5 * time.Minute

const staplingFix = "Enable OCSP stapling: nginx `ssl_stapling on; ssl_stapling_verify on;` with " +
	"`ssl_trusted_certificate chain.pem;` and a `resolver`; Apache `SSLUseStapling on` with " +
	"`SSLStaplingCache shmcb:/var/run/ocsp(128000)`; HAProxy: an `.ocsp` file next to the certificate"

func ocspStapled(cx *Context, s *State) verdict {
	if v, ok := noLeaf(s); ok {
		return v
	}
	leaf := s.chain.leaf
	must := mustStaple(leaf)
	if s.ocsp != nil {
		if must {
			return pass("the server stapled an OCSP response (%d bytes), as the certificate demands (must-staple)",
				len(s.ocsp.raw))
		}
		return pass("the server stapled an OCSP response (%d bytes)", len(s.ocsp.raw))
	}
	if must {
		return fail(staplingFix+"; nginx staples only once it has fetched a response, so the first handshakes "+
			"after a reload go without: prefetch with `ssl_stapling_file`. Or reissue the certificate without "+
			"must-staple (certbot: without `--must-staple`)",
			"no OCSP response stapled, but the certificate demands one: its TLS Feature extension lists "+
				"status_request (\"must-staple\"), so clients that honour it (Firefox, OpenSSL-based clients "+
				"checking RFC 7633) refuse the handshake")
	}
	if len(leaf.OCSPServer) == 0 {
		return info("no staple, and none expected: the certificate names no OCSP responder " +
			"(Let's Encrypt stopped putting OCSP URLs in certificates in 2025)")
	}
	return warn(staplingFix,
		"no OCSP response stapled although the certificate names a responder (%s): a sender that checks "+
			"revocation must query it itself, adding a round trip to a third party to the handshake",
		clip(strings.Join(short(leaf.OCSPServer, 3), ", ")))
}

// oidTLSFeature is the TLS Feature extension of RFC 7633; the feature
// status_request (5) in it is "must staple".
var oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// mustStaple reports whether c demands a stapled OCSP response.
func mustStaple(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if _, err := asn1.Unmarshal(e.Value, &features); err == nil && slices.Contains(features, 5) {
			return true
		}
	}
	return false
}

func noStaple(s *State) (verdict, bool) {
	if v, ok := noLeaf(s); ok {
		return v, true
	}
	if s.ocsp == nil {
		return skip("no OCSP response stapled"), true
	}
	return verdict{}, false
}

func ocspStatus(cx *Context, s *State) verdict {
	if v, ok := noStaple(s); ok {
		return v
	}
	o := s.ocsp
	switch {
	case o.resp == nil:
		return skip("the stapled response could not be read (see ocsp.valid)")
	case o.idErr != nil:
		return skip("the stapled response is about another certificate (see ocsp.valid)")
	case !o.issuerKnown:
		return skip("the stapled response's signature cannot be checked (the issuer is unknown), so its status " +
			"is not taken for a fact")
	case o.sigErr != nil || o.responderErr != nil:
		return skip("the stapled response does not verify (see ocsp.valid), so its status is not taken for a fact")
	}
	r := o.resp
	switch r.Status {
	case ocsp.Good:
		return pass("good (produced %s)", r.ProducedAt.UTC().Format(time.RFC3339))
	case ocsp.Revoked:
		return fail("The certificate was revoked: issue a new one (`certbot certonly --force-renewal -d "+
			certbotName(s)+"`), install it and reload the server",
			"revoked on %s (reason: %s)", r.RevokedAt.UTC().Format(time.RFC3339), revocationReason(r.RevocationReason))
	}
	return warn("The responder does not know the certificate: check it was issued by the CA whose responder "+
		"the server asked, and let the server fetch a fresh response (reload it)",
		"unknown: the responder does not know this certificate")
}

func revocationReason(code int) string {
	reasons := []string{"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
		"cessationOfOperation", "certificateHold", "", "removeFromCRL", "privilegeWithdrawn", "aACompromise"}
	if code >= 0 && code < len(reasons) && reasons[code] != "" {
		return reasons[code]
	}
	return fmt.Sprintf("code %d", code)
}

func ocspValid(cx *Context, s *State) verdict {
	if v, ok := noStaple(s); ok {
		return v
	}
	o := s.ocsp
	const refetch = "Make the server staple a response from the certificate's own CA: check the certificate " +
		"and ssl_trusted_certificate / SSLCACertificateFile match, remove a stale ssl_stapling_file, and reload"
	if o.parseErr != nil {
		return fail(refetch, "the stapled response cannot be used: %v", o.parseErr)
	}
	r := o.resp
	if o.idErr != nil {
		return fail(refetch, "the stapled response %v", o.idErr)
	}
	if !o.issuerKnown {
		return skip("the certificate's issuer is neither served nor in the root store, so the response's " +
			"signature cannot be checked (see chain.complete)")
	}
	if o.sigErr != nil {
		return fail(refetch, "the stapled response does not verify against the issuer %s: %v",
			name(s.chain.issuer), o.sigErr)
	}
	if o.responderErr != nil {
		return fail(refetch, "%v", o.responderErr)
	}
	const stale = "The server keeps serving an old response: with nginx make sure it can reach the OCSP " +
		"responder (resolver directive, outbound HTTP allowed) or regenerate ssl_stapling_file; " +
		"then reload"
	if !r.NextUpdate.IsZero() && cx.Now.After(r.NextUpdate) {
		return warn(stale, "stale: the response's nextUpdate, %s, has passed (%s ago); strict clients reject it",
			r.NextUpdate.UTC().Format(time.RFC3339), cx.Now.Sub(r.NextUpdate).Round(time.Minute))
	}
	if r.ThisUpdate.After(cx.Now.Add(ocspSkew)) {
		return warn("Check the server's and the responder's clocks (timedatectl; enable NTP)",
			"the response's thisUpdate, %s, is in the future: a clock is wrong", r.ThisUpdate.UTC().Format(time.RFC3339))
	}
	signer := "the issuer"
	if r.Certificate != nil {
		signer = "delegated responder " + name(r.Certificate)
	}
	next := "no nextUpdate"
	if !r.NextUpdate.IsZero() {
		next = "next update " + r.NextUpdate.UTC().Format(time.RFC3339)
	}
	return pass("signed by %s, about the served certificate, fresh (this update %s, %s)", signer,
		r.ThisUpdate.UTC().Format(time.RFC3339), next)
}

// ocspAnalysis is the stapled response, parsed and checked against the
// leaf and its issuer.
type ocspAnalysis struct {
	raw []byte
	// resp is the parsed response (its signature checked only against an
	// enclosed responder certificate); nil when parseErr says why not.
	resp     *ocsp.Response
	parseErr error
	// idErr says how the response's CertID (serial, issuer name hash,
	// issuer key hash) names another certificate than the leaf.
	idErr error
	// issuerKnown is false when the leaf's issuer was not available, so
	// neither the signature nor the issuer key hash could be checked.
	issuerKnown bool
	// sigErr is set when the response does not verify against the issuer.
	sigErr error
	// responderErr is set when a delegated responder may not sign: no
	// OCSPSigning extended key usage, or outside its validity.
	responderErr error
}

// verified reports whether the response was checked and holds: about the
// leaf, signed by its issuer or a responder the issuer authorised.
func (o *ocspAnalysis) verified() bool {
	return o.resp != nil && o.idErr == nil && o.issuerKnown && o.sigErr == nil && o.responderErr == nil
}

// maxCertIDs bounds the single responses of one staple that are read.
const maxCertIDs = 16

func analyzeOCSP(staple []byte, ca *chainAnalysis, now time.Time) *ocspAnalysis {
	if len(staple) == 0 {
		return nil
	}
	o := &ocspAnalysis{raw: staple}
	leaf := ca.leaf
	// Parse without the issuer: a response carrying a certificate is then
	// checked against that certificate's key. Several single responses
	// are allowed; the one about the leaf's serial is taken.
	resp, err := ocsp.ParseResponseForCert(staple, leaf, nil)
	if err != nil && err.Error() == "no response matching the supplied certificate" {
		if r, err2 := ocsp.ParseResponse(staple, nil); err2 == nil {
			resp, err = r, nil
		} else {
			err = errors.New("none of its responses is about the served certificate's serial")
		}
	}
	if err != nil {
		o.parseErr = err
		return o
	}
	o.resp = resp
	o.idErr = checkCertID(resp, leaf, ca.issuer)
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
		rc := resp.Certificate
		if err := rc.CheckSignatureFrom(ca.issuer); err != nil {
			o.sigErr = fmt.Errorf("the responder certificate %s is not issued by %s: %w",
				rc.Subject, ca.issuer.Subject, err)
			break
		}
		switch {
		case !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning):
			o.responderErr = fmt.Errorf("the response is signed by %s, a delegated responder without the "+
				"OCSPSigning extended key usage: clients must reject it", name(rc))
		case now.After(rc.NotAfter) || now.Before(rc.NotBefore):
			o.responderErr = fmt.Errorf("the response is signed by the responder certificate %s, which is not "+
				"valid now (valid %s to %s)", name(rc), rc.NotBefore.UTC().Format(time.DateOnly),
				rc.NotAfter.UTC().Format(time.DateOnly))
		}
	default:
		o.sigErr = resp.CheckSignatureFrom(ca.issuer)
	}
	return o
}

// certID is one single response's CertID.
type certID struct {
	hash              crypto.Hash // 0 when the algorithm is not one OCSP uses
	nameHash, keyHash []byte
	serial            *big.Int
}

// checkCertID compares the response's CertID with the leaf and its issuer
// (RFC 6960 4.1.1): the serial, the hash of the issuer's name and, when the
// issuer is known, the hash of its key. nil when they match.
func checkCertID(resp *ocsp.Response, leaf, issuer *x509.Certificate) error {
	if resp.SerialNumber == nil || resp.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		return fmt.Errorf("is for serial %x, not the served certificate's %x", resp.SerialNumber, leaf.SerialNumber)
	}
	ids, err := parseCertIDs(resp.TBSResponseData)
	if err != nil {
		return fmt.Errorf("cannot be matched to the certificate: %v", err)
	}
	var id *certID
	for i := range ids {
		if ids[i].serial.Cmp(leaf.SerialNumber) == 0 {
			id = &ids[i]
			break
		}
	}
	if id == nil {
		return errors.New("has no CertID for the served certificate's serial")
	}
	if id.hash == 0 || !id.hash.Available() {
		return errors.New("names its certificate with a hash algorithm OCSP does not use")
	}
	h := id.hash.New()
	h.Write(leaf.RawIssuer)
	if !bytes.Equal(h.Sum(nil), id.nameHash) {
		return fmt.Errorf("is about serial %x of another CA: its issuer name hash is not that of %s, which "+
			"issued the served certificate", leaf.SerialNumber, issuerName(leaf))
	}
	if issuer == nil {
		return nil
	}
	key, err := publicKeyBits(issuer)
	if err != nil {
		return fmt.Errorf("cannot be matched to the issuer's key: %v", err)
	}
	h.Reset()
	h.Write(key)
	if !bytes.Equal(h.Sum(nil), id.keyHash) {
		return fmt.Errorf("is about serial %x of another CA: its issuer key hash is not that of %s's key "+
			"(a CA of the same name with another key)", leaf.SerialNumber, name(issuer))
	}
	return nil
}

var errBadResponseData = errors.New("malformed ResponseData")

// parseCertIDs reads the CertIDs of a ResponseData (RFC 6960 4.2.1), at
// most maxCertIDs of them.
func parseCertIDs(tbs []byte) ([]certID, error) {
	in := cryptobyte.String(tbs)
	var rd, responderID, responses cryptobyte.String
	var tag cbasn1.Tag
	if !in.ReadASN1(&rd, cbasn1.SEQUENCE) ||
		!rd.SkipOptionalASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) || // version
		!rd.ReadAnyASN1(&responderID, &tag) ||
		!rd.SkipASN1(cbasn1.GeneralizedTime) || // producedAt
		!rd.ReadASN1(&responses, cbasn1.SEQUENCE) {
		return nil, errBadResponseData
	}
	var out []certID
	for !responses.Empty() && len(out) < maxCertIDs {
		var single, id, alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		c := certID{serial: new(big.Int)}
		if !responses.ReadASN1(&single, cbasn1.SEQUENCE) || !single.ReadASN1(&id, cbasn1.SEQUENCE) ||
			!id.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) ||
			!id.ReadASN1Bytes(&c.nameHash, cbasn1.OCTET_STRING) || !id.ReadASN1Bytes(&c.keyHash, cbasn1.OCTET_STRING) ||
			!id.ReadASN1Integer(c.serial) {
			return nil, errBadResponseData
		}
		c.hash = hashByOID(oid)
		out = append(out, c)
	}
	return out, nil
}

func hashByOID(oid asn1.ObjectIdentifier) crypto.Hash {
	for h, o := range map[crypto.Hash]asn1.ObjectIdentifier{
		crypto.SHA1:   {1, 3, 14, 3, 2, 26},
		crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
		crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
		crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
	} {
		if oid.Equal(o) {
			return h
		}
	}
	return 0
}

// publicKeyBits is the subjectPublicKey BIT STRING of c's key, which OCSP's
// issuer key hash covers.
func publicKeyBits(c *x509.Certificate) ([]byte, error) {
	in := cryptobyte.String(c.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !in.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.SkipASN1(cbasn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) {
		return nil, errors.New("malformed public key")
	}
	return bits.Bytes, nil
}
