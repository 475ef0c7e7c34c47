package conntrack

import (
	"net"
	"sync"
	"testing"
)

func TestSet(t *testing.T) {
	var s Set
	a, b := net.Pipe()
	defer b.Close()
	if !s.Add(a) {
		t.Fatal("Add refused before Close")
	}
	c, d := net.Pipe()
	defer d.Close()
	s.Add(c)
	s.Remove(c)
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("Remove did not close the connection")
	}
	s.Close()
	if _, err := a.Write([]byte("x")); err == nil {
		t.Error("Close did not close the connection")
	}
	e, f := net.Pipe()
	defer e.Close()
	defer f.Close()
	if s.Add(e) || !s.Closed() {
		t.Error("Add accepted a connection after Close")
	}
}

func TestGo(t *testing.T) {
	var s Set
	var wg sync.WaitGroup
	a, b := net.Pipe()
	defer b.Close()
	done := make(chan struct{})
	if !s.Go(&wg, a, func(c net.Conn) { <-done }) {
		t.Fatal("Go refused before Close")
	}
	close(done)
	wg.Wait()
	if _, err := a.Write([]byte("x")); err == nil {
		t.Error("the connection was not closed when its handler returned")
	}
	s.Close()
	c, d := net.Pipe()
	defer d.Close()
	if s.Go(&wg, c, func(net.Conn) { t.Error("handler ran after Close") }) {
		t.Error("Go accepted a connection after Close")
	}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Error("a refused connection was left open")
	}
}
