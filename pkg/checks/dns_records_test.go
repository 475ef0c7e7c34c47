package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
)

// resolverDNS makes ev's resolution one by --resolver: A and AAAA timed,
// with the given CNAME chain and lowest TTL.
func resolverDNS(ev *probe.Evidence, cnames []string, ttl uint32, aTook, aaaaTook time.Duration) {
	d := &ev.DNS
	d.Resolver = "127.0.0.1:53"
	d.CNAMEs, d.MinTTL = cnames, &ttl
	d.Queries = []probe.DNSQuery{
		{Type: "A", Start: d.Start, End: d.Start.Add(aTook), Rcode: "NOERROR", Addresses: d.Addresses},
		{Type: "AAAA", Start: d.Start, End: d.Start.Add(aaaaTook), Rcode: "NOERROR"},
	}
	d.End = d.Start.Add(max(aTook, aaaaTook))
}

func TestDNSRecordChecks(t *testing.T) {
	c := testpki.NewChain(t, now)
	ms := time.Millisecond
	long := []string{"a.cdn.test", "b.cdn.test", "c.cdn.test", "edge.cdn.test"}
	tests := []struct {
		name  string
		mod   func(ev *probe.Evidence)
		wants []want
		fix   string // in dns.resolve's remediation
	}{
		{"system resolver", func(ev *probe.Evidence) {}, []want{
			{"dns.cname", report.Skip, []string{"--resolver"}},
			{"dns.ttl", report.Skip, []string{"--resolver"}},
		}, ""},
		{"resolver, plain", func(ev *probe.Evidence) { resolverDNS(ev, nil, 300, 4*ms, 9*ms) }, []want{
			{"dns.cname", report.Pass, []string{"not an alias"}},
			{"dns.ttl", report.Pass, []string{"300 s"}},
			{"dns.time", report.Pass, []string{"9 ms", "A 4 ms, AAAA 9 ms"}},
		}, ""},
		{"short chain", func(ev *probe.Evidence) { resolverDNS(ev, long[:2], 300, ms, ms) }, []want{
			{"dns.cname", report.Pass, []string{"localhost → a.cdn.test → b.cdn.test"}},
		}, ""},
		{"long chain", func(ev *probe.Evidence) { resolverDNS(ev, long, 300, ms, ms) }, []want{
			{"dns.cname", report.Info, []string{"4 CNAMEs", "localhost → a.cdn.test → b.cdn.test → c.cdn.test → edge.cdn.test"}},
		}, ""},
		{"low ttl", func(ev *probe.Evidence) { resolverDNS(ev, nil, 5, ms, ms) }, []want{
			{"dns.ttl", report.Info, []string{"5 s", "300 s or more"}},
		}, ""},
		{"zero ttl", func(ev *probe.Evidence) { resolverDNS(ev, nil, 0, ms, ms) }, []want{
			{"dns.ttl", report.Info, []string{"0 s", "every delivery"}},
		}, ""},
		{"silent resolver", func(ev *probe.Evidence) {
			resolverDNS(ev, nil, 0, 0, 0)
			ev.DNS.Addresses, ev.Endpoints, ev.DNS.MinTTL = nil, nil, nil
			ev.DNS.End = ev.DNS.Start.Add(3 * time.Second)
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrDNSTimeout, Msg: "no answer"}
		}, []want{
			{"dns.resolve", report.Fail, []string{"did not answer in time"}},
			{"dns.time", report.Fail, []string{"did not answer within 3000 ms"}},
			{"dns.cname", report.Skip, []string{"did not resolve"}},
			{"dns.ttl", report.Skip, []string{"did not resolve"}},
		}, ""},
		{"refused", func(ev *probe.Evidence) {
			resolverDNS(ev, nil, 0, ms, ms)
			ev.DNS.Addresses, ev.Endpoints, ev.DNS.MinTTL = nil, nil, nil
			ev.DNS.Queries[0].Rcode, ev.DNS.Queries[1].Rcode = "REFUSED", "REFUSED"
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrDNS, Msg: "the DNS server answered REFUSED: it will not resolve this name for us"}
		}, []want{
			{"dns.resolve", report.Fail, []string{"REFUSED"}},
			{"dns.time", report.Pass, nil},
		}, "refuses to resolve the name for this client"},
		{"cname to nothing", func(ev *probe.Evidence) {
			resolverDNS(ev, []string{"gone.cdn.test"}, 0, ms, ms)
			ev.DNS.Addresses, ev.Endpoints, ev.DNS.MinTTL = nil, nil, nil
			ev.DNS.Queries[0].Rcode, ev.DNS.Queries[1].Rcode = "NXDOMAIN", "NXDOMAIN"
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrNXDomain, Msg: "the DNS server answered NXDOMAIN"}
		}, []want{
			{"dns.resolve", report.Fail, []string{"NXDOMAIN"}},
		}, "alias (CNAME) of gone.cdn.test"},
		{"pinned", func(ev *probe.Evidence) {
			ev.DNS = probe.DNS{Pinned: true, Resolver: "--resolve", Addresses: []string{"127.0.0.1"}}
		}, []want{
			{"dns.cname", report.Skip, []string{"pinned"}},
			{"dns.ttl", report.Skip, []string{"pinned"}},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
			tt.mod(ev)
			got := evaluate(ev, roots(c.Root))
			expect(t, got, tt.wants...)
			if r := got["dns.resolve"]; !strings.Contains(r.Remediation, tt.fix) {
				t.Errorf("dns.resolve remediation %q, want %q", r.Remediation, tt.fix)
			}
			// The right reason: no other dns check warns or fails.
			for id, r := range got {
				if !strings.HasPrefix(id, "dns.") || r.Status != report.Warn && r.Status != report.Fail {
					continue
				}
				if !wanted(tt.wants, id) {
					t.Errorf("%s = %s: %s, blaming another cause", id, r.Status, r.Detail)
				}
			}
		})
	}
}

func wanted(wants []want, id string) bool {
	for _, w := range wants {
		if w.id == id {
			return true
		}
	}
	return false
}
