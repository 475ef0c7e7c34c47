package subject

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// now is the clock the test certificates are valid at.
var now = time.Date(2031, 3, 14, 12, 0, 0, 0, time.UTC)

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pkcs7 wraps certificates in a PKCS #7 "certs-only" SignedData, as CAs
// publish .p7c files.
func pkcs7(t *testing.T, ders ...[]byte) []byte {
	t.Helper()
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	set := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true}
	certs := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(ders, nil)}
	data := mustMarshal(struct{ ContentType asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}})
	sd := mustMarshal(struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      asn1.RawValue
		Certificates     asn1.RawValue
		SignerInfos      asn1.RawValue
	}{1, set, asn1.RawValue{FullBytes: data}, certs, set})
	return mustMarshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}{oidSignedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sd}})
}

func TestReadCertsFormats(t *testing.T) {
	c := testpki.NewChain(t, now)
	dir := t.TempDir()
	leafKey := c.Leaf.KeyPEM(t)
	tests := []struct {
		name string
		data []byte
		want [][]byte
	}{
		{"PEM fullchain", testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER), [][]byte{c.Leaf.DER, c.Intermediate.DER}},
		{"PEM out of order is kept", testpki.CertsPEM(c.Root.DER, c.Leaf.DER), [][]byte{c.Root.DER, c.Leaf.DER}},
		{"PEM with text before, as openssl x509 -text writes", append([]byte("Certificate:\n    Data: ...\n"), c.Leaf.PEM()...), [][]byte{c.Leaf.DER}},
		{"HAProxy PEM: chain and key in one file", append(testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER), leafKey...), [][]byte{c.Leaf.DER, c.Intermediate.DER}},
		{"DER", c.Leaf.DER, [][]byte{c.Leaf.DER}},
		{"DER concatenated", append(append([]byte{}, c.Leaf.DER...), c.Intermediate.DER...), [][]byte{c.Leaf.DER, c.Intermediate.DER}},
		{"PKCS #7 DER", pkcs7(t, c.Intermediate.DER), [][]byte{c.Intermediate.DER}},
		{"PKCS #7 PEM", pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: pkcs7(t, c.Leaf.DER, c.Intermediate.DER)}), [][]byte{c.Leaf.DER, c.Intermediate.DER}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, dir, strings.Repeat("f", i+1), tt.data)
			got, err := ReadCerts(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d certificates, want %d", len(got), len(tt.want))
			}
			for j := range got {
				if !bytes.Equal(got[j].DER, tt.want[j]) || got[j].Cert == nil || got[j].File != p {
					t.Errorf("certificate %d: %s from %s", j, got[j].Cert.Subject, got[j].File)
				}
			}
		})
	}
}

// TestReadCertsRefuses checks that each kind of bad input gets one message
// naming the file and what is wrong with it, and a hint.
func TestReadCertsRefuses(t *testing.T) {
	c := testpki.NewChain(t, now)
	dir := t.TempDir()
	csr, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{DNSNames: []string{"localhost"}}, c.Leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	damaged := c.Leaf.PEM()
	damaged = append(damaged[:40:40], damaged[60:]...)
	var many []byte
	for range MaxCertsPerFile + 1 {
		many = append(many, c.Leaf.PEM()...)
	}
	keyDER, err := os.ReadFile("../../testdata/key.der")
	if err != nil {
		t.Fatal(err)
	}
	badBlock := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x01}})
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.pem"), "no such file"},
		{"directory", dir, "a directory, not a certificate file"},
		{"empty", "../../testdata/empty.pem", "the file is empty"},
		{"white space only", write(t, dir, "blank.pem", []byte("\n \n")), "the file is empty"},
		{"not a certificate", "../../testdata/not-a-cert.txt", "not a certificate: neither PEM"},
		{"a PEM key only", write(t, dir, "privkey.pem", c.Leaf.KeyPEM(t)), "only a private key (PRIVATE KEY)"},
		{"a DER key", write(t, dir, "key.der", keyDER), "only a private key (DER)"},
		{"a CSR", write(t, dir, "req.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})), "certificate request (CSR)"},
		{"other PEM blocks", write(t, dir, "dh.pem", pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: []byte{1}})), "no CERTIFICATE block in it (found DH PARAMETERS)"},
		{"damaged base64", write(t, dir, "damaged.pem", damaged), "damaged"},
		{"a CERTIFICATE block that does not parse", write(t, dir, "bad.pem", badBlock), "certificate 1 does not parse"},
		{"too many certificates", write(t, dir, "bundle.pem", many), "more than 100 certificates"},
		{"too big", write(t, dir, "big.pem", bytes.Repeat([]byte("a"), MaxFileSize+1)), "larger than 1024 KiB"},
	}
	if _, err := os.Stat("/dev/null"); err == nil {
		tests = append(tests, struct{ name, path, want string }{"a device", "/dev/null", "a device, not a certificate file"})
	}
	if mkfifo, err := exec.LookPath("mkfifo"); err == nil {
		fifo := filepath.Join(dir, "fifo")
		if err := exec.Command(mkfifo, fifo).Run(); err == nil {
			tests = append(tests, struct{ name, path, want string }{"a named pipe", fifo, "a named pipe, not a certificate file"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCerts(tt.path)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FileError", err)
			}
			if fe.Path != tt.path || !strings.Contains(err.Error(), tt.want) || fe.Hint == "" {
				t.Errorf("err = %q (hint %q), want %s: ...%s...", err, fe.Hint, tt.path, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || err.Error() != strings.ToLower(err.Error()[:1])+err.Error()[1:] {
				t.Errorf("err = %q: want one line", err)
			}
		})
	}
	if _, err := ReadCerts(filepath.Join(dir, "nope.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file's error is not fs.ErrNotExist: %v", err)
	}
}

func TestLeafIndex(t *testing.T) {
	c := testpki.NewChain(t, now)
	other := testpki.NewChain(t, now)
	i2 := c.Intermediate.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "second intermediate"})
	deep := i2.Leaf(t, testpki.LeafOptions{Now: now})
	self := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: now})
	tests := []struct {
		name  string
		certs []*x509.Certificate
		want  int
	}{
		{"leaf first", []*x509.Certificate{c.Leaf.Cert, c.Intermediate.Cert}, 0},
		{"leaf last", []*x509.Certificate{c.Root.Cert, c.Intermediate.Cert, c.Leaf.Cert}, 2},
		{"stray leaf before the real one", []*x509.Certificate{other.Leaf.Cert, c.Intermediate.Cert, c.Leaf.Cert}, 2},
		{"two unrelated leaves: the first", []*x509.Certificate{other.Leaf.Cert, c.Leaf.Cert}, 0},
		{"deeper leaf", []*x509.Certificate{i2.Cert, c.Root.Cert, deep.Cert, c.Intermediate.Cert}, 2},
		{"self-signed leaf", []*x509.Certificate{self.Cert}, 0},
		{"only CAs", []*x509.Certificate{c.Intermediate.Cert, c.Root.Cert}, -1},
	}
	for _, tt := range tests {
		if got := LeafIndex(tt.certs); got != tt.want {
			t.Errorf("%s: LeafIndex = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestFromFilesOrder checks the ordering rule: one file is judged as given
// (a server's chain file), several files get the leaf moved to the front
// and keep the rest in the order given.
func TestFromFilesOrder(t *testing.T) {
	c := testpki.NewChain(t, now)
	dir := t.TempDir()
	leaf := write(t, dir, "leaf.pem", c.Leaf.PEM())
	inter := write(t, dir, "inter.der", c.Intermediate.DER)
	root := write(t, dir, "root.pem", c.Root.PEM())
	reversed := write(t, dir, "reversed.pem", testpki.CertsPEM(c.Intermediate.DER, c.Leaf.DER))
	tests := []struct {
		name  string
		files []string
		want  [][]byte
	}{
		{"one file as given", []string{reversed}, [][]byte{c.Intermediate.DER, c.Leaf.DER}},
		{"leaf file last", []string{inter, leaf}, [][]byte{c.Leaf.DER, c.Intermediate.DER}},
		{"the rest keep their order", []string{root, inter, leaf}, [][]byte{c.Leaf.DER, c.Root.DER, c.Intermediate.DER}},
		{"a reversed file among several", []string{root, reversed}, [][]byte{c.Leaf.DER, c.Root.DER, c.Intermediate.DER}},
	}
	for _, tt := range tests {
		s, err := FromFiles(CertFiles{Certs: tt.files, Name: "localhost"})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slicesEqual(s.Chain.Certs, tt.want) {
			t.Errorf("%s: chain order wrong", tt.name)
		}
		if s.Chain.Source != "files" || s.Chain.Name != "localhost" || len(s.Chain.Files) != len(tt.files) {
			t.Errorf("%s: chain = %+v", tt.name, s.Chain)
		}
		if s.Staple != nil || s.Key != nil || s.Why(KindStaple) == "" || s.Why(KindKey) == "" || s.Why(KindDNS) != "" {
			t.Errorf("%s: staple %v key %v, missing %v", tt.name, s.Staple, s.Key, s.Missing)
		}
	}
}

func slicesEqual(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestFromFilesKeyAndStaple(t *testing.T) {
	c := testpki.NewChain(t, now)
	dir := t.TempDir()
	chain := write(t, dir, "fullchain.pem", testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER))
	key := write(t, dir, "privkey.pem", c.Leaf.KeyPEM(t))
	staple := write(t, dir, "staple.der", c.OCSPResponse(t, testpki.OCSPOptions{Now: now}))
	s, err := FromFiles(CertFiles{Certs: []string{chain}, Key: key, Staple: staple})
	if err != nil {
		t.Fatal(err)
	}
	if s.Key == nil || s.Key.File != key || !s.Key.Public.(*ecdsa.PublicKey).Equal(c.Leaf.Key.Public()) {
		t.Errorf("key = %+v", s.Key)
	}
	if s.Staple == nil || len(s.Staple.Raw) == 0 || len(s.Missing) != 0 {
		t.Errorf("staple = %+v, missing %v", s.Staple, s.Missing)
	}
	if _, err := FromFiles(CertFiles{Certs: []string{chain}, Key: "../../testdata/key.der"}); err == nil ||
		!strings.Contains(err.Error(), "not a PEM private key (it is DER)") {
		t.Errorf("a DER key: %v", err)
	}
}

func TestReadKey(t *testing.T) {
	dir := t.TempDir()
	ec := testpki.NewKey(t, testpki.ECDSAP256)
	rsaKey := testpki.NewKey(t, testpki.RSA2048)
	ed := testpki.NewKey(t, testpki.Ed25519)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	ecSEC1, err := x509.MarshalECPrivateKey(ec.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ string, der []byte, headers map[string]string) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der, Headers: headers})
	}
	good := []struct {
		name string
		data []byte
		key  crypto.Signer
	}{
		{"PKCS #8 EC", block("PRIVATE KEY", pkcs8(ec), nil), ec},
		{"SEC 1 EC after EC PARAMETERS", append(block("EC PARAMETERS", []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}, nil), block("EC PRIVATE KEY", ecSEC1, nil)...), ec},
		{"PKCS #1 RSA", block("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey)), nil), rsaKey},
		{"PKCS #8 Ed25519", block("PRIVATE KEY", pkcs8(ed), nil), ed},
		{"HAProxy PEM: certificate then key", append(block("CERTIFICATE", []byte{0x30}, nil), block("PRIVATE KEY", pkcs8(ec), nil)...), ec},
	}
	for i, tt := range good {
		p := write(t, dir, "good"+string(rune('a'+i)), tt.data)
		pub, err := ReadKey(p)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.key.Public()) {
			t.Errorf("%s: wrong public key", tt.name)
		}
	}
	bad := []struct {
		name string
		data []byte
		want string
	}{
		{"encrypted PKCS #8", block("ENCRYPTED PRIVATE KEY", []byte{0x30}, nil), "the private key is encrypted"},
		{"encrypted legacy PEM", block("RSA PRIVATE KEY", []byte{0x30}, map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}), "the private key is encrypted"},
		{"a certificate only", block("CERTIFICATE", []byte{0x30}, nil), "no private key in it (found CERTIFICATE)"},
		{"two keys", append(block("PRIVATE KEY", pkcs8(ec), nil), block("PRIVATE KEY", pkcs8(ed), nil)...), "2 private keys in one file"},
		{"damaged key", block("PRIVATE KEY", []byte{0x30, 0x00}, nil), "the PRIVATE KEY block does not parse"},
		{"text", []byte("hello\n"), "not a PEM private key"},
	}
	for i, tt := range bad {
		p := write(t, dir, "bad"+string(rune('a'+i)), tt.data)
		_, err := ReadKey(p)
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) || fe.Hint == "" || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestReadStaple(t *testing.T) {
	c := testpki.NewChain(t, now)
	dir := t.TempDir()
	resp := c.OCSPResponse(t, testpki.OCSPOptions{Now: now})
	for name, data := range map[string][]byte{
		"der": resp,
		"pem": pem.EncodeToMemory(&pem.Block{Type: "OCSP RESPONSE", Bytes: resp}),
	} {
		got, err := ReadStaple(write(t, dir, name, data))
		if err != nil || !bytes.Equal(got, resp) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, want := range map[string]string{
		write(t, dir, "cert.pem", c.Leaf.PEM()):  "no OCSP RESPONSE block",
		"../../testdata/not-a-cert.txt":          "not an OCSP response",
		"../../testdata/empty.pem":               "the file is empty",
		filepath.Join(dir, "missing-staple.der"): "no such file",
	} {
		if _, err := ReadStaple(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

func TestFetchIssuer(t *testing.T) {
	c := testpki.NewChain(t, now)
	mux := http.NewServeMux()
	mux.HandleFunc("/der", func(w http.ResponseWriter, r *http.Request) { w.Write(c.Intermediate.DER) })
	mux.HandleFunc("/pem", func(w http.ResponseWriter, r *http.Request) { w.Write(c.Intermediate.PEM()) })
	mux.HandleFunc("/p7c", func(w http.ResponseWriter, r *http.Request) { w.Write(pkcs7(t, c.Intermediate.DER)) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, MaxFetchSize+1)) })
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>")) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://127.0.0.1:1/x", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	for _, p := range []string{"/der", "/pem", "/p7c"} {
		got, err := FetchIssuer(ctx, FetchClient(), srv.URL+p)
		if err != nil || len(got) != 1 || !got[0].Equal(c.Intermediate.Cert) {
			t.Errorf("%s: %v, %v", p, got, err)
		}
	}
	for url, want := range map[string]string{
		srv.URL + "/missing":       "HTTP 404",
		srv.URL + "/big":           "larger than 64 KiB",
		srv.URL + "/text":          "not a certificate",
		srv.URL + "/moved":         "only http:// is fetched",
		"https://127.0.0.1:1/ca":   "only http:// CA Issuers URLs are fetched",
		"ldap://ldap.example/ca?x": "only http:// CA Issuers URLs are fetched",
	} {
		if _, err := FetchIssuer(ctx, FetchClient(), url); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", url, err, want)
		}
	}
}
