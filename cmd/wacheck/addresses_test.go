package main

// End-to-end tests of a name with several addresses, a DNS server of our
// own on loopback, samples, SNI handling and URL targets.

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/wacheck/wacheck/internal/testdns"
	"github.com/wacheck/wacheck/internal/testpki"
)

type addrReport struct {
	jsonReport
	Addresses []struct {
		Address   string `json:"address"`
		ErrorKind string `json:"error_kind"`
		Chain     *struct {
			SHA256 []string `json:"sha256"`
		} `json:"chain"`
		Samples *struct {
			Rounds int `json:"rounds"`
			TLS    *struct {
				N     int     `json:"n"`
				P95MS float64 `json:"p95_ms"`
			} `json:"tls"`
		} `json:"samples"`
		HTTP *struct {
			StatusCode int      `json:"status_code"`
			TTFBMS     *float64 `json:"ttfb_ms"`
		} `json:"http"`
	} `json:"addresses"`
	DNS struct {
		Resolver  string   `json:"resolver"`
		Addresses []string `json:"addresses"`
	} `json:"dns"`
}

// resultsAt returns a check's status per address ("" for name-level).
func (r jsonReport) statusAt(id, addr string) string {
	for _, c := range r.Checks {
		if c.ID == id && c.Address == addr {
			return c.Status
		}
	}
	return "missing"
}

func lookupJSON(t *testing.T, res result) addrReport {
	t.Helper()
	var r addrReport
	if err := jsonUnmarshal(res.stdout, &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, res.stdout)
	}
	return r
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

func TestEveryAddressIsProbed(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"hooks.test"}, OCSPServer: nil})
	full := leaf.TLSCertificate(c.Intermediate.DER)
	broken := leaf.TLSCertificate()
	port := testpki.FreePort(t, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	for ip, cert := range map[string]tls.Certificate{"127.0.0.1": full, "127.0.0.2": full, "127.0.0.3": broken} {
		testpki.StartTLSOn(t, net.JoinHostPort(ip, strconv.Itoa(port)), &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})
	}
	dns := testdns.Start(t, testdns.Zone{"hooks.test.": {A: addrs("127.0.0.1", "127.0.0.2", "127.0.0.3")}})
	target := "hooks.test:" + strconv.Itoa(port)

	res := runBinary(t, "probe", target, "--resolver", dns.Addr(), "--ca-file", root, "--format", "json", "--timeout", "5s")
	r := lookupJSON(t, res)
	if res.code != 1 {
		t.Errorf("exit code = %d, want 1", res.code)
	}
	if dns.Queries() == 0 || r.DNS.Resolver != dns.Addr() || len(r.DNS.Addresses) != 3 {
		t.Errorf("the --resolver was not used: %d queries, dns = %+v", dns.Queries(), r.DNS)
	}
	if len(r.Addresses) != 3 {
		t.Fatalf("probed %d addresses, want 3", len(r.Addresses))
	}
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		if got := r.statusAt("chain.complete", ip); got != "pass" {
			t.Errorf("chain.complete at %s = %s, want pass", ip, got)
		}
	}
	if got := r.statusAt("chain.complete", "127.0.0.3"); got != "fail" {
		t.Errorf("chain.complete at 127.0.0.3 = %s, want fail", got)
	}
	if got := r.statusAt("connect.agree", ""); got != "warn" {
		t.Errorf("connect.agree = %s (%s), want warn", got, r.detail("connect.agree"))
	}
	if d := r.detail("connect.agree"); !strings.Contains(d, "127.0.0.3 serves a different certificate chain") {
		t.Errorf("connect.agree does not name the odd address: %q", d)
	}

	// The text output names the address that differs and folds the rest.
	text := runBinary(t, "probe", target, "--resolver", dns.Addr(), "--ca-file", root, "--timeout", "5s")
	for _, want := range []string{"(127.0.0.3)", "(all 3 addresses)", "Per address"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, text.stdout)
		}
	}

	// --address limits the probe to one of them.
	one := lookupJSON(t, runBinary(t, "probe", target, "--resolver", dns.Addr(), "--ca-file", root, "--format", "json",
		"--address", "127.0.0.2"))
	if len(one.Addresses) != 1 || one.Addresses[0].Address != "127.0.0.2" || one.status("chain.complete") != "pass" {
		t.Errorf("--address 127.0.0.2 probed %+v", one.Addresses)
	}

	// --samples repeats the rounds per address.
	sampled := lookupJSON(t, runBinary(t, "probe", target, "--resolver", dns.Addr(), "--ca-file", root, "--format", "json",
		"--samples", "4"))
	for _, a := range sampled.Addresses {
		if a.Samples == nil || a.Samples.Rounds != 4 || a.Samples.TLS == nil || a.Samples.TLS.N != 4 {
			t.Errorf("%s: samples = %+v, want 4 rounds", a.Address, a.Samples)
		}
	}
}

func TestDeadIPv6Address(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"hooks.test"}})
	port := testpki.FreePort(t, "127.0.0.1", "::1")
	testpki.StartTLSOn(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(c.Intermediate.DER)}})
	// Nothing listens on [::1]:port: the AAAA address refuses.
	dns := testdns.Start(t, testdns.Zone{"hooks.test.": {A: addrs("127.0.0.1"), AAAA: addrs("::1")}})
	r := lookupJSON(t, runBinary(t, "probe", "hooks.test:"+strconv.Itoa(port), "--resolver", dns.Addr(), "--ca-file", root, "--format", "json"))
	if got := r.statusAt("connect.ipv6", ""); got != "warn" {
		t.Errorf("connect.ipv6 = %s (%s), want warn", got, r.detail("connect.ipv6"))
	}
	if got := r.statusAt("connect.tcp", "::1"); got != "fail" {
		t.Errorf("connect.tcp at ::1 = %s, want fail", got)
	}
	if got := r.statusAt("connect.agree", ""); got != "fail" {
		t.Errorf("connect.agree = %s, want fail", got)
	}
}

// TestRefusingAndHealthyAddress is the case the per-address report exists
// for: the first address refuses, the second serves a verified chain. The
// JSON and the text both show the healthy address's handshake, chain and
// certificates, and name the broken address.
func TestRefusingAndHealthyAddress(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"hooks.test"}})
	port := testpki.FreePort(t, "127.0.0.1", "127.0.0.2")
	testpki.StartTLSOn(t, net.JoinHostPort("127.0.0.2", strconv.Itoa(port)),
		&tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2"}})
	// Nothing listens on 127.0.0.1:port, listed first.
	target := "hooks.test:" + strconv.Itoa(port)
	pin := target + ":127.0.0.1,127.0.0.2"
	res := runBinary(t, "probe", target, "--resolve", pin, "--ca-file", root, "--format", "json", "--timeout", "5s")
	var r struct {
		SchemaVersion int `json:"schema_version"`
		Agreement     struct {
			Agree   bool     `json:"agree"`
			Working []string `json:"working"`
			Failing []struct {
				Address   string `json:"address"`
				ErrorKind string `json:"error_kind"`
			} `json:"failing"`
		} `json:"agreement"`
		Addresses []struct {
			Address   string `json:"address"`
			ErrorKind string `json:"error_kind"`
			TLS       *struct {
				Version string `json:"version"`
			} `json:"tls"`
			Certificates []struct {
				Subject string `json:"subject"`
				PEM     string `json:"pem"`
			} `json:"certificates"`
			Chain *struct {
				Verified bool     `json:"verified"`
				Path     []string `json:"path"`
			} `json:"chain"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	if r.SchemaVersion != 2 || len(r.Addresses) != 2 {
		t.Fatalf("schema %d, %d addresses:\n%s", r.SchemaVersion, len(r.Addresses), res.stdout)
	}
	bad, good := r.Addresses[0], r.Addresses[1]
	if bad.Address != "127.0.0.1" || bad.ErrorKind != "refused" || bad.TLS != nil || len(bad.Certificates) != 0 {
		t.Errorf("refusing address = %+v", bad)
	}
	if good.Address != "127.0.0.2" || good.TLS == nil || good.TLS.Version != "TLS 1.3" || len(good.Certificates) != 2 ||
		!strings.Contains(good.Certificates[0].PEM, "BEGIN CERTIFICATE") || good.Chain == nil || !good.Chain.Verified ||
		len(good.Chain.Path) != 3 {
		t.Errorf("healthy address = %+v", good)
	}
	if r.Agreement.Agree || len(r.Agreement.Working) != 1 || r.Agreement.Working[0] != "127.0.0.2" ||
		len(r.Agreement.Failing) != 1 || r.Agreement.Failing[0].Address != "127.0.0.1" || r.Agreement.Failing[0].ErrorKind != "refused" {
		t.Errorf("agreement = %+v", r.Agreement)
	}
	if got := res.json.statusAt("connect.tcp", "127.0.0.1"); got != "fail" {
		t.Errorf("connect.tcp at 127.0.0.1 = %s", got)
	}
	if got := res.json.statusAt("chain.complete", "127.0.0.2"); got != "pass" {
		t.Errorf("chain.complete at 127.0.0.2 = %s", got)
	}
	// No check blames the healthy address for the other's refusal.
	for _, ch := range res.json.Checks {
		if ch.Address == "127.0.0.2" && ch.Status == "fail" {
			t.Errorf("%s fails at the healthy address: %s", ch.ID, ch.Detail)
		}
	}

	text := runBinary(t, "probe", target, "--resolve", pin, "--ca-file", root, "--timeout", "5s")
	for _, want := range []string{"Chain (2 certificates, leaf first; served by 127.0.0.2)", "hooks.test",
		"127.0.0.1 (refused)", "  TLS       TLS 1.3"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, text.stdout)
		}
	}
}

func TestDNSFailuresThroughResolver(t *testing.T) {
	dns := testdns.Start(t, testdns.Zone{
		"servfail.test.": {Rcode: dnsmessage.RCodeServerFailure},
		"slow.test.":     {Drop: true},
		"nodata.test.":   {},
	})
	tests := []struct{ name, words string }{
		{"missing.test", "does not exist (NXDOMAIN)"},
		{"servfail.test", "answered SERVFAIL"},
		{"slow.test", "did not answer in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := runBinary(t, "probe", tt.name, "--resolver", dns.Addr(), "--format", "json", "--timeout", "1s")
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s with --timeout 1s", took)
			}
			if res.code != 1 || res.json.status("dns.resolve") != "fail" {
				t.Errorf("exit %d, dns.resolve = %s", res.code, res.json.status("dns.resolve"))
			}
			if d := res.json.detail("dns.resolve"); !strings.Contains(d, tt.words) {
				t.Errorf("dns.resolve detail = %q, want %q", d, tt.words)
			}
		})
	}
}

func TestSNIHandling(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	named := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"hooks.test"}}).TLSCertificate(c.Intermediate.DER)
	fallback := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"default.test"}}).TLSCertificate(c.Intermediate.DER)
	pick := func(forName, otherwise tls.Certificate) *tls.Config {
		return &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if h.ServerName == "hooks.test" {
				return &forName, nil
			}
			return &otherwise, nil
		}}
	}
	tests := []struct {
		name   string
		cfg    *tls.Config
		status string
	}{
		{"same certificate", pick(named, named), "pass"},
		{"needs SNI", pick(named, fallback), "info"},
		{"wrong certificate for the name", pick(fallback, named), "fail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testpki.StartTLS(t, tt.cfg)
			_, port, _ := net.SplitHostPort(addr)
			res := runBinary(t, "probe", "hooks.test:"+port, "--resolve", "hooks.test:"+port+":127.0.0.1", "--ca-file", root, "--format", "json")
			if got := res.json.status("tls.sni"); got != tt.status {
				t.Errorf("tls.sni = %s (%s), want %s", got, res.json.detail("tls.sni"), tt.status)
			}
		})
	}
}

func TestURLTargetIsRequested(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2", "http/1.1"}})
	_, port, _ := net.SplitHostPort(addr)
	res := runBinary(t, "probe", "https://localhost:"+port+"/webhook?x=1", "--resolve", "localhost:"+port+":127.0.0.1",
		"--ca-file", root, "--format", "json")
	r := lookupJSON(t, res)
	if got := r.status("http.response"); got != "info" {
		t.Errorf("http.response = %s (%s), want info", got, r.detail("http.response"))
	}
	if h := r.Addresses[0].HTTP; h == nil || h.StatusCode != 200 || h.TTFBMS == nil {
		t.Errorf("http = %+v", h)
	}
}

func TestManySilentAddressesStayInsideTimeout(t *testing.T) {
	port := testpki.FreePort(t, "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
	for _, ip := range []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"} {
		testpki.StartSilentOn(t, net.JoinHostPort(ip, strconv.Itoa(port)))
	}
	dns := testdns.Start(t, testdns.Zone{"tarpit.test.": {A: addrs("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")}})
	start := time.Now()
	res := runBinary(t, "probe", "tarpit.test:"+strconv.Itoa(port), "--resolver", dns.Addr(), "--format", "json",
		"--timeout", "800ms", "--samples", "5")
	took := time.Since(start)
	r := lookupJSON(t, res)
	if len(r.Addresses) != 4 {
		t.Fatalf("probed %d addresses, want 4", len(r.Addresses))
	}
	for _, a := range r.Addresses {
		if a.ErrorKind != "timeout" {
			t.Errorf("%s: error kind %q, want timeout", a.Address, a.ErrorKind)
		}
	}
	// The budget is shared, not per address: 4 tarpits end inside one
	// --timeout (plus process start-up).
	if took > 800*time.Millisecond+2*time.Second {
		t.Errorf("took %s with --timeout 800ms", took)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// TestUnreachable runs wacheck in a network namespace of its own, whose
// loopback interface is down: connecting to 127.0.0.1 there is "network is
// unreachable", and no packet leaves the namespace.
func TestUnreachable(t *testing.T) {
	if os.Geteuid() != 0 {
		testpki.SkipOrFail(t, "TestUnreachable needs root to create a network namespace (unshare -n)")
	}
	unshare := testpki.RequireBinary(t, "unshare")
	cmd := exec.Command(unshare, "-n", binary, "probe", "127.0.0.1:8443", "--sni", "localhost", "--format", "json")
	out, _ := cmd.Output()
	var r jsonReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got := r.status("connect.tcp"); got != "fail" || !strings.Contains(r.detail("connect.tcp"), "unreachable") {
		t.Errorf("connect.tcp = %s (%s), want fail: unreachable", got, r.detail("connect.tcp"))
	}
}
