// Package conntrack keeps the open connections of a test server or proxy,
// so that closing it closes them all and nothing outlives the test, and
// counts connections (Gauge) to check how many a client holds at once.
package conntrack

import (
	"context"
	"net"
	"sync"
)

// Set is a set of open connections. The zero value is ready to use.
type Set struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Add records c. It returns false once Close has been called; the caller
// then closes c itself.
func (s *Set) Add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

// Go records c and runs handle(c) in a goroutine counted in wg; when handle
// returns, c is removed and closed. After Close it closes c and returns
// false, so an accept loop can stop:
//
//	for {
//		c, err := ln.Accept()
//		if err != nil || !set.Go(&wg, c, handle) {
//			return
//		}
//	}
func (s *Set) Go(wg *sync.WaitGroup, c net.Conn, handle func(net.Conn)) bool {
	if !s.Add(c) {
		c.Close()
		return false
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer s.Remove(c)
		handle(c)
	}()
	return true
}

// Remove forgets c and closes it.
func (s *Set) Remove(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
}

// Close closes every connection in the set and refuses new ones.
func (s *Set) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
}

// Closed reports whether Close has been called.
func (s *Set) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Gauge counts connections: how many are open now, the most that were
// open at once, and how many were opened in all. The zero value is ready
// to use; it is safe for concurrent use.
type Gauge struct {
	mu                sync.Mutex
	open, peak, total int
}

// opened records a connection opened.
func (g *Gauge) opened() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open++
	g.total++
	g.peak = max(g.peak, g.open)
}

// closed records a connection closed.
func (g *Gauge) closed() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open--
}

// Peak is the most connections that were open at once.
func (g *Gauge) Peak() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

// Total is how many connections were opened in all.
func (g *Gauge) Total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.total
}

// Open is how many connections are open now.
func (g *Gauge) Open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

// Dial wraps d, shaped as (*net.Dialer).DialContext, so that g counts
// every connection it opens, from the dial until the connection is closed:
// the client's own view, exact.
func (g *Gauge) Dial(d func(ctx context.Context, network, address string) (net.Conn, error)) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		c, err := d(ctx, network, address)
		if err != nil {
			return nil, err
		}
		g.opened()
		return &countedConn{Conn: c, done: sync.OnceFunc(g.closed)}, nil
	}
}

// Listener wraps ln so that g counts every connection it accepts until the
// server closes it: the server's view, which may hold a connection the
// client has closed a moment longer.
func (g *Gauge) Listener(ln net.Listener) net.Listener {
	return &countingListener{Listener: ln, g: g}
}

type countingListener struct {
	net.Listener
	g *Gauge
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.g.opened()
	return &countedConn{Conn: c, done: sync.OnceFunc(l.g.closed)}, nil
}

type countedConn struct {
	net.Conn
	done func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.done()
	return err
}
