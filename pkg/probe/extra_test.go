package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/conntrack"
	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

func TestKeyTypeSuites(t *testing.T) {
	types, suites := keyTypeSuites(ClientFromProfile(profile.MustLookup(profile.Default)))
	if !slices.Equal(types, []string{"ECDSA", "RSA"}) {
		t.Fatalf("key types = %v", types)
	}
	if !slices.Equal(suites["ECDSA"], []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}) ||
		!slices.Equal(suites["RSA"], []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}) {
		t.Errorf("suites = %v", suites)
	}
	if types, _ := keyTypeSuites(Client{MinVersion: tls.VersionTLS13}); types != nil {
		t.Errorf("TLS 1.3 only: key types = %v, want none (Go cannot ask TLS 1.3 for one)", types)
	}
	// One key type: keyTypeHandshakes makes none (the strict handshake is that one).
	if types, _ := keyTypeSuites(Client{CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}); !slices.Equal(types, []string{"ECDSA"}) {
		t.Errorf("one key type: key types = %v", types)
	}
}

// TestKeyTypeHandshakes: a server with an ECDSA and an RSA certificate
// (Go's server picks the first the client's offer supports) serves each
// key type's handshake its own chain.
func TestKeyTypeHandshakes(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	rsa := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, KeyType: testpki.RSA2048})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER),
		rsa.TLSCertificate()}})
	ep := run(t, addr, 5*time.Second).Endpoints[0]
	if len(ep.KeyTypes) != 2 {
		t.Fatalf("key-type handshakes = %+v, want ECDSA and RSA", ep.KeyTypes)
	}
	for _, kt := range ep.KeyTypes {
		hs := kt.Handshake
		if hs.Err != nil || hs.Version != tls.VersionTLS12 || len(hs.Certificates) == 0 {
			t.Errorf("%s handshake = %+v", kt.KeyType, hs)
			continue
		}
		leaf, err := x509.ParseCertificate(hs.Certificates[0])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]x509.PublicKeyAlgorithm{"ECDSA": x509.ECDSA, "RSA": x509.RSA}[kt.KeyType]
		if leaf.PublicKeyAlgorithm != want || (kt.KeyType == "RSA") != (len(hs.Certificates) == 1) {
			t.Errorf("%s handshake got a %s leaf and %d certificates", kt.KeyType, leaf.PublicKeyAlgorithm, len(hs.Certificates))
		}
		// The strict handshake got the ECDSA chain: the ECDSA handshake,
		// getting it again, stops once it has the certificates; the RSA
		// one, getting a chain of its own, completes.
		if hs.Stopped != (kt.KeyType == "ECDSA") {
			t.Errorf("%s handshake: stopped %v", kt.KeyType, hs.Stopped)
		}
	}
}

// TestKeyTypeHandshakeLeftToTheEnumeration: against a server with an RSA
// certificate only, the RSA handshake (the strict handshake's key type)
// stops once its certificates, the strict handshake's, have arrived, and
// the ECDSA one is not made when the enumeration shows that no ECDSA suite
// is accepted in TLS 1.2; without an enumeration it is made, and fails.
func TestKeyTypeHandshakeLeftToTheEnumeration(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	rsa := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, KeyType: testpki.RSA2048})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{rsa.TLSCertificate()}})
	for _, enumerate := range []bool{true, false} {
		ev := runWith(t, addr, Options{Timeout: 10 * time.Second, Enumerate: enumerate})
		ep := ev.Endpoints[0]
		if len(ep.KeyTypes) != 2 || ep.KeyTypes[0].KeyType != "ECDSA" || ep.KeyTypes[1].KeyType != "RSA" {
			t.Fatalf("enumerate %v: key-type handshakes = %+v, want ECDSA and RSA", enumerate, ep.KeyTypes)
		}
		ecdsa, rsa := ep.KeyTypes[0], ep.KeyTypes[1]
		if hs := rsa.Handshake; hs == nil || hs.Err != nil || !hs.Stopped || !slices.EqualFunc(hs.Certificates,
			ep.Handshake.Certificates, bytes.Equal) {
			t.Errorf("enumerate %v: RSA handshake = %+v, want stopped with the strict handshake's chain", enumerate, hs)
		}
		switch {
		case enumerate && (ecdsa.Handshake != nil || !strings.Contains(ecdsa.Skipped, "none of these suites accepted in TLS 1.2")):
			t.Errorf("with the enumeration: ECDSA handshake %+v, skipped %q; want it not made", ecdsa.Handshake, ecdsa.Skipped)
		case !enumerate && (ecdsa.Handshake == nil || ecdsa.Handshake.Err == nil || ecdsa.Skipped != ""):
			t.Errorf("without the enumeration: ECDSA handshake %+v, skipped %q; want it made, and failed", ecdsa.Handshake,
				ecdsa.Skipped)
		}
	}
}

// TestResumptionOnTheStrictConnection: the session resumed is the strict
// handshake's, whose client offers to resume sessions; no other full
// handshake is made for it, with or without a request on that connection.
func TestResumptionOnTheStrictConnection(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	var hellos helloLog
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos: []string{"h2", "http/1.1"}, GetConfigForClient: hellos.record})
	_, port, _ := net.SplitHostPort(addr)
	for _, url := range []string{"localhost:" + port, "https://localhost:" + port + "/hook"} {
		hellos.take() // the other URL's
		tg, err := target.Parse(url, "")
		if err != nil {
			t.Fatal(err)
		}
		var conns conntrack.Gauge
		ev := Run(context.Background(), Options{Target: tg, Timeout: 10 * time.Second,
			Dial:   conns.Dial((&net.Dialer{}).DialContext),
			Pinned: map[string][]netip.Addr{"localhost:" + port: {netip.MustParseAddr("127.0.0.1")}}})
		ep := ev.Endpoints[0]
		if r := ep.Resumption; r == nil || r.Err != nil || !r.Ticket || !r.Resumed || r.Version != tls.VersionTLS13 {
			t.Errorf("%s: resumption = %+v, want a TLS 1.3 session resumed", url, r)
		}
		if tg.Path != "" && (ep.HTTP == nil || ep.HTTP.StatusCode != 200) {
			t.Errorf("%s: request = %+v", url, ep.HTTP)
		}
		// The strict handshake, the one without SNI, the ECDSA one (stopped
		// once it got the same chain), the RSA one and the resumed one.
		if n := conns.Total(); n != 5 {
			t.Errorf("%s: %d connections, want 5", url, n)
		}
		strict := hellos.take()[0]
		if strict.ServerName != "localhost" || !slices.Contains(strict.Extensions, 45) {
			t.Errorf("%s: the first hello (SNI %q) has no psk_key_exchange_modes: extensions %v", url, strict.ServerName,
				strict.Extensions)
		}
	}
}

func TestResumption(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	cert := c.TLSCertificate(c.Intermediate.DER)
	tests := []struct {
		name            string
		cfg             *tls.Config
		version         uint16
		ticket, resumed bool
	}{
		{"TLS 1.3 tickets", &tls.Config{}, tls.VersionTLS13, true, true},
		{"TLS 1.2 tickets", &tls.Config{MaxVersion: tls.VersionTLS12}, tls.VersionTLS12, true, true},
		{"TLS 1.3 no tickets", &tls.Config{SessionTicketsDisabled: true}, tls.VersionTLS13, false, false},
		{"TLS 1.2 no tickets", &tls.Config{MaxVersion: tls.VersionTLS12, SessionTicketsDisabled: true}, tls.VersionTLS12, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Certificates = []tls.Certificate{cert}
			start := time.Now()
			r := run(t, testpki.StartTLS(t, tt.cfg), 5*time.Second).Endpoints[0].Resumption
			if r == nil || r.Err != nil || r.Version != tt.version || r.Ticket != tt.ticket || r.Resumed != tt.resumed {
				t.Fatalf("resumption = %+v, want %s, ticket %v, resumed %v", r, tls.VersionName(tt.version), tt.ticket, tt.resumed)
			}
			if el := time.Since(start); el > ticketWait+time.Second {
				t.Errorf("the probe took %s: waiting for a ticket must end when it arrives", el)
			}
		})
	}
	t.Run("expired certificate", func(t *testing.T) {
		old := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
		r := run(t, testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{old.TLSCertificate()}}), 5*time.Second).
			Endpoints[0].Resumption
		if r == nil || r.Err == nil || r.Err.Kind != ErrNotAttempted {
			t.Errorf("resumption = %+v, want not attempted", r)
		}
	})
}

// TestResumedHandshakeAnswersP256: the resumed handshake offers the NIST
// curves, P-256 first, and the enumeration takes its answer instead of
// testing P-256 itself; against a server that accepts no NIST curve in
// TLS 1.3 it is made again as the strict client makes it (the resumption
// is judged on that one), and the enumeration tests P-256 itself.
func TestResumedHandshakeAnswersP256(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	cert := c.TLSCertificate(c.Intermediate.DER)
	for _, tt := range []struct {
		name   string
		curves []tls.CurveID
		p256   bool
	}{
		{"P-256 accepted", nil, true},
		{"x25519 only", []tls.CurveID{tls.X25519}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hellos helloLog
			addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: tt.curves,
				GetConfigForClient: hellos.record})
			ev := runWith(t, addr, Options{Timeout: 10 * time.Second, Enumerate: true})
			ep := ev.Endpoints[0]
			if r := ep.Resumption; r == nil || r.Err != nil || !r.Resumed {
				t.Errorf("resumption = %+v, want resumed", r)
			}
			var tls13 *tlshello.Protocol
			for i, p := range ep.Scan.Protocols {
				if p.Version == tls.VersionTLS13 {
					tls13 = &ep.Scan.Protocols[i]
				}
			}
			if tls13 == nil || slices.Contains(tls13.Groups, "secp256r1") != tt.p256 || len(tls13.Errors) > 0 {
				t.Fatalf("TLS 1.3: %+v, want P-256 accepted %v", tls13, tt.p256)
			}
			// Go's handshakes offer P-256 among other groups; in TLS 1.3 only
			// the enumeration's group test offers it alone.
			alone, tuned := 0, 0
			for _, h := range hellos.take() {
				switch {
				case !slices.Contains(h.SupportedVersions, tls.VersionTLS13):
				case slices.Equal(h.SupportedCurves, []tls.CurveID{tls.CurveP256}):
					alone++
				case slices.Equal(h.SupportedCurves, []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.CurveP521}):
					tuned++
				}
			}
			want := 0
			if !tt.p256 {
				want = 1
			}
			if alone != want || tuned != 1 {
				t.Errorf("%d hellos offering P-256 alone (want %d), %d the resumed handshake's NIST curves (want 1)",
					alone, want, tuned)
			}
		})
	}
}

// TestResumedHandshakeStalls: a server that never answers the resumed
// handshake (here: the TLS 1.3 hello offering the NIST curves alone) does
// not hold the enumeration, which was to take its P-256 from it: the
// enumeration waits as long as for one of its own hellos, tests P-256
// itself and ends complete, well before the probe's time limit.
func TestResumedHandshakeStalls(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	stop := make(chan struct{})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if slices.Contains(h.SupportedVersions, tls.VersionTLS13) &&
				slices.Equal(h.SupportedCurves, []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.CurveP521}) {
				<-stop // stalls until the test ends
			}
			return nil, nil
		}})
	t.Cleanup(func() { close(stop) }) // before the server's cleanup, which waits for its handshakes
	ev := runWith(t, addr, Options{Timeout: 9 * time.Second, Enumerate: true})
	ep := ev.Endpoints[0]
	if ep.ScanErr != nil || ep.Scan == nil || ep.Scan.Duration > 7*time.Second {
		t.Fatalf("enumeration: %v, %+v; want it complete within 7s", ep.ScanErr, ep.Scan)
	}
	for _, p := range ep.Scan.Protocols {
		if p.Version == tls.VersionTLS13 && (!slices.Contains(p.Groups, "secp256r1") || len(p.Errors) > 0) {
			t.Errorf("TLS 1.3: %+v, want P-256 found by the enumeration itself", p)
		}
	}
	if r := ep.Resumption; r == nil || r.Err == nil || r.Resumed {
		t.Errorf("resumption = %+v, want the stalled handshake's error", r)
	}
}

// helloLog records the ClientHellos a loopback server gets (record is its
// GetConfigForClient).
type helloLog struct {
	mu     sync.Mutex
	hellos []*tls.ClientHelloInfo
}

func (l *helloLog) record(h *tls.ClientHelloInfo) (*tls.Config, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hellos = append(l.hellos, h)
	return nil, nil
}

// take returns the hellos recorded since the last take.
func (l *helloLog) take() []*tls.ClientHelloInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hellos
	l.hellos = nil
	return h
}
