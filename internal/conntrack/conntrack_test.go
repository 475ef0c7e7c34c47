package conntrack

import (
	"net"
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
