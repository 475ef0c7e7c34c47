// Package conntrack keeps the open connections of a test server or proxy,
// so that closing it closes them all and nothing outlives the test.
package conntrack

import (
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
