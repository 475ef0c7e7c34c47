package main

// Hostile or odd input on the user's side and the server's: local files
// that are not files, a name with many addresses, client-CA names that only
// look like the sender's, an IP with a trailing dot, a URL target whose
// handshake without SNI stalls, DNS and TLS answers that are garbage or too
// slow, a damaged root bundle.

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/conntrack"
	"github.com/wacheck/wacheck/internal/testdns"
	"github.com/wacheck/wacheck/internal/testpki"
)

// TestLocalFilesAreBounded: a device, a named pipe without a writer, a
// directory or a huge file given where a file is read is refused at once
// with one line and a hint, exit 2.
func TestLocalFilesAreBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	os.WriteFile(big, make([]byte, 5<<20), 0o644)
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"probe", "api.example.com", "--ca-file", "/dev/zero"}, "--ca-file: /dev/zero: a device, not a regular file"},
		{[]string{"probe", "api.example.com", "--ca-file", fifo}, "a named pipe, not a regular file"},
		{[]string{"probe", "api.example.com", "--ca-file", dir}, "a directory, not a regular file"},
		{[]string{"probe", "api.example.com", "--ca-file", big}, "larger than 4 MiB"},
		{[]string{"cert", "/dev/zero"}, "a device"},
		{[]string{"cert", fifo}, "a named pipe"},
		{[]string{"cert", big, "--ca-file", "/dev/zero"}, "--ca-file: /dev/zero: a device"},
		{[]string{"probe", "api.example.com", "--client-ca", "/dev/zero"}, "--client-ca: /dev/zero: a device"},
		{[]string{"probe", "api.example.com", "--client-ca", fifo}, "a named pipe"},
	}
	for _, tt := range tests {
		start := time.Now()
		res := runBinary(t, tt.args...)
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("%q: took %s", tt.args, took)
		}
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		if res.code != 2 || len(lines) != 2 || !strings.Contains(lines[0], tt.msg) || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q with a hint", tt.args, res.code, res.stderr, tt.msg)
		}
	}
	// --trust system reads the OS's files the same way.
	cmd := exec.Command(binary, "probe", "api.example.com", "--trust", "system")
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE=/dev/zero", "SSL_CERT_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if code := exitCodeOf(err); code != 2 || !strings.Contains(string(out), "SSL_CERT_FILE /dev/zero: a device") {
		t.Errorf("--trust system with SSL_CERT_FILE=/dev/zero: exit %d, %s", code, out)
	}
}

func exitCodeOf(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestDamagedSystemBundle: a bundle of five roots whose third is damaged
// loads the other four, and says one was skipped.
func TestDamagedSystemBundle(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	var bundle []byte
	for i := range 5 {
		switch i {
		case 2:
			bundle = append(bundle, "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"...)
		case 4:
			bundle = append(bundle, c.RootPEM()...) // after the damaged one
		default:
			bundle = append(bundle, testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: fmt.Sprint("other root ", i)}).PEM()...)
		}
	}
	path := filepath.Join(t.TempDir(), "ca-certificates.crt")
	os.WriteFile(path, bundle, 0o644)
	addr := serve(t, c.TLSCertificate(c.Intermediate.DER))
	cmd := exec.Command(binary, probeArgs(t, addr, "", "--trust", "system")...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+path, "SSL_CERT_DIR=/nonexistent")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, _ := cmd.Output()
	var r struct {
		jsonReport
		Settings struct {
			RootsSkipped int `json:"roots_skipped"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	validateReport(t, out)
	if r.status("chain.trusted") != "pass" || r.Settings.RootsSkipped != 1 {
		t.Errorf("chain.trusted = %s (%s), roots_skipped = %d; want pass and 1", r.status("chain.trusted"),
			r.detail("chain.trusted"), r.Settings.RootsSkipped)
	}
	if !strings.Contains(stderr.String(), "1 damaged certificate in the OS root files skipped; the other 4 loaded") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

// TestManyAddressesOneBudget: a name with 40 addresses is probed within one
// budget of --concurrency connections; 16 addresses in full, the others
// with the strict handshake only, as the report says.
func TestManyAddressesOneBudget(t *testing.T) {
	const n, concurrency = 40, 4
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"many.test"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2", "http/1.1"}}
	ips := make([]string, n)
	var as []netip.Addr
	for i := range ips {
		ips[i] = fmt.Sprintf("127.0.20.%d", i+1)
		as = append(as, netip.MustParseAddr(ips[i]))
	}
	port := testpki.FreePort(t, ips...)
	var all conntrack.Gauge // every address's server, together
	per := map[string]*conntrack.Gauge{}
	for _, ip := range ips {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		g := &conntrack.Gauge{}
		per[ip] = g
		testpki.ServeTLS(t, all.Listener(g.Listener(ln)), cfg)
	}
	dns := testdns.Start(t, testdns.Zone{"many.test.": {A: as}})
	args := []string{"probe", "many.test:" + strconv.Itoa(port), "--resolver", dns.Addr(), "--ca-file", root,
		"--concurrency", strconv.Itoa(concurrency), "--timeout", "30s"}
	res := runBinary(t, append(args, "--format", "json")...)
	// The servers see a connection the client has just closed until their
	// goroutine reads its end, which may come after the accepts of the
	// connections that took its slot: the short resumption and key-type
	// connections make that lag reach two more per slot. (The client's own
	// count, exact, is pkg/probe's TestOneConnectionBudget.) Without one
	// budget the 40 strict handshakes alone would be 40.
	if got := all.Peak(); got > 3*concurrency {
		t.Errorf("the servers saw %d connections at once with --concurrency %d", got, concurrency)
	}
	var r struct {
		Addresses []struct {
			Address       string          `json:"address"`
			HandshakeOnly bool            `json:"handshake_only"`
			Enumeration   json.RawMessage `json:"enumeration"`
			TLS           *struct{}       `json:"tls"`
		} `json:"addresses"`
		Settings struct {
			FullAddresses int `json:"full_addresses"`
			Concurrency   int `json:"concurrency"`
		} `json:"settings"`
		Checks []struct{ ID, Status, Detail, Address string } `json:"checks"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Addresses) != n || r.Settings.FullAddresses != 16 || r.Settings.Concurrency != concurrency {
		t.Fatalf("%d addresses, full_addresses %d, concurrency %d", len(r.Addresses), r.Settings.FullAddresses, r.Settings.Concurrency)
	}
	only := 0
	for _, a := range r.Addresses {
		if a.TLS == nil {
			t.Errorf("%s: no handshake", a.Address)
		}
		if a.HandshakeOnly {
			only++
			if string(a.Enumeration) != "null" || per[a.Address].Total() != 1 {
				t.Errorf("%s: handshake only, yet enumeration %s and %d connections", a.Address, a.Enumeration,
					per[a.Address].Total())
			}
		}
	}
	if only != n-16 {
		t.Errorf("%d addresses handshake only, want %d", only, n-16)
	}
	handshakeOnly := map[string]bool{}
	for _, a := range r.Addresses {
		handshakeOnly[a.Address] = a.HandshakeOnly
	}
	for _, c := range r.Checks {
		switch {
		case c.ID == "protocol.modern" && handshakeOnly[c.Address]:
			if c.Status != "skip" || !strings.Contains(c.Detail, "not probed in full") {
				t.Errorf("%s: protocol.modern = %s (%s), want skip: not probed in full", c.Address, c.Status, c.Detail)
			}
		case c.ID == "connect.tcp" || c.ID == "tls.handshake" || c.ID == "connect.agree":
			if c.Status != "pass" {
				t.Errorf("%s %s = %s: %s", c.Address, c.ID, c.Status, c.Detail)
			}
		}
	}
	text := runBinary(t, append(args, "--format", "text", "--enumerate=false")...)
	flat := strings.Join(strings.Fields(text.stdout), " ")
	if want := "16 of the 40 addresses probed in full; the other 24 got the strict handshake"; !strings.Contains(flat, want) {
		t.Errorf("the text does not say %q:\n%s", want, text.stdout)
	}
	// Verbose output lists the handshake of every address.
	verbose := runBinary(t, append(args, "--format", "text", "--enumerate=false", "-v")...)
	if n := strings.Count(verbose.stdout, "✓ TLS handshake completes ("); n != 40 {
		t.Errorf("verbose text lists %d handshakes, want 40:\n%s", n, verbose.stdout)
	}
}

// TestClientCAIsMatchedExactly: a CA that merely looks like Meta's by its
// words is not taken for it; Meta's CA file (--client-ca) decides.
func TestClientCAIsMatchedExactly(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	meta := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Meta Outbound API CA 2025-12", Organization: "Meta Platforms, Inc."})
	lookalike := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Metadata Services Internal CA", Organization: "Outbound Proxy Team"})
	metaPEM := filepath.Join(t.TempDir(), "meta-outbound-api-ca-2025-12.pem")
	os.WriteFile(metaPEM, meta.PEM(), 0o644)
	leafPEM := filepath.Join(t.TempDir(), "client.pem")
	os.WriteFile(leafPEM, meta.Leaf(t, testpki.LeafOptions{Now: now, CommonName: "client.webhooks.fbclientcerts.com",
		DNSNames: []string{"client.webhooks.fbclientcerts.com"}}).PEM(), 0o644)
	server := func(ca *testpki.CA) string {
		return testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool()})
	}
	tests := []struct {
		name   string
		ca     *testpki.CA
		extra  []string
		status string
		words  []string
	}{
		{"look-alike, no CA file", lookalike, nil, "warn",
			[]string{"cannot be told from names alone", "--client-ca meta-outbound-api-ca-2025-12.pem"}},
		{"look-alike, Meta's CA file", lookalike, []string{"--client-ca", metaPEM}, "fail",
			[]string{"would be refused", "none of them is exactly the CA in " + metaPEM}},
		{"Meta's CA, no CA file", meta, nil, "warn", []string{"cannot be told"}},
		{"Meta's CA, its file", meta, []string{"--client-ca", metaPEM}, "info",
			[]string{"would be accepted by name", "names CAs, not keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runBinary(t, probeArgs(t, server(tt.ca), root, append(tt.extra, "--enumerate=false")...)...)
			d := res.json.detail("mtls.request")
			if got := res.json.status("mtls.request"); got != tt.status {
				t.Errorf("mtls.request = %s (%s), want %s", got, d, tt.status)
			}
			for _, w := range tt.words {
				if !strings.Contains(d, w) {
					t.Errorf("mtls.request detail %q lacks %q", d, w)
				}
			}
			if tt.status != "info" && strings.Contains(d, "would be accepted") {
				t.Errorf("claims acceptance: %q", d)
			}
		})
	}
	// The client certificate itself is not the CA a server lists.
	res := runBinary(t, "probe", "api.example.com", "--client-ca", leafPEM)
	if res.code != 2 || !strings.Contains(res.stderr, "is not a CA certificate") || !strings.Contains(res.stderr, "hint: ") {
		t.Errorf("--client-ca with a leaf: exit %d, %q", res.code, res.stderr)
	}
	res = runBinary(t, "probe", "api.example.com", "--client-ca", metaPEM, "--sender", "generic")
	if res.code != 2 || !strings.Contains(res.stderr, "sends no client certificate") {
		t.Errorf("--client-ca with generic: exit %d, %q", res.code, res.stderr)
	}
}

// TestIPWithTrailingDot: 127.0.0.1. is the IP address 127.0.0.1, which is
// never sent as SNI; the report claims none (found by FuzzParse).
func TestIPWithTrailingDot(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	addr := serve(t, c.TLSCertificate(c.Intermediate.DER))
	_, port, _ := net.SplitHostPort(addr)
	res := runBinary(t, "probe", "127.0.0.1.:"+port, "--ca-file", root, "--format", "json", "--enumerate=false")
	var r struct {
		Target struct{ Host, SNI string } `json:"target"`
	}
	json.Unmarshal([]byte(res.stdout), &r)
	if r.Target.Host != "127.0.0.1" || r.Target.SNI != "" {
		t.Errorf("target = %+v, want host 127.0.0.1 and no SNI", r.Target)
	}
	if got := res.json.status("tls.sni"); got != "skip" || !strings.Contains(res.json.detail("tls.sni"), "no SNI was sent") {
		t.Errorf("tls.sni = %s (%s), want skip: no SNI was sent", got, res.json.detail("tls.sni"))
	}
	if got := res.json.status("cert.hostname"); got != "pass" {
		t.Errorf("cert.hostname = %s (%s)", got, res.json.detail("cert.hostname"))
	}
}

// TestURLWhoseNoSNIHandshakeStalls: the GET goes on the strict handshake's
// connection, so a stalled handshake without SNI does not cost it.
func TestURLWhoseNoSNIHandshakeStalls(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	stop := make(chan struct{})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if h.ServerName == "" {
				<-stop
			}
			return nil, nil
		}})
	t.Cleanup(func() { close(stop) }) // before the server's cleanup, which waits for its handshakes
	_, port, _ := net.SplitHostPort(addr)
	res := runBinary(t, "probe", "https://localhost:"+port+"/hook", "--resolve", "localhost:"+port+":127.0.0.1",
		"--ca-file", root, "--format", "json", "--timeout", "2s", "--enumerate=false")
	if got, d := res.json.status("http.response"), res.json.detail("http.response"); got != "info" ||
		!strings.Contains(d, "GET /hook answered 200") {
		t.Errorf("http.response = %s (%s), want info: answered 200", got, d)
	}
	if got := res.json.status("tls.handshake"); got != "pass" {
		t.Errorf("tls.handshake = %s", got)
	}
	for _, ch := range res.json.Checks {
		if strings.Contains(ch.Detail, "did not complete") && ch.ID != "tls.sni" {
			t.Errorf("%s says the handshake did not complete: %s", ch.ID, ch.Detail)
		}
	}
}

// TestRightWordsForOddAnswers: a failed lookup does not claim "no AAAA
// record", garbage DNS answers are not "did not answer in time", and a
// server that drips bytes is not "does not speak TLS".
func TestRightWordsForOddAnswers(t *testing.T) {
	dns := testdns.Start(t, testdns.Zone{"garbage.test.": {Garbage: true}})
	c := testpki.NewChain(t, time.Now())
	good := serve(t, c.TLSCertificate(c.Intermediate.DER))
	_, goodPort, _ := net.SplitHostPort(good)

	t.Run("garbage DNS", func(t *testing.T) {
		res := runBinary(t, "probe", "garbage.test", "--resolver", dns.Addr(), "--format", "json", "--timeout", "1s")
		d := res.json.detail("dns.resolve")
		if res.json.status("dns.resolve") != "fail" || !strings.Contains(d, "not DNS answers") || strings.Contains(d, "in time") {
			t.Errorf("dns.resolve = %s (%s)", res.json.status("dns.resolve"), d)
		}
		if d := res.json.detail("connect.ipv6"); strings.Contains(d, "no AAAA") {
			t.Errorf("connect.ipv6 claims %q after DNS failed", d)
		}
	})
	t.Run("DNS failed, --address", func(t *testing.T) {
		res := runBinary(t, "probe", "missing.test:"+goodPort, "--resolver", dns.Addr(), "--address", "127.0.0.1",
			"--format", "json", "--timeout", "2s", "--enumerate=false")
		if got, d := res.json.status("connect.ipv6"), res.json.detail("connect.ipv6"); got != "skip" ||
			strings.Contains(d, "no AAAA record") || !strings.Contains(d, "DNS did not resolve") {
			t.Errorf("connect.ipv6 = %s (%s)", got, d)
		}
	})
	t.Run("drip", func(t *testing.T) {
		res := runBinary(t, probeArgs(t, testpki.StartDrip(t, 200*time.Millisecond), "", "--timeout", "1500ms")...)
		if d := res.json.detail("tls.handshake"); !strings.Contains(d, "began to answer") || strings.Contains(d, "does not speak TLS") {
			t.Errorf("tls.handshake = %s", d)
		}
		for _, ch := range res.json.Checks {
			if strings.Contains(ch.Detail, "does not speak TLS") || strings.Contains(ch.Detail, "no answer to the ClientHello") {
				t.Errorf("%s: %s", ch.ID, ch.Detail)
			}
		}
		if d := res.json.detail("protocol.modern"); !strings.Contains(d, "too slowly") {
			t.Errorf("protocol.modern = %s", d)
		}
	})
}
