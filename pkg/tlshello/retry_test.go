package tlshello

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"testing"
	"time"
)

// firstReply records the start of what a server sends a Go client offering
// Meta's groups (key shares for X25519MLKEM768 and X25519), before the
// client's second ClientHello or second flight.
func firstReply(t *testing.T, addr string) []byte {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(5 * time.Second))
	rec := &recordingConn{Conn: raw}
	tc := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.first
}

// recordingConn keeps what is read before the client's second write.
type recordingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
	first  []byte
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if c.writes == 1 {
		c.first = append(c.first, p[:n]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func TestHelloRetryGroup(t *testing.T) {
	cert := certFor(t, ecdsaKey)
	cases := []struct {
		name  string
		addr  func(t *testing.T) string
		retry bool
		group uint16
	}{
		{"openssl secp384r1 only", func(t *testing.T) string { return startOpenSSL(t, ecdsaKey, "-groups", "secp384r1") }, true, 24},
		{"openssl defaults", func(t *testing.T) string { return startOpenSSL(t, ecdsaKey) }, false, 0},
		{"Go P-384 only", func(t *testing.T) string {
			return startGoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.tls}, CurvePreferences: []tls.CurveID{tls.CurveP384}})
		}, true, 24},
		{"Go X25519 only", func(t *testing.T) string {
			return startGoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.tls}, CurvePreferences: []tls.CurveID{tls.X25519}})
		}, false, 0},
		{"Go TLS 1.2", func(t *testing.T) string {
			return startGoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.tls}, MaxVersion: tls.VersionTLS12})
		}, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply := firstReply(t, tc.addr(t))
			group, retry, err := HelloRetryGroup(reply)
			if err != nil || retry != tc.retry || group != tc.group {
				t.Errorf("HelloRetryGroup = %d, %v, %v; want %d, %v", group, retry, err, tc.group, tc.retry)
			}
			// Every cut of a real reply short of its first record is an
			// error, never a panic nor a verdict.
			n := 5 + (int(reply[3])<<8 | int(reply[4]))
			for i := range min(n, len(reply)) {
				if _, _, err := HelloRetryGroup(reply[:i]); err == nil {
					t.Fatalf("%d of %d bytes: no error", i, n)
				}
			}
		})
	}
}

func TestHelloRetryGroupRefusesWhatIsNotAServerHello(t *testing.T) {
	for name, tc := range map[string]struct {
		reply []byte
		want  error
	}{
		"alert":             {[]byte{21, 3, 3, 0, 2, 2, 40}, ErrMalformed},
		"plain HTTP":        {[]byte("HTTP/1.1 400 Bad Request\r\n"), ErrNotTLS},
		"certificate first": {[]byte{22, 3, 3, 0, 4, 11, 0, 0, 0}, ErrMalformed},
		"empty":             {nil, ErrTruncated},
		"oversized record":  {append([]byte{22, 3, 3, 0xff, 0xff}, make([]byte, 0xffff)...), ErrOversized},
		"message too long":  {[]byte{22, 3, 3, 0, 4, 2, 0, 1, 0}, ErrMalformed},
	} {
		if _, _, err := HelloRetryGroup(tc.reply); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.want)
		}
	}
}
