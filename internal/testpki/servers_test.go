package testpki_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// dialTLS handshakes with addr as a client trusting roots (or trusting
// anything when roots is nil), with a short deadline so no test can hang.
func dialTLS(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true}
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 2 * time.Second}, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	return conn.(*tls.Conn), nil
}

func clientConfig(c *testpki.Chain) *tls.Config {
	return &tls.Config{RootCAs: c.Pool(), ServerName: "localhost", Time: func() time.Time { return now }}
}

func TestStartTLSServesChainAsGiven(t *testing.T) {
	c := testpki.NewChain(t, now)
	unrelated := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "unrelated"})
	tests := []struct {
		name   string
		chain  [][]byte
		verify bool
	}{
		{"full chain", [][]byte{c.Intermediate.DER}, true},
		{"missing intermediate", nil, false},
		{"wrong order", [][]byte{c.Root.DER, c.Intermediate.DER}, true},
		{"extra root", [][]byte{c.Intermediate.DER, c.Root.DER}, true},
		{"unrelated extra", [][]byte{c.Intermediate.DER, unrelated.DER}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(tt.chain...)}})
			if !strings.HasPrefix(addr, "127.0.0.1:") {
				t.Errorf("address %q is not on 127.0.0.1", addr)
			}

			conn, err := dialTLS(t, addr, nil)
			if err != nil {
				t.Fatalf("handshake: %v", err)
			}
			var got [][]byte
			for _, cert := range conn.ConnectionState().PeerCertificates {
				got = append(got, cert.Raw)
			}
			if want := append([][]byte{c.Leaf.DER}, tt.chain...); !slices.EqualFunc(got, want, bytes.Equal) {
				t.Errorf("served %d certificates, not the %d given in order", len(got), len(want))
			}

			_, err = dialTLS(t, addr, clientConfig(c))
			if (err == nil) != tt.verify {
				t.Errorf("verifying handshake: %v, want success %v", err, tt.verify)
			}
		})
	}
}

func TestStartTLSAnswersOK(t *testing.T) {
	c := testpki.NewChain(t, now)
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	conn, err := dialTLS(t, addr, clientConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "" {
		t.Errorf("NextProtos nil, yet ALPN chose %q", p)
	}
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("got %d %q, want 200 \"ok\"", resp.StatusCode, body)
	}
}

func TestStartTLSStaple(t *testing.T) {
	c := testpki.NewChain(t, now)
	cert := c.TLSCertificate(c.Intermediate.DER)
	cert.OCSPStaple = c.OCSPResponse(t, testpki.OCSPOptions{Now: now})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}})

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := clientConfig(c)
		cfg.MaxVersion = version
		conn, err := dialTLS(t, addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := conn.ConnectionState().OCSPResponse; !bytes.Equal(got, cert.OCSPStaple) {
			t.Errorf("%s: stapled %d bytes, want the %d-byte response", tls.VersionName(version), len(got), len(cert.OCSPStaple))
		}
	}
}

func TestStartTLSALPNAndHTTP2(t *testing.T) {
	c := testpki.NewChain(t, now)
	addr := testpki.StartTLS(t, &tls.Config{
		Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos:   []string{"h2", "http/1.1"},
	})

	for _, offer := range []string{"h2", "http/1.1"} {
		cfg := clientConfig(c)
		cfg.NextProtos = []string{offer}
		conn, err := dialTLS(t, addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := conn.ConnectionState().NegotiatedProtocol; got != offer {
			t.Errorf("offered %q, negotiated %q", offer, got)
		}
	}

	tr := &http.Transport{TLSClientConfig: clientConfig(c), ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 2 * time.Second}).Get("https://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 || string(body) != "ok" {
		t.Errorf("got %s %q, want HTTP/2 \"ok\"", resp.Proto, body)
	}
}

func TestStartTLSClientCertRequest(t *testing.T) {
	c := testpki.NewChain(t, now)
	addr := testpki.StartTLS(t, &tls.Config{
		Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		ClientAuth:   tls.RequestClientCert,
		ClientCAs:    c.Pool(),
	})
	var requested *tls.CertificateRequestInfo
	cfg := clientConfig(c)
	cfg.GetClientCertificate = func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		requested = info
		return &tls.Certificate{}, nil
	}
	if _, err := dialTLS(t, addr, cfg); err != nil {
		t.Fatal(err)
	}
	if requested == nil {
		t.Fatal("server did not request a client certificate")
	}
	if len(requested.AcceptableCAs) != 1 || !bytes.Equal(requested.AcceptableCAs[0], c.Root.Cert.RawSubject) {
		t.Errorf("acceptable CAs do not name the root")
	}
}

func TestStartSlowTLS(t *testing.T) {
	c := testpki.NewChain(t, now)
	cfg := &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}}
	const delay = 300 * time.Millisecond
	addr := testpki.StartSlowTLS(t, cfg, delay)

	start := time.Now()
	if _, err := dialTLS(t, addr, clientConfig(c)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < delay {
		t.Errorf("handshake took %v, want at least %v", took, delay)
	}

	d := tls.Dialer{Config: clientConfig(c)}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := d.DialContext(ctx, "tcp", addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("impatient client: got %v, want deadline exceeded", err)
	}
}

func TestStartPlainHTTP(t *testing.T) {
	addr := testpki.StartPlainHTTP(t)

	_, err := dialTLS(t, addr, nil)
	var rec tls.RecordHeaderError
	if !errors.As(err, &rec) || string(rec.RecordHeader[:]) != "HTTP/" {
		t.Errorf("TLS client: got %v, want a RecordHeaderError starting HTTP/", err)
	}

	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	io.WriteString(conn, "\x16\x03\x01\x00\x05hello")
	reply, err := io.ReadAll(conn)
	if err != nil || !strings.HasPrefix(string(reply), "HTTP/1.1 400 Bad Request\r\n") {
		t.Errorf("raw reply %q, %v", reply, err)
	}
}

func TestStartReset(t *testing.T) {
	_, err := dialTLS(t, testpki.StartReset(t), nil)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("got %v, want ECONNRESET", err)
	}
}

func TestStartSilent(t *testing.T) {
	addr := testpki.StartSilent(t)
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := d.DialContext(ctx, "tcp", addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want deadline exceeded", err)
	}
}

func TestStartGarbage(t *testing.T) {
	for range 5 { // the bytes are random: try a few
		_, err := dialTLS(t, testpki.StartGarbage(t), nil)
		var rec tls.RecordHeaderError
		if !errors.As(err, &rec) {
			t.Errorf("got %v, want a RecordHeaderError", err)
		}
	}
}

func TestStartAlert(t *testing.T) {
	for _, tt := range []struct {
		alert byte
		text  string
	}{
		{40, "handshake failure"},
		{70, "protocol version not supported"},
		{112, "unrecognized name"},
	} {
		_, err := dialTLS(t, testpki.StartAlert(t, tt.alert), nil)
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "remote error" {
			t.Errorf("alert %d: got %v, want a remote error", tt.alert, err)
			continue
		}
		// crypto/tls's alert type is unexported but is a uint8.
		if v := reflect.ValueOf(op.Err); v.Kind() != reflect.Uint8 || v.Uint() != uint64(tt.alert) {
			t.Errorf("alert %d: remote error carries %#v", tt.alert, op.Err)
		}
		if !strings.Contains(err.Error(), tt.text) {
			t.Errorf("alert %d: %q does not say %q", tt.alert, err, tt.text)
		}
	}
}

func TestClosedPort(t *testing.T) {
	addr := testpki.ClosedPort(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Errorf("address %q is not on 127.0.0.1", addr)
	}
	_, err := net.DialTimeout("tcp", addr, time.Second)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %v, want ECONNREFUSED", err)
	}
}

// TestCleanupStopsServers leaves connections open on every kind of server,
// including a handshake the slow server is still holding, and checks that
// the cleanups return promptly and leave no goroutine behind.
func TestCleanupStopsServers(t *testing.T) {
	before := runtime.NumGoroutine()
	var clients []net.Conn
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	start := time.Now()
	t.Run("servers", func(t *testing.T) {
		c := testpki.NewChain(t, now)
		cfg := &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}}
		addrs := []string{
			testpki.StartTLS(t, cfg),
			testpki.StartSlowTLS(t, cfg, time.Hour),
			testpki.StartPlainHTTP(t),
			testpki.StartReset(t),
			testpki.StartSilent(t),
			testpki.StartGarbage(t),
			testpki.StartAlert(t, 40),
		}
		for _, addr := range addrs {
			conn, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, conn)
			// A ClientHello's worth of bytes, so every server is busy.
			// Send a ClientHello so every server is busy with the
			// connection; the handshake ends on the server's answer
			// or at the deadline, and the connection stays open.
			conn.SetDeadline(time.Now().Add(50 * time.Millisecond))
			tls.Client(conn, &tls.Config{InsecureSkipVerify: true}).Handshake()
		}
	})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("servers and their cleanups took %v", took)
	}

	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after cleanup, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
