package probe

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/target"
)

// These tests prove that a sender profile is what goes on the wire: a
// loopback server records the ClientHello of a probe acting as each
// profile's client (Options.Client = ClientFromProfile) and compares it
// with what the profile, and so `wacheck senders`, says.

// startHelloRecorder starts a loopback TLS server (TLS 1.2 and 1.3, h2 and
// http/1.1, Go's default groups) that sends every ClientHello it gets to the
// returned channel.
func startHelloRecorder(t *testing.T, maxVersion uint16) (string, <-chan *tls.ClientHelloInfo) {
	t.Helper()
	c := testpki.NewChain(t, time.Now())
	hellos := make(chan *tls.ClientHelloInfo, 8)
	addr := testpki.StartTLS(t, &tls.Config{
		Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
		NextProtos:   []string{"h2", "http/1.1"},
		MaxVersion:   maxVersion,
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			hellos <- chi
			return nil, nil
		},
	})
	return addr, hellos
}

// probeAs probes addr ("127.0.0.1:PORT") as the name localhost pinned to
// it, acting as p's client: one handshake, no comparison without SNI.
func probeAs(t *testing.T, addr string, p *profile.Profile) *Handshake {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	tg, err := target.Parse("localhost:"+port, "")
	if err != nil {
		t.Fatal(err)
	}
	ev := Run(context.Background(), Options{
		Target:       tg,
		Timeout:      5 * time.Second,
		Pinned:       map[string][]netip.Addr{net.JoinHostPort("localhost", port): {netip.MustParseAddr(host)}},
		NoSNICompare: true,
		// One ClientHello: the strict handshake's.
		NoExtraHandshakes: true,
		Client:            ClientFromProfile(p),
	})
	if len(ev.Endpoints) != 1 || ev.Endpoints[0].Handshake == nil {
		t.Fatalf("%s: no handshake: %+v", p.Key, ev)
	}
	return ev.Endpoints[0].Handshake
}

// oneHello takes the one ClientHello a probe sent.
func oneHello[T any](t *testing.T, hellos <-chan T) T {
	t.Helper()
	select {
	case h := <-hellos:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("the server saw no ClientHello")
	}
	panic("unreachable")
}

// splitSuites separates the TLS 1.3 suites (0x13xx) of a ClientHello from
// the others.
func splitSuites(suites []uint16) (tls12, tls13 []uint16) {
	for _, s := range suites {
		if s>>8 == 0x13 {
			tls13 = append(tls13, s)
		} else {
			tls12 = append(tls12, s)
		}
	}
	return tls12, tls13
}

func sameSet[T comparable](a, b []T) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x T) bool { return !slices.Contains(b, x) })
}

func TestClientHelloFollowsProfile(t *testing.T) {
	addr, hellos := startHelloRecorder(t, 0)
	seen := map[string]*tls.ClientHelloInfo{}
	for _, key := range []string{"meta", "generic"} {
		p := profile.MustLookup(key)
		hs := probeAs(t, addr, p)
		chi := oneHello(t, hellos)
		seen[key] = chi
		if hs.Err != nil {
			t.Fatalf("%s: handshake: %v", key, hs.Err)
		}

		tls12, tls13 := splitSuites(chi.CipherSuites)
		if !sameSet(tls12, p.Suites12) {
			t.Errorf("%s: TLS 1.2 suites %x, want the set %x", key, tls12, p.Suites12)
		}
		if !sameSet(tls13, p.Suites13) {
			t.Errorf("%s: TLS 1.3 suites %x, want the set %x", key, tls13, p.Suites13)
		}
		// Go orders both lists by one hardware test: with AES-GCM hardware,
		// AES-128-GCM leads TLS 1.3, and the profiles' orders are Go's.
		if len(tls13) > 0 && tls13[0] == tls.TLS_AES_128_GCM_SHA256 {
			if !slices.Equal(tls12, p.Suites12) || !slices.Equal(tls13, p.Suites13) {
				t.Errorf("%s: suites in order %x %x, the profile says %x %x", key, tls12, tls13, p.Suites12, p.Suites13)
			}
		}
		if !slices.Equal(chi.SupportedCurves, p.Groups) {
			t.Errorf("%s: groups %v, want %v in that order", key, chi.SupportedCurves, p.Groups)
		}
		if !slices.Equal(chi.SignatureSchemes, p.SignatureAlgorithms) {
			t.Errorf("%s: signature algorithms %v, want %v", key, chi.SignatureSchemes, p.SignatureAlgorithms)
		}
		if !slices.Equal(chi.SupportedProtos, p.ALPN) {
			t.Errorf("%s: ALPN %v, want %v", key, chi.SupportedProtos, p.ALPN)
		}
		if chi.ServerName != "localhost" || hs.ServerName != "localhost" {
			t.Errorf("%s: SNI %q (evidence %q), want localhost", key, chi.ServerName, hs.ServerName)
		}
		if want := []uint16{tls.VersionTLS13, tls.VersionTLS12}; !slices.Equal(chi.SupportedVersions, want) {
			t.Errorf("%s: versions %x, want %x", key, chi.SupportedVersions, want)
		}
		// The server (Go's defaults) takes the first group it shares.
		if hs.Version != tls.VersionTLS13 || hs.CurveID != uint16(p.Groups[0]) || hs.ALPN != p.ALPN[0] {
			t.Errorf("%s: negotiated version %x group %x ALPN %q", key, hs.Version, hs.CurveID, hs.ALPN)
		}
	}

	// What --sender changes.
	chacha := []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
	for _, s := range chacha {
		if slices.Contains(seen["meta"].CipherSuites, s) {
			t.Errorf("meta offers %s", tls.CipherSuiteName(s))
		}
		if !slices.Contains(seen["generic"].CipherSuites, s) {
			t.Errorf("generic does not offer %s", tls.CipherSuiteName(s))
		}
	}
	if g := seen["meta"].SupportedCurves; len(g) == 0 || g[0] != tls.X25519MLKEM768 {
		t.Errorf("meta's groups start %v, want X25519MLKEM768", g)
	}
	if g := seen["generic"].SupportedCurves; len(g) == 0 || g[0] != tls.X25519 || slices.Contains(g, tls.X25519MLKEM768) {
		t.Errorf("generic's groups %v, want X25519 first and no hybrid", g)
	}
}

// TestKeySharesFollowProfile reads the raw ClientHello, since
// ClientHelloInfo does not show key shares: Go sends one for the first
// group and, beside a hybrid, one for its classical part.
func TestKeySharesFollowProfile(t *testing.T) {
	hellos := make(chan []byte, 8)
	addr := testpki.StartRaw(t, func(c net.Conn) {
		rec, err := readRecord(c)
		if err != nil {
			t.Errorf("reading the ClientHello: %v", err)
			return
		}
		hellos <- rec
	})
	for _, key := range []string{"meta", "generic"} {
		p := profile.MustLookup(key)
		probeAs(t, addr, p)
		got, ok := keyShareGroups(oneHello(t, hellos))
		if !ok {
			t.Fatalf("%s: cannot parse the ClientHello's key_share", key)
		}
		if want := p.KeyShares(); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: key shares %v, the profile says %v", key, got, want)
		}
	}
}

func TestNoSNIProfile(t *testing.T) {
	addr, hellos := startHelloRecorder(t, 0)
	p := profile.MustLookup("generic")
	p.SendsSNI = false
	hs := probeAs(t, addr, p)
	if chi := oneHello(t, hellos); chi.ServerName != "" || slices.Contains(chi.Extensions, 0) {
		t.Errorf("SNI %q sent (extensions %v), want none", chi.ServerName, chi.Extensions)
	}
	if hs.ServerName != "" || hs.Err != nil {
		t.Errorf("evidence: SNI %q, error %v", hs.ServerName, hs.Err)
	}
}

func TestProfileVersionLimits(t *testing.T) {
	addr, hellos := startHelloRecorder(t, 0)
	for _, tc := range []struct {
		minV, maxV   uint16
		versions     []uint16
		tls12, tls13 bool
	}{
		{tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.VersionTLS12}, true, false},
		{tls.VersionTLS13, tls.VersionTLS13, []uint16{tls.VersionTLS13}, false, true},
	} {
		p := profile.MustLookup("meta")
		p.MinVersion, p.MaxVersion = tc.minV, tc.maxV
		hs := probeAs(t, addr, p)
		chi := oneHello(t, hellos)
		if !slices.Equal(chi.SupportedVersions, tc.versions) {
			t.Errorf("%x-%x: versions %x, want %x", tc.minV, tc.maxV, chi.SupportedVersions, tc.versions)
		}
		tls12, tls13 := splitSuites(chi.CipherSuites)
		if (len(tls12) > 0) != tc.tls12 || (len(tls13) > 0) != tc.tls13 {
			t.Errorf("%x-%x: TLS 1.2 suites %x, TLS 1.3 suites %x", tc.minV, tc.maxV, tls12, tls13)
		}
		if hs.Err != nil || hs.Version != tc.maxV {
			t.Errorf("%x-%x: negotiated %x, error %v", tc.minV, tc.maxV, hs.Version, hs.Err)
		}
	}

	// A TLS 1.3-only client and a TLS 1.2-only server share no version.
	addr12, hellos12 := startHelloRecorder(t, tls.VersionTLS12)
	p := profile.MustLookup("meta")
	p.MinVersion = tls.VersionTLS13
	hs := probeAs(t, addr12, p)
	oneHello(t, hellos12)
	if hs.Err == nil || hs.Err.Kind != ErrNoCommon {
		t.Errorf("TLS 1.3 client, TLS 1.2 server: error %+v, want %s", hs.Err, ErrNoCommon)
	}
}

// readRecord reads one TLS record, header included.
func readRecord(c net.Conn) ([]byte, error) {
	header := make([]byte, 5)
	if _, err := io.ReadFull(c, header); err != nil {
		return nil, err
	}
	rec := make([]byte, 5+int(binary.BigEndian.Uint16(header[3:])))
	copy(rec, header)
	_, err := io.ReadFull(c, rec[5:])
	return rec, err
}

// keyShareGroups returns the groups of a ClientHello record's key_share
// extension (RFC 8446, section 4.2.8).
func keyShareGroups(record []byte) ([]tls.CurveID, bool) {
	s := cryptobyte.String(record[5:])
	var msgType uint8
	var hello, sessionID, suites, compression, exts cryptobyte.String
	if !s.ReadUint8(&msgType) || msgType != 1 || !s.ReadUint24LengthPrefixed(&hello) ||
		!hello.Skip(2+32) || !hello.ReadUint8LengthPrefixed(&sessionID) ||
		!hello.ReadUint16LengthPrefixed(&suites) || !hello.ReadUint8LengthPrefixed(&compression) ||
		!hello.ReadUint16LengthPrefixed(&exts) {
		return nil, false
	}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return nil, false
		}
		if typ != 51 {
			continue
		}
		var shares cryptobyte.String
		if !data.ReadUint16LengthPrefixed(&shares) {
			return nil, false
		}
		var groups []tls.CurveID
		for !shares.Empty() {
			var g uint16
			var key cryptobyte.String
			if !shares.ReadUint16(&g) || !shares.ReadUint16LengthPrefixed(&key) {
				return nil, false
			}
			groups = append(groups, tls.CurveID(g))
		}
		return groups, true
	}
	return nil, false
}
