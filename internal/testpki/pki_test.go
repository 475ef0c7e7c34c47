package testpki_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// now is the tests' clock: far from the real time, so a helper that used
// time.Now() instead of it would produce certificates that fail here.
var now = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

func verify(t *testing.T, leaf *x509.Certificate, roots *x509.CertPool, at time.Time, intermediates ...*x509.Certificate) error {
	t.Helper()
	pool := x509.NewCertPool()
	for _, c := range intermediates {
		pool.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: pool, DNSName: "localhost", CurrentTime: at})
	return err
}

func TestChainVerifiesAgainstPool(t *testing.T) {
	c := testpki.NewChain(t, now)

	if err := verify(t, c.Leaf.Cert, c.Pool(), now, c.Intermediate.Cert); err != nil {
		t.Fatalf("full chain: %v", err)
	}
	ipOpts := x509.VerifyOptions{Roots: c.Pool(), Intermediates: x509.NewCertPool(), CurrentTime: now}
	ipOpts.Intermediates.AddCert(c.Intermediate.Cert)
	if _, err := c.Leaf.Cert.Verify(ipOpts); err != nil {
		t.Fatalf("verify without name: %v", err)
	}
	if err := c.Leaf.Cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("leaf does not cover 127.0.0.1: %v", err)
	}
	var unknown x509.UnknownAuthorityError
	if err := verify(t, c.Leaf.Cert, c.Pool(), now); !errors.As(err, &unknown) {
		t.Errorf("without the intermediate: got %v, want UnknownAuthorityError", err)
	}
	var invalid x509.CertificateInvalidError
	if err := verify(t, c.Leaf.Cert, c.Pool(), now.Add(91*24*time.Hour), c.Intermediate.Cert); !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("after 91 days: got %v, want expired", err)
	}
	if got := c.Leaf.Cert.OCSPServer; !slices.Equal(got, []string{testpki.ChainOCSPURL}) {
		t.Errorf("OCSPServer = %q", got)
	}
	if got := c.Leaf.Cert.IssuingCertificateURL; !slices.Equal(got, []string{testpki.ChainIssuerURL}) {
		t.Errorf("IssuingCertificateURL = %q", got)
	}
	if c.Leaf.Cert.Issuer.String() != c.Intermediate.Cert.Subject.String() ||
		c.Intermediate.Cert.Issuer.String() != c.Root.Cert.Subject.String() {
		t.Errorf("issuers do not chain: %s <- %s <- %s", c.Root.Cert.Subject, c.Intermediate.Cert.Issuer, c.Leaf.Cert.Issuer)
	}
}

func TestValidityWindow(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	day := 24 * time.Hour
	tests := []struct {
		name                 string
		opts                 testpki.LeafOptions
		notBefore, notAfter  time.Time
		validNow, validIn10d bool
	}{
		{"default", testpki.LeafOptions{}, now.Add(-time.Hour), now.Add(90 * day), true, true},
		{"short validity", testpki.LeafOptions{Validity: 5 * day}, now.Add(-time.Hour), now.Add(5 * day), true, false},
		{"negative validity", testpki.LeafOptions{Validity: -2 * day}, now.Add(-3 * day), now.Add(-2 * day), false, false},
		{"explicit expiry in the past", testpki.LeafOptions{NotAfter: now.Add(-time.Hour)}, now.Add(-25 * time.Hour), now.Add(-time.Hour), false, false},
		{"not yet valid", testpki.LeafOptions{NotBefore: now.Add(day)}, now.Add(day), now.Add(91 * day), false, true},
		{"explicit window", testpki.LeafOptions{NotBefore: now.Add(-10 * day), NotAfter: now.Add(5 * day)}, now.Add(-10 * day), now.Add(5 * day), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = now
			leaf := root.Leaf(t, tt.opts).Cert
			if !leaf.NotBefore.Equal(tt.notBefore) || !leaf.NotAfter.Equal(tt.notAfter) {
				t.Errorf("validity = %v .. %v, want %v .. %v", leaf.NotBefore, leaf.NotAfter, tt.notBefore, tt.notAfter)
			}
			if err := verify(t, leaf, root.Pool(), now); (err == nil) != tt.validNow {
				t.Errorf("verify now: %v, want valid %v", err, tt.validNow)
			}
			if err := verify(t, leaf, root.Pool(), now.Add(10*day)); (err == nil) != tt.validIn10d {
				t.Errorf("verify in ten days: %v, want valid %v", err, tt.validIn10d)
			}
		})
	}
}

func TestKeyTypes(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	// RSA4096 takes the same path as the other sizes and would cost seconds.
	for _, kt := range []testpki.KeyType{testpki.ECDSAP256, testpki.ECDSAP384, testpki.RSA1024, testpki.RSA2048, testpki.Ed25519} {
		t.Run(kt.String(), func(t *testing.T) {
			leaf := root.Leaf(t, testpki.LeafOptions{Now: now, KeyType: kt})
			if got := keyName(leaf.Cert.PublicKey); got != kt.String() {
				t.Errorf("public key is %s, want %v", got, kt)
			}
			if err := verify(t, leaf.Cert, root.Pool(), now); err != nil {
				t.Errorf("verify: %v", err)
			}
			// The key must fit the certificate, or serving it would fail.
			if !leaf.Cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(leaf.Key.Public()) {
				t.Errorf("leaf key does not match its certificate")
			}
		})
	}
}

func keyName(pub crypto.PublicKey) string {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA-" + strings.ReplaceAll(pub.Curve.Params().Name, "-", "")
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", pub.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

func TestRSAKeysAreShared(t *testing.T) {
	a := testpki.NewKey(t, testpki.RSA2048).(*rsa.PrivateKey)
	b := testpki.NewKey(t, testpki.RSA2048).(*rsa.PrivateKey)
	if !a.Equal(b) {
		t.Error("two RSA-2048 keys differ; the package promises one shared key per size")
	}
}

func TestWeakSignatures(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})

	t.Run("SHA-1", func(t *testing.T) {
		leaf := root.Leaf(t, testpki.LeafOptions{Now: now, SignatureAlgorithm: x509.SHA1WithRSA}).Cert
		if leaf.SignatureAlgorithm != x509.SHA1WithRSA {
			t.Fatalf("SignatureAlgorithm = %v, want SHA1-RSA", leaf.SignatureAlgorithm)
		}
		// CheckSignature still accepts SHA-1, so this proves the signature is real.
		if err := root.Cert.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		// Go reports the SHA-1 signature only as a hint in the text of an
		// UnknownAuthorityError.
		var unknown x509.UnknownAuthorityError
		if err := verify(t, leaf, root.Pool(), now); !errors.As(err, &unknown) || !strings.Contains(err.Error(), "insecure algorithm SHA1-RSA") {
			t.Errorf("chain verification: got %v, want unknown authority because of SHA-1", err)
		}
	})

	t.Run("MD5", func(t *testing.T) {
		leaf := root.Leaf(t, testpki.LeafOptions{Now: now, SignatureAlgorithm: x509.MD5WithRSA, DNSNames: []string{"md5.localhost"}}).Cert
		if leaf.SignatureAlgorithm != x509.MD5WithRSA {
			t.Fatalf("SignatureAlgorithm = %v, want MD5-RSA", leaf.SignatureAlgorithm)
		}
		digest := md5.Sum(leaf.RawTBSCertificate)
		if err := rsa.VerifyPKCS1v15(root.Cert.PublicKey.(*rsa.PublicKey), crypto.MD5, digest[:], leaf.Signature); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		if !slices.Equal(leaf.DNSNames, []string{"md5.localhost"}) || !leaf.NotAfter.Equal(now.Add(90*24*time.Hour)) {
			t.Errorf("re-signing lost fields: names %q, expiry %v", leaf.DNSNames, leaf.NotAfter)
		}
	})

	t.Run("MD5 root", func(t *testing.T) {
		ca := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA1024, SignatureAlgorithm: x509.MD5WithRSA})
		if ca.Cert.SignatureAlgorithm != x509.MD5WithRSA {
			t.Fatalf("SignatureAlgorithm = %v, want MD5-RSA", ca.Cert.SignatureAlgorithm)
		}
	})
}

func TestSelfSigned(t *testing.T) {
	leaf := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: now})
	if leaf.Cert.IsCA {
		t.Error("self-signed leaf is a CA")
	}
	if err := leaf.Cert.CheckSignature(leaf.Cert.SignatureAlgorithm, leaf.Cert.RawTBSCertificate, leaf.Cert.Signature); err != nil {
		t.Errorf("not signed by its own key: %v", err)
	}
	if !bytes.Equal(leaf.Cert.RawIssuer, leaf.Cert.RawSubject) {
		t.Errorf("issuer %s != subject %s", leaf.Cert.Issuer, leaf.Cert.Subject)
	}
	var unknown x509.UnknownAuthorityError
	if err := verify(t, leaf.Cert, testpki.NewChain(t, now).Pool(), now); !errors.As(err, &unknown) {
		t.Errorf("verify: got %v, want UnknownAuthorityError", err)
	}
}

func TestLeafOptions(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	leaf := root.Leaf(t, testpki.LeafOptions{
		Now:          now,
		CommonName:   "api.example.test",
		SerialNumber: big.NewInt(4242),
		MustStaple:   true,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}).Cert
	if len(leaf.DNSNames) != 0 || len(leaf.IPAddresses) != 0 {
		t.Errorf("CommonName alone gave SANs %q %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if leaf.Subject.CommonName != "api.example.test" || leaf.SerialNumber.Int64() != 4242 {
		t.Errorf("CN %q serial %v", leaf.Subject.CommonName, leaf.SerialNumber)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ExtKeyUsage = %v", leaf.ExtKeyUsage)
	}
	mustStaple := false
	for _, ext := range leaf.Extensions {
		if ext.Id.String() == "1.3.6.1.5.5.7.1.24" && bytes.Equal(ext.Value, []byte{0x30, 3, 2, 1, 5}) {
			mustStaple = true
		}
	}
	if !mustStaple {
		t.Error("no TLS feature status_request extension")
	}

	ipOnly := root.Leaf(t, testpki.LeafOptions{Now: now, IPAddresses: []net.IP{net.IPv6loopback}}).Cert
	if ipOnly.Subject.CommonName != "::1" || len(ipOnly.DNSNames) != 0 {
		t.Errorf("IP-only leaf: CN %q, DNS %q", ipOnly.Subject.CommonName, ipOnly.DNSNames)
	}
}

func TestPEMHelpers(t *testing.T) {
	c := testpki.NewChain(t, now)

	path := c.WriteRootPEM(t, "")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" || len(rest) != 0 || !bytes.Equal(block.Bytes, c.Root.DER) {
		t.Fatalf("root.pem does not hold exactly the root")
	}
	if !bytes.Equal(data, c.RootPEM()) {
		t.Error("WriteRootPEM and RootPEM disagree")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) || verify(t, c.Leaf.Cert, pool, now, c.Intermediate.Cert) != nil {
		t.Error("root.pem does not work as a CA file")
	}

	bundle := testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER)
	var ders [][]byte
	for block, bundle = pem.Decode(bundle); block != nil; block, bundle = pem.Decode(bundle) {
		ders = append(ders, block.Bytes)
	}
	if len(ders) != 2 || !bytes.Equal(ders[0], c.Leaf.DER) || !bytes.Equal(ders[1], c.Intermediate.DER) {
		t.Error("CertsPEM lost the order")
	}

	keyBlock, _ := pem.Decode(c.Leaf.KeyPEM(t))
	key, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil || !key.(*ecdsa.PrivateKey).Equal(c.Leaf.Key) {
		t.Errorf("KeyPEM does not round-trip: %v", err)
	}
}

func TestTLSCertificateOrder(t *testing.T) {
	c := testpki.NewChain(t, now)
	cert := c.TLSCertificate(c.Root.DER, c.Intermediate.DER)
	want := [][]byte{c.Leaf.DER, c.Root.DER, c.Intermediate.DER}
	if !slices.EqualFunc(cert.Certificate, want, bytes.Equal) {
		t.Error("served chain is not leaf then the given order")
	}
	if cert.Leaf != c.Leaf.Cert || cert.PrivateKey != c.Leaf.Key {
		t.Error("TLSCertificate does not carry the leaf and its key")
	}
}
