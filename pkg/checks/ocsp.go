package checks

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

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
	if s.ocsp != nil {
		return pass("the server stapled an OCSP response (%d bytes)", len(s.ocsp.raw))
	}
	if len(leaf.OCSPServer) == 0 {
		return info("no staple, and none expected: the certificate names no OCSP responder " +
			"(Let's Encrypt stopped putting OCSP URLs in certificates in 2025)")
	}
	return warn(staplingFix,
		"no OCSP response stapled although the certificate names a responder (%s): a sender that checks "+
			"revocation must query it itself, adding a round trip to a third party to the handshake",
		strings.Join(leaf.OCSPServer, ", "))
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

// namesLeaf reports whether the response is about the leaf.
func namesLeaf(s *State) bool {
	return s.ocsp.resp != nil && s.ocsp.resp.SerialNumber != nil &&
		s.ocsp.resp.SerialNumber.Cmp(s.chain.leaf.SerialNumber) == 0
}

func ocspStatus(cx *Context, s *State) verdict {
	if v, ok := noStaple(s); ok {
		return v
	}
	o := s.ocsp
	if o.resp == nil {
		return skip("the stapled response could not be read (see ocsp.valid)")
	}
	if !namesLeaf(s) {
		return skip("the stapled response is about another certificate (see ocsp.valid)")
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
	if !namesLeaf(s) {
		return fail(refetch, "the stapled response is for serial %x, not the served certificate's %x",
			r.SerialNumber, s.chain.leaf.SerialNumber)
	}
	if !o.issuerKnown {
		return skip("the certificate's issuer is neither served nor in the root store, so the response's " +
			"signature cannot be checked (see chain.complete)")
	}
	if o.sigErr != nil {
		return fail(refetch, "the stapled response does not verify against the issuer %s: %v",
			name(s.chain.issuer), o.sigErr)
	}
	if rc := r.Certificate; rc != nil {
		if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return fail(refetch, "the response is signed by %s, a delegated responder without the OCSPSigning "+
				"extended key usage: clients must reject it", name(rc))
		}
		if cx.Now.After(rc.NotAfter) || cx.Now.Before(rc.NotBefore) {
			return fail(refetch, "the response is signed by the responder certificate %s, which is not valid "+
				"now (valid %s to %s)", name(rc), rc.NotBefore.UTC().Format(time.DateOnly),
				rc.NotAfter.UTC().Format(time.DateOnly))
		}
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
