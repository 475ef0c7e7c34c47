package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/target"
)

// run probes addr ("127.0.0.1:port") as the name localhost pinned to it.
func run(t *testing.T, addr string, timeout time.Duration) *Evidence {
	t.Helper()
	host, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	tg, err := target.Parse("localhost:"+portStr, "")
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr(host)
	ev := Run(context.Background(), Options{
		Target:  tg,
		Timeout: timeout,
		Pinned:  map[string][]netip.Addr{net.JoinHostPort("localhost", strconv.Itoa(port)): {ip}},
	})
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
	run(t, addr, 5*time.Second)
	if sni := <-got; sni != "localhost" {
		t.Errorf("SNI = %q, want localhost", sni)
	}
	tg, _ := target.Parse(addr, "")
	ev := Run(context.Background(), Options{Target: tg, Timeout: 5 * time.Second})
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
		{"other", fakeResolver{err: &net.DNSError{Err: "cannot unmarshal DNS message"}}, ErrDNS},
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
