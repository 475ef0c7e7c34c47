package main

// Causes not looked at before (issue 9, items 8, 10, 11, 12): two
// certificates on one server, session resumption, DH parameters and a
// certificate message too large to read, each against a real server on
// loopback, asserting the check that names the cause and that no other
// check warns or fails blaming another.

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// keyTypeReport is the part of a report about chains per key type.
type keyTypeReport struct {
	Checks []struct {
		ID, Status, Detail, Address string
		KeyType                     string `json:"key_type"`
	} `json:"checks"`
	Addresses []struct {
		KeyTypeChains []struct {
			KeyType      string `json:"key_type"`
			Cipher       string `json:"cipher"`
			Certificates []struct {
				Subject string `json:"subject"`
			} `json:"certificates"`
		} `json:"key_type_chains"`
		Resumption *struct {
			Version string `json:"version"`
			Ticket  bool   `json:"ticket"`
			Resumed bool   `json:"resumed"`
		} `json:"resumption"`
	} `json:"addresses"`
}

func parseKeyTypes(t *testing.T, out string) keyTypeReport {
	t.Helper()
	var r keyTypeReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// aeadBoth are the ECDHE AEAD suites of both key types.
var aeadBoth = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}

func TestTwoCertificatesOneServer(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	rootFile := writeFile(t, "root.pem", root.PEM())
	inter := root.Intermediate(t, testpki.CAOptions{Now: now})
	ecdsa := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	rsaLeaf := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, KeyType: testpki.RSA2048})

	t.Run("incomplete RSA chain behind a complete ECDSA one", func(t *testing.T) {
		// Go's server picks the first certificate the client's offer
		// supports: ECDSA for the strict handshake, RSA for a client
		// offering only ECDHE-RSA suites.
		addr := testpki.StartTLS(t, &tls.Config{CipherSuites: aeadBoth, NextProtos: []string{"h2", "http/1.1"},
			Certificates: []tls.Certificate{ecdsa.TLSCertificate(inter.DER), rsaLeaf.TLSCertificate()}})
		res := runBinary(t, probeArgs(t, addr, rootFile)...)
		r := parseKeyTypes(t, res.stdout)
		var rsaComplete string
		for _, c := range r.Checks {
			if c.ID == "chain.complete" && c.KeyType == "RSA" {
				rsaComplete = c.Detail
			}
			if c.Status == "fail" || c.Status == "warn" {
				// A warning: the strict handshake got the complete ECDSA chain.
				if (c.ID == "chain.complete" && c.Status == "warn" && c.KeyType == "RSA") || (c.ID == "connect.port" && c.Status == "warn") {
					continue
				}
				t.Errorf("%s %s (key type %q): %s", c.ID, c.Status, c.KeyType, c.Detail)
			}
			if c.ID == "chain.complete" && c.KeyType == "" && c.Status != "pass" {
				t.Errorf("the strict handshake's (ECDSA) chain.complete = %s: %s", c.Status, c.Detail)
			}
		}
		if !strings.HasPrefix(rsaComplete, "RSA chain") {
			t.Errorf("chain.complete of the RSA chain does not name the key type: %q", rsaComplete)
		}
		if len(r.Addresses) != 1 || len(r.Addresses[0].KeyTypeChains) != 1 {
			t.Fatalf("key_type_chains = %+v, want the RSA chain alone", r.Addresses)
		}
		k := r.Addresses[0].KeyTypeChains[0]
		if k.KeyType != "RSA" || len(k.Certificates) != 1 || !strings.Contains(k.Cipher, "ECDHE_RSA") {
			t.Errorf("key_type_chains[0] = %+v", k)
		}
		if !strings.Contains(rsaComplete, "A warning, not a failure") {
			t.Errorf("chain.complete of the RSA chain does not say why it is a warning: %q", rsaComplete)
		}
		if res.code != 0 {
			t.Errorf("exit %d, want 0: the sender's own chain is complete, the RSA chain's gap is a warning", res.code)
		}
	})

	t.Run("both chains complete", func(t *testing.T) {
		addr := testpki.StartTLS(t, &tls.Config{CipherSuites: aeadBoth, NextProtos: []string{"h2", "http/1.1"},
			Certificates: []tls.Certificate{ecdsa.TLSCertificate(inter.DER), rsaLeaf.TLSCertificate(inter.DER)}})
		res := runBinary(t, probeArgs(t, addr, rootFile)...)
		onlyAllowed(t, res.json, map[string]string{"connect.port": "warn"})
		r := parseKeyTypes(t, res.stdout)
		n := 0
		for _, c := range r.Checks {
			if c.KeyType == "RSA" {
				n++
			}
		}
		if n == 0 || len(r.Addresses[0].KeyTypeChains) != 1 {
			t.Errorf("the RSA chain was not judged: %d results, %+v", n, r.Addresses[0].KeyTypeChains)
		}
	})

	t.Run("one certificate: no second chain", func(t *testing.T) {
		addr := testpki.StartTLS(t, &tls.Config{CipherSuites: aeadBoth, NextProtos: []string{"h2", "http/1.1"},
			Certificates: []tls.Certificate{ecdsa.TLSCertificate(inter.DER)}})
		res := runBinary(t, probeArgs(t, addr, rootFile)...)
		onlyAllowed(t, res.json, map[string]string{"connect.port": "warn"})
		r := parseKeyTypes(t, res.stdout)
		if len(r.Addresses[0].KeyTypeChains) != 0 {
			t.Errorf("key_type_chains = %+v, want none", r.Addresses[0].KeyTypeChains)
		}
	})
}

func TestSessionResumption(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	rootFile := c.WriteRootPEM(t, "")
	cert := c.TLSCertificate(c.Intermediate.DER)
	cert.OCSPStaple = c.OCSPResponse(t, testpki.OCSPOptions{Now: now})
	tests := []struct {
		name     string
		cfg      *tls.Config
		status   string
		word     string
		resumed  bool
		version  string
		ticketed bool
	}{
		{"TLS 1.3 with tickets", &tls.Config{}, "pass", "TLS 1.3 PSK", true, "TLS 1.3", true},
		{"TLS 1.2 with tickets", &tls.Config{MaxVersion: tls.VersionTLS12}, "pass", "session ticket", true, "TLS 1.2", true},
		{"TLS 1.3 without tickets", &tls.Config{SessionTicketsDisabled: true}, "warn", "no session ticket", false, "TLS 1.3", false},
		{"TLS 1.2 without tickets", &tls.Config{MaxVersion: tls.VersionTLS12, SessionTicketsDisabled: true}, "info",
			"session ID was not tried", false, "TLS 1.2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Certificates = []tls.Certificate{cert}
			tt.cfg.CipherSuites = aeadBoth
			tt.cfg.NextProtos = []string{"h2", "http/1.1"}
			res := runBinary(t, probeArgs(t, testpki.StartTLS(t, tt.cfg), rootFile)...)
			allowed := map[string]string{"connect.port": "warn"}
			if tt.status == "warn" {
				allowed["tls.resumption"] = "warn"
			}
			if tt.version == "TLS 1.2" {
				allowed["protocol.tls13"] = "warn"
			}
			onlyAllowed(t, res.json, allowed)
			if st, d := res.json.status("tls.resumption"), res.json.detail("tls.resumption"); st != tt.status || !strings.Contains(d, tt.word) {
				t.Errorf("tls.resumption = %s %q, want %s with %q", st, d, tt.status, tt.word)
			}
			r := parseKeyTypes(t, res.stdout)
			rs := r.Addresses[0].Resumption
			if rs == nil || rs.Resumed != tt.resumed || rs.Version != tt.version || rs.Ticket != tt.ticketed {
				t.Errorf("resumption = %+v, want resumed %v, %s, ticket %v", rs, tt.resumed, tt.version, tt.ticketed)
			}
		})
	}
}

// dhParams writes DH parameters of bits bits: a named RFC 7919 group for
// 2048, a fresh safe prime otherwise (about a second for 1024 bits;
// s_server refuses the quicker X9.42 -dsaparam ones).
func dhParams(t *testing.T, bits int) string {
	t.Helper()
	openssl := testpki.RequireBinary(t, "openssl")
	out := filepath.Join(t.TempDir(), fmt.Sprintf("dh%d.pem", bits))
	var cmd *exec.Cmd
	if bits == 2048 {
		cmd = exec.Command(openssl, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048", "-out", out)
	} else {
		cmd = exec.Command(openssl, "dhparam", "-out", out, fmt.Sprint(bits))
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	return out
}

func TestDHParameters(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})
	inter := root.Intermediate(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})
	rootFile := writeFile(t, "root.pem", root.PEM())
	interFile := writeFile(t, "inter.pem", inter.PEM())
	l := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, KeyType: testpki.RSA2048})
	for _, tt := range []struct {
		bits   int
		status string
	}{{1024, "warn"}, {2048, "pass"}} {
		t.Run(fmt.Sprint(tt.bits), func(t *testing.T) {
			addr := testpki.StartOpenSSL(t, l.PEM(), l.KeyPEM(t), "-cert_chain", interFile, "-dhparam", dhParams(t, tt.bits),
				"-no_tls1", "-no_tls1_1", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0")
			res := runBinary(t, probeArgs(t, addr, rootFile)...)
			// DHE is a weak suite; s_server selects no ALPN protocol.
			allowed := map[string]string{"connect.port": "warn", "cipher.weak": "warn", "http.alpn": "warn"}
			if tt.status == "warn" {
				allowed["cipher.dh"] = "warn"
			}
			onlyAllowed(t, res.json, allowed)
			want := fmt.Sprintf("%d-bit DH prime", tt.bits)
			if st, d := res.json.status("cipher.dh"), res.json.detail("cipher.dh"); st != tt.status || !strings.Contains(d, want) {
				t.Errorf("cipher.dh = %s %q, want %s with %q", st, d, tt.status, want)
			}
		})
	}
}

func TestCertificateMessageTooLarge(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	rootFile := c.WriteRootPEM(t, "")
	names := []string{"localhost"}
	for i := range 9999 {
		names = append(names, fmt.Sprintf("h%04d.example.net", i))
	}
	big := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: names})
	addr := testpki.StartTLS(t, &tls.Config{CipherSuites: aeadBoth, NextProtos: []string{"h2", "http/1.1"},
		Certificates: []tls.Certificate{big.TLSCertificate(c.Intermediate.DER)}})
	res := runBinary(t, probeArgs(t, addr, rootFile, "--timeout", "10s")...)
	onlyAllowed(t, res.json, map[string]string{"connect.port": "warn", "chain.size": "fail"})
	if d := res.json.detail("chain.size"); !strings.Contains(d, "excessive message size") || !strings.Contains(d, "10000 subject alternative names") {
		t.Errorf("chain.size detail = %q", d)
	}
}
