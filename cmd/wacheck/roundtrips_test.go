package main

// Extra round trips in the handshake (issue 9, item 7): a server that needs
// a HelloRetryRequest for the sender's key shares (openssl s_server
// accepting secp384r1 only), and a first flight larger than a 10-segment
// initial congestion window (a Go server serving a chain with many names).
// Each asserts the check that names the cause and that nothing else warns
// or fails beside what the same server warns about without the cause.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

func TestHelloRetryRequest(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	inter := root.Intermediate(t, testpki.CAOptions{Now: now})
	rootFile := writeFile(t, "root.pem", root.PEM())
	interFile := writeFile(t, "inter.pem", inter.PEM())
	l := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})

	// The same server without the cause first: only tls.hrr may differ.
	plain := runBinary(t, probeArgs(t, testpki.StartOpenSSL(t, l.PEM(), l.KeyPEM(t), "-cert_chain", interFile,
		"-no_tls1", "-no_tls1_1"), rootFile)...)
	if st := plain.json.status("tls.hrr"); st != "pass" {
		t.Fatalf("tls.hrr without -groups = %s %q, want pass", st, plain.json.detail("tls.hrr"))
	}
	if d := plain.json.detail("tls.hrr"); !strings.Contains(d, "X25519MLKEM768") {
		t.Errorf("tls.hrr pass does not name the key share accepted: %q", d)
	}
	// What s_server itself warns about: a test port, no ALPN, its default
	// CBC suites.
	sServer := map[string]string{"connect.port": "warn", "http.alpn": "warn", "cipher.weak": "warn"}
	onlyAllowed(t, plain.json, sServer)

	res := runBinary(t, probeArgs(t, testpki.StartOpenSSL(t, l.PEM(), l.KeyPEM(t), "-cert_chain", interFile,
		"-no_tls1", "-no_tls1_1", "-groups", "secp384r1"), rootFile)...)
	want := map[string]string{"tls.hrr": "warn"}
	for id, st := range sServer {
		want[id] = st
	}
	onlyAllowed(t, res.json, want)
	d := res.json.detail("tls.hrr")
	for _, w := range []string{"HelloRetryRequest for secp384r1", "X25519MLKEM768 + x25519", "one more round trip"} {
		if !strings.Contains(d, w) {
			t.Errorf("tls.hrr detail lacks %q: %q", w, d)
		}
	}
	if fix := remediation(res.json, "tls.hrr"); !strings.Contains(fix, "ssl_ecdh_curve X25519:prime256v1:secp384r1;") ||
		!strings.Contains(fix, "SSLOpenSSLConfCmd Curves") || !strings.Contains(fix, "curves") {
		t.Errorf("tls.hrr fix lacks the directives: %q", fix)
	}
	if !strings.Contains(res.stdout, `"hello_retry_group": "secp384r1"`) {
		t.Errorf("the JSON does not carry hello_retry_group secp384r1")
	}
}

func TestFirstFlightSize(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA4096})
	inter := root.Intermediate(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA4096})
	rootFile := writeFile(t, "root.pem", root.PEM())
	names := []string{"localhost"}
	for i := range 600 {
		names = append(names, fmt.Sprintf("service-%04d.tenants.example.com", i))
	}

	t.Run("normal chain", func(t *testing.T) {
		l := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
		res := runBinary(t, probeArgs(t, serveAEAD(t, l.TLSCertificate(inter.DER)), rootFile)...)
		onlyAllowed(t, res.json, with(nil))
		if d := res.json.detail("tls.flight"); !strings.Contains(d, "within a 10-segment initial congestion window") {
			t.Errorf("tls.flight = %s %q", res.json.status("tls.flight"), d)
		}
	})

	t.Run("many names", func(t *testing.T) {
		l := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: names})
		res := runBinary(t, probeArgs(t, serveAEAD(t, l.TLSCertificate(inter.DER)), rootFile)...)
		onlyAllowed(t, res.json, with(map[string]string{"tls.flight": "warn"}))
		d := res.json.detail("tls.flight")
		for _, w := range []string{"more than a 10-segment initial congestion window", "601 subject alternative names",
			"RSA 4096", "2 certificate(s)"} {
			if !strings.Contains(d, w) {
				t.Errorf("tls.flight detail lacks %q: %q", w, d)
			}
		}
		if !strings.Contains(res.stdout, `"flight_bytes": `) {
			t.Errorf("the JSON does not carry flight_bytes")
		}
	})
}

func remediation(r jsonReport, id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Remediation
		}
	}
	return ""
}
