package main

import (
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/wacheck/wacheck/internal/testdns"
	"github.com/wacheck/wacheck/internal/testpki"
)

// resolverReport is the part of a report that --resolver fills in.
type resolverReport struct {
	DNS struct {
		Resolver   string   `json:"resolver"`
		Addresses  []string `json:"addresses"`
		DurationMS *float64 `json:"duration_ms"`
		Error      string   `json:"error"`
		CNAMEChain []string `json:"cname_chain"`
		MinTTL     *int     `json:"min_ttl_s"`
		Queries    []struct {
			Type       string   `json:"type"`
			DurationMS float64  `json:"duration_ms"`
			Rcode      string   `json:"rcode"`
			TCP        bool     `json:"tcp"`
			Addresses  []string `json:"addresses"`
		} `json:"queries"`
	} `json:"dns"`
}

func resolverJSON(t *testing.T, res result) resolverReport {
	t.Helper()
	var r resolverReport
	if err := jsonUnmarshal(res.stdout, &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, res.stdout)
	}
	return r
}

// noOtherDNSBlame fails when a dns check outside want warns or fails.
func noOtherDNSBlame(t *testing.T, r jsonReport, want ...string) {
	t.Helper()
	for _, c := range r.Checks {
		if strings.HasPrefix(c.ID, "dns.") && (c.Status == "warn" || c.Status == "fail") && !slices.Contains(want, c.ID) {
			t.Errorf("%s = %s: %s", c.ID, c.Status, c.Detail)
		}
	}
}

// TestResolverAnswersAlone: --resolver asks that server only: a CNAME
// chain with a low TTL, answered truncated over UDP, is followed over TCP,
// A and AAAA are timed each, and the long chain and the low TTL are noted.
func TestResolverAnswersAlone(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"hooks.test"}})
	port := testpki.FreePort(t, "127.0.0.1")
	testpki.StartTLSOn(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		&tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2", "http/1.1"}})
	dns := testdns.Start(t, testdns.Zone{
		"hooks.test.":    {CNAME: "a.cdn.test.", TTL: 300, Truncate: true},
		"a.cdn.test.":    {CNAME: "b.cdn.test."},
		"b.cdn.test.":    {CNAME: "c.cdn.test."},
		"c.cdn.test.":    {CNAME: "edge.cdn.test."},
		"edge.cdn.test.": {A: addrs("127.0.0.1"), TTL: 5},
	})
	res := runBinary(t, "probe", "hooks.test:"+strconv.Itoa(port), "--resolver", dns.Addr(), "--ca-file", root,
		"--format", "json", "--timeout", "5s")
	r := resolverJSON(t, res)
	if !slices.Equal(r.DNS.Addresses, []string{"127.0.0.1"}) || r.DNS.Resolver != dns.Addr() ||
		!slices.Equal(r.DNS.CNAMEChain, []string{"a.cdn.test", "b.cdn.test", "c.cdn.test", "edge.cdn.test"}) ||
		r.DNS.MinTTL == nil || *r.DNS.MinTTL != 5 {
		t.Errorf("dns = %+v", r.DNS)
	}
	if len(r.DNS.Queries) != 2 || r.DNS.Queries[0].Type != "A" || r.DNS.Queries[1].Type != "AAAA" {
		t.Fatalf("queries = %+v", r.DNS.Queries)
	}
	for _, q := range r.DNS.Queries {
		if q.Rcode != "NOERROR" {
			t.Errorf("%s: rcode %q", q.Type, q.Rcode)
		}
	}
	if !r.DNS.Queries[0].TCP || !r.DNS.Queries[1].TCP || dns.TCPQueries() < 2 {
		t.Errorf("the truncated answers were not asked again over TCP: %+v, %d TCP queries", r.DNS.Queries, dns.TCPQueries())
	}
	for id, words := range map[string]string{"dns.cname": "4 CNAMEs", "dns.ttl": "5 s"} {
		if res.json.status(id) != "info" || !strings.Contains(res.json.detail(id), words) {
			t.Errorf("%s = %s: %s; want info naming %q", id, res.json.status(id), res.json.detail(id), words)
		}
	}
	if d := res.json.detail("dns.time"); res.json.status("dns.time") != "pass" || !strings.Contains(d, "A ") || !strings.Contains(d, "AAAA ") {
		t.Errorf("dns.time = %s: %s; want pass with A and AAAA timed", res.json.status("dns.time"), d)
	}
	if res.json.status("tls.handshake") != "pass" {
		t.Errorf("tls.handshake = %s: %s", res.json.status("tls.handshake"), res.json.detail("tls.handshake"))
	}
	noOtherDNSBlame(t, res.json)
}

// TestResolverNotHostsFile: a name /etc/hosts holds (localhost) gets the
// server's answer.
func TestResolverNotHostsFile(t *testing.T) {
	dns := testdns.Start(t, testdns.Zone{"localhost.": {A: addrs("127.0.0.9")}})
	port := testpki.FreePort(t, "127.0.0.9")
	res := runBinary(t, "probe", "localhost:"+strconv.Itoa(port), "--resolver", dns.Addr(), "--format", "json", "--timeout", "2s")
	r := resolverJSON(t, res)
	if !slices.Equal(r.DNS.Addresses, []string{"127.0.0.9"}) || dns.Queries() != 2 {
		t.Errorf("localhost resolved to %v with %d queries to the server; want the server's 127.0.0.9 alone", r.DNS.Addresses, dns.Queries())
	}
	if res.json.status("dns.resolve") != "pass" {
		t.Errorf("dns.resolve = %s: %s", res.json.status("dns.resolve"), res.json.detail("dns.resolve"))
	}
}

// TestResolverFailuresNamed: REFUSED and SERVFAIL are named, and a
// resolver that does not answer is a timeout, never "0 ms".
func TestResolverFailuresNamed(t *testing.T) {
	dns := testdns.Start(t, testdns.Zone{
		"refused.test.":  {Rcode: dnsmessage.RCodeRefused},
		"servfail.test.": {Rcode: dnsmessage.RCodeServerFailure},
		"silent.test.":   {Drop: true},
	})
	tests := []struct{ name, rcode, resolve, time string }{
		{"refused.test", "REFUSED", "REFUSED", ""},
		{"servfail.test", "SERVFAIL", "SERVFAIL", ""},
		{"missing.test", "NXDOMAIN", "NXDOMAIN", ""},
		{"silent.test", "", "did not answer in time", "did not answer within"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runBinary(t, "probe", tt.name, "--resolver", dns.Addr(), "--format", "json", "--timeout", "1s")
			r := resolverJSON(t, res)
			if res.code != 1 || res.json.status("dns.resolve") != "fail" || !strings.Contains(res.json.detail("dns.resolve"), tt.resolve) {
				t.Errorf("exit %d, dns.resolve = %s: %s; want fail naming %q", res.code, res.json.status("dns.resolve"),
					res.json.detail("dns.resolve"), tt.resolve)
			}
			for _, q := range r.DNS.Queries {
				if q.Rcode != tt.rcode {
					t.Errorf("%s: rcode %q, want %q", q.Type, q.Rcode, tt.rcode)
				}
			}
			if len(r.DNS.Queries) != 2 {
				t.Errorf("queries = %+v", r.DNS.Queries)
			}
			d := res.json.detail("dns.time")
			if tt.time != "" && (res.json.status("dns.time") != "fail" || !strings.Contains(d, tt.time) || strings.Contains(d, " 0 ms")) {
				t.Errorf("dns.time = %s: %s", res.json.status("dns.time"), d)
			}
			if tt.time != "" && (r.DNS.DurationMS == nil || *r.DNS.DurationMS < 500) {
				t.Errorf("duration_ms = %v, want about the 1s waited", r.DNS.DurationMS)
			}
			want := []string{"dns.resolve"}
			if tt.time != "" {
				want = append(want, "dns.time")
			}
			noOtherDNSBlame(t, res.json, want...)
		})
	}
}
