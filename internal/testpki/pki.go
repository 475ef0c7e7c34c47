// Package testpki builds throwaway PKIs, OCSP responses and loopback servers
// for wacheck's tests.
//
// Certificates are generated in memory from templates, with validity relative
// to a clock the test passes in: every options struct has a Now field, and
// only a zero Now means time.Now(). Keys default to ECDSA P-256 because it is
// fast. RSA keys are slow to generate, so each RSA size is generated once per
// test binary and shared: two RSA certificates of the same size carry the
// same public key unless the test passes its own Key.
//
// Every server listens on 127.0.0.1 only, bounds each connection with a
// deadline, and is shut down by tb.Cleanup, which waits for the server's
// goroutines to finish.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// KeyType selects the algorithm and size of a generated key.
type KeyType int

const (
	ECDSAP256 KeyType = iota // the default
	ECDSAP384
	RSA1024
	RSA2048
	RSA4096
	Ed25519
)

func (k KeyType) String() string {
	switch k {
	case ECDSAP256:
		return "ECDSA-P256"
	case ECDSAP384:
		return "ECDSA-P384"
	case RSA1024:
		return "RSA-1024"
	case RSA2048:
		return "RSA-2048"
	case RSA4096:
		return "RSA-4096"
	case Ed25519:
		return "Ed25519"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

// NewKey returns a private key of the given type. ECDSA and Ed25519 keys are
// fresh on every call; RSA keys are shared per size (see the package comment).
func NewKey(tb testing.TB, kt KeyType) crypto.Signer {
	tb.Helper()
	var (
		key crypto.Signer
		err error
	)
	switch kt {
	case ECDSAP256:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case RSA1024:
		key, err = sharedRSAKey(1024)
	case RSA2048:
		key, err = sharedRSAKey(2048)
	case RSA4096:
		key, err = sharedRSAKey(4096)
	case Ed25519:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		tb.Fatalf("testpki: unknown key type %v", kt)
	}
	if err != nil {
		tb.Fatalf("testpki: generate %v key: %v", kt, err)
	}
	return key
}

type rsaKey struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

// rsaKeys holds one lazily generated key per supported size. The map itself
// is never written after init, so concurrent reads are safe.
var rsaKeys = map[int]*rsaKey{1024: {}, 2048: {}, 4096: {}}

func sharedRSAKey(bits int) (*rsa.PrivateKey, error) {
	k := rsaKeys[bits]
	k.once.Do(func() { k.key, k.err = rsa.GenerateKey(rand.Reader, bits) })
	return k.key, k.err
}

// CA is a certificate authority that can issue intermediates, leaves and
// OCSP responses.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	DER  []byte
}

// CAOptions describes a root or intermediate CA certificate. The zero value
// is a valid ECDSA P-256 CA valid from an hour ago for ten years.
type CAOptions struct {
	Now time.Time // zero means time.Now()

	// NotBefore defaults to an hour before Now (or a day before an explicit
	// NotAfter, if that is earlier). NotAfter defaults to Validity after Now.
	NotBefore, NotAfter time.Time
	Validity            time.Duration // default 10 years

	CommonName   string // default "wacheck test root CA" or "wacheck test intermediate CA"
	Organization string // default "wacheck test"
	SerialNumber *big.Int

	KeyType KeyType       // used when Key is nil
	Key     crypto.Signer // optional: the CA's own key

	// SignatureAlgorithm overrides the algorithm the issuer signs this
	// certificate with; it must suit the issuer's key.
	SignatureAlgorithm x509.SignatureAlgorithm
}

// NewRoot returns a self-signed root CA.
func NewRoot(tb testing.TB, opts CAOptions) *CA {
	tb.Helper()
	key := opts.Key
	if key == nil {
		key = NewKey(tb, opts.KeyType)
	}
	tmpl := caTemplate(opts, "wacheck test root CA")
	cert, der := create(tb, tmpl, tmpl, key.Public(), key)
	return &CA{Cert: cert, Key: key, DER: der}
}

// Intermediate returns a sub-CA issued by ca.
func (ca *CA) Intermediate(tb testing.TB, opts CAOptions) *CA {
	tb.Helper()
	key := opts.Key
	if key == nil {
		key = NewKey(tb, opts.KeyType)
	}
	tmpl := caTemplate(opts, "wacheck test intermediate CA")
	cert, der := create(tb, tmpl, ca.Cert, key.Public(), ca.Key)
	return &CA{Cert: cert, Key: key, DER: der}
}

func caTemplate(opts CAOptions, defaultName string) *x509.Certificate {
	notBefore, notAfter := window(opts.Now, opts.NotBefore, opts.NotAfter, orDuration(opts.Validity, 10*365*24*time.Hour))
	name := opts.CommonName
	if name == "" {
		name = defaultName
	}
	org := opts.Organization
	if org == "" {
		org = "wacheck test"
	}
	return &x509.Certificate{
		SerialNumber:          orSerial(opts.SerialNumber),
		Subject:               pkix.Name{Organization: []string{org}, CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SignatureAlgorithm:    opts.SignatureAlgorithm,
	}
}

// CrossSign returns a certificate for sub (its subject and key) issued by
// ca: a cross-signed certificate, as ISRG Root X1 was by DST Root CA X3.
// The result signs as sub does; only opts' validity and serial are used.
func (ca *CA) CrossSign(tb testing.TB, sub *CA, opts CAOptions) *CA {
	tb.Helper()
	tmpl := caTemplate(opts, "")
	tmpl.RawSubject = sub.Cert.RawSubject
	tmpl.SubjectKeyId = sub.Cert.SubjectKeyId
	cert, der := create(tb, tmpl, ca.Cert, sub.Key.Public(), ca.Key)
	return &CA{Cert: cert, Key: sub.Key, DER: der}
}

// IntermediateNamingIssuer returns a sub-CA signed by ca's key that names
// issuer (its subject and key identifier) as its issuer: a certificate that
// claims a place under a root the test has no key for, such as a root of
// Mozilla's list. Its signature does not verify with issuer's key.
func (ca *CA) IntermediateNamingIssuer(tb testing.TB, issuer *x509.Certificate, opts CAOptions) *CA {
	tb.Helper()
	key := opts.Key
	if key == nil {
		key = NewKey(tb, opts.KeyType)
	}
	parent := *ca.Cert
	parent.RawSubject, parent.Subject, parent.SubjectKeyId = issuer.RawSubject, issuer.Subject, issuer.SubjectKeyId
	tmpl := caTemplate(opts, "wacheck test intermediate CA")
	cert, der := create(tb, tmpl, &parent, key.Public(), ca.Key)
	return &CA{Cert: cert, Key: key, DER: der}
}

// PEM returns the CA certificate PEM-encoded.
func (ca *CA) PEM() []byte { return CertsPEM(ca.DER) }

// Pool returns a certificate pool holding only ca's certificate.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Leaf is an end-entity certificate and its key.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	DER  []byte
}

// LeafOptions describes a server certificate. With no names at all the leaf
// is for "localhost" and 127.0.0.1; set only CommonName to get a certificate
// without subject alternative names.
type LeafOptions struct {
	Now time.Time // zero means time.Now()

	// NotBefore defaults to an hour before Now (or a day before an explicit
	// NotAfter, if that is earlier). NotAfter defaults to Validity after Now;
	// a negative Validity gives an expired certificate.
	NotBefore, NotAfter time.Time
	Validity            time.Duration // default 90 days

	CommonName  string // default: the first DNS name, else the first IP address
	DNSNames    []string
	IPAddresses []net.IP

	SerialNumber *big.Int // default: random 128-bit

	KeyType KeyType       // used when Key is nil
	Key     crypto.Signer // optional: the leaf's own key

	// SignatureAlgorithm overrides the algorithm the issuer signs with, for
	// example x509.SHA1WithRSA or x509.MD5WithRSA (both need an RSA issuer).
	SignatureAlgorithm x509.SignatureAlgorithm

	ExtKeyUsage           []x509.ExtKeyUsage // default: server auth
	OCSPServer            []string           // AIA OCSP responder URLs
	IssuingCertificateURL []string           // AIA CA issuers URLs
	MustStaple            bool               // add the TLS feature status_request extension
	// SCTs embeds a (made-up) list of Certificate Transparency timestamps,
	// as every publicly trusted CA's certificates carry.
	SCTs bool
	// SCTTime is the timestamp of that SCT (with SCTs); zero gives a fixed
	// made-up one in May 2024.
	SCTTime time.Time
}

// Leaf returns an end-entity certificate issued by ca.
func (ca *CA) Leaf(tb testing.TB, opts LeafOptions) *Leaf {
	tb.Helper()
	key := opts.Key
	if key == nil {
		key = NewKey(tb, opts.KeyType)
	}
	tmpl := leafTemplate(opts, key)
	cert, der := create(tb, tmpl, ca.Cert, key.Public(), ca.Key)
	return &Leaf{Cert: cert, Key: key, DER: der}
}

// NewSelfSigned returns a self-signed end-entity certificate, issued by no CA.
func NewSelfSigned(tb testing.TB, opts LeafOptions) *Leaf {
	tb.Helper()
	key := opts.Key
	if key == nil {
		key = NewKey(tb, opts.KeyType)
	}
	tmpl := leafTemplate(opts, key)
	cert, der := create(tb, tmpl, tmpl, key.Public(), key)
	return &Leaf{Cert: cert, Key: key, DER: der}
}

// oidTLSFeature is the TLS feature extension of RFC 7633; with the
// status_request feature (5) it marks a certificate "must staple".
var oidTLSFeature = []int{1, 3, 6, 1, 5, 5, 7, 1, 24}

// oidSCTList is the embedded SCT list extension of RFC 6962.
var oidSCTList = []int{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// fakeSCTList is an OCTET STRING holding a SignedCertificateTimestampList
// with one well-formed but made-up v1 SCT (log ID and signature are zeros).
func fakeSCTList(at time.Time) []byte {
	sct := []byte{0}                       // version v1
	sct = append(sct, make([]byte, 32)...) // log ID
	if at.IsZero() {
		sct = append(sct, 0, 0, 1, 0x8f, 0, 0, 0, 0) // timestamp
	} else {
		sct = binary.BigEndian.AppendUint64(sct, uint64(at.UnixMilli()))
	}
	sct = append(sct, 0, 0)                // no extensions
	sct = append(sct, 4, 3, 0, 2, 0x30, 0) // SHA-256/ECDSA, a 2-byte signature
	list := append([]byte{byte(len(sct) >> 8), byte(len(sct))}, sct...)
	list = append([]byte{byte(len(list) >> 8), byte(len(list))}, list...)
	return append([]byte{0x04, byte(len(list))}, list...)
}

func leafTemplate(opts LeafOptions, key crypto.Signer) *x509.Certificate {
	notBefore, notAfter := window(opts.Now, opts.NotBefore, opts.NotAfter, orDuration(opts.Validity, 90*24*time.Hour))
	dnsNames, ips := opts.DNSNames, opts.IPAddresses
	if dnsNames == nil && ips == nil && opts.CommonName == "" {
		dnsNames, ips = []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	name := opts.CommonName
	switch {
	case name != "":
	case len(dnsNames) > 0:
		name = dnsNames[0]
	case len(ips) > 0:
		name = ips[0].String()
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageKeyEncipherment // TLS 1.2 RSA key exchange
	}
	eku := opts.ExtKeyUsage
	if eku == nil {
		eku = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          orSerial(opts.SerialNumber),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		KeyUsage:              usage,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
		OCSPServer:            opts.OCSPServer,
		IssuingCertificateURL: opts.IssuingCertificateURL,
		SignatureAlgorithm:    opts.SignatureAlgorithm,
	}
	if opts.MustStaple {
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{
			Id:    oidTLSFeature,
			Value: []byte{0x30, 0x03, 0x02, 0x01, 0x05}, // SEQUENCE { INTEGER 5 }
		})
	}
	if opts.SCTs {
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: oidSCTList, Value: fakeSCTList(opts.SCTTime)})
	}
	return tmpl
}

// TLSCertificate returns l ready to serve: the leaf first, then chainDER in
// the order given, so a test can serve a full, short, misordered or padded
// chain. Set OCSPStaple on the result to staple a response.
func (l *Leaf) TLSCertificate(chainDER ...[]byte) tls.Certificate {
	return tls.Certificate{
		Certificate: append([][]byte{l.DER}, chainDER...),
		PrivateKey:  l.Key,
		Leaf:        l.Cert,
	}
}

// PEM returns the leaf certificate PEM-encoded.
func (l *Leaf) PEM() []byte { return CertsPEM(l.DER) }

// KeyPEM returns the leaf's private key as a PKCS #8 PEM block.
func (l *Leaf) KeyPEM(tb testing.TB) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(l.Key)
	if err != nil {
		tb.Fatalf("testpki: marshal key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// CertsPEM returns the certificates PEM-encoded, in the order given.
func CertsPEM(ders ...[]byte) []byte {
	var out []byte
	for _, der := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return out
}

// The AIA URLs NewChain puts on its leaf. Nothing listens there: they are
// recorded, never fetched.
const (
	ChainIssuerURL = "http://127.0.0.1:1/ca.crt"
	ChainOCSPURL   = "http://127.0.0.1:1/ocsp"
)

// Chain is the usual three-level PKI: root, intermediate, leaf.
type Chain struct {
	Root         *CA
	Intermediate *CA
	Leaf         *Leaf
}

// NewChain returns root → intermediate → leaf, all ECDSA P-256 and valid at
// now. The leaf is for "localhost" and 127.0.0.1 and carries ChainIssuerURL
// and ChainOCSPURL.
func NewChain(tb testing.TB, now time.Time) *Chain {
	tb.Helper()
	root := NewRoot(tb, CAOptions{Now: now})
	intermediate := root.Intermediate(tb, CAOptions{Now: now})
	leaf := intermediate.Leaf(tb, LeafOptions{
		Now:                   now,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		OCSPServer:            []string{ChainOCSPURL},
		IssuingCertificateURL: []string{ChainIssuerURL},
	})
	return &Chain{Root: root, Intermediate: intermediate, Leaf: leaf}
}

// Pool returns a certificate pool holding only the root.
func (c *Chain) Pool() *x509.CertPool { return c.Root.Pool() }

// TLSCertificate serves the chain's leaf followed by chainDER in the order
// given. For the correct chain pass c.Intermediate.DER.
func (c *Chain) TLSCertificate(chainDER ...[]byte) tls.Certificate {
	return c.Leaf.TLSCertificate(chainDER...)
}

// RootPEM returns the root certificate PEM-encoded.
func (c *Chain) RootPEM() []byte { return c.Root.PEM() }

// WriteRootPEM writes the root certificate to root.pem in dir (a fresh
// tb.TempDir() when dir is empty) and returns the file's path.
func (c *Chain) WriteRootPEM(tb testing.TB, dir string) string {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	path := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(path, c.RootPEM(), 0o644); err != nil {
		tb.Fatalf("testpki: write root: %v", err)
	}
	return path
}

// OCSPResponse returns a response about the chain's leaf (unless opts names
// another certificate or serial), issued by the intermediate.
func (c *Chain) OCSPResponse(tb testing.TB, opts OCSPOptions) []byte {
	tb.Helper()
	if opts.Cert == nil {
		opts.Cert = c.Leaf.Cert
	}
	return c.Intermediate.OCSPResponse(tb, opts)
}

// window resolves a validity window. An unset end is lifetime after now, or
// after an explicit start later than now; an unset start is an hour before
// now, or a day before the end if that comes first.
func window(now, start, end time.Time, lifetime time.Duration) (time.Time, time.Time) {
	if now.IsZero() {
		now = time.Now()
	}
	if end.IsZero() {
		from := now
		if start.After(now) {
			from = start
		}
		end = from.Add(lifetime)
	}
	if start.IsZero() {
		start = now.Add(-time.Hour)
		if !start.Before(end) {
			start = end.Add(-24 * time.Hour)
		}
	}
	return start, end
}

func orDuration(d, fallback time.Duration) time.Duration {
	if d == 0 {
		return fallback
	}
	return d
}

func orSerial(serial *big.Int) *big.Int {
	if serial != nil {
		return serial
	}
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return n.Add(n, big.NewInt(1)) // serials must be positive
}

// create signs tmpl with signer as parent's key and parses the result.
func create(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, []byte) {
	tb.Helper()
	wantMD5 := tmpl.SignatureAlgorithm == x509.MD5WithRSA
	if wantMD5 {
		// x509.CreateCertificate refuses MD5: sign with SHA-256, then
		// re-sign by hand.
		t := *tmpl
		t.SignatureAlgorithm = x509.SHA256WithRSA
		if tmpl == parent {
			parent = &t
		}
		tmpl = &t
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		tb.Fatalf("testpki: create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	if wantMD5 {
		if der, err = resignMD5(der, signer); err != nil {
			tb.Fatalf("testpki: sign certificate %q with MD5: %v", tmpl.Subject.CommonName, err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testpki: parse certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return cert, der
}
