package testpki_test

import (
	"crypto/x509"
	"math/big"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/internal/testpki"
)

func TestOCSPResponseContents(t *testing.T) {
	c := testpki.NewChain(t, now)
	hour, day := time.Hour, 24*time.Hour
	tests := []struct {
		name                   string
		opts                   testpki.OCSPOptions
		status                 int
		thisUpdate, nextUpdate time.Time
		revokedAt              time.Time
		reason                 int
	}{
		{
			name:       "good by default",
			status:     ocsp.Good,
			thisUpdate: now.Add(-hour), nextUpdate: now.Add(day),
		},
		{
			name:       "revoked",
			opts:       testpki.OCSPOptions{Status: ocsp.Revoked, RevokedAt: now.Add(-3 * day), RevocationReason: ocsp.KeyCompromise},
			status:     ocsp.Revoked,
			thisUpdate: now.Add(-hour), nextUpdate: now.Add(day),
			revokedAt: now.Add(-3 * day), reason: ocsp.KeyCompromise,
		},
		{
			name:       "revoked at default time",
			opts:       testpki.OCSPOptions{Status: ocsp.Revoked},
			status:     ocsp.Revoked,
			thisUpdate: now.Add(-hour), nextUpdate: now.Add(day),
			revokedAt: now.Add(-hour),
		},
		{
			name:       "unknown",
			opts:       testpki.OCSPOptions{Status: ocsp.Unknown},
			status:     ocsp.Unknown,
			thisUpdate: now.Add(-hour), nextUpdate: now.Add(day),
		},
		{
			name:       "stale: nextUpdate passed",
			opts:       testpki.OCSPOptions{NextUpdate: now.Add(-2 * hour)},
			status:     ocsp.Good,
			thisUpdate: now.Add(-26 * hour), nextUpdate: now.Add(-2 * hour),
		},
		{
			name:       "premature: thisUpdate ahead",
			opts:       testpki.OCSPOptions{ThisUpdate: now.Add(2 * hour)},
			status:     ocsp.Good,
			thisUpdate: now.Add(2 * hour), nextUpdate: now.Add(26 * hour),
		},
		{
			name:       "no nextUpdate",
			opts:       testpki.OCSPOptions{NoNextUpdate: true},
			status:     ocsp.Good,
			thisUpdate: now.Add(-hour),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = now
			der := c.OCSPResponse(t, tt.opts)
			resp, err := ocsp.ParseResponseForCert(der, c.Leaf.Cert, c.Intermediate.Cert)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if resp.Status != tt.status {
				t.Errorf("status = %d, want %d", resp.Status, tt.status)
			}
			if resp.SerialNumber.Cmp(c.Leaf.Cert.SerialNumber) != 0 {
				t.Errorf("serial = %v, want the leaf's %v", resp.SerialNumber, c.Leaf.Cert.SerialNumber)
			}
			if !resp.ThisUpdate.Equal(tt.thisUpdate) || !resp.NextUpdate.Equal(tt.nextUpdate) {
				t.Errorf("thisUpdate %v nextUpdate %v, want %v and %v", resp.ThisUpdate, resp.NextUpdate, tt.thisUpdate, tt.nextUpdate)
			}
			if !resp.RevokedAt.Equal(tt.revokedAt) || resp.RevocationReason != tt.reason {
				t.Errorf("revoked at %v reason %d, want %v reason %d", resp.RevokedAt, resp.RevocationReason, tt.revokedAt, tt.reason)
			}
		})
	}
}

func TestOCSPResponseSerial(t *testing.T) {
	c := testpki.NewChain(t, now)
	der := c.Intermediate.OCSPResponse(t, testpki.OCSPOptions{Now: now, SerialNumber: big.NewInt(77)})
	resp, err := ocsp.ParseResponse(der, c.Intermediate.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if resp.SerialNumber.Int64() != 77 {
		t.Errorf("serial = %v, want 77", resp.SerialNumber)
	}
	if _, err := ocsp.ParseResponseForCert(der, c.Leaf.Cert, c.Intermediate.Cert); err == nil {
		t.Error("a response for serial 77 parsed as the leaf's")
	}
}

func TestOCSPResponders(t *testing.T) {
	c := testpki.NewChain(t, now)
	tests := []struct {
		responder testpki.Responder
		verifies  bool
		embedded  []x509.ExtKeyUsage // nil: no certificate in the response
	}{
		{testpki.ResponderCA, true, nil},
		{testpki.ResponderDelegated, true, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}},
		{testpki.ResponderDelegatedNoEKU, true, []x509.ExtKeyUsage{}},
		{testpki.ResponderUnrelated, false, nil},
	}
	for _, tt := range tests {
		der := c.OCSPResponse(t, testpki.OCSPOptions{Now: now, Responder: tt.responder})
		resp, err := ocsp.ParseResponseForCert(der, c.Leaf.Cert, c.Intermediate.Cert)
		if (err == nil) != tt.verifies {
			t.Errorf("responder %v: parse error %v, want verifies %v", tt.responder, err, tt.verifies)
			continue
		}
		if err != nil {
			continue
		}
		switch {
		case tt.embedded == nil && resp.Certificate != nil:
			t.Errorf("responder %v: embedded certificate %s, want none", tt.responder, resp.Certificate.Subject)
		case tt.embedded != nil && resp.Certificate == nil:
			t.Errorf("responder %v: no embedded certificate", tt.responder)
		case tt.embedded != nil:
			if err := resp.Certificate.CheckSignatureFrom(c.Intermediate.Cert); err != nil {
				t.Errorf("responder %v: responder certificate not issued by the CA: %v", tt.responder, err)
			}
			if !slices.Equal(resp.Certificate.ExtKeyUsage, tt.embedded) {
				t.Errorf("responder %v: EKU %v, want %v", tt.responder, resp.Certificate.ExtKeyUsage, tt.embedded)
			}
			if !resp.Certificate.NotBefore.Before(now) || !resp.Certificate.NotAfter.After(now) {
				t.Errorf("responder %v: responder certificate not valid at now", tt.responder)
			}
		}
	}
}
