package tlshello

// Loopback servers and certificates for the tests. They belong in internal/testpki once that
// package exists; they are here because this package's tests may only touch its own folder.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
// binary (RSA key generation is slow) and valid around the current time.
func certFor(t testing.TB, kind keyKind) *testCert {
	t.Helper()
	certsMu.Lock()
	defer certsMu.Unlock()
	if c, ok := certs[kind]; ok {
		return c
	}
	var key any
	var pub any
	switch kind {
	case rsaKey:
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	case ecdsaKey:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key, pub = k, &k.PublicKey
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := &testCert{
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	if c.tls, err = tls.X509KeyPair(c.certPEM, c.keyPEM); err != nil {
		t.Fatal(err)
	}
	certs[kind] = c
	return c
}

// startGoServer serves TLS handshakes with cfg on a loopback port and returns its address.
// Connections are closed once the handshake ends, however it ends.
func startGoServer(t testing.TB, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				tls.Server(c, cfg).Handshake()
			}()
		}
	}()
	return ln.Addr().String()
}

// startRawServer runs handle on every connection to a loopback port and returns its address.
func startRawServer(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// requireBinary returns the path of a program, or skips the test when it is not installed.
func requireBinary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (CI installs it: apt-get install %s)", name, name)
	}
	return p
}

// startOpenSSL runs `openssl s_server` with a certificate of the given kind and extra
// arguments on a free loopback port, waits until it accepts connections, and returns its
// address. The server is killed when the test ends.
func startOpenSSL(t testing.TB, kind keyKind, args ...string) string {
	t.Helper()
	bin := requireBinary(t, "openssl")
	dir := t.TempDir()
	c := certFor(t, kind)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, c.certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, c.keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	for attempt := 0; ; attempt++ {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
		cmd := exec.Command(bin, append([]string{"s_server", "-accept", addr,
			"-cert", certFile, "-key", keyFile, "-www", "-quiet"}, args...)...)
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cmd.Process.Kill(); <-exited }

		if waitListening(addr, exited) {
			t.Cleanup(stop)
			return addr
		}
		stop()
		if attempt == 2 || !strings.Contains(output.String(), "in use") {
			t.Fatalf("openssl s_server %s did not start:\n%s", strings.Join(args, " "), output.String())
		}
	}
}

// waitListening polls addr until it accepts a connection, the server exits, or 10s pass.
func waitListening(addr string, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
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
