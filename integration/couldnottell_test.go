//go:build linux

package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/wacheck/wacheck/internal/conntrack"
)

// sabotage is what the saboteur proxy does to a connection that is not
// the sender's own client's.
type sabotage int

const (
	// resetEnumeration reads the hello and resets the connection (RST).
	resetEnumeration sabotage = iota
	// garbageEnumeration reads the hello and answers bytes that are not
	// TLS, then closes.
	garbageEnumeration
	// stallEnumeration reads the hello and never answers; the connection
	// stays open until the client gives up.
	stallEnumeration
)

func (s sabotage) String() string {
	return [...]string{"reset", "garbage", "stall"}[s]
}

// garbage is what garbageEnumeration answers: no TLS record starts with
// 0xde, and it is not HTTP either.
var garbage = bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64)

// saboteur is a loopback TCP proxy in front of a real server. It reads each
// connection's ClientHello and forwards the connections of Go's TLS client
// (the strict handshake, the handshake without SNI, the resumption and
// key-type handshakes: every one offers ALPN) to upstream, and does its
// sabotage to every other one: the enumeration's hand-built hellos, which
// carry no ALPN extension (pkg/tlshello). Which connection comes first is
// not what tells them apart, so the probe may schedule them as it likes.
type saboteur struct {
	upstream string
	mode     sabotage
	ln       net.Listener
	wg       sync.WaitGroup
	conns    conntrack.Set

	forwarded, sabotaged atomic.Int32
}

// startSaboteur listens on a free loopback port until the test ends.
func startSaboteur(t *testing.T, upstream string, mode sabotage) *saboteur {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &saboteur{upstream: upstream, mode: mode, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil || !s.conns.Go(&s.wg, c, s.serve) {
				return
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.conns.Close()
		s.wg.Wait()
	})
	return s
}

func (s *saboteur) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *saboteur) serve(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	hello, err := readClientHello(c)
	c.SetReadDeadline(time.Time{})
	if err == nil && offersALPN(hello.msg) {
		s.forwarded.Add(1)
		s.forward(c, hello.raw)
		return
	}
	s.sabotaged.Add(1)
	switch s.mode {
	case resetEnumeration:
		c.(*net.TCPConn).SetLinger(0) // Close sends RST
	case garbageEnumeration:
		c.Write(garbage)
	case stallEnumeration:
		// Read (and drop) whatever comes until the client closes, or the
		// test ends and conntrack closes the connection.
		io.Copy(io.Discard, c)
	}
}

// forward sends the bytes already read to upstream and copies both ways
// until either side ends.
func (s *saboteur) forward(c net.Conn, first []byte) {
	up, err := net.DialTimeout("tcp4", s.upstream, 5*time.Second)
	if err != nil {
		return
	}
	if !s.conns.Add(up) {
		up.Close()
		return
	}
	defer s.conns.Remove(up)
	if _, err := up.Write(first); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// clientHello is a ClientHello as read: the bytes of its records, and the
// handshake message's body.
type clientHello struct {
	raw, msg []byte
}

// readClientHello reads TLS handshake records until they hold one whole
// handshake message (64 KiB at most) and returns it if it is a
// ClientHello.
func readClientHello(r io.Reader) (clientHello, error) {
	var h clientHello
	var hs []byte
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return h, err
		}
		h.raw = append(h.raw, hdr[:]...)
		if hdr[0] != 22 { // handshake
			return h, fmt.Errorf("record type %d, not a handshake", hdr[0])
		}
		n := int(binary.BigEndian.Uint16(hdr[3:]))
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return h, err
		}
		h.raw = append(h.raw, body...)
		hs = append(hs, body...)
		if len(hs) >= 4 {
			if hs[0] != 1 {
				return h, fmt.Errorf("handshake message type %d, not a ClientHello", hs[0])
			}
			if l := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]); len(hs) >= 4+l {
				h.msg = hs[4 : 4+l]
				return h, nil
			}
		}
		if len(h.raw) > 64<<10 {
			return h, errors.New("ClientHello over 64 KiB")
		}
	}
}

// offersALPN reports whether the ClientHello body carries the
// application_layer_protocol_negotiation extension (16).
func offersALPN(msg []byte) bool {
	s := cryptobyte.String(msg)
	var random, sessionID, suites, compression, exts cryptobyte.String
	var version uint16
	if !s.ReadUint16(&version) || !s.ReadBytes((*[]byte)(&random), 32) ||
		!s.ReadUint8LengthPrefixed(&sessionID) || !s.ReadUint16LengthPrefixed(&suites) ||
		!s.ReadUint8LengthPrefixed(&compression) || !s.ReadUint16LengthPrefixed(&exts) {
		return false
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return false
		}
		if typ == 16 {
			return true
		}
	}
	return false
}

// couldNotTell is what wacheck says about a healthy nginx whose enumeration
// got no usable answer while the strict handshake (TLS 1.3, a sender's
// suite) completed. What the strict handshake got is a fact the
// enumeration cannot overrule: TLS 1.3, and so a modern version, is
// offered, and a suite is in common with the sender; every other protocol.*
// and cipher.* question could not be told, and is skipped with the reason.
var couldNotTell = map[string]string{
	"protocol.modern": "pass", // the strict handshake negotiated TLS 1.3
	"protocol.tls13":  "pass", // idem
	"cipher.sender":   "pass", // it negotiated a suite of the sender's
	"protocol.legacy": "skip",
	"cipher.insecure": "skip",
	"cipher.weak":     "skip",
	"cipher.order":    "skip",
	"cipher.dh":       "skip",
}

// TestNginxEnumerationCouldNotTell (issue 9, item 3): a healthy nginx behind
// a proxy that lets the sender's own handshakes through but resets, answers
// garbage to, or stalls every hello of the enumeration. wacheck must not
// turn "could not tell" into a fact: no "neither TLS 1.2 nor TLS 1.3 is
// offered", no pass on what the enumeration did not see, offered null in
// the JSON with the reason, and nothing else warns or fails; a stalled
// enumeration ends within --timeout.
func TestNginxEnumerationCouldNotTell(t *testing.T) {
	nginx := requireBinary(t, "nginx")
	requireBinary(t, "openssl")
	p := newPKI(t)
	sites := setupSites(t, p, []scenario{{name: "healthy", staple: stapleGood}})
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	startServer(t, serverSpec{name: "nginx", dir: dir, sites: sites, configure: func() ([]string, []string) {
		renderTemplate(t, "nginx.conf.tmpl", conf, serverConf{Dir: dir, Sites: sites, ModernCiphers: modernCiphers})
		return []string{nginx, "-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, []string{errorLog}
	}})
	upstream := fmt.Sprintf("127.0.0.1:%d", sites[0].Port)

	for _, tc := range []struct {
		name string
		mode sabotage
		// reasons are what a version's JSON reason may say the
		// enumeration met, one of them; whys what the skipped checks may
		// say (reasons when nil).
		reasons, whys []string
		// timeout is the run's --timeout; 0 keeps runWacheck's 15s.
		timeout time.Duration
		// cutShort: the --timeout surely ends the enumeration
		// (enumeration.error); else it surely does not, unless stall.
		cutShort bool
	}{
		{name: "reset", mode: resetEnumeration, reasons: []string{"connection reset"}},
		{name: "garbage", mode: garbageEnumeration, reasons: []string{"not a TLS reply: reply starts with DE AD BE EF"}},
		// Hellos time out (5s each) within the run's time; later ones may
		// be cut short by it.
		{name: "stall", mode: stallEnumeration, reasons: []string{"timeout", "scan stopped"},
			whys: []string{"timeout", "cut short"}, timeout: 8 * time.Second},
		// The run's time runs out before any hello's does.
		{name: "stall-cut-short", mode: stallEnumeration, reasons: []string{"scan stopped"}, whys: []string{"cut short"},
			timeout: 3 * time.Second, cutShort: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			proxy := startSaboteur(t, upstream, tc.mode)
			stall := tc.mode == stallEnumeration
			sc := scenario{
				name:   "enumeration-" + tc.name,
				staple: stapleGood,
				want:   couldNotTell,
				assert: func(t *testing.T, _ string, r *jsonReport) {
					whys := tc.whys
					if whys == nil {
						whys = tc.reasons
					}
					notTold(t, r, tc.reasons, whys)
					switch e := r.Enumeration; {
					case e == nil:
						t.Error("no enumeration in the report")
					case tc.cutShort && e.Error == "":
						t.Error("enumeration.error is empty: the --timeout cut the enumeration short")
					case !tc.cutShort && !stall && e.Error != "":
						t.Errorf("enumeration.error = %q: the enumeration was not cut short", e.Error)
					}
					// The stalled hellos may hold every connection slot
					// until the time runs out, before the resumption
					// handshake or the one without SNI gets one (pkg/probe's
					// scheduling): they are skipped then, for that reason.
					if st, detail, _ := r.check("tls.resumption"); st == "skip" && !strings.Contains(detail, "connection slots") {
						t.Errorf("tls.resumption skipped for another reason than the held slots: %q", detail)
					}
					if st, detail, _ := r.check("tls.sni"); st == "skip" && !strings.Contains(detail, "connection slots") {
						t.Errorf("tls.sni skipped for another reason than the held slots: %q", detail)
					}
				},
			}
			if tc.timeout != 0 {
				sc.flags = []string{"--timeout", tc.timeout.String()}
			}
			if stall {
				sc.unsettled = map[string]string{"tls.resumption": "skip", "tls.sni": "skip"}
			}
			start := time.Now()
			sc.verify(t, "nginx", proxy.port(), p)
			if tc.timeout != 0 {
				// verify runs wacheck twice; each must end within its
				// --timeout (and a little for the process and the report,
				// on a loaded machine).
				if took := time.Since(start); took > 2*(tc.timeout+2*time.Second) {
					t.Errorf("two runs took %s, want each within --timeout %s", took.Round(time.Millisecond), tc.timeout)
				}
			}
			if proxy.forwarded.Load() == 0 || proxy.sabotaged.Load() == 0 {
				t.Errorf("the proxy forwarded %d connections and sabotaged %d: want both",
					proxy.forwarded.Load(), proxy.sabotaged.Load())
			}
		})
	}
}

// notTold asserts what the report says of an enumeration whose every hello
// met one of reasons: each version below TLS 1.3 is offered null with one
// of reasons and no suite; TLS 1.3 is either the same, or (the strict
// handshake's ServerHello answering the enumeration's first TLS 1.3 hello)
// offered with the negotiated suite alone and its list marked incomplete.
// The skipped checks say they could not tell and one of whys; the passes
// rest on the strict handshake; no check says a version is not offered.
func notTold(t *testing.T, r *jsonReport, reasons, whys []string) {
	t.Helper()
	says := func(s string, subs []string) bool {
		return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
	}
	if len(r.Protocols) != 5 {
		t.Errorf("enumeration.protocols has %d versions, want SSLv3 to TLS 1.3", len(r.Protocols))
	}
	if r.TLS == nil || r.TLS.Version != "TLS 1.3" {
		t.Fatalf("tls = %+v, want the strict handshake at TLS 1.3", r.TLS)
	}
	fromHandshake := false
	for _, p := range r.Protocols {
		if p.Version == "TLS 1.3" && p.Offered != nil && *p.Offered {
			// The strict handshake's answer: its suite alone, and the
			// enumeration's own probes failed.
			fromHandshake = true
			if !slices.Equal(p.names(), []string{r.TLS.Cipher}) {
				t.Errorf("TLS 1.3 suites %v, want the negotiated %s alone", p.names(), r.TLS.Cipher)
			}
			if len(p.Errors) == 0 && r.Enumeration.Error == "" {
				t.Error("TLS 1.3 lists one suite with no errors and the enumeration was not cut short: " +
					"its list passes for complete")
			}
			continue
		}
		if p.Offered != nil {
			t.Errorf("%s offered = %t (%s), want null: the enumeration got no answer", p.Version, *p.Offered, p.Reason)
		}
		if !says(p.Reason, reasons) {
			t.Errorf("%s reason %q says none of %q", p.Version, p.Reason, reasons)
		}
		if len(p.Ciphers) > 0 {
			t.Errorf("%s has suites %v, though every hello went unanswered", p.Version, p.names())
		}
	}
	for id, status := range couldNotTell {
		_, detail, _ := r.check(id)
		if strings.Contains(detail, "not offered") || strings.Contains(detail, "neither") {
			t.Errorf("%s says a version is not offered: %q", id, detail)
		}
		switch {
		case status == "skip":
			if !strings.Contains(detail, "could not tell") || !says(detail, whys) {
				t.Errorf("%s detail %q: want could not tell, and one of %q", id, detail, whys)
			}
		case id == "cipher.sender":
			if !strings.Contains(detail, r.TLS.Cipher) {
				t.Errorf("cipher.sender passes on %q: want the suite the strict handshake negotiated, %s", detail, r.TLS.Cipher)
			}
		case !fromHandshake:
			// The enumeration saw nothing of TLS 1.3: the pass rests on
			// the strict handshake, and says so.
			if !strings.Contains(detail, "strict handshake") {
				t.Errorf("%s passes on %q: want it to rest on the strict handshake", id, detail)
			}
		}
	}
}
