package tlshello

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"testing"
	"time"
)

// goSees feeds a hello to crypto/tls's server and returns the ClientHelloInfo it parsed.
func goSees(t *testing.T, hello []byte) *tls.ClientHelloInfo {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	client.SetDeadline(time.Now().Add(5 * time.Second))
	server.SetDeadline(time.Now().Add(5 * time.Second))
	seen := make(chan *tls.ClientHelloInfo, 1)
	errStop := errors.New("stop")
	go func() {
		defer server.Close()
		tls.Server(server, &tls.Config{GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			seen <- chi
			return nil, errStop
		}}).Handshake()
		close(seen)
	}()
	go client.Write(hello)
	go bytes.NewBuffer(nil).ReadFrom(client) // drain the alert
	chi := <-seen
	if chi == nil {
		t.Fatal("crypto/tls did not parse the hello")
	}
	return chi
}

func TestBuildClientHelloParsedByGo(t *testing.T) {
	suites := []uint16{0xC02F, 0x009E, 0x0041, 0x1301}
	tests := []struct {
		version        uint16
		wantSigAlgs    bool
		wantSuites     []uint16
		wantExtensions bool
	}{
		{VersionSSL30, false, append(slices.Clone(suites), scsvRenegotiation), false},
		{VersionTLS10, false, append(slices.Clone(suites), scsvRenegotiation), true},
		{VersionTLS11, false, append(slices.Clone(suites), scsvRenegotiation), true},
		{VersionTLS12, true, append(slices.Clone(suites), scsvRenegotiation), true},
		{VersionTLS13, true, suites, true},
	}
	for _, tc := range tests {
		t.Run(versionName(tc.version), func(t *testing.T) {
			chi := goSees(t, BuildClientHello(ClientHello{Version: tc.version, CipherSuites: suites,
				ServerName: "hooks.example.com", KeyShare: true}))
			if !slices.Equal(chi.CipherSuites, tc.wantSuites) {
				t.Errorf("suites = %x, want %x", chi.CipherSuites, tc.wantSuites)
			}
			// crypto/tls lists every version up to legacy_version when there is no
			// supported_versions extension, and none for SSL 3.0.
			if len(chi.SupportedVersions) > 0 && chi.SupportedVersions[0] != tc.version ||
				tc.version == VersionTLS13 && len(chi.SupportedVersions) != 1 ||
				tc.version > VersionSSL30 && len(chi.SupportedVersions) == 0 {
				t.Errorf("versions = %x, want %x first", chi.SupportedVersions, tc.version)
			}
			if !tc.wantExtensions {
				if chi.ServerName != "" || len(chi.SupportedCurves) > 0 || len(chi.Extensions) > 0 {
					t.Errorf("SSL 3.0 hello has extensions %v", chi.Extensions)
				}
				return
			}
			if chi.ServerName != "hooks.example.com" {
				t.Errorf("server name = %q", chi.ServerName)
			}
			var curves []uint16
			for _, c := range chi.SupportedCurves {
				curves = append(curves, uint16(c))
			}
			if !slices.Equal(curves, defaultGroups(tc.version)) {
				t.Errorf("groups = %x, want %x", curves, defaultGroups(tc.version))
			}
			if !slices.Equal(chi.SupportedPoints, []uint8{0}) {
				t.Errorf("point formats = %v", chi.SupportedPoints)
			}
			if got := len(chi.SignatureSchemes) > 0; got != tc.wantSigAlgs {
				t.Errorf("signature_algorithms sent = %v, want %v", got, tc.wantSigAlgs)
			}
			if tc.wantSigAlgs && !slices.Contains(chi.SignatureSchemes, tls.PKCS1WithSHA1) {
				t.Errorf("signature_algorithms lack rsa_pkcs1_sha1: %v", chi.SignatureSchemes)
			}
			if tc.version == VersionTLS13 && !slices.Contains(chi.Extensions, extPSKModes) {
				t.Errorf("no psk_key_exchange_modes in %v", chi.Extensions)
			}
		})
	}
}

func TestBuildClientHelloServerName(t *testing.T) {
	for name, want := range map[string]string{
		"hooks.example.com.": "hooks.example.com",
		"192.0.2.1":          "",
		"2001:db8::1":        "",
		"":                   "",
	} {
		chi := goSees(t, BuildClientHello(ClientHello{Version: VersionTLS12, CipherSuites: []uint16{0xC02F}, ServerName: name}))
		if chi.ServerName != want {
			t.Errorf("ServerName %q: server saw %q, want %q", name, chi.ServerName, want)
		}
		if sent := slices.Contains(chi.Extensions, extServerName); sent != (want != "") {
			t.Errorf("ServerName %q: server_name extension sent = %v", name, sent)
		}
	}
}

// TestBuildClientHelloPadding checks that no hello has a length some servers hang on: a
// handshake message between 256 and 511 bytes.
func TestBuildClientHelloPadding(t *testing.T) {
	all := suitesFor(VersionTLS12)
	for _, v := range []uint16{VersionTLS10, VersionTLS12, VersionTLS13} {
		for n := 1; n <= maxChunk+10; n++ {
			for _, name := range []string{"", "a.example", "a-rather-long-webhook-host-name.customer.example.com"} {
				h := BuildClientHello(ClientHello{Version: v, CipherSuites: all[:n], ServerName: name, KeyShare: true})
				if msgLen := len(h) - 5; msgLen > 0xFF && msgLen < 0x200 {
					t.Fatalf("%s hello with %d suites and name %q is %d bytes", versionName(v), n, name, msgLen)
				}
				if int(h[3])<<8|int(h[4]) != len(h)-5 {
					t.Fatalf("record length %d, have %d bytes", int(h[3])<<8|int(h[4]), len(h)-5)
				}
			}
		}
	}
}

// TestBuildClientHelloKeyShare checks against crypto/tls that a TLS 1.3 hello with the
// x25519 share gets a ServerHello, and one without gets a HelloRetryRequest naming the group.
func TestBuildClientHelloKeyShare(t *testing.T) {
	cert := certFor(t, ecdsaKey)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.tls},
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}})
	for _, tc := range []struct {
		keyShare  bool
		groups    []uint16
		wantRetry bool
		wantGroup uint16
	}{
		{true, []uint16{GroupX25519}, false, GroupX25519},
		{false, []uint16{GroupX25519}, true, GroupX25519},
		{true, []uint16{GroupSecp256r1}, true, GroupSecp256r1},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(BuildClientHello(ClientHello{Version: VersionTLS13, CipherSuites: []uint16{0x1301},
			Groups: tc.groups, KeyShare: tc.keyShare}))
		reply, err := ReadServerFlight(c, false)
		c.Close()
		if err != nil || reply.ServerHello == nil {
			t.Fatalf("key share %v, groups %x: reply %s, error %v", tc.keyShare, tc.groups, replyString(reply), err)
		}
		if sh := reply.ServerHello; sh.HelloRetry != tc.wantRetry || sh.Group != tc.wantGroup || sh.Version != VersionTLS13 {
			t.Errorf("key share %v, groups %x: got %+v", tc.keyShare, tc.groups, *sh)
		}
	}
}
