//go:build linux

package integration

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// pki is one test's certificate authority on disk: a root, the intermediate
// that issues the servers' certificates and signs their OCSP responses, and
// two unrelated CAs that the mTLS scenarios name as acceptable for client
// certificates.
type pki struct {
	t   *testing.T
	dir string
	now time.Time

	root, inter *testpki.CA

	rootFile     string // what wacheck trusts (--ca-file)
	interFile    string
	interKeyFile string
	indexFile    string // openssl's CA database, for openssl ocsp

	// The CA files for ssl_client_certificate and its equivalents: a
	// private CA alone, or with a stand-in for Meta's outbound API CA.
	privateClientCAs string
	metaClientCAs    string
	// metaCAFile is the stand-in alone, as Meta publishes its CA: wacheck
	// compares a server's acceptable CAs with its exact name through
	// --client-ca (Meta does not publish the name itself).
	metaCAFile string
}

// The subjects the mTLS scenarios expect in acceptable_cas.
const (
	privateClientCA = "wacheck test client CA"
	metaClientCA    = "wacheck test Meta Outbound API CA"
)

func newPKI(t *testing.T) *pki {
	t.Helper()
	now := time.Now()
	p := &pki{t: t, dir: t.TempDir(), now: now}
	// The CAs predate every leaf, the expired one included, as real ones do.
	caSince := now.Add(-2 * 365 * 24 * time.Hour)
	p.root = testpki.NewRoot(t, testpki.CAOptions{Now: now, NotBefore: caSince})
	p.inter = p.root.Intermediate(t, testpki.CAOptions{Now: now, NotBefore: caSince})
	private := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: privateClientCA})
	meta := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: metaClientCA})
	p.rootFile = p.write("root.pem", p.root.PEM())
	p.interFile = p.write("intermediate.pem", p.inter.PEM())
	p.interKeyFile = p.write("intermediate.key", keyPEM(t, p.inter.Key))
	p.privateClientCAs = p.write("client-ca-private.pem", private.PEM())
	p.metaClientCAs = p.write("client-ca-meta.pem", append(meta.PEM(), private.PEM()...))
	p.metaCAFile = p.write("meta-outbound-api-ca.pem", meta.PEM())
	p.indexFile = p.write("index.txt", nil)
	// Several scenarios' leaves share the subject CN=localhost.
	p.write("index.txt.attr", []byte("unique_subject = no\n"))
	return p
}

func (p *pki) write(name string, data []byte) string {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		p.t.Fatal(err)
	}
	return path
}

func keyPEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// certFiles are one server certificate's files.
type certFiles struct {
	leaf      *testpki.Leaf
	leafOnly  string // the leaf alone (certbot's cert.pem)
	fullchain string // the leaf, then the intermediate (certbot's fullchain.pem)
	key       string
	// bundle is what HAProxy's crt loads: the served certificates, then
	// the key. HAProxy staples bundle+".ocsp" when that file exists.
	bundle string
	// staple is the DER OCSP response made by openssl ocsp, "" for none.
	staple string
}

// issue creates the files of a server certificate for sc, named after it,
// and records it in the CA database (valid or revoked).
func (p *pki) issue(sc scenario) *certFiles {
	p.t.Helper()
	opts := testpki.LeafOptions{
		Now:      p.now,
		DNSNames: sc.dnsNames,
		// Nothing listens on these: a leaf that names a responder is what
		// makes a missing staple a warning.
		OCSPServer:            []string{testpki.ChainOCSPURL},
		IssuingCertificateURL: []string{testpki.ChainIssuerURL},
		MustStaple:            sc.mustStaple,
	}
	if sc.noOCSPURL {
		opts.OCSPServer = nil
	}
	if opts.DNSNames == nil {
		opts.DNSNames = []string{"localhost"}
	}
	if sc.rsa {
		opts.KeyType = testpki.RSA2048
	}
	if sc.expired {
		opts.NotBefore = p.now.Add(-91 * 24 * time.Hour)
		opts.NotAfter = p.now.Add(-24 * time.Hour)
	}
	issuer, after := p.inter, [][]byte{p.inter.DER}
	if sc.chain != nil {
		issuer, after = sc.chain(p)
	}
	leaf := issuer.Leaf(p.t, opts)
	f := &certFiles{leaf: leaf}
	f.leafOnly = p.write(sc.name+".crt", leaf.PEM())
	f.fullchain = p.write(sc.name+".fullchain.pem", testpki.CertsPEM(append([][]byte{leaf.DER}, after...)...))
	f.key = p.write(sc.name+".key", leaf.KeyPEM(p.t))
	served := f.fullchain
	if sc.leafOnly {
		served = f.leafOnly
	}
	chain, err := os.ReadFile(served)
	if err != nil {
		p.t.Fatal(err)
	}
	f.bundle = p.write(sc.name+".bundle.pem", append(chain, leaf.KeyPEM(p.t)...))
	p.record(leaf.Cert, sc.staple == stapleRevoked)
	if sc.staple != noStaple {
		f.staple = filepath.Join(p.dir, sc.name+".ocsp.der")
	}
	return f
}

// record appends cert to the CA database that openssl ocsp answers from,
// in the format of `openssl ca`: status, expiry, revocation, serial in
// upper-case hex of whole bytes (as BN_bn2hex writes it), file, subject.
func (p *pki) record(cert *x509.Certificate, revoked bool) {
	p.t.Helper()
	const asn1Time = "060102150405Z"
	status, revokedAt := "V", ""
	if revoked {
		status = "R"
		revokedAt = p.now.Add(-time.Hour).UTC().Format(asn1Time) + ",keyCompromise"
	}
	line := strings.Join([]string{status, cert.NotAfter.UTC().Format(asn1Time), revokedAt,
		serialHex(cert.SerialNumber), "unknown", "/CN=" + cert.Subject.CommonName}, "\t") + "\n"
	f, err := os.OpenFile(p.indexFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(line); err != nil {
		p.t.Fatal(err)
	}
}

func serialHex(n *big.Int) string {
	return strings.ToUpper(hex.EncodeToString(n.Bytes()))
}

// makeStaple writes f.staple: the response the intermediate's responder
// gives for f's leaf, made by openssl ocsp from the CA database, as an
// operator would for nginx's ssl_stapling_file:
//
//	openssl ocsp -index index.txt -CA intermediate.pem -rsigner intermediate.pem \
//	  -rkey intermediate.key -issuer intermediate.pem -cert leaf.pem \
//	  -no_nonce -resp_no_certs -ndays 1 -respout leaf.ocsp.der
//
// -resp_no_certs leaves the signer's certificate out, as Let's Encrypt's
// responders do; withSignerCert keeps openssl's default of embedding it.
func (p *pki) makeStaple(f *certFiles, withSignerCert bool) {
	p.t.Helper()
	args := []string{"ocsp",
		"-index", p.indexFile,
		"-CA", p.interFile,
		"-rsigner", p.interFile,
		"-rkey", p.interKeyFile,
		"-issuer", p.interFile,
		"-cert", f.leafOnly,
		"-no_nonce",
		"-ndays", "1",
		"-respout", f.staple,
	}
	if !withSignerCert {
		args = append(args, "-resp_no_certs")
	}
	cmd := exec.Command(requireBinary(p.t, "openssl"), args...)
	cmd.Dir = p.dir
	out, err := cmd.CombinedOutput()
	if err != nil || !fileExists(f.staple) {
		p.t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
