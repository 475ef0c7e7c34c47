package testpki

import (
	"github.com/wacheck/wacheck/internal/conntrack"

	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// connTimeout bounds every connection a loopback server handles, so a client
// that never finishes cannot keep a server goroutine alive for long.
const connTimeout = 10 * time.Second

// StartTLS starts an HTTPS server on 127.0.0.1 that answers every request
// with 200 "ok" and returns its "127.0.0.1:PORT" address. cfg is used as
// given: its certificates (with any OCSPStaple), ClientAuth and ClientCAs,
// versions, and NextProtos, where nil means no ALPN and "h2" enables HTTP/2.
// The server is closed by tb.Cleanup.
func StartTLS(tb testing.TB, cfg *tls.Config) string {
	tb.Helper()
	return startTLS(tb, cfg, nil)
}

// StartSlowTLS is StartTLS with a server that reads the ClientHello and then
// waits delay before answering it, so the handshake completes no sooner than
// delay after it starts.
func StartSlowTLS(tb testing.TB, cfg *tls.Config, delay time.Duration) string {
	tb.Helper()
	requireCertificate(tb, cfg)
	stop := make(chan struct{})
	slow := cfg.Clone()
	next := cfg.GetConfigForClient
	slow.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-stop:
			return nil, errors.New("testpki: server closed")
		}
		if next != nil {
			return next(hello)
		}
		return nil, nil
	}
	return startTLS(tb, slow, stop)
}

// startTLS serves cfg; at cleanup it closes stop (if any) to release waiting
// handshakes, then closes the server and waits for its connections.
func startTLS(tb testing.TB, cfg *tls.Config, stop chan struct{}) string {
	tb.Helper()
	return serveTLS(tb, listen(tb), cfg, stop)
}

// StartTLSOn is StartTLS on a given loopback address ("127.0.0.2:PORT" or
// "[::1]:PORT"), so that several servers can share one port on different
// addresses, as the nodes behind one name do.
func StartTLSOn(tb testing.TB, addr string, cfg *tls.Config) string {
	tb.Helper()
	requireLoopback(tb, addr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("testpki: listen on %s: %v", addr, err)
	}
	return serveTLS(tb, ln, cfg, nil)
}

// ServeTLS is StartTLS on a listener the caller opened on loopback (one a
// conntrack.Gauge counts, say); it returns the listener's address.
func ServeTLS(tb testing.TB, ln net.Listener, cfg *tls.Config) string {
	tb.Helper()
	requireLoopback(tb, ln.Addr().String())
	return serveTLS(tb, ln, cfg, nil)
}

// FreePort returns a TCP port that is free on every one of the loopback
// addresses given (e.g. "127.0.0.1", "127.0.0.2", "::1"), for StartTLSOn.
// Another process may still take it; the caller's listen then fails.
func FreePort(tb testing.TB, ips ...string) int {
	tb.Helper()
	for try := 0; try < 50; try++ {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("testpki: listen on loopback: %v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ok := true
		var held []net.Listener
		for _, ip := range ips {
			requireLoopback(tb, ip)
			l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				if ip == "127.0.0.1" {
					continue // held by ln itself
				}
				ok = false
				break
			}
			held = append(held, l)
		}
		ln.Close()
		for _, l := range held {
			l.Close()
		}
		if ok {
			return port
		}
	}
	tb.Fatal("testpki: no port free on every address")
	return 0
}

// requireLoopback fails the test for any address outside 127.0.0.0/8 and ::1.
func requireLoopback(tb testing.TB, addr string) {
	tb.Helper()
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		tb.Fatalf("testpki: %s is not a loopback address", addr)
	}
}

// serveTLS serves cfg on ln as startTLS describes.
func serveTLS(tb testing.TB, ln net.Listener, cfg *tls.Config, stop chan struct{}) string {
	tb.Helper()
	requireCertificate(tb, cfg)
	srv := &httptest.Server{
		Listener: tls.NewListener(ln, cfg.Clone()),
		Config: &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "ok")
			}),
			ReadTimeout:  connTimeout,
			WriteTimeout: connTimeout,
			IdleTimeout:  connTimeout,
			// Handshakes that tests abort on purpose would log noise.
			ErrorLog: log.New(io.Discard, "", 0),
		},
	}
	// Start rather than StartTLS: the listener already speaks TLS with cfg
	// as given, where StartTLS would fill in NextProtos and a certificate.
	// net/http still serves HTTP/2 when ALPN selects "h2".
	srv.Start()
	tb.Cleanup(func() {
		if stop != nil {
			close(stop)
		}
		srv.Close()
	})
	return ln.Addr().String()
}

func requireCertificate(tb testing.TB, cfg *tls.Config) {
	tb.Helper()
	if cfg == nil || (len(cfg.Certificates) == 0 && cfg.GetCertificate == nil && cfg.GetConfigForClient == nil) {
		tb.Fatal("testpki: a TLS server needs a tls.Config with a certificate")
	}
}

// nginxBadRequest is what nginx answers on a plain HTTP port to bytes that are
// not HTTP, such as a TLS ClientHello.
const nginxBadRequest = "HTTP/1.1 400 Bad Request\r\n" +
	"Server: nginx\r\n" +
	"Content-Type: text/html\r\n" +
	"Content-Length: 150\r\n" +
	"Connection: close\r\n" +
	"\r\n" +
	"<html>\r\n" +
	"<head><title>400 Bad Request</title></head>\r\n" +
	"<body>\r\n" +
	"<center><h1>400 Bad Request</h1></center>\r\n" +
	"<hr><center>nginx</center>\r\n" +
	"</body>\r\n" +
	"</html>\r\n"

// StartPlainHTTP starts a plain-text server that answers whatever arrives
// with "HTTP/1.1 400 Bad Request" and closes, as nginx does when spoken TLS
// to on an HTTP port.
func StartPlainHTTP(tb testing.TB) string {
	tb.Helper()
	return startRaw(tb, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		io.WriteString(c, nginxBadRequest)
		closeAndDrain(c)
	})
}

// StartReset starts a server that reads the ClientHello and then resets the
// connection, so the client sees ECONNRESET.
func StartReset(tb testing.TB) string {
	tb.Helper()
	return startRaw(tb, func(c net.Conn) {
		if _, err := readRecord(c); err != nil {
			return
		}
		c.(*net.TCPConn).SetLinger(0) // Close now sends RST, not FIN
		c.Close()
	})
}

// StartSilent starts a tarpit: it accepts connections and reads from them but
// never writes. Each connection is closed at tb.Cleanup or after ten seconds,
// whichever comes first.
func StartSilent(tb testing.TB) string {
	tb.Helper()
	return startRaw(tb, silent)
}

// StartGarbage starts a server that reads the ClientHello and answers with
// random bytes that do not begin a TLS record.
func StartGarbage(tb testing.TB) string {
	tb.Helper()
	return startRaw(tb, func(c net.Conn) {
		if _, err := readRecord(c); err != nil {
			return
		}
		garbage := make([]byte, 64)
		rand.Read(garbage)
		if garbage[0] >= 20 && garbage[0] <= 24 || garbage[0] == 0x80 {
			garbage[0] = 0xff // not a TLS content type nor an SSLv2 hello
		}
		c.Write(garbage)
		closeAndDrain(c)
	})
}

// StartAlert starts a server that reads the ClientHello and answers with a
// fatal TLS alert with the given description, such as 40 (handshake
// failure), 70 (protocol version) or 112 (unrecognized name).
//
// Go's TLS client reports it as a *net.OpError with Op "remote error" whose
// Err is crypto/tls's unexported alert type (a uint8), not tls.AlertError,
// which only QUIC connections return.
func StartAlert(tb testing.TB, alert byte) string {
	tb.Helper()
	return startRaw(tb, func(c net.Conn) {
		if _, err := readRecord(c); err != nil {
			return
		}
		// Record type alert (21), TLS 1.2, length 2, level fatal (2).
		c.Write([]byte{21, 3, 3, 0, 2, 2, alert})
		closeAndDrain(c)
	})
}

// ClosedPort returns a 127.0.0.1 address where nothing listens, so dialling
// it is refused.
func ClosedPort(tb testing.TB) string {
	tb.Helper()
	ln := listen(tb)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testpki: listen on loopback: %v", err)
	}
	return ln
}

// readRecord reads one TLS record, header and body: the ClientHello when it
// is the first thing a TLS client sends.
func readRecord(c net.Conn) ([]byte, error) {
	header := make([]byte, 5)
	if _, err := io.ReadFull(c, header); err != nil {
		return nil, err
	}
	record := make([]byte, 5+int(binary.BigEndian.Uint16(header[3:])))
	copy(record, header)
	_, err := io.ReadFull(c, record[5:])
	return record, err
}

// closeAndDrain sends FIN and reads until the client closes, so what was
// written arrives intact rather than being cut off by a reset.
func closeAndDrain(c net.Conn) {
	c.(*net.TCPConn).CloseWrite()
	io.Copy(io.Discard, c)
}

// rawServer accepts TCP connections and hands each to serve with a deadline.
// close stops accepting, closes every open connection and waits for all
// goroutines.
type rawServer struct {
	ln    net.Listener
	serve func(net.Conn)
	wg    sync.WaitGroup

	conns conntrack.Set
}

func startRaw(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	return startRawOn(tb, listen(tb), serve)
}

// silent reads and never answers.
func silent(c net.Conn) { io.Copy(io.Discard, c) }

// StartSilentOn is StartSilent on a given loopback address, for a name
// whose every address is a tarpit.
func StartSilentOn(tb testing.TB, addr string) string {
	tb.Helper()
	requireLoopback(tb, addr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatalf("testpki: listen on %s: %v", addr, err)
	}
	return startRawOn(tb, ln, silent)
}

func startRawOn(tb testing.TB, ln net.Listener, serve func(net.Conn)) string {
	tb.Helper()
	s := &rawServer{ln: ln, serve: serve}
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.close)
	return s.ln.Addr().String()
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // listener closed
		}
		if !s.conns.Go(&s.wg, c, s.handle) {
			return
		}
	}
}

func (s *rawServer) handle(c net.Conn) {
	c.SetDeadline(time.Now().Add(connTimeout))
	s.serve(c)
}

func (s *rawServer) close() {
	s.ln.Close()
	s.conns.Close()
	s.wg.Wait()
}

// HostileText is what the hostile servers put in every field they control:
// terminal escape sequences (clear the screen, move the cursor, red), a
// bell, CR LF followed by lines that imitate wacheck's own ("✓ all checks
// passed", "fix: nothing to do"), and U+202E, which reverses what follows.
// Fields that must be ASCII (DNS names, URLs) get HostileASCII; an OCSP
// URL also carries HostileBytes, which are not UTF-8 (Go checks that names
// and DNS names are valid text, not URLs).
const (
	HostileText  = "\x1b[2J\x1b[H\x1b[31mPWNED\a\r\n  ✓ all checks passed\n    fix: nothing to do \u202egnp.exe"
	HostileASCII = "\x1b[2J\x1b[31mPWNED\a\r\n  - all checks passed\n    fix: nothing to do"
	HostileBytes = "\xff\xfe\xc0\x80 not UTF-8"
)

// hostileName is a distinguished name every attribute of which is hostile:
// a CN in UTF8String, an O in T61String (Go reads it as Latin-1, so its
// bytes become C1 controls such as U+0080), and an OU with control
// characters.
func hostileName(role string) pkix.Name {
	return pkix.Name{
		CommonName: role + " " + HostileText,
		ExtraNames: []pkix.AttributeTypeAndValue{
			{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: asn1.RawValue{Tag: asn1.TagT61String, Bytes: []byte(HostileBytes)}},
			{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: HostileASCII},
		},
	}
}

// HostilePKI is a PKI whose every name and URL is hostile: a root, an
// intermediate and a leaf for localhost (and a hostile DNS name), OCSP and
// CA Issuers URLs, and a delegated OCSP responder, all named with
// HostileText, HostileASCII and HostileBytes; and a client-certificate CA
// named the same way for CertificateRequests.
type HostilePKI struct {
	Root, Intermediate, ClientCA *CA
	Leaf                         *Leaf
	// Staple is a "good" OCSP response about the leaf, signed by a
	// delegated responder with a hostile name (its ResponderID is byName).
	Staple []byte
}

// NewHostilePKI builds the hostile PKI, valid at now.
func NewHostilePKI(tb testing.TB, now time.Time) *HostilePKI {
	tb.Helper()
	h := &HostilePKI{}
	mk := func(name pkix.Name, parent *CA, key crypto.Signer, ca bool, mod func(*x509.Certificate)) (*x509.Certificate, []byte) {
		tmpl := caTemplate(CAOptions{Now: now}, "")
		tmpl.Subject = name
		tmpl.IsCA = ca
		if !ca {
			tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		}
		if mod != nil {
			mod(tmpl)
		}
		signer, issuer := key, tmpl
		if parent != nil {
			signer, issuer = parent.Key, parent.Cert
		}
		return create(tb, tmpl, issuer, key.Public(), signer)
	}
	rootKey, intKey, leafKey, caKey, respKey := NewKey(tb, ECDSAP256), NewKey(tb, ECDSAP256), NewKey(tb, ECDSAP256),
		NewKey(tb, ECDSAP256), NewKey(tb, ECDSAP256)
	cert, der := mk(hostileName("root"), nil, rootKey, true, nil)
	h.Root = &CA{Cert: cert, Key: rootKey, DER: der}
	cert, der = mk(hostileName("intermediate"), h.Root, intKey, true, nil)
	h.Intermediate = &CA{Cert: cert, Key: intKey, DER: der}
	cert, der = mk(hostileName("leaf"), h.Intermediate, leafKey, false, func(c *x509.Certificate) {
		c.DNSNames = []string{"localhost", "evil.example" + HostileASCII}
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		c.OCSPServer = []string{"http://ocsp.example/" + HostileASCII + HostileBytes}
		c.IssuingCertificateURL = []string{"http://ca.example/" + HostileASCII}
	})
	h.Leaf = &Leaf{Cert: cert, Key: leafKey, DER: der}
	cert, der = mk(hostileName("client CA"), nil, caKey, true, nil)
	h.ClientCA = &CA{Cert: cert, Key: caKey, DER: der}

	responder, _ := mk(hostileName("OCSP responder"), h.Intermediate, respKey, false, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	})
	staple, err := ocsp.CreateResponse(h.Intermediate.Cert, responder, ocsp.Response{
		Status:       ocsp.Good,
		SerialNumber: h.Leaf.Cert.SerialNumber,
		ThisUpdate:   now.Add(-time.Hour),
		NextUpdate:   now.Add(24 * time.Hour),
		Certificate:  responder,
	}, respKey)
	if err != nil {
		tb.Fatalf("testpki: hostile OCSP response: %v", err)
	}
	h.Staple = staple
	return h
}

// WriteRootPEM writes the hostile root to a file in a fresh temporary
// directory and returns its path.
func (h *HostilePKI) WriteRootPEM(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "hostile-root.pem")
	if err := os.WriteFile(path, h.Root.PEM(), 0o644); err != nil {
		tb.Fatalf("testpki: write root: %v", err)
	}
	return path
}

// hostileStatusLine is an HTTP response whose status line and headers are
// hostile: Go's client quotes the malformed status code in its error.
const hostileStatusLine = "HTTP/1.1 2" + HostileASCII + "00 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

// StartHostileTLS starts a TLS server on 127.0.0.1 that serves h's chain
// (leaf, intermediate) with h's staple, asks for a client certificate from
// h's client CA (optional, so the handshake completes), speaks
// HTTP/1.1 only, and answers every request with hostileStatusLine.
func StartHostileTLS(tb testing.TB, h *HostilePKI) string {
	tb.Helper()
	cert := h.Leaf.TLSCertificate(h.Intermediate.DER)
	cert.OCSPStaple = h.Staple
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
		ClientCAs:    h.ClientCA.Pool(),
		NextProtos:   []string{"http/1.1"},
	}
	return startRaw(tb, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		buf := make([]byte, 4096)
		if _, err := tc.Read(buf); err != nil {
			return
		}
		io.WriteString(tc, hostileStatusLine)
		tc.Close()
	})
}

// StartDrip starts a server that reads the ClientHello and then answers
// with the start of a TLS record one byte every interval, never finishing
// it: a server (or a middlebox) that answers far too slowly.
func StartDrip(tb testing.TB, interval time.Duration) string {
	tb.Helper()
	// A handshake record of 16 KiB: its header says more is coming.
	record := append([]byte{22, 3, 3, 0x40, 0}, make([]byte, 1024)...)
	return startRaw(tb, func(c net.Conn) {
		if _, err := readRecord(c); err != nil {
			return
		}
		for _, b := range record {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(interval)
		}
	})
}
