package tlshello

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// offered is what a fake server reads from one of our hellos.
type offered struct {
	version   uint16 // legacy_version, or TLS 1.3 when supported_versions lists it
	suites    []uint16
	sessionID []byte
	groups    []uint16
	keyShares []uint16 // the groups of the key shares
}

// readHello reads one hello record from c and pulls out what the fake servers answer to.
func readHello(c net.Conn) (offered, bool) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return offered{}, false
	}
	rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c, rec); err != nil {
		return offered{}, false
	}
	return parseHello(rec)
}

// parseHello parses a ClientHello handshake message.
func parseHello(msg []byte) (offered, bool) {
	in := cryptobyte.String(msg)
	var o offered
	var typ uint8
	var body, sid, suites, compression, exts cryptobyte.String
	if !in.ReadUint8(&typ) || typ != typeClientHello || !in.ReadUint24LengthPrefixed(&body) ||
		!body.ReadUint16(&o.version) || !body.Skip(32) || !body.ReadUint8LengthPrefixed(&sid) ||
		!body.ReadUint16LengthPrefixed(&suites) || !body.ReadUint8LengthPrefixed(&compression) {
		return offered{}, false
	}
	o.sessionID = bytes.Clone(sid)
	for !suites.Empty() {
		var id uint16
		if !suites.ReadUint16(&id) {
			return offered{}, false
		}
		if id != scsvRenegotiation {
			o.suites = append(o.suites, id)
		}
	}
	if body.Empty() {
		return o, true
	}
	if !body.ReadUint16LengthPrefixed(&exts) {
		return offered{}, false
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return offered{}, false
		}
		switch typ {
		case extSupportedVersions:
			o.version = VersionTLS13
		case extSupportedGroups:
			var list cryptobyte.String
			data.ReadUint16LengthPrefixed(&list)
			for g := uint16(0); list.ReadUint16(&g); {
				o.groups = append(o.groups, g)
			}
		case extKeyShare:
			var list cryptobyte.String
			data.ReadUint16LengthPrefixed(&list)
			for !list.Empty() {
				var g uint16
				var key cryptobyte.String
				if !list.ReadUint16(&g) || !list.ReadUint16LengthPrefixed(&key) {
					return offered{}, false
				}
				o.keyShares = append(o.keyShares, g)
			}
		}
	}
	return o, true
}

// tls12Server answers every hello with a TLS 1.2 ServerHello, then ServerHelloDone, choosing
// with choose. It "accepts" every suite of the registry, in TLS 1.2 only.
func tls12Server(t *testing.T, choose func([]uint16) uint16) string {
	return startRawServer(t, func(c net.Conn) {
		o, ok := readHello(c)
		if !ok {
			return
		}
		c.Write(record(recordHandshake, VersionTLS12, cat(tls12Hello(choose(o.suites)), handshakeMsg(typeServerDone, nil))))
		io.Copy(io.Discard, c)
	})
}

func TestScanAcceptsEverything(t *testing.T) {
	tests := []struct {
		name        string
		choose      func([]uint16) uint16
		serverOrder bool
	}{
		{"client order", func(s []uint16) uint16 { return s[0] }, false},
		{"server order", slices.Max[[]uint16], true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := scanLoopback(t, tls12Server(t, tc.choose), Options{})
			for _, p := range res.Protocols {
				switch p.Version {
				case VersionTLS12:
				case VersionTLS13:
					// A lower version than asked: the server does not offer TLS 1.3.
					if p.Offered == nil || *p.Offered || p.Reason != "server answered with TLS 1.2" {
						t.Errorf("%s: offered %v (%s), want not offered: server answered with TLS 1.2", p.Name, fmtBool(p.Offered), p.Reason)
					}
				default:
					// A higher version than asked breaks the protocol: could not tell.
					want := "protocol violation: server answered a " + p.Name + " hello with TLS 1.2"
					if p.Offered != nil || p.Reason != want || len(p.Ciphers) > 0 {
						t.Errorf("%s: offered %v (%s), %d suites; want could not tell: %s", p.Name, fmtBool(p.Offered), p.Reason, len(p.Ciphers), want)
					}
				}
			}
			p := res.Protocols[3]
			if p.Offered == nil || !*p.Offered || len(p.Errors) > 0 {
				t.Fatalf("TLS 1.2: offered %v, errors %v", fmtBool(p.Offered), p.Errors)
			}
			want := suitesFor(VersionTLS12)
			if tc.serverOrder {
				slices.Reverse(want)
			}
			if got := cipherIDs(p.Ciphers); !slices.Equal(got, want) {
				t.Errorf("TLS 1.2 suites: got %d, want %d\ngot  %x\nwant %x", len(got), len(want), got, want)
			}
			if p.ServerOrder == nil || *p.ServerOrder != tc.serverOrder {
				t.Errorf("server order = %v, want %v", fmtBool(p.ServerOrder), tc.serverOrder)
			}
			t.Logf("%d suites in %d connections, %v", len(p.Ciphers), res.Connections, res.Duration)
		})
	}
}

func TestScanBadServers(t *testing.T) {
	sh := record(recordHandshake, VersionTLS12, tls12Hello(0xC02F))
	tests := []struct {
		name       string
		handle     func(net.Conn)
		wantOffer  *bool // for every version
		wantReason string
	}{
		{"silent", func(c net.Conn) { io.Copy(io.Discard, c) }, nil, "timeout"},
		{"plain HTTP", func(c net.Conn) {
			readHello(c)
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
		}, nil, "plain HTTP"},
		{"truncated ServerHello", func(c net.Conn) { readHello(c); c.Write(sh[:len(sh)/2]) }, nil, "truncated reply"},
		{"oversized record", func(c net.Conn) { readHello(c); c.Write([]byte{22, 3, 3, 0xFF, 0xFF}) }, nil, "oversized reply"},
		{"garbage", func(c net.Conn) { readHello(c); c.Write([]byte("\x00\x01\x02\x03\x04\x05\x06")) }, nil, "not a TLS reply"},
		{"suite not offered", func(c net.Conn) {
			o, _ := readHello(c)
			hello := handshakeMsg(typeServerHello, serverHelloBody(o.version, nil, 0x0A0A, nil))
			if o.version == VersionTLS13 {
				hello = tls13Hello(0x0A0A, GroupX25519)
			}
			c.Write(record(recordHandshake, VersionTLS12, hello))
		}, nil, "server chose 0x0A0A, which was not offered"},
		// A reset, a hang-up or an SSLv2 reply does not say that a version is refused.
		{"reset", func(c net.Conn) { readHello(c); c.(*net.TCPConn).SetLinger(0) }, nil, "connection reset"},
		{"hang-up", func(c net.Conn) { readHello(c) }, nil, "connection closed without a reply"},
		{"SSLv2", func(c net.Conn) { readHello(c); c.Write([]byte{0x80, 0x2E, 0x04, 0x00, 0x01}) }, nil, "server answered with SSLv2"},
		{"handshake_failure", func(c net.Conn) { readHello(c); c.Write(alertRecord(2, 40)) }, new(false), "handshake_failure alert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := scanLoopback(t, startRawServer(t, tc.handle), Options{Timeout: 300 * time.Millisecond})
			for _, p := range res.Protocols {
				if fmtBool(p.Offered) != fmtBool(tc.wantOffer) || !strings.Contains(p.Reason, tc.wantReason) {
					t.Errorf("%s: offered %s (%s), want %s (%s)", p.Name, fmtBool(p.Offered), p.Reason,
						fmtBool(tc.wantOffer), tc.wantReason)
				}
				if len(p.Ciphers) > 0 {
					t.Errorf("%s: ciphers %v", p.Name, p.Ciphers)
				}
			}
			if len(res.Groups) > 0 {
				t.Errorf("groups %v", res.Groups)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("scan took %v", d)
			}
		})
	}
}

// TestScanContextDeadline checks that Scan returns by ctx's deadline, with what it has, even
// when the per-connection timeout is much longer.
func TestScanContextDeadline(t *testing.T) {
	addr := startRawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Scan(ctx, addr, Options{Timeout: time.Minute})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Scan took %v after a 300ms deadline", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want a deadline error", err)
	}
	if res == nil || len(res.Protocols) != 5 || res.Protocols[0].Offered != nil {
		t.Fatalf("result = %+v", res)
	}
}

func TestScanDialError(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", "1") // nothing listens on port 1 of the loopback
	res, err := Scan(context.Background(), addr, Options{Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "scan 127.0.0.1:1: dial tcp") {
		t.Errorf("error = %v, want a dial error", err)
	}
	if res != nil && res.Connections != 0 {
		t.Errorf("connections = %d", res.Connections)
	}
	if _, err := Scan(context.Background(), "127.0.0.1", Options{}); err == nil {
		t.Error("no error for an address without a port")
	}
}

func TestScanConcurrency(t *testing.T) {
	var open, peak atomic.Int32
	addr := startRawServer(t, func(c net.Conn) {
		// Count connections waiting for their answer: the client may hang up and dial
		// again before this handler returns.
		n := open.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		readHello(c)
		time.Sleep(5 * time.Millisecond)
		open.Add(-1)
		c.Write(alertRecord(2, 40))
	})
	res := scanLoopback(t, addr, Options{Concurrency: 3})
	if p := peak.Load(); p > 3 || p < 2 {
		t.Errorf("peak connections = %d, want 2 or 3", p)
	}
	if res.Connections < 5 {
		t.Errorf("connections = %d", res.Connections)
	}
}

// TestScanWants: Options.Wants is told of every hello the scan needs before its dial, and
// of its end only once the scan has taken its answer into account; the changes never make
// the count negative and sum to zero. Eager hellos, the ones Wants does not count, are the
// only connections open beyond it.
func TestScanWants(t *testing.T) {
	var mu sync.Mutex
	wants, open, dials, over := 0, 0, 0, 0
	eagerSent := 0
	traceProbe = func(p *probe, o outcome, start time.Time) {
		if p.eager {
			mu.Lock()
			eagerSent++
			mu.Unlock()
		}
	}
	t.Cleanup(func() { traceProbe = nil })
	d := &net.Dialer{}
	res := scanLoopback(t, startGoServer(t, &tls.Config{Certificates: []tls.Certificate{certFor(t, rsaKey).tls}}), Options{
		Wants: func(delta int) {
			mu.Lock()
			defer mu.Unlock()
			if wants += delta; wants < 0 {
				t.Errorf("wants %d", wants)
			}
		},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			dials++
			open++
			over = max(over, open-wants)
			mu.Unlock()
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &closeHook{Conn: c, closed: func() {
				mu.Lock()
				open--
				mu.Unlock()
			}}, nil
		},
	})
	mu.Lock()
	defer mu.Unlock()
	if wants != 0 || open != 0 {
		t.Errorf("after the scan: wants %d, open %d; want 0 and 0", wants, open)
	}
	if over > eagerSent {
		t.Errorf("%d connections open beyond the hellos wanted, with %d eager hellos sent", over, eagerSent)
	}
	if dials != res.Connections || dials < 10 {
		t.Errorf("%d dials, %d connections", dials, res.Connections)
	}
}

// closeHook calls closed once, when the connection is closed.
type closeHook struct {
	net.Conn
	once   sync.Once
	closed func()
}

func (c *closeHook) Close() error {
	c.once.Do(c.closed)
	return c.Conn.Close()
}

func TestScanServerName(t *testing.T) {
	var mu sync.Mutex
	names := map[string]int{}
	cert := certFor(t, ecdsaKey)
	addr := startGoServer(t, &tls.Config{
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			if len(chi.SupportedVersions) == 0 {
				return nil, nil // SSL 3.0: no extensions, so no server_name
			}
			mu.Lock()
			names[chi.ServerName]++
			mu.Unlock()
			return nil, nil
		},
		Certificates: []tls.Certificate{cert.tls},
	})
	for _, tc := range []struct{ serverName, want string }{
		{"hooks.example.com", "hooks.example.com"},
		{"127.0.0.1", ""},
	} {
		mu.Lock()
		clear(names)
		mu.Unlock()
		scanLoopback(t, addr, Options{ServerName: tc.serverName})
		mu.Lock()
		if len(names) != 1 || names[tc.want] == 0 {
			t.Errorf("ServerName %q: server saw %v, want only %q", tc.serverName, names, tc.want)
		}
		mu.Unlock()
	}
}

func cipherIDs(cs []Cipher) []uint16 {
	var ids []uint16
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func fmtBool(b *bool) string {
	if b == nil {
		return "could not tell"
	}
	if *b {
		return "true"
	}
	return "false"
}

// TestScanCutShort checks that a scan cut short never says "not offered" for a version
// whose suites were not all refused: a server that refuses every hello, slowly, is cut
// after its first answers, while the other suites are still being offered.
func TestScanCutShort(t *testing.T) {
	addr := startRawServer(t, func(c net.Conn) {
		if _, ok := readHelloFull(c); !ok {
			return
		}
		time.Sleep(200 * time.Millisecond)
		c.Write(alertRecord(2, 40))
	})
	// The first answers come at 200 ms, the next ones at 400: a margin of 150 ms either
	// way for a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 350*time.Millisecond)
	defer cancel()
	res, err := Scan(ctx, addr, Options{Timeout: time.Second})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want a deadline error", err)
	}
	for _, p := range res.Protocols {
		if p.Version == VersionTLS13 || p.Version == VersionSSL30 {
			// Their suites (15 and 126) fit in the first hello, which the server refused: a
			// fact.
			if p.Offered == nil || *p.Offered || p.Reason != "handshake_failure alert" {
				t.Errorf("%s: offered %s (%s), want false: handshake_failure alert", p.Name, fmtBool(p.Offered), p.Reason)
			}
			continue
		}
		if p.Offered != nil || !strings.HasPrefix(p.Reason, "scan stopped: ") {
			t.Errorf("%s: offered %s (%s), want could not tell: scan stopped", p.Name, fmtBool(p.Offered), p.Reason)
		}
	}
}

// TestScanSSL30OneHello checks that a server refusing SSL 3.0 with a handshake_failure alert
// (OpenSSL 3.0, built without SSL 3.0, answers so: the openssl-alert-sslv3 seed) is told in
// one hello, which offers every suite SSL 3.0 can negotiate and none it cannot (a SHA-256 or
// SHA-384 MAC, AEAD, TLS 1.3), and that SSL 3.0 is then reported not offered.
func TestScanSSL30OneHello(t *testing.T) {
	var mu sync.Mutex
	var hellos [][]uint16
	addr := startRawServer(t, func(c net.Conn) {
		o, ok := readHelloFull(c)
		if !ok {
			return
		}
		if o.version != VersionSSL30 {
			c.Write(alertRecord(2, 70))
			return
		}
		mu.Lock()
		hellos = append(hellos, o.suites)
		mu.Unlock()
		c.Write(alertRecord(2, 40))
	})
	res, err := Scan(context.Background(), addr, Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hellos) != 1 {
		t.Fatalf("%d SSL 3.0 hellos, want 1", len(hellos))
	}
	want := suitesFor(VersionSSL30)
	got := slices.DeleteFunc(slices.Clone(hellos[0]), func(id uint16) bool { return id == scsvRenegotiation })
	if !slices.Equal(slices.Sorted(slices.Values(got)), want) || len(want) != 126 {
		t.Errorf("the SSL 3.0 hello offered %d suites %x, want the %d of suitesFor (126)", len(got), got, len(want))
	}
	for _, id := range got {
		s, _ := LookupSuite(id)
		if s.MinVersion != VersionSSL30 || s.MAC != "SHA" && s.MAC != "MD5" && s.MAC != "NULL" {
			t.Errorf("the SSL 3.0 hello offered %s (MAC %s), which SSL 3.0 cannot negotiate", s.Name, s.MAC)
		}
	}
	for _, p := range res.Protocols {
		if p.Version == VersionSSL30 && (p.Offered == nil || *p.Offered || p.Reason != "handshake_failure alert") {
			t.Errorf("SSLv3: offered %s (%s), want false: handshake_failure alert", fmtBool(p.Offered), p.Reason)
		}
	}
}
