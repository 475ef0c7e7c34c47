package probe

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"golang.org/x/net/dns/dnsmessage"
)

// Go's resolver ignores a UDP reply that is not a DNS answer to its query
// (it could be a forgery, golang.org/issue/13281) and waits for a real one
// until it times out: a DNS server that answers with garbage looks like one
// that does not answer. dnsWatch counts those replies on the resolver's UDP
// sockets, so that the evidence tells the two apart.
type dnsWatch struct {
	garbage atomic.Int64 // replies that are not DNS answers
	bytes   atomic.Int64 // their bytes
}

// watched returns r with its UDP replies watched, when r is a
// *net.Resolver that uses Go's own resolver (a Dial is set; with the C
// library's resolver nothing can be seen). Other resolvers are returned as
// they are.
func watched(r Resolver) (Resolver, *dnsWatch) {
	w := &dnsWatch{}
	nr, ok := r.(*net.Resolver)
	if !ok || nr == nil {
		return r, w
	}
	dial := nr.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	return &net.Resolver{
		PreferGo:     nr.PreferGo,
		StrictErrors: nr.StrictErrors,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			c, err := dial(ctx, network, address)
			if u, ok := c.(*net.UDPConn); ok && err == nil {
				wu := &watchedUDP{UDPConn: u, w: w}
				wu.id.Store(-1)
				return wu, nil
			}
			return c, err
		},
	}, w
}

// watchedUDP is a resolver's UDP socket whose replies are looked at. The
// socket is connected to one server and carries one query (Go's resolver
// dials one per query), whose ID is remembered.
type watchedUDP struct {
	*net.UDPConn
	w  *dnsWatch
	id atomic.Int32 // the query's ID, -1 before it is written
}

func (c *watchedUDP) Write(b []byte) (int, error) {
	if len(b) >= 2 {
		c.id.Store(int32(b[0])<<8 | int32(b[1]))
	}
	return c.UDPConn.Write(b)
}

func (c *watchedUDP) Read(b []byte) (int, error) {
	n, err := c.UDPConn.Read(b)
	if n > 0 && !isDNSReply(b[:n], c.id.Load()) {
		c.w.garbage.Add(1)
		c.w.bytes.Add(int64(n))
	}
	return n, err
}

// isDNSReply reports whether b is a DNS response to the query with ID id,
// with a question, as Go's resolver needs before it looks further.
func isDNSReply(b []byte, id int32) bool {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil || !h.Response || int32(h.ID) != id {
		return false
	}
	_, err = p.Question()
	return err == nil
}

// garbageDNS turns a lookup error into ErrDNSGarbage when the server sent
// replies that are not DNS answers (over UDP, seen by w; over TCP, Go says
// so itself), rather than not answering.
func garbageDNS(ne *NetError, err error, w *dnsWatch) *NetError {
	msg := err.Error()
	overTCP := strings.Contains(msg, "cannot unmarshal DNS message") || strings.Contains(msg, "invalid DNS response")
	switch {
	case w.garbage.Load() > 0 && (ne.Kind == ErrDNSTimeout || ne.Kind == ErrDNS || ne.Kind == ErrServFail):
		return &NetError{Kind: ErrDNSGarbage, Msg: fmt.Sprintf("the DNS server answered with %d bytes in %d "+
			"replies that are not DNS answers to the query (%s)", w.bytes.Load(), w.garbage.Load(), msg)}
	case overTCP:
		return &NetError{Kind: ErrDNSGarbage, Msg: "the DNS server answered with bytes that are not a DNS answer " +
			"to the query (" + msg + ")"}
	}
	return ne
}
