// Package delayproxy is a TCP proxy between two loopback addresses that
// delays every byte by a fixed time in each direction, so that a probe of a
// local server can be timed as if the server were a network round trip away
// (scripts/bench.sh puts 25 ms each way in front of nginx).
//
// It is a delay line, not a rate limit: data read at time t is written at
// t+Delay, in order, however much of it there is, as on a long, fat link.
// The TCP handshake itself is not delayed, since the kernel completes it
// before the proxy sees the connection; a client's connect therefore costs
// no round trip, and everything after it costs 2×Delay per round trip.
//
// It listens and connects on loopback addresses only (127.0.0.0/8 and ::1),
// given as IP literals.
package delayproxy

import (
	"github.com/wacheck/wacheck/internal/conntrack"

	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Proxy forwards connections from its listener to Upstream.
type Proxy struct {
	// Upstream is the "IP:port" every connection is forwarded to.
	Upstream string
	// Delay is added to every byte, in each direction.
	Delay time.Duration

	ln net.Listener
	wg sync.WaitGroup

	conns conntrack.Set
}

// Listen starts a proxy on addr ("127.0.0.1:0" picks a free port) that
// forwards to upstream with delay each way. Both must be loopback IP
// addresses with a port. Connections are served until Close.
func Listen(addr, upstream string, delay time.Duration) (*Proxy, error) {
	if err := requireLoopback(addr); err != nil {
		return nil, fmt.Errorf("delayproxy: listen address: %w", err)
	}
	if err := requireLoopback(upstream); err != nil {
		return nil, fmt.Errorf("delayproxy: upstream: %w", err)
	}
	if delay < 0 {
		return nil, fmt.Errorf("delayproxy: negative delay %s", delay)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("delayproxy: %w", err)
	}
	p := &Proxy{Upstream: upstream, Delay: delay, ln: ln}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// requireLoopback accepts "IP:port" where IP is a loopback address.
func requireLoopback(hostport string) error {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return fmt.Errorf("%q is not IP:port: %w", hostport, err)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", ap.Addr())
	}
	return nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() net.Addr { return p.ln.Addr() }

// Close stops accepting, closes every open connection and waits for the
// proxy's goroutines to finish.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.conns.Close()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.conns.Go(&p.wg, client, p.serve) {
			return
		}
	}
}

// serve forwards one connection in both directions until both have ended.
func (p *Proxy) serve(client net.Conn) {
	upstream, err := net.DialTimeout("tcp", p.Upstream, 10*time.Second)
	if err != nil {
		return // the client sees its connection closed, as from a dead backend
	}
	if !p.conns.Add(upstream) {
		upstream.Close()
		return
	}
	defer p.conns.Remove(upstream)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(upstream, client) }()
	go func() { defer wg.Done(); p.pipe(client, upstream) }()
	wg.Wait()
}

// chunk is data read from one side, due to be written to the other.
type chunk struct {
	data []byte
	due  time.Time
	err  error // set on the last chunk: io.EOF for a clean end
}

// pipe copies src to dst, each chunk Delay after it was read. A clean end
// of src becomes a half-close of dst, Delay later; an error closes both.
func (p *Proxy) pipe(dst, src net.Conn) {
	// The reader stops when src ends or is closed; the buffer bounds what
	// is in flight, and a full buffer holds the reader back.
	line := make(chan chunk, 256)
	go func() {
		defer close(line)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			now := time.Now()
			if n > 0 {
				line <- chunk{data: buf[:n], due: now.Add(p.Delay)}
			}
			if err != nil {
				line <- chunk{due: now.Add(p.Delay), err: err}
				return
			}
		}
	}()
	for c := range line {
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if c.err != nil {
			if errors.Is(c.err, io.EOF) {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
					continue // drain until the reader has returned
				}
			}
			dst.Close()
			src.Close()
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			dst.Close()
			src.Close() // unblocks the reader
		}
	}
}
