package testdns

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

var (
	hooksA    = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	hooksAAAA = []netip.Addr{netip.IPv6Loopback()}
)

func testZone() Zone {
	return Zone{
		"hooks.test.":      {A: hooksA, AAAA: hooksAAAA},
		"v4only.test.":     {A: hooksA[:1]},
		"servfail.test.":   {Rcode: dnsmessage.RCodeServerFailure},
		"nxdomain.test.":   {Rcode: dnsmessage.RCodeNameError},
		"drop.test.":       {A: hooksA, Drop: true},
		"slow.test.":       {A: hooksA[:1], Delay: 150 * time.Millisecond},
		"truncated.test.":  {A: hooksA, AAAA: hooksAAAA, Truncate: true},
		"Mixed.Case.Test":  {A: hooksA[:1]},
		"very.slow.test.":  {A: hooksA[:1], Delay: time.Minute},
		"many.test.":       {A: manyAddrs(100)},
		"answer-udp.test.": {A: hooksA[:1]},
	}
}

func manyAddrs(n int) []netip.Addr {
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{127, 1, byte(i >> 8), byte(i)})
	}
	return addrs
}

func lookup(t *testing.T, s *Server, network, host string) ([]netip.Addr, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	return s.Resolver().LookupNetIP(ctx, network, host)
}

func sameAddrs(got, want []netip.Addr) bool {
	got = slices.Clone(got)
	want = slices.Clone(want)
	slices.SortFunc(got, netip.Addr.Compare)
	slices.SortFunc(want, netip.Addr.Compare)
	return slices.Equal(got, want)
}

func TestLookup(t *testing.T) {
	s := Start(t, testZone())
	tests := []struct {
		network, host string
		want          []netip.Addr
	}{
		{"ip", "hooks.test", append(slices.Clone(hooksA), hooksAAAA...)},
		{"ip4", "hooks.test", hooksA},
		{"ip6", "hooks.test", hooksAAAA},
		{"ip", "v4only.test", hooksA[:1]},                                 // AAAA is NODATA
		{"ip", "HOOKS.Test.", append(slices.Clone(hooksA), hooksAAAA...)}, // case-insensitive
		{"ip4", "mixed.case.test", hooksA[:1]},                            // zone key normalized
	}
	for _, tt := range tests {
		got, err := lookup(t, s, tt.network, tt.host)
		if err != nil {
			t.Errorf("LookupNetIP(%q, %q): %v", tt.network, tt.host, err)
			continue
		}
		if !sameAddrs(got, tt.want) {
			t.Errorf("LookupNetIP(%q, %q) = %v, want %v", tt.network, tt.host, got, tt.want)
		}
	}
	if s.Queries() < len(tests) {
		t.Errorf("Queries() = %d, want at least %d", s.Queries(), len(tests))
	}
}

func TestLookupErrors(t *testing.T) {
	s := Start(t, testZone())
	tests := []struct {
		network, host string
		notFound      bool
	}{
		{"ip", "missing.test", true},
		{"ip4", "nxdomain.test", true},
		{"ip6", "v4only.test", true}, // NODATA
		{"ip4", "servfail.test", false},
	}
	for _, tt := range tests {
		got, err := lookup(t, s, tt.network, tt.host)
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) {
			t.Errorf("LookupNetIP(%q, %q) = %v, %v; want a *net.DNSError", tt.network, tt.host, got, err)
			continue
		}
		if dnsErr.IsNotFound != tt.notFound || dnsErr.IsTimeout {
			t.Errorf("LookupNetIP(%q, %q): %v: IsNotFound = %v, IsTimeout = %v; want IsNotFound = %v, IsTimeout = false",
				tt.network, tt.host, err, dnsErr.IsNotFound, dnsErr.IsTimeout, tt.notFound)
		}
	}
}

func TestDropTimesOut(t *testing.T) {
	s := Start(t, testZone())
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Resolver().LookupNetIP(ctx, "ip4", "drop.test.")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsTimeout {
		t.Fatalf("LookupNetIP of a dropped name: %v; want a *net.DNSError with IsTimeout", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("timing out took %v, want about 200ms", elapsed)
	}
	if s.Queries() == 0 {
		t.Error("Queries() = 0 after a dropped query, want it counted")
	}
}

func TestDelay(t *testing.T) {
	s := Start(t, testZone())
	start := time.Now()
	if _, err := lookup(t, s, "ip4", "slow.test."); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 150*time.Millisecond {
		t.Errorf("lookup of a delayed name took %v, want at least 150ms", elapsed)
	}
}

func TestTruncateFallsBackToTCP(t *testing.T) {
	s := Start(t, testZone())
	got, err := lookup(t, s, "ip", "truncated.test.")
	if err != nil {
		t.Fatal(err)
	}
	if want := append(slices.Clone(hooksA), hooksAAAA...); !sameAddrs(got, want) {
		t.Errorf("LookupNetIP = %v, want %v", got, want)
	}
	if s.UDPQueries() < 2 || s.TCPQueries() < 2 {
		t.Errorf("UDPQueries() = %d, TCPQueries() = %d; want both at least 2 (A and AAAA each over UDP, then TCP)",
			s.UDPQueries(), s.TCPQueries())
	}
}

func TestOversizedAnswerFallsBackToTCP(t *testing.T) {
	s := Start(t, testZone())
	got, err := lookup(t, s, "ip4", "many.test.")
	if err != nil {
		t.Fatal(err)
	}
	if !sameAddrs(got, manyAddrs(100)) {
		t.Errorf("got %d addresses, want the 100 in the zone", len(got))
	}
	if s.TCPQueries() == 0 {
		t.Error("TCPQueries() = 0, want the oversized answer truncated over UDP and asked again over TCP")
	}
}

func TestQueriesCounts(t *testing.T) {
	s := Start(t, testZone())
	if n := s.Queries(); n != 0 {
		t.Fatalf("Queries() = %d before any lookup", n)
	}
	// A rooted name skips resolv.conf's search list: exactly one query.
	if _, err := lookup(t, s, "ip4", "answer-udp.test."); err != nil {
		t.Fatal(err)
	}
	if q, u, tc := s.Queries(), s.UDPQueries(), s.TCPQueries(); q != 1 || u != 1 || tc != 0 {
		t.Errorf("after one A lookup: Queries() = %d, UDPQueries() = %d, TCPQueries() = %d; want 1, 1, 0", q, u, tc)
	}
}

// TestWire checks what the resolver cannot see: flags and sections.
func TestWire(t *testing.T) {
	s := Start(t, testZone())
	tests := []struct {
		network, name string
		qtype         dnsmessage.Type
		rcode         dnsmessage.RCode
		truncated     bool
		answers       int
	}{
		{"udp", "hooks.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, false, 3},
		{"tcp", "hooks.test.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, false, 1},
		{"udp", "hooks.test.", dnsmessage.TypeMX, dnsmessage.RCodeSuccess, false, 0},
		{"udp", "missing.test.", dnsmessage.TypeA, dnsmessage.RCodeNameError, false, 0},
		{"tcp", "servfail.test.", dnsmessage.TypeA, dnsmessage.RCodeServerFailure, false, 0},
		{"udp", "truncated.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, true, 0},
		{"tcp", "truncated.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, false, 3},
		{"udp", "many.test.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, true, 0},
	}
	for i, tt := range tests {
		id := uint16(1000 + i)
		h, answers := exchange(t, tt.network, s.Addr(), query(t, id, tt.name, tt.qtype))
		if h.ID != id || !h.Response || !h.Authoritative || h.RCode != tt.rcode || h.Truncated != tt.truncated || answers != tt.answers {
			t.Errorf("%s %s %v: ID %d, QR %v, AA %v, %v, TC %v, %d answers; want ID %d, QR, AA, %v, TC %v, %d answers",
				tt.network, tt.name, tt.qtype, h.ID, h.Response, h.Authoritative, h.RCode, h.Truncated, answers,
				id, tt.rcode, tt.truncated, tt.answers)
		}
	}
}

func TestMalformedQueriesIgnored(t *testing.T) {
	s := Start(t, testZone())
	valid := query(t, 7, "hooks.test.", dnsmessage.TypeA)
	response := slices.Clone(valid)
	response[2] |= 0x80 // QR: a response, not a query
	garbage := [][]byte{
		nil,
		{0},
		[]byte("not a dns message"),
		valid[:len(valid)-3], // cut short in the question
		response,
	}

	udp, err := net.Dial("udp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for _, g := range garbage {
		if _, err := udp.Write(g); err != nil {
			t.Fatal(err)
		}
	}
	tcp, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	for _, g := range garbage {
		if _, err := tcp.Write(binary.BigEndian.AppendUint16(nil, uint16(len(g)))); err != nil {
			t.Fatal(err)
		}
		if _, err := tcp.Write(g); err != nil {
			t.Fatal(err)
		}
	}
	// The same TCP connection still answers a valid query after the garbage.
	h, answers := roundTripTCP(t, tcp, valid)
	if h.ID != 7 || answers != 3 {
		t.Errorf("valid query after garbage over TCP: ID %d, %d answers; want ID 7, 3 answers", h.ID, answers)
	}
	// UDP is answered too, and only to the valid query.
	udp.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := udp.Write(valid); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, err := udp.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	if h, answers := parse(t, buf[:n]); h.ID != 7 || answers != 3 {
		t.Errorf("valid query after garbage over UDP: ID %d, %d answers; want ID 7, 3 answers", h.ID, answers)
	}
	if n := s.Queries(); n != 2 {
		t.Errorf("Queries() = %d, want 2: malformed messages are not counted", n)
	}
}

// TestCleanupReleasesEverything starts a server in a subtest, leaves a
// delayed UDP answer pending and a TCP connection waiting on a dropped query,
// and checks that the subtest's cleanup returns promptly and closes the port.
func TestCleanupReleasesEverything(t *testing.T) {
	var addr string
	start := time.Now()
	t.Run("server", func(t *testing.T) {
		// Registered before Start, so it runs after the server's cleanup
		// (cleanups run last-in first-out): the server must end the TCP
		// connection itself.
		var tcp net.Conn
		t.Cleanup(func() {
			if tcp != nil {
				tcp.Close()
			}
		})
		s := Start(t, testZone())
		addr = s.Addr()
		udp, err := net.Dial("udp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer udp.Close()
		if _, err := udp.Write(query(t, 1, "very.slow.test.", dnsmessage.TypeA)); err != nil {
			t.Fatal(err)
		}
		tcp, err = net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		q := query(t, 2, "drop.test.", dnsmessage.TypeA)
		if _, err := tcp.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(q))), q...)); err != nil {
			t.Fatal(err)
		}
		for s.Queries() < 2 {
			if time.Since(start) > 2*time.Second {
				t.Fatalf("Queries() = %d, want 2", s.Queries())
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("server with pending queries took %v to close", elapsed)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts TCP connections after cleanup", addr)
	}
}

func TestStartRejectsWrongFamily(t *testing.T) {
	for _, zone := range []Zone{
		{"a.test.": {A: []netip.Addr{netip.IPv6Loopback()}}},
		{"a.test.": {AAAA: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}},
		{"a.test.": {}, "A.test": {}},
	} {
		if _, err := copyZone(zone); err == nil {
			t.Errorf("copyZone(%v) succeeded, want an error", zone)
		}
	}
}

func query(t *testing.T, id uint16, name string, qtype dnsmessage.Type) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET})
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// exchange sends msg over a new connection and returns the response's header
// and number of answers.
func exchange(t *testing.T, network, addr string, msg []byte) (dnsmessage.Header, int) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if network == "tcp" {
		return roundTripTCP(t, c, msg)
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, buf[:n])
}

func roundTripTCP(t *testing.T, c net.Conn, msg []byte) (dnsmessage.Header, int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...)); err != nil {
		t.Fatal(err)
	}
	var prefix [2]byte
	if _, err := io.ReadFull(c, prefix[:]); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, binary.BigEndian.Uint16(prefix[:]))
	if _, err := io.ReadFull(c, resp); err != nil {
		t.Fatal(err)
	}
	return parse(t, resp)
}

func parse(t *testing.T, msg []byte) (dnsmessage.Header, int) {
	t.Helper()
	var m dnsmessage.Message
	if err := m.Unpack(msg); err != nil {
		t.Fatalf("unpack response: %v", err)
	}
	return m.Header, len(m.Answers)
}
