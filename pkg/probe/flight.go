package probe

import (
	"net"
	"sync"

	"github.com/wacheck/wacheck/pkg/tlshello"
)

// firstReplyCap bounds the start of the server's reply kept to tell a
// HelloRetryRequest: a ServerHello or HelloRetryRequest is a few hundred
// bytes (more only with a large cookie, which is then not told).
const firstReplyCap = 4096

// flightConn wraps the strict handshake's connection to measure the
// server's first flight and to see whether it began with a
// HelloRetryRequest. Go's TLS client exposes neither.
//
// The method: every Write the client makes is looked at record by record
// (headers only). A write holding a ClientHello (record type 22, handshake
// type 1) starts a flight: the count of bytes read is set to zero. A write
// of change_cipher_spec records alone (TLS 1.3's compatibility record,
// which Go writes by itself before a second ClientHello) changes nothing.
// The first other write is the client's second flight
// (ClientKeyExchange ... Finished in TLS 1.2; in TLS 1.3 the encrypted
// Finished, after an optional change_cipher_spec): the count stops there.
// The bytes counted are then exactly what the server sent between the
// client's last ClientHello and its second flight: ServerHello through
// ServerHelloDone in TLS 1.2, ServerHello through Finished in TLS 1.3
// (record headers included, as on the wire). After a HelloRetryRequest the
// second ClientHello restarts the count, so the flight measured is the one
// that carries the certificates. The first bytes the server sent are kept
// (at most firstReplyCap) and read by tlshello.HelloRetryGroup afterwards.
type flightConn struct {
	net.Conn
	mu       sync.Mutex
	total    int    // every byte read
	flight   int    // bytes read since the last ClientHello was written
	hellos   int    // ClientHello writes seen
	done     bool   // the client's second flight was written
	first    []byte // the start of the server's reply
	complete bool   // the flight count ended with the client's second flight
}

func (c *flightConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.total += n
	if !c.done {
		c.flight += n
	}
	if room := firstReplyCap - len(c.first); room > 0 && c.hellos == 1 {
		c.first = append(c.first, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *flightConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !c.done {
		switch hello, ccsOnly := clientWrite(p); {
		case hello:
			c.hellos++
			c.flight = 0
		case ccsOnly:
			// TLS 1.3's middlebox-compatibility change_cipher_spec, which
			// Go's client writes alone before a second ClientHello.
		case c.hellos > 0:
			c.done, c.complete = true, true
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// clientWrite reads the record headers of a client's write (whole
// records): hello when one is a ClientHello, ccsOnly when every one is a
// change_cipher_spec.
func clientWrite(p []byte) (hello, ccsOnly bool) {
	ccsOnly = len(p) > 0
	for len(p) >= 5 {
		n := int(p[3])<<8 | int(p[4])
		if p[0] == 22 && len(p) > 5 && p[5] == 1 {
			return true, false
		}
		if p[0] != 20 {
			ccsOnly = false
		}
		if 5+n > len(p) {
			break
		}
		p = p[5+n:]
	}
	return false, ccsOnly && len(p) == 0
}

func (c *flightConn) read() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// record stores what the connection saw in hs: the flight's size when the
// client got as far as its second flight, and the HelloRetryRequest.
func (c *flightConn) record(hs *Handshake) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.complete {
		hs.FlightBytes = c.flight
	}
	if c.hellos == 0 || len(c.first) == 0 {
		return
	}
	if g, retry, err := tlshello.HelloRetryGroup(c.first); err == nil {
		hs.HelloRetry = retry
		hs.HelloRetryGroup = g
		hs.HelloRetryKnown = true
	}
}
