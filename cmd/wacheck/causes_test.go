package main

// Handshake failures named by their cause (issue 9, item 4): real openssl
// s_server configurations whose handshakes fail for a reason other than "no
// protocol or cipher in common", each asserting the check that names the
// cause and that no other check warns or fails blaming another.

import (
	"crypto"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// rsa512 makes a 512-bit RSA key with openssl: Go refuses to generate one.
func rsa512(t *testing.T) crypto.Signer {
	t.Helper()
	out, err := exec.Command(testpki.RequireBinary(t, "openssl"), "genpkey", "-algorithm", "RSA",
		"-pkeyopt", "rsa_keygen_bits:512", "-outform", "DER").Output()
	if err != nil {
		t.Fatalf("openssl genpkey: %v", err)
	}
	if k, err := x509.ParsePKCS8PrivateKey(out); err == nil {
		return k.(crypto.Signer)
	}
	k, err := x509.ParsePKCS1PrivateKey(out)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// onlyAllowed asserts that the checks failing and warning are exactly the
// allowed ones (a map of id to status), so that no other check blames
// another cause.
func onlyAllowed(t *testing.T, r jsonReport, allowed map[string]string) {
	t.Helper()
	for _, c := range r.Checks {
		if c.Status != "fail" && c.Status != "warn" {
			continue
		}
		if allowed[c.ID] != c.Status {
			t.Errorf("%s %s: %s (only %v may warn or fail)", c.ID, c.Status, c.Detail, allowed)
		}
	}
	for id, st := range allowed {
		if got := r.status(id); got != st {
			t.Errorf("%s = %s (%s), want %s", id, got, r.detail(id), st)
		}
	}
}

func TestHandshakeFailureCauses(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})
	inter := root.Intermediate(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})
	rootFile := writeFile(t, "root.pem", root.PEM())
	// s_server sends -cert's first certificate only; -cert_chain adds the
	// intermediate.
	interFile := writeFile(t, "inter.pem", inter.PEM())
	chainPEM := func(l *testpki.Leaf) []byte { return l.PEM() }
	leaf := func(o testpki.LeafOptions) *testpki.Leaf {
		o.Now, o.DNSNames = now, []string{"localhost"}
		return inter.Leaf(t, o)
	}

	t.Run("ECDSA certificate with only RSA suites", func(t *testing.T) {
		l := leaf(testpki.LeafOptions{})
		addr := testpki.StartOpenSSL(t, chainPEM(l), l.KeyPEM(t), "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		res := runBinary(t, probeArgs(t, addr, rootFile)...)
		onlyAllowed(t, res.json, map[string]string{
			"tls.handshake":  "fail",
			"connect.port":   "warn", // a test port
			"protocol.tls13": "warn", // -tls1_2: really not offered
		})
		if d := res.json.detail("tls.handshake"); !strings.Contains(d, "key type does not match") {
			t.Errorf("tls.handshake does not name the key type: %q", d)
		}
		if r := res.json.Checks; len(r) == 0 || !strings.Contains(res.json.detail("protocol.modern"), "handshake_failure, not protocol_version") {
			t.Errorf("protocol.modern = %s %q", res.json.status("protocol.modern"), res.json.detail("protocol.modern"))
		}
	})

	t.Run("RSA key too small to sign", func(t *testing.T) {
		l := leaf(testpki.LeafOptions{Key: rsa512(t)})
		addr := testpki.StartOpenSSL(t, chainPEM(l), l.KeyPEM(t), "-cert_chain", interFile, "-no_tls1", "-no_tls1_1",
			"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
		res := runBinary(t, probeArgs(t, addr, rootFile)...)
		onlyAllowed(t, res.json, map[string]string{
			"tls.handshake": "fail",
			"cert.key":      "fail",
			"connect.port":  "warn",
		})
		if d := res.json.detail("tls.handshake"); !strings.Contains(d, "RSA 512 key") {
			t.Errorf("tls.handshake does not name the key: %q", d)
		}
		if st := res.json.status("protocol.tls13"); st != "skip" {
			t.Errorf("protocol.tls13 = %s %q: TLS 1.3 is enabled, the key cannot sign it", st, res.json.detail("protocol.tls13"))
		}
	})

	t.Run("certificate signed with MD5", func(t *testing.T) {
		l := leaf(testpki.LeafOptions{KeyType: testpki.RSA2048, SignatureAlgorithm: x509.MD5WithRSA})
		addr := testpki.StartOpenSSL(t, chainPEM(l), l.KeyPEM(t), "-cert_chain", interFile, "-no_tls1", "-no_tls1_1",
			"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
		res := runBinary(t, probeArgs(t, addr, rootFile)...)
		onlyAllowed(t, res.json, map[string]string{
			"tls.handshake":  "fail",
			"cert.signature": "fail",
			"connect.port":   "warn",
		})
		if d := res.json.detail("tls.handshake"); !strings.Contains(d, "signed with MD5-RSA") {
			t.Errorf("tls.handshake does not name the signature: %q", d)
		}
	})
}

// writeFile writes data to a file named name in a temporary directory.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
