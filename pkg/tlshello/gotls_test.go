package tlshello

import (
	"crypto/tls"
	"slices"
	"testing"
)

// Scans of crypto/tls servers: the suites found must be exactly those configured.

func TestScanGoTLS12(t *testing.T) {
	tests := []struct {
		name   string
		key    keyKind
		suites []uint16
		curves []tls.CurveID
		groups []string
	}{
		{
			name: "RSA",
			key:  rsaKey,
			suites: []uint16{
				tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
				tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
			},
			curves: []tls.CurveID{tls.X25519, tls.CurveP384},
			groups: []string{"x25519", "secp384r1"},
		},
		{
			name: "ECDSA",
			key:  ecdsaKey,
			suites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
				tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			},
			curves: []tls.CurveID{tls.CurveP256, tls.CurveP521},
			groups: []string{"secp256r1", "secp521r1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cert := certFor(t, tc.key)
			addr := startGoServer(t, &tls.Config{
				Certificates:     []tls.Certificate{cert.tls},
				MinVersion:       tls.VersionTLS12,
				MaxVersion:       tls.VersionTLS12,
				CipherSuites:     tc.suites,
				CurvePreferences: tc.curves,
			})
			res := scanLoopback(t, addr, Options{ServerName: "localhost"})
			checkOffered(t, res, VersionTLS12)
			p := res.Protocols[3]
			checkSuites(t, p, tc.suites)
			if !slices.Equal(p.Groups, tc.groups) || !slices.Equal(res.Groups, tc.groups) {
				t.Errorf("groups %v (all %v), want %v", p.Groups, res.Groups, tc.groups)
			}
			if len(res.Certificates) != 1 || !slices.Equal(res.Certificates[0], cert.tls.Certificate[0]) {
				t.Errorf("certificates from the flight: %d, want the one served", len(res.Certificates))
			}
			if len(p.Errors) > 0 {
				t.Errorf("errors: %v", p.Errors)
			}
		})
	}
}

func TestScanGoTLS13(t *testing.T) {
	cert := certFor(t, ecdsaKey)
	addr := startGoServer(t, &tls.Config{
		Certificates:     []tls.Certificate{cert.tls},
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.CurveP256},
	})
	res := scanLoopback(t, addr, Options{ServerName: "localhost"})
	checkOffered(t, res, VersionTLS13)
	p := res.Protocols[4]
	checkSuites(t, p, []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256})
	if want := []string{"secp256r1", "X25519MLKEM768"}; !slices.Equal(p.Groups, want) {
		t.Errorf("groups %v, want %v", p.Groups, want)
	}
	if p.ServerOrder != nil || len(p.Errors) > 0 {
		t.Errorf("server order %s, errors %v", fmtBool(p.ServerOrder), p.Errors)
	}
}

// checkOffered checks that exactly the versions listed are offered, and that the others are
// refused (not "could not tell") with a reason.
func checkOffered(t *testing.T, res *Result, versions ...uint16) {
	t.Helper()
	if len(res.Protocols) != 5 {
		t.Fatalf("%d protocols", len(res.Protocols))
	}
	for i, p := range res.Protocols {
		if want := []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13}[i]; p.Version != want {
			t.Errorf("protocol %d is 0x%04X", i, p.Version)
		}
		want := slices.Contains(versions, p.Version)
		if p.Offered == nil || *p.Offered != want {
			t.Errorf("%s: offered %s (%s), want %v", p.Name, fmtBool(p.Offered), p.Reason, want)
		}
		if !want && (p.Reason == "" || len(p.Ciphers) > 0) {
			t.Errorf("%s: not offered, reason %q, ciphers %v", p.Name, p.Reason, p.Ciphers)
		}
	}
}

// checkSuites checks that p's ciphers are exactly want, in any order, each once.
func checkSuites(t *testing.T, p Protocol, want []uint16) {
	t.Helper()
	got := cipherIDs(p.Ciphers)
	sortedGot, sortedWant := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(sortedGot, sortedWant) {
		t.Errorf("%s suites:\ngot  %s\nwant %s", p.Name, suiteNames(sortedGot), suiteNames(sortedWant))
	}
	for _, c := range p.Ciphers {
		s, _ := LookupSuite(c.ID)
		if c.Name != s.Name || c.OpenSSLName != s.OpenSSLName || c.Grade != s.Grade {
			t.Errorf("cipher %+v does not match the registry", c)
		}
	}
}

func suiteNames(ids []uint16) []string {
	var names []string
	for _, id := range ids {
		names = append(names, SuiteName(id))
	}
	return names
}

func TestParseCertificates(t *testing.T) {
	a, b := []byte{0x30, 0x01, 0x00}, []byte{0x30, 0x00}
	list := []byte{0, 0, 3, 0x30, 0x01, 0x00, 0, 0, 2, 0x30, 0x00}
	good := append([]byte{0, 0, byte(len(list))}, list...)
	if got := parseCertificates(good); len(got) != 2 || !slices.Equal(got[0], a) || !slices.Equal(got[1], b) {
		t.Errorf("parseCertificates = %x", got)
	}
	for _, bad := range [][]byte{nil, {0, 0}, {0, 0, 9, 0, 0, 1}, {0, 0, 4, 0, 0, 5, 1}, {0, 0, 3, 0, 0, 0}} {
		if got := parseCertificates(bad); got != nil {
			t.Errorf("parseCertificates(%x) = %x, want nil", bad, got)
		}
	}
}
