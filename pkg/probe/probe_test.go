package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/conntrack"
	"github.com/wacheck/wacheck/internal/testdns"
	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/target"
)

// run probes addr ("127.0.0.1:port") as the name localhost pinned to it.
func run(t *testing.T, addr string, timeout time.Duration) *Evidence {
	t.Helper()
	return runWith(t, addr, Options{Timeout: timeout})
}

// runWith is run with opts, whose Target and Pinned it sets.
func runWith(t *testing.T, addr string, opts Options) *Evidence {
	t.Helper()
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	tg, err := target.Parse("localhost:"+portStr, "")
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr(host)
	opts.Target = tg
	opts.Pinned = map[string][]netip.Addr{net.JoinHostPort("localhost", strconv.Itoa(port)): {ip}}
	ev := Run(context.Background(), opts)
	if len(ev.Endpoints) != 1 {
		t.Fatalf("endpoints = %d, want 1", len(ev.Endpoints))
	}
	return ev
}

func TestHealthyHandshakeEvidence(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	cert := c.TLSCertificate(c.Intermediate.DER, c.Root.DER)
	cert.OCSPStaple = c.OCSPResponse(t, testpki.OCSPOptions{})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})

	ev := run(t, addr, 5*time.Second)
	if !ev.DNS.Pinned || ev.DNS.Addresses[0] != "127.0.0.1" {
		t.Errorf("dns = %+v", ev.DNS)
	}
	ep := ev.Endpoints[0]
	if ep.ConnectErr != nil || ep.Handshake == nil || ep.Handshake.Err != nil {
		t.Fatalf("endpoint = %+v, handshake = %+v", ep, ep.Handshake)
	}
	hs := ep.Handshake
	if hs.ServerName != "localhost" || hs.Version != tls.VersionTLS13 || hs.ALPN != "h2" || hs.CurveID == 0 {
		t.Errorf("negotiated = %+v", hs)
	}
	want := [][]byte{c.Leaf.DER, c.Intermediate.DER, c.Root.DER}
	if len(hs.Certificates) != 3 {
		t.Fatalf("certificates = %d, want 3", len(hs.Certificates))
	}
	for i := range want {
		if string(hs.Certificates[i]) != string(want[i]) {
			t.Errorf("certificate %d is not the one served there", i)
		}
	}
	if string(hs.OCSPStaple) != string(cert.OCSPStaple) {
		t.Error("the staple was not recorded")
	}
	if !ev.StartedAt.Before(ev.EndedAt) || hs.End.Before(hs.Start) || ep.ConnectEnd.Before(ep.ConnectStart) {
		t.Error("timestamps out of order")
	}
}

func TestSNIIsSentAndIPIsNot(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	got := make(chan string, 2)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			got <- hello.ServerName
			return nil, nil
		},
	}
	addr := testpki.StartTLS(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	named, _ := target.Parse("localhost:"+port, "")
	// One handshake each: the strict one (NoSNICompare, NoExtraHandshakes).
	Run(context.Background(), Options{Target: named, Timeout: 5 * time.Second, NoSNICompare: true, NoExtraHandshakes: true,
		Pinned: map[string][]netip.Addr{net.JoinHostPort("localhost", port): {netip.MustParseAddr("127.0.0.1")}}})
	if sni := <-got; sni != "localhost" {
		t.Errorf("SNI = %q, want localhost", sni)
	}
	tg, _ := target.Parse(addr, "")
	ev := Run(context.Background(), Options{Target: tg, Timeout: 5 * time.Second, NoExtraHandshakes: true})
	if sni := <-got; sni != "" {
		t.Errorf("SNI for an IP target = %q, want none", sni)
	}
	if ev.Endpoints[0].Handshake.ServerName != "" {
		t.Error("evidence claims an SNI for an IP target")
	}
}

func TestClientCertificateRequest(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	clientCA := testpki.NewRoot(t, testpki.CAOptions{CommonName: "Webhook Client CA"})
	pool := x509.NewCertPool()
	pool.AddCert(clientCA.Cert)
	for _, mode := range []tls.ClientAuthType{tls.VerifyClientCertIfGiven, tls.RequireAndVerifyClientCert} {
		addr := testpki.StartTLS(t, &tls.Config{
			Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
			ClientAuth:   mode, ClientCAs: pool,
		})
		hs := run(t, addr, 5*time.Second).Endpoints[0].Handshake
		if !hs.ClientCertRequested || len(hs.AcceptableCAs) != 1 {
			t.Errorf("%v: requested=%v CAs=%d", mode, hs.ClientCertRequested, len(hs.AcceptableCAs))
		}
		if len(hs.Certificates) != 2 {
			t.Errorf("%v: the served certificates were not kept (%d)", mode, len(hs.Certificates))
		}
		required := mode == tls.RequireAndVerifyClientCert
		rejected := hs.Err != nil || hs.ClientCertRejected != nil
		if rejected != required {
			t.Errorf("%v: rejected = %v (err %v, after %v), want %v", mode, rejected, hs.Err, hs.ClientCertRejected, required)
		}
		if required && hs.ClientCertRejected != nil && hs.ClientCertRejected.Alert != 116 {
			t.Errorf("%v: alert %d, want certificate_required (116)", mode, hs.ClientCertRejected.Alert)
		}
	}
}

func TestFailureShapes(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	tls11 := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		MaxVersion: tls.VersionTLS11, MinVersion: tls.VersionTLS10})
	tests := []struct {
		name    string
		addr    string
		connect ErrorKind
		hs      ErrorKind
		alert   int
	}{
		{"refused", testpki.ClosedPort(t), ErrRefused, "", 0},
		{"reset", testpki.StartReset(t), "", ErrReset, 0},
		{"plain http", testpki.StartPlainHTTP(t), "", ErrPlainHTTP, 0},
		{"garbage", testpki.StartGarbage(t), "", ErrNotTLS, 0},
		{"unrecognized name", testpki.StartAlert(t, 112), "", ErrAlert, 112},
		{"handshake failure", testpki.StartAlert(t, 40), "", ErrNoCommon, 40},
		{"TLS 1.1 only", tls11, "", ErrNoCommon, 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := run(t, tt.addr, 3*time.Second).Endpoints[0]
			if tt.connect != "" {
				if ep.ConnectErr == nil || ep.ConnectErr.Kind != tt.connect {
					t.Fatalf("connect error = %+v, want %s", ep.ConnectErr, tt.connect)
				}
				if ep.Handshake != nil {
					t.Error("a handshake was recorded after a failed connect")
				}
				return
			}
			if ep.ConnectErr != nil {
				t.Fatalf("connect: %v", ep.ConnectErr)
			}
			e := ep.Handshake.Err
			if e == nil || e.Kind != tt.hs || e.Alert != tt.alert {
				t.Fatalf("handshake error = %+v, want %s alert %d", e, tt.hs, tt.alert)
			}
		})
	}
}

func TestSilentServerEndsWithinTimeout(t *testing.T) {
	addr := testpki.StartSilent(t)
	start := time.Now()
	ev := run(t, addr, 400*time.Millisecond)
	took := time.Since(start)
	if e := ev.Endpoints[0].Handshake.Err; e == nil || e.Kind != ErrTimeout {
		t.Fatalf("handshake error = %+v, want timeout", e)
	}
	if took > 2*time.Second {
		t.Errorf("took %s with a 400ms timeout", took)
	}
}

func TestSlowHandshakeIsTimed(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	addr := testpki.StartSlowTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}}, 300*time.Millisecond)
	hs := run(t, addr, 5*time.Second).Endpoints[0].Handshake
	if hs.Err != nil {
		t.Fatal(hs.Err)
	}
	if d := hs.End.Sub(hs.Start); d < 300*time.Millisecond {
		t.Errorf("handshake took %s, want at least the server's 300ms delay", d)
	}
}

type fakeResolver struct {
	addrs []netip.Addr
	err   error
	delay time.Duration
}

func (f fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return f.addrs, f.err
}

func TestDNSFailures(t *testing.T) {
	tg, _ := target.Parse("api.example.com", "")
	tests := []struct {
		name string
		r    fakeResolver
		want ErrorKind
	}{
		{"nxdomain", fakeResolver{err: &net.DNSError{Err: "no such host", Name: "api.example.com", IsNotFound: true}}, ErrNXDomain},
		{"timeout", fakeResolver{err: &net.DNSError{Err: "i/o timeout", IsTimeout: true}}, ErrDNSTimeout},
		{"servfail", fakeResolver{err: &net.DNSError{Err: "server misbehaving", IsTemporary: true}}, ErrServFail},
		{"other", fakeResolver{err: &net.DNSError{Err: "no route to the DNS server"}}, ErrDNS},
		{"garbage over TCP", fakeResolver{err: &net.DNSError{Err: "cannot unmarshal DNS message"}}, ErrDNSGarbage},
		{"no records", fakeResolver{}, ErrNoAddress},
		{"hangs", fakeResolver{delay: time.Hour}, ErrDNSTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := Run(context.Background(), Options{Target: tg, Timeout: 200 * time.Millisecond, Resolver: tt.r})
			if ev.DNS.Err == nil || ev.DNS.Err.Kind != tt.want {
				t.Fatalf("dns error = %+v, want %s", ev.DNS.Err, tt.want)
			}
			if len(ev.Endpoints) != 0 {
				t.Error("an address was probed after DNS failed")
			}
		})
	}
}

func TestResolvedAddressesAreDeduplicated(t *testing.T) {
	tg, _ := target.Parse("api.example.com:1", "")
	r := fakeResolver{addrs: []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.1"), netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}}
	ev := Run(context.Background(), Options{Target: tg, Timeout: time.Second, Resolver: r})
	if len(ev.DNS.Addresses) != 2 || ev.DNS.Addresses[0] != "127.0.0.1" || ev.DNS.Addresses[1] != "::1" {
		t.Errorf("addresses = %v", ev.DNS.Addresses)
	}
}

// TestClientCertRefusedOverHTTP is nginx's ssl_verify_client on: the
// handshake completes and the first request is answered 400.
func TestClientCertRefusedOverHTTP(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "<html><center>No required SSL certificate was sent</center></html>", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		ClientAuth: tls.RequestClientCert, NextProtos: []string{"h2", "http/1.1"}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	hs := run(t, srv.Listener.Addr().String(), 5*time.Second).Endpoints[0].Handshake
	if hs.Err != nil || !hs.ClientCertRequested {
		t.Fatalf("handshake = %+v", hs)
	}
	if e := hs.ClientCertRejected; e == nil || e.Kind != ErrHTTPRefused {
		t.Errorf("rejection = %+v, want http_refused", e)
	}
}

// manyAddresses starts a TLS server on n loopback addresses sharing one
// port, each counted by its own gauge, and a DNS server that resolves
// many.test to all of them.
func manyAddresses(t *testing.T, n int) (tg target.Target, r Resolver, gauges map[string]*conntrack.Gauge) {
	t.Helper()
	c := testpki.NewChain(t, time.Now())
	cfg := &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2", "http/1.1"}}
	ips := make([]string, n)
	var addrs []netip.Addr
	for i := range ips {
		ips[i] = fmt.Sprintf("127.0.%d.%d", 10+i/200, 1+i%200)
		addrs = append(addrs, netip.MustParseAddr(ips[i]))
	}
	port := testpki.FreePort(t, ips...)
	gauges = map[string]*conntrack.Gauge{}
	for _, ip := range ips {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		g := &conntrack.Gauge{}
		gauges[ip] = g
		testpki.ServeTLS(t, g.Listener(ln), cfg)
	}
	dns := testdns.Start(t, testdns.Zone{"many.test.": {A: addrs}})
	tg, err := target.Parse("many.test:"+strconv.Itoa(port), "")
	if err != nil {
		t.Fatal(err)
	}
	return tg, dns.Resolver(), gauges
}

// TestOneConnectionBudget: --concurrency bounds the connections of the
// whole run, across addresses, and a name with many addresses is probed in
// full on MaxFullAddresses of them, the rest with the strict handshake.
func TestOneConnectionBudget(t *testing.T) {
	const n, concurrency = 40, 4
	tg, r, gauges := manyAddresses(t, n)
	var client conntrack.Gauge
	ev := Run(context.Background(), Options{Target: tg, Resolver: r, Timeout: 30 * time.Second, Enumerate: true,
		Concurrency: concurrency, Dial: client.Dial((&net.Dialer{}).DialContext)})
	if len(ev.Endpoints) != n || ev.MaxFull != MaxFullAddresses {
		t.Fatalf("%d endpoints, %d probed in full", len(ev.Endpoints), ev.MaxFull)
	}
	if got := client.Peak(); got > concurrency || got < 2 {
		t.Errorf("at most %d connections were open at once, want 2 to %d", got, concurrency)
	}
	full, server := 0, 0
	for _, ep := range ev.Endpoints {
		g := gauges[ep.Address]
		server += g.Total()
		if ep.ConnectErr != nil || ep.Handshake == nil || ep.Handshake.Err != nil {
			t.Errorf("%s: connect %v, handshake %+v", ep.Address, ep.ConnectErr, ep.Handshake)
			continue
		}
		if ep.HandshakeOnly {
			if ep.Scan != nil || ep.NoSNI != nil || g.Total() != 1 {
				t.Errorf("%s: handshake only, yet scan %v, no-SNI %v, %d connections", ep.Address, ep.Scan != nil,
					ep.NoSNI != nil, g.Total())
			}
			continue
		}
		full++
		if ep.Scan == nil || ep.ScanErr != nil || g.Total() < 10 {
			t.Errorf("%s: probed in full, yet scan %v (%v), %d connections", ep.Address, ep.Scan != nil, ep.ScanErr, g.Total())
		}
	}
	if full != MaxFullAddresses {
		t.Errorf("%d addresses probed in full, want %d", full, MaxFullAddresses)
	}
	if server != client.Total() {
		t.Errorf("the servers accepted %d connections, the client opened %d", server, client.Total())
	}
}

// TestFullAddressesCoverBothFamilies: the addresses probed in full include
// an IPv6 one when the name has one, wherever DNS put it.
func TestFullAddressesCoverBothFamilies(t *testing.T) {
	var addrs []string
	for i := range 20 {
		addrs = append(addrs, fmt.Sprintf("192.0.2.%d", i+1))
	}
	addrs = append(addrs, "2001:db8::1", "2001:db8::2")
	full := fullAddresses(addrs, 16)
	n := 0
	for i, f := range full {
		if f {
			n++
		}
		if want := i < 15 || i == 20; f != want {
			t.Errorf("%s: full = %v, want %v", addrs[i], f, want)
		}
	}
	if n != 16 {
		t.Errorf("%d in full, want 16", n)
	}
	if got := fullAddresses(addrs[:3], 16); !got[0] || !got[1] || !got[2] {
		t.Errorf("a short list is probed in full: %v", got)
	}
}

// TestRequestRunsOnTheStrictHandshake: a URL target's GET goes on the
// connection of the handshake that completed, so a server that stalls
// other handshakes (here: those without SNI) still gets it.
func TestRequestRunsOnTheStrictHandshake(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	stop := make(chan struct{})
	cfg := &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos: []string{"h2", "http/1.1"},
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			if hello.ServerName == "" {
				<-stop // stalls until the test ends
			}
			return nil, nil
		}}
	addr := testpki.StartTLS(t, cfg)
	t.Cleanup(func() { close(stop) }) // before the server's cleanup, which waits for its handshakes
	_, port, _ := net.SplitHostPort(addr)
	tg, _ := target.Parse("https://localhost:"+port+"/hook", "")
	ev := Run(context.Background(), Options{Target: tg, Timeout: time.Second,
		Pinned: map[string][]netip.Addr{"localhost:" + port: {netip.MustParseAddr("127.0.0.1")}}})
	ep := ev.Endpoints[0]
	if ep.HTTP == nil || ep.HTTP.Err != nil || ep.HTTP.StatusCode != 200 || ep.HTTP.Proto != "HTTP/2.0" {
		t.Fatalf("request = %+v", ep.HTTP)
	}
	if ep.NoSNI != nil && ep.NoSNI.Err == nil {
		t.Errorf("the handshake without SNI completed: %+v", ep.NoSNI)
	}
}

// TestDripIsTooSlowNotSilent: a server that answers one byte at a time is
// recorded as answering (BytesRead), unlike a silent one.
func TestDripIsTooSlowNotSilent(t *testing.T) {
	ev := run(t, testpki.StartDrip(t, 100*time.Millisecond), time.Second)
	hs := ev.Endpoints[0].Handshake
	if hs.Err == nil || hs.Err.Kind != ErrTimeout || hs.BytesRead < 3 {
		t.Fatalf("handshake = %+v (%d bytes read), want a timeout after some bytes", hs.Err, hs.BytesRead)
	}
	if why := hs.NotScannable(); !strings.Contains(why, "too slowly") {
		t.Errorf("no enumeration because %q", why)
	}
	silent := run(t, testpki.StartSilent(t), 300*time.Millisecond).Endpoints[0].Handshake
	if silent.BytesRead != 0 || !strings.Contains(silent.NotScannable(), "did not answer") {
		t.Errorf("silent: %d bytes, %q", silent.BytesRead, silent.NotScannable())
	}
}

// TestGarbageDNSIsNotATimeout: a DNS server answering with bytes that are
// not DNS is told apart from one that does not answer.
func TestGarbageDNSIsNotATimeout(t *testing.T) {
	dns := testdns.Start(t, testdns.Zone{"garbage.test.": {Garbage: true}, "dropped.test.": {Drop: true}})
	for name, want := range map[string]ErrorKind{"garbage.test": ErrDNSGarbage, "dropped.test": ErrDNSTimeout} {
		tg, _ := target.Parse(name, "")
		ev := Run(context.Background(), Options{Target: tg, Timeout: 500 * time.Millisecond, Resolver: dns.Resolver()})
		if ev.DNS.Err == nil || ev.DNS.Err.Kind != want {
			t.Errorf("%s: %+v, want %s", name, ev.DNS.Err, want)
		}
	}
}

// TestAddressesNoSlotReachedAreNotAttempted: when tarpits hold every slot
// until the time limit, the addresses left are recorded as not attempted,
// not as failing, and the probe still ends on time.
func TestAddressesNoSlotReachedAreNotAttempted(t *testing.T) {
	ips := []string{"127.0.30.1", "127.0.30.2", "127.0.30.3", "127.0.30.4"}
	port := testpki.FreePort(t, ips...)
	var as []netip.Addr
	for _, ip := range ips {
		testpki.StartSilentOn(t, net.JoinHostPort(ip, strconv.Itoa(port)))
		as = append(as, netip.MustParseAddr(ip))
	}
	dns := testdns.Start(t, testdns.Zone{"tarpit.test.": {A: as}})
	tg, _ := target.Parse("tarpit.test:"+strconv.Itoa(port), "")
	var client conntrack.Gauge
	start := time.Now()
	ev := Run(context.Background(), Options{Target: tg, Resolver: dns.Resolver(), Timeout: 500 * time.Millisecond,
		Concurrency: 2, Samples: 3, Dial: client.Dial((&net.Dialer{}).DialContext)})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %s with a 500ms timeout", took)
	}
	kinds := map[ErrorKind]int{}
	for _, ep := range ev.Endpoints {
		switch {
		case ep.ConnectErr != nil:
			kinds[ep.ConnectErr.Kind]++
		case ep.Handshake != nil && ep.Handshake.Err != nil:
			kinds[ep.Handshake.Err.Kind]++
		}
		if len(ep.Samples) > 0 {
			t.Errorf("%s: %d timing rounds recorded after the time ran out", ep.Address, len(ep.Samples))
		}
	}
	if kinds[ErrTimeout] != 2 || kinds[ErrNotAttempted] != 2 || client.Peak() > 2 {
		t.Errorf("outcomes %v, %d connections at once; want 2 timeouts, 2 not attempted, at most 2", kinds, client.Peak())
	}
}

// TestRequestTimesInOrder: over HTTP/2 the transport reports the request
// written and the answer's first byte from two goroutines, in either order
// when the server answers at once; the exchange's times keep the order of
// the events (the time to the first byte is never negative), many times over.
func TestRequestTimesInOrder(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos: []string{"h2", "http/1.1"}})
	_, port, _ := net.SplitHostPort(addr)
	tg, err := target.Parse("https://localhost:"+port+"/hook", "")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Target: tg, Timeout: 5 * time.Second, Now: time.Now}
	for range 40 {
		tc, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost",
			NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		ex := requestOn(context.Background(), opts, tc)
		tc.Close()
		if ex.Err != nil || ex.Proto != "HTTP/2.0" || ex.Start.IsZero() || ex.FirstByte.Before(ex.Start) {
			t.Fatalf("exchange = %+v: want HTTP/2, the first byte at or after the request's start", ex)
		}
	}
}
