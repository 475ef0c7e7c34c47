package tlshello

// Certificates and loopback servers for this package's tests, built on internal/testpki.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// keyKind is the kind of key a test certificate has.
type keyKind string

const (
	rsaKey   keyKind = "rsa"
	ecdsaKey keyKind = "ecdsa"
)

type testCert struct {
	certPEM, keyPEM []byte
	tls             tls.Certificate
}

var (
	certsMu sync.Mutex
	certs   = map[keyKind]*testCert{}
)

// certFor returns a self-signed certificate for localhost, made once per key kind per test
// binary and valid around the current time.
func certFor(t testing.TB, kind keyKind) *testCert {
	t.Helper()
	certsMu.Lock()
	defer certsMu.Unlock()
	if c, ok := certs[kind]; ok {
		return c
	}
	kt := map[keyKind]testpki.KeyType{rsaKey: testpki.RSA2048, ecdsaKey: testpki.ECDSAP256}[kind]
	leaf := testpki.NewSelfSigned(t, testpki.LeafOptions{KeyType: kt})
	c := &testCert{certPEM: leaf.PEM(), keyPEM: leaf.KeyPEM(t), tls: leaf.TLSCertificate()}
	certs[kind] = c
	return c
}

// startGoServer serves TLS with cfg on a loopback port and returns its address.
func startGoServer(t testing.TB, cfg *tls.Config) string {
	t.Helper()
	return testpki.StartTLS(t, cfg)
}

// startRawServer runs handle on every connection to a loopback port and returns its address.
func startRawServer(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	return testpki.StartRaw(t, handle)
}

// requireBinary returns the path of a program, or skips the test when it is not installed
// (fails it in CI).
func requireBinary(t testing.TB, name string) string {
	t.Helper()
	return testpki.RequireBinary(t, name)
}

// startOpenSSL runs `openssl s_server` with a certificate of the given kind and extra
// arguments on a free loopback port and returns its address.
func startOpenSSL(t testing.TB, kind keyKind, args ...string) string {
	t.Helper()
	c := certFor(t, kind)
	return testpki.StartOpenSSL(t, c.certPEM, c.keyPEM, args...)
}

// opensslSuites returns the suites `openssl ciphers -V -s <versionFlag> <cipherString>` lists
// that an s_server with a certificate of the given kind can negotiate: authenticated by that
// key or anonymous, and not PSK or SRP (s_server has no PSK or SRP set up).
func opensslSuites(t testing.TB, versionFlag, cipherString string, kind keyKind) []uint16 {
	t.Helper()
	bin := requireBinary(t, "openssl")
	out, err := exec.Command(bin, "ciphers", "-V", "-s", versionFlag, cipherString).Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			t.Fatalf("openssl ciphers %s %q: %v\n%s", versionFlag, cipherString, err, exitErr.Stderr)
		}
		t.Fatal(err)
	}
	wantAuth := map[keyKind]string{rsaKey: "Au=RSA", ecdsaKey: "Au=ECDSA"}[kind]
	var ids []uint16
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		f := strings.Fields(sc.Text())
		// 0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD
		if len(f) < 6 {
			continue
		}
		kx, au := f[4], f[5]
		if au != wantAuth && au != "Au=None" || strings.Contains(kx, "PSK") || kx == "Kx=SRP" {
			continue
		}
		hex := strings.ReplaceAll(strings.ReplaceAll(f[0], "0x", ""), ",", "")
		id, err := strconv.ParseUint(hex, 16, 16)
		if err != nil {
			t.Fatalf("openssl ciphers line %q: %v", sc.Text(), err)
		}
		ids = append(ids, uint16(id))
	}
	return ids
}

// scanLoopback scans addr with options suited to loopback servers.
func scanLoopback(t testing.TB, addr string, opts Options) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	res, err := Scan(ctx, addr, opts)
	if err != nil {
		t.Fatalf("Scan(%s): %v", addr, err)
	}
	return res
}
