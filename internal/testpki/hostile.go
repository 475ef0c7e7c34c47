package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"
)

// SameNameChain is a hostile chain: N certificates all named CN=Same with
// P-521 keys (slow to verify), each issued by the next, the last one
// self-signed. A naive path builder tries every certificate as the issuer
// of every other: about N²/2 signature checks.
type SameNameChain struct {
	// Leaf is certificate 0, for localhost, with its key.
	Leaf *Leaf
	// Served is the chain as the server sends it: the leaf, then the others
	// in reverse issuing order, so that each one's issuer comes last.
	Served [][]byte
}

// NewSameNameChain makes a SameNameChain of n certificates (n ≥ 2). With
// keyIDs the certificates are CAs with subject and authority key
// identifiers; without, nothing but a signature tells them apart.
func NewSameNameChain(tb testing.TB, n int, now time.Time, keyIDs bool) *SameNameChain {
	tb.Helper()
	if n < 2 {
		tb.Fatalf("testpki: a same-name chain needs 2 certificates, not %d", n)
	}
	name := pkix.Name{CommonName: "Same"}
	notBefore, notAfter := window(now, time.Time{}, time.Time{}, 90*24*time.Hour)
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		k, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		if err != nil {
			tb.Fatalf("testpki: generate a P-521 key: %v", err)
		}
		keys[i] = k
	}
	certs := make([]*x509.Certificate, n)
	ders := make([][]byte, n)
	for i := n - 1; i >= 0; i-- {
		tmpl := &x509.Certificate{
			SerialNumber:          orSerial(nil),
			Subject:               name,
			NotBefore:             notBefore,
			NotAfter:              notAfter,
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
			BasicConstraintsValid: keyIDs,
			IsCA:                  keyIDs && i > 0,
		}
		if i == 0 {
			tmpl.DNSNames = []string{"localhost"}
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		}
		if keyIDs {
			// Go leaves the authority key identifier out when the issuer's
			// name is the subject's: set both.
			tmpl.SubjectKeyId = orSerial(nil).Bytes()
		}
		parent, signer := tmpl, keys[i]
		if i < n-1 {
			parent, signer = certs[i+1], keys[i+1]
		}
		if keyIDs {
			tmpl.AuthorityKeyId = parent.SubjectKeyId
		}
		certs[i], ders[i] = create(tb, tmpl, parent, keys[i].Public(), signer)
	}
	served := [][]byte{ders[0]}
	for i := n - 1; i >= 1; i-- {
		served = append(served, ders[i])
	}
	return &SameNameChain{Leaf: &Leaf{Cert: certs[0], Key: keys[0], DER: ders[0]}, Served: served}
}

// TLSCertificate serves the chain as Served orders it.
func (c *SameNameChain) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: c.Served, PrivateKey: c.Leaf.Key, Leaf: c.Leaf.Cert}
}
