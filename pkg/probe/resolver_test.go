package probe

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/wacheck/wacheck/internal/testdns"
	"github.com/wacheck/wacheck/pkg/target"
)

var (
	resA    = []netip.Addr{netip.MustParseAddr("127.0.0.5")}
	resAAAA = []netip.Addr{netip.MustParseAddr("fd00::5")}
)

// resolveWith runs the probe's resolution of name against the test server
// with --resolver's resolver.
func resolveWith(t *testing.T, s *testdns.Server, name string, timeout time.Duration) DNS {
	t.Helper()
	tg, err := target.Parse(name, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return resolve(ctx, Options{Target: tg, Resolver: &ServerResolver{Addr: s.Addr()}, ResolverName: s.Addr(), Now: time.Now})
}

func query(t *testing.T, d DNS, typ string) DNSQuery {
	t.Helper()
	for _, q := range d.Queries {
		if q.Type == typ {
			return q
		}
	}
	t.Fatalf("no %s query in %+v", typ, d.Queries)
	return DNSQuery{}
}

// TestServerResolverRcodes: NXDOMAIN, SERVFAIL and REFUSED are named, per
// query and in the error.
func TestServerResolverRcodes(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{
		"servfail.test.": {Rcode: dnsmessage.RCodeServerFailure},
		"refused.test.":  {Rcode: dnsmessage.RCodeRefused},
	})
	for _, tt := range []struct {
		name, rcode string
		kind        ErrorKind
		words       string
	}{
		{"nxdomain.test", "NXDOMAIN", ErrNXDomain, "NXDOMAIN"},
		{"servfail.test", "SERVFAIL", ErrServFail, "SERVFAIL"},
		{"refused.test", "REFUSED", ErrDNS, "REFUSED"},
	} {
		d := resolveWith(t, s, tt.name, 5*time.Second)
		if d.Err == nil || d.Err.Kind != tt.kind || !strings.Contains(d.Err.Msg, tt.words) || len(d.Addresses) != 0 {
			t.Errorf("%s: err %+v, addresses %v; want %s naming %s", tt.name, d.Err, d.Addresses, tt.kind, tt.words)
		}
		for _, typ := range []string{"A", "AAAA"} {
			if q := query(t, d, typ); q.Rcode != tt.rcode {
				t.Errorf("%s %s: rcode %q, want %q", tt.name, typ, q.Rcode, tt.rcode)
			}
		}
	}
}

// TestServerResolverIgnoresHosts: a name in /etc/hosts gets the server's
// answer, and the server is asked.
func TestServerResolverIgnoresHosts(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{"localhost.": {A: resA, AAAA: resAAAA}})
	d := resolveWith(t, s, "localhost", 5*time.Second)
	if d.Err != nil || !slices.Equal(d.Addresses, []string{"127.0.0.5", "fd00::5"}) {
		t.Fatalf("localhost: %v, %+v; want the server's 127.0.0.5, fd00::5", d.Addresses, d.Err)
	}
	if s.Queries() != 2 {
		t.Errorf("the server got %d queries, want 2 (A and AAAA)", s.Queries())
	}
	if d.Resolver != s.Addr() {
		t.Errorf("resolver %q, want %q", d.Resolver, s.Addr())
	}
}

// TestServerResolverTimesEachType: A and AAAA are timed separately; the
// slow AAAA does not make the A look slow.
func TestServerResolverTimesEachType(t *testing.T) {
	const slow = 300 * time.Millisecond
	s := testdns.Start(t, testdns.Zone{"slow6.test.": {A: resA, AAAA: resAAAA, DelayAAAA: slow}})
	d := resolveWith(t, s, "slow6.test", 5*time.Second)
	a, aaaa := query(t, d, "A"), query(t, d, "AAAA")
	if a.End.Sub(a.Start) >= slow/2 || aaaa.End.Sub(aaaa.Start) < slow {
		t.Errorf("A took %v, AAAA %v; want A under %v, AAAA %v or more", a.End.Sub(a.Start), aaaa.End.Sub(aaaa.Start), slow/2, slow)
	}
	if d.End.Sub(d.Start) < slow || d.Err != nil || len(d.Addresses) != 2 {
		t.Errorf("whole lookup %v, err %+v, addresses %v", d.End.Sub(d.Start), d.Err, d.Addresses)
	}
}

// TestServerResolverTruncation: a truncated UDP answer is asked again over
// TCP, whose answer is used.
func TestServerResolverTruncation(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{"tc.test.": {A: resA, AAAA: resAAAA, Truncate: true}})
	d := resolveWith(t, s, "tc.test", 5*time.Second)
	if d.Err != nil || len(d.Addresses) != 2 {
		t.Fatalf("tc.test: %v, %+v", d.Addresses, d.Err)
	}
	for _, q := range d.Queries {
		if !q.Truncated || len(q.Addresses) != 1 {
			t.Errorf("%s: truncated %v, addresses %v", q.Type, q.Truncated, q.Addresses)
		}
	}
	if s.UDPQueries() != 2 || s.TCPQueries() != 2 {
		t.Errorf("udp %d, tcp %d queries; want 2 and 2", s.UDPQueries(), s.TCPQueries())
	}
}

// TestServerResolverSilent: a server that never answers is a timeout that
// took the time limit, not an answer in 0 ms.
func TestServerResolverSilent(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{"drop.test.": {A: resA, Drop: true}})
	const limit = 400 * time.Millisecond
	start := time.Now()
	d := resolveWith(t, s, "drop.test", limit)
	if took := time.Since(start); took > limit+time.Second {
		t.Errorf("the lookup took %v, over its %v limit", took, limit)
	}
	if d.Err == nil || d.Err.Kind != ErrDNSTimeout {
		t.Fatalf("drop.test: %+v, want %s", d.Err, ErrDNSTimeout)
	}
	if took := d.End.Sub(d.Start); took < limit*3/4 {
		t.Errorf("recorded DNS time %v, want about the %v waited", took, limit)
	}
	for _, q := range d.Queries {
		if q.Rcode != "" || q.Err == nil || q.Err.Kind != ErrDNSTimeout {
			t.Errorf("%s: rcode %q, err %+v", q.Type, q.Rcode, q.Err)
		}
	}
}

// TestServerResolverCNAMEAndTTL: the CNAME chain is recorded in order, with
// the lowest TTL of its records; a chain to a name the answer does not
// resolve is followed by another query; a loop is an error.
func TestServerResolverCNAMEAndTTL(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{
		"hooks.test.": {CNAME: "lb.test.", TTL: 300},
		"lb.test.":    {CNAME: "edge.test.", TTL: 5},
		"edge.test.":  {A: resA, AAAA: resAAAA, TTL: 120},
		"away.test.":  {CNAME: "gone.test."},
		"loop1.test.": {CNAME: "loop2.test."},
		"loop2.test.": {CNAME: "loop1.test."},
	})
	d := resolveWith(t, s, "hooks.test", 5*time.Second)
	if d.Err != nil || len(d.Addresses) != 2 || !slices.Equal(d.CNAMEs, []string{"lb.test", "edge.test"}) ||
		d.MinTTL == nil || *d.MinTTL != 5 {
		t.Errorf("hooks.test: addresses %v, cnames %v, ttl %v, err %+v", d.Addresses, d.CNAMEs, d.MinTTL, d.Err)
	}
	d = resolveWith(t, s, "away.test", 5*time.Second)
	if d.Err == nil || d.Err.Kind != ErrNXDomain || !slices.Equal(d.CNAMEs, []string{"gone.test"}) {
		t.Errorf("away.test: cnames %v, err %+v; want NXDOMAIN for gone.test", d.CNAMEs, d.Err)
	}
	d = resolveWith(t, s, "loop1.test", 5*time.Second)
	if d.Err == nil || !strings.Contains(d.Err.Msg, "loops") {
		t.Errorf("loop1.test: %+v, want a loop", d.Err)
	}
}

// TestServerResolverGarbage: a server that answers with bytes that are
// not DNS is told from one that does not answer.
func TestServerResolverGarbage(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{"garbage.test.": {Garbage: true}})
	d := resolveWith(t, s, "garbage.test", 500*time.Millisecond)
	if d.Err == nil || d.Err.Kind != ErrDNSGarbage {
		t.Errorf("garbage.test: %+v, want %s", d.Err, ErrDNSGarbage)
	}
}

// TestServerResolverLookupNetIP: as a Resolver, it returns the server's
// addresses of the family asked for.
func TestServerResolverLookupNetIP(t *testing.T) {
	s := testdns.Start(t, testdns.Zone{"hooks.test.": {A: resA, AAAA: resAAAA}})
	r := &ServerResolver{Addr: s.Addr()}
	got, err := r.LookupNetIP(context.Background(), "ip6", "hooks.test")
	if err != nil || !slices.Equal(got, resAAAA) {
		t.Errorf("ip6: %v, %v", got, err)
	}
	if _, err := r.LookupNetIP(context.Background(), "ip", "nope.test"); err == nil || !strings.Contains(err.Error(), "NXDOMAIN") {
		t.Errorf("nope.test: %v, want NXDOMAIN", err)
	}
}
