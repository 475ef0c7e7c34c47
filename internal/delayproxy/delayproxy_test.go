package delayproxy

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// echoServer echoes every connection on 127.0.0.1 until the client
// half-closes, then closes its side.
func echoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func startProxy(t testing.TB, upstream string, delay time.Duration) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", upstream, delay)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestRoundTripIsDelayedBothWays(t *testing.T) {
	const delay = 30 * time.Millisecond
	p := startProxy(t, echoServer(t), delay)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4)
	for i := range 3 {
		start := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		rtt := time.Since(start)
		if rtt < 2*delay || rtt > 2*delay+200*time.Millisecond {
			t.Errorf("round trip %d took %s, want about %s", i, rtt, 2*delay)
		}
	}
}

func TestDataIntactAndHalfClosePropagates(t *testing.T) {
	p := startProxy(t, echoServer(t), 5*time.Millisecond)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]byte, 4<<20)
	rand.Read(want)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(c) // ends when the echo server's close arrives
		got <- b
	}()
	if _, err := c.Write(want); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	select {
	case b := <-got:
		if !bytes.Equal(b, want) {
			t.Errorf("echoed %d bytes, not the %d sent", len(b), len(want))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the half-close did not reach the server, or its close did not come back")
	}
}

func TestPipelinedDataIsNotDelayedPerChunk(t *testing.T) {
	// A delay line: ten writes in a row arrive one delay later, not ten.
	const delay = 50 * time.Millisecond
	p := startProxy(t, echoServer(t), delay)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	for range 10 {
		c.Write([]byte("x"))
		time.Sleep(time.Millisecond)
	}
	if _, err := io.ReadFull(c, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*delay {
		t.Errorf("ten pipelined writes took %s to come back, want about %s", d, 2*delay)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, c := range []struct{ listen, upstream, want string }{
		{"0.0.0.0:0", "127.0.0.1:80", "not a loopback"},
		{"127.0.0.1:0", "192.0.2.1:443", "not a loopback"},
		{"127.0.0.1:0", "example.com:443", "not IP:port"},
		{"[::1]:0", "10.0.0.1:443", "not a loopback"},
		{"127.0.0.1:0", "127.0.0.1", "not IP:port"},
	} {
		p, err := Listen(c.listen, c.upstream, time.Millisecond)
		if err == nil {
			p.Close()
			t.Errorf("Listen(%q, %q) succeeded", c.listen, c.upstream)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Listen(%q, %q): %v, want %q", c.listen, c.upstream, err, c.want)
		}
	}
}

func TestCloseEndsOpenConnections(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echoServer(t), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("hi"))
	io.ReadFull(c, make([]byte, 2))
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return with a connection open")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the client's connection is still open after Close")
	}
}

func TestUpstreamDownClosesClient(t *testing.T) {
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	p := startProxy(t, dead, time.Millisecond)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("read succeeded although the upstream refused the connection")
	}
}
