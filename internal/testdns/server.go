// Package testdns runs a small authoritative DNS server on 127.0.0.1 for
// wacheck's tests, so that name resolution can be tested without the
// network or the host's resolver.
//
// The server answers A and AAAA queries from a Zone, over UDP and TCP on the
// same port. Each name can be made to fail (SERVFAIL, NXDOMAIN, REFUSED), to
// answer late (AAAA later than A, if asked), never to answer, or to answer
// UDP queries truncated so that clients retry over TCP. A name can be an
// alias (CNAME) of another, and its records can carry their own TTL. Names
// not in the zone answer NXDOMAIN; names in the zone with no records of the
// queried type answer NOERROR with no answers.
//
// The server listens on 127.0.0.1 only, bounds each TCP connection with a
// deadline, ignores malformed queries, and is shut down by tb.Cleanup, which
// waits for all of its goroutines.
package testdns

import (
	"github.com/wacheck/wacheck/internal/conntrack"

	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// connTimeout bounds each read and each write on a TCP connection, so a
// client that never finishes cannot keep a server goroutine alive for long.
const connTimeout = 10 * time.Second

// listenAttempts is how many ephemeral UDP ports Start tries before giving
// up on finding one whose TCP port is free too.
const listenAttempts = 20

// Zone maps a name to its records. Keys are fully-qualified, like
// "hooks.test."; Start lower-cases them and adds a missing final dot.
type Zone map[string]Record

// Record is what the server answers for one name.
type Record struct {
	A    []netip.Addr // answered for A queries; each must be IPv4
	AAAA []netip.Addr // answered for AAAA queries; each must be IPv6

	// Rcode, when not RCodeSuccess, is answered instead of any records:
	// RCodeServerFailure for SERVFAIL, RCodeNameError for NXDOMAIN.
	Rcode dnsmessage.RCode
	// Delay is how long the server waits before answering.
	Delay time.Duration
	// DelayAAAA is added to Delay for AAAA queries only.
	DelayAAAA time.Duration
	// Drop makes the server never answer, so that clients time out.
	Drop bool
	// Truncate makes UDP answers carry no records and the TC bit, so that
	// clients retry over TCP, where the answer is complete.
	Truncate bool
	// Garbage makes the server answer with bytes that are not a DNS
	// message (too short for a header), over UDP and, length-prefixed,
	// over TCP: a middlebox or a broken server on the DNS port.
	Garbage bool
	// CNAME, when set, makes the name an alias of this one: the answer
	// holds the CNAME record, then follows the chain through the zone (at
	// most maxChase names, stopping at a loop or a name outside the zone)
	// and ends with the last name's records of the queried type. A, AAAA
	// and Rcode are then ignored for this name.
	CNAME string
	// TTL is the records' time to live in seconds; 0 means 60.
	TTL uint32
}

// Server is a running DNS server. Its methods are safe for concurrent use.
type Server struct {
	tb   testing.TB
	addr string
	zone Zone
	udp  *net.UDPConn
	tcp  *net.TCPListener

	udpQueries atomic.Int64
	tcpQueries atomic.Int64

	stop chan struct{} // closed at cleanup to release delayed answers
	wg   sync.WaitGroup

	conns conntrack.Set

	mu       sync.Mutex
	serveErr []error // unexpected errors that stopped a serving loop
}

// Start starts a server for zone on 127.0.0.1, UDP and TCP on the same port.
// The zone is copied, so changing it afterwards has no effect. The server is
// closed by tb.Cleanup.
func Start(tb testing.TB, zone Zone) *Server {
	tb.Helper()
	z, err := copyZone(zone)
	if err != nil {
		tb.Fatalf("testdns: %v", err)
	}
	udp, tcp, err := listen()
	if err != nil {
		tb.Fatalf("testdns: listen on loopback: %v", err)
	}
	s := &Server{
		tb:   tb,
		addr: tcp.Addr().String(),
		zone: z,
		udp:  udp,
		tcp:  tcp,
		stop: make(chan struct{}),
	}
	s.wg.Add(2)
	go s.serveUDP()
	go s.serveTCP()
	tb.Cleanup(s.close)
	return s
}

// Addr returns the server's address, "127.0.0.1:PORT", for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Queries returns how many well-formed queries the server has received,
// over UDP and TCP, including those it dropped. Malformed messages are not
// counted.
func (s *Server) Queries() int { return s.UDPQueries() + s.TCPQueries() }

// UDPQueries returns how many well-formed queries arrived over UDP.
func (s *Server) UDPQueries() int { return int(s.udpQueries.Load()) }

// TCPQueries returns how many well-formed queries arrived over TCP.
func (s *Server) TCPQueries() int { return int(s.tcpQueries.Load()) }

// Resolver returns a pure-Go resolver that sends every query to this server,
// whatever servers /etc/resolv.conf lists. The rest of resolv.conf (search
// list, ndots, attempts, timeout) still applies, as does /etc/hosts.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, s.addr)
		},
	}
}

// copyZone returns zone with normalized keys and copied records, checking
// that each address is of the family its field says.
func copyZone(zone Zone) (Zone, error) {
	z := make(Zone, len(zone))
	for name, rec := range zone {
		key := strings.ToLower(name)
		if !strings.HasSuffix(key, ".") {
			key += "."
		}
		if _, dup := z[key]; dup {
			return nil, fmt.Errorf("zone names %q twice", key)
		}
		for _, a := range rec.A {
			if !a.Is4() {
				return nil, fmt.Errorf("zone name %q: A record %v is not an IPv4 address", name, a)
			}
		}
		for _, a := range rec.AAAA {
			if !a.Is6() {
				return nil, fmt.Errorf("zone name %q: AAAA record %v is not an IPv6 address", name, a)
			}
		}
		if rec.CNAME != "" {
			rec.CNAME = strings.ToLower(rec.CNAME)
			if !strings.HasSuffix(rec.CNAME, ".") {
				rec.CNAME += "."
			}
		}
		rec.A = slices.Clone(rec.A)
		rec.AAAA = slices.Clone(rec.AAAA)
		z[key] = rec
	}
	return z, nil
}

// listen opens a UDP socket on an ephemeral loopback port and a TCP listener
// on the same port, trying other ports while that TCP port is taken.
func listen() (*net.UDPConn, *net.TCPListener, error) {
	loopback := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	var lastErr error
	for range listenAttempts {
		udp, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
		if err != nil {
			return nil, nil, err
		}
		port := udp.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		tcp, err := net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(loopback, port)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("no port free for both udp and tcp in %d attempts: %w", listenAttempts, lastErr)
}

// serveUDP reads queries until the socket is closed, answering each in its
// own goroutine so that a delayed answer does not hold up the others.
func (s *Server) serveUDP() {
	defer s.wg.Done()
	buf := make([]byte, 65535)
	for {
		// No deadline: closing the socket at cleanup ends the read.
		n, from, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			s.stopped("udp", err)
			return
		}
		query := slices.Clone(buf[:n])
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if resp, ok := s.respond(query, true); ok {
				s.udp.WriteToUDPAddrPort(resp, from)
			}
		}()
	}
}

// serveTCP accepts connections until the listener is closed.
func (s *Server) serveTCP() {
	defer s.wg.Done()
	for {
		// No deadline: closing the listener at cleanup ends the accept.
		c, err := s.tcp.Accept()
		if err != nil {
			s.stopped("tcp", err)
			return
		}
		if !s.conns.Go(&s.wg, c, s.serveConn) {
			return
		}
	}
}

// serveConn answers length-prefixed queries on c, one after another, until
// the client closes it, a read or write fails or times out, or cleanup
// closes it. A dropped query gets no answer; the connection stays open.
func (s *Server) serveConn(c net.Conn) {
	var prefix [2]byte
	for {
		c.SetReadDeadline(time.Now().Add(connTimeout))
		if _, err := io.ReadFull(c, prefix[:]); err != nil {
			return
		}
		query := make([]byte, binary.BigEndian.Uint16(prefix[:]))
		if _, err := io.ReadFull(c, query); err != nil {
			return
		}
		resp, ok := s.respond(query, false)
		if !ok {
			continue
		}
		out := make([]byte, 0, 2+len(resp))
		out = binary.BigEndian.AppendUint16(out, uint16(len(resp)))
		out = append(out, resp...)
		c.SetWriteDeadline(time.Now().Add(connTimeout))
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// stopped records err as the reason a serving loop ended, unless the loop
// ended because cleanup closed its socket.
func (s *Server) stopped(network string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns.Closed() && errors.Is(err, net.ErrClosed) {
		return
	}
	s.serveErr = append(s.serveErr, fmt.Errorf("serve %s: %w", network, err))
}

// close releases delayed answers, closes the sockets and every open
// connection, and waits for all goroutines. A serving loop that stopped
// early for another reason fails the test, since queries after it went
// unanswered.
func (s *Server) close() {
	s.conns.Close()
	close(s.stop)
	s.udp.Close()
	s.tcp.Close()
	s.wg.Wait()
	for _, err := range s.serveErr {
		s.tb.Errorf("testdns: %v", err)
	}
}

// wait sleeps for d, returning false if cleanup began first.
func (s *Server) wait(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}
