package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/delayproxy"
	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// pinned is a probe of localhost at addr ("127.0.0.1:port"), enumerating, with dial
// recording when each connection was opened.
func pinned(t *testing.T, addr string, dial DialFunc) Options {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	tg, err := target.Parse("localhost:"+port, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return Options{Target: tg, Timeout: 20 * time.Second, Enumerate: true, Dial: dial,
		Pinned: map[string][]netip.Addr{net.JoinHostPort("localhost", strconv.Itoa(p)): {netip.MustParseAddr("127.0.0.1")}}}
}

// dialLog records when each connection was dialled.
type dialLog struct {
	mu    sync.Mutex
	times []time.Time
}

func (l *dialLog) dial(ctx context.Context, network, address string) (net.Conn, error) {
	l.mu.Lock()
	l.times = append(l.times, time.Now())
	l.mu.Unlock()
	return (&net.Dialer{}).DialContext(ctx, network, address)
}

func (l *dialLog) before(t time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, d := range l.times {
		if d.Before(t) {
			n++
		}
	}
	return n
}

// TestEnumerationStartsBesideTheStrictHandshake: with a 200 ms round trip, the
// enumeration's connections are opened while the strict handshake is still under way,
// not after it; the enumeration's findings are those of a scan alone.
func TestEnumerationStartsBesideTheStrictHandshake(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	proxy, err := delayproxy.Listen("127.0.0.1:0", addr, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	var log dialLog
	opts := pinned(t, proxy.Addr().String(), log.dial)
	opts.NoExtraHandshakes, opts.NoSNICompare = true, true
	ev := Run(context.Background(), opts)
	ep := ev.Endpoints[0]
	if ep.Handshake == nil || ep.Handshake.Err != nil || ep.Scan == nil || ep.ScanErr != nil {
		t.Fatalf("handshake %+v, scan %v (%v)", ep.Handshake, ep.Scan != nil, ep.ScanErr)
	}
	// The strict handshake's own connection is one; the enumeration's first hellos are the
	// others, opened before it ended (it takes at least a round trip: 200 ms).
	if n := log.before(ep.Handshake.End); n < 3 {
		t.Errorf("%d connections were opened before the strict handshake ended, want it and the enumeration's first hellos", n)
	}
	alone, err := tlshello.Scan(context.Background(), addr, tlshello.Options{ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ep.Scan.Protocols {
		q := alone.Protocols[i]
		if fmtBool(p.Offered) != fmtBool(q.Offered) || len(p.Ciphers) != len(q.Ciphers) || len(p.Groups) != len(q.Groups) {
			t.Errorf("%s: %+v\nalone: %+v", p.Name, p, q)
		}
	}
}

func fmtBool(b *bool) string {
	if b == nil {
		return "nil"
	}
	return strconv.FormatBool(*b)
}

// startALPNOnly serves TLS (by a Go server) only to clients offering h2 in ALPN, as the
// strict handshake does, and hangs up on the enumeration's hand-built hellos, which offer
// none.
func startALPNOnly(t *testing.T, cfg *tls.Config) string {
	backend := testpki.StartTLS(t, cfg)
	return testpki.StartRaw(t, func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(c, rec); err != nil || !bytes.Contains(rec, []byte("\x02h2")) {
			return
		}
		b, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		defer b.Close()
		b.Write(hdr)
		b.Write(rec)
		go func() {
			io.Copy(b, c)
			b.Close()
		}()
		io.Copy(c, b)
	})
}

// TestStrictHandshakeAnswersTheFirstTLS13Hello: the strict handshake's TLS 1.3 outcome is
// the enumeration's first TLS 1.3 answer. Against a server that hangs up on every
// hand-built hello, TLS 1.3 is then offered with the strict handshake's suite (what the
// strict handshake proved, the enumeration does not overrule), the probes that got no
// answer are listed, and the other versions, whose first hellos got none, could not be
// told.
func TestStrictHandshakeAnswersTheFirstTLS13Hello(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	addr := startALPNOnly(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos: []string{"h2", "http/1.1"}})
	opts := pinned(t, addr, nil)
	opts.NoExtraHandshakes, opts.NoSNICompare = true, true
	ep := Run(context.Background(), opts).Endpoints[0]
	hs := ep.Handshake
	if hs == nil || hs.Err != nil || hs.Version != tls.VersionTLS13 || ep.Scan == nil {
		t.Fatalf("handshake %+v, scan %v (%v)", hs, ep.Scan != nil, ep.ScanErr)
	}
	for _, p := range ep.Scan.Protocols {
		if p.Version != tlshello.VersionTLS13 {
			if p.Offered != nil {
				t.Errorf("%s offered %s, want could not tell", p.Name, fmtBool(p.Offered))
			}
			continue
		}
		if p.Offered == nil || !*p.Offered || len(p.Ciphers) != 1 || p.Ciphers[0].ID != hs.CipherSuite {
			t.Errorf("TLS 1.3: offered %s (%s), ciphers %+v; want offered with %s", fmtBool(p.Offered), p.Reason,
				p.Ciphers, tls.CipherSuiteName(hs.CipherSuite))
		}
		if len(p.Groups) != 1 || p.Groups[0] != tlshello.GroupName(hs.CurveID) {
			t.Errorf("TLS 1.3 groups %v, want the strict handshake's %s", p.Groups, tlshello.GroupName(hs.CurveID))
		}
		if len(p.Errors) == 0 {
			t.Error("TLS 1.3: the probes that got no answer are not listed")
		}
	}
}

// TestNoEnumerationWhenTheStrictHandshakeSaysNo: the enumeration starts beside the strict
// handshake, but when that shows a server that does not speak TLS, answers too slowly or
// not at all, the enumeration is stopped and dropped: no scan in the evidence, as when it
// waited.
func TestNoEnumerationWhenTheStrictHandshakeSaysNo(t *testing.T) {
	for name, addr := range map[string]string{
		"plain HTTP": testpki.StartPlainHTTP(t),
		"garbage":    testpki.StartGarbage(t),
		"silent":     testpki.StartSilent(t),
	} {
		t.Run(name, func(t *testing.T) {
			opts := pinned(t, addr, nil)
			opts.Timeout = 2 * time.Second
			start := time.Now()
			ep := Run(context.Background(), opts).Endpoints[0]
			if ep.Handshake == nil || ep.Handshake.Scannable() {
				t.Fatalf("handshake %+v: scannable", ep.Handshake)
			}
			if ep.Scan != nil || ep.ScanErr != nil {
				t.Errorf("scan %v (%v) after %q", ep.Scan != nil, ep.ScanErr, ep.Handshake.NotScannable())
			}
			if d := time.Since(start); d > opts.Timeout+time.Second {
				t.Errorf("the probe took %v", d)
			}
		})
	}
}
