package tlshello

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/delayproxy"
)

// legacyModel is the server of issue 10's timings as an OpenSSL-like model: nginx with
// ssl_protocols TLSv1 to TLSv1.3, ssl_ciphers ALL:@SECLEVEL=0, ssl_dhparam ffdhe2048 and an
// RSA certificate (OpenSSL 3.0), the client's order winning: 91 suites. modernModel is the
// healthy endpoint of scripts/bench.sh: TLS 1.2 and 1.3, ECDHE-ECDSA AES-GCM.
var (
	legacyCurves = []uint16{GroupX25519, GroupSecp256r1, GroupX448, GroupSecp521r1, GroupSecp384r1}
	legacyGroups = []uint16{GroupX25519, GroupSecp256r1, GroupX448, GroupSecp521r1, GroupSecp384r1,
		GroupFFDHE2048, GroupFFDHE3072, GroupFFDHE4096, GroupFFDHE6144, GroupFFDHE8192}
	legacy10 = []uint16{0x002F, 0x0033, 0x0034, 0x0035, 0x0039, 0x003A, 0x0041, 0x0045, 0x0046, 0x0084,
		0x0088, 0x0089, 0xC013, 0xC014, 0xC018, 0xC019}
	legacyModel = &serverModel{
		suites: map[uint16][]uint16{
			VersionTLS10: legacy10,
			VersionTLS11: legacy10,
			VersionTLS12: {0x002F, 0x0033, 0x0034, 0x0035, 0x0039, 0x003A, 0x003C, 0x003D, 0x0041, 0x0045,
				0x0046, 0x0067, 0x006B, 0x006C, 0x006D, 0x0084, 0x0088, 0x0089, 0x009C, 0x009D, 0x009E, 0x009F,
				0x00A6, 0x00A7, 0x00BA, 0x00BE, 0x00BF, 0x00C0, 0x00C4, 0x00C5, 0xC013, 0xC014, 0xC018, 0xC019,
				0xC027, 0xC028, 0xC02F, 0xC030, 0xC050, 0xC051, 0xC052, 0xC053, 0xC060, 0xC061, 0xC076, 0xC077,
				0xC09C, 0xC09D, 0xC09E, 0xC09F, 0xC0A0, 0xC0A1, 0xC0A2, 0xC0A3, 0xCCA8, 0xCCAA},
			VersionTLS13: {0x1301, 0x1302, 0x1303},
		},
		groupServerOrder: true, // OpenSSL 3.0 names its own choice in a HelloRetryRequest
		curves:           legacyCurves,
		groups13:         legacyGroups,
	}
	modernModel = &serverModel{
		suites: map[uint16][]uint16{
			VersionTLS12: {0xC02B, 0xC02C},
			VersionTLS13: {0x1301, 0x1302, 0x1303},
		},
		groupServerOrder: true,
		curves:           legacyCurves,
		groups13:         legacyGroups,
	}
)

// BenchmarkScan scans servers end to end, on loopback and through a delay proxy adding a
// 50 ms round trip, and reports the connections each scan used and the time it took
// (ns/op). OpenSSL's s_server serves one connection at a time, so it runs on loopback only.
//
// model-legacy-91-beside is the legacy model scanned as pkg/probe scans it: with
// Options.Handshakes bringing what a Go client's TLS 1.3 handshake got after one round
// trip (the strict handshake, which starts with the scan) and what the TLS 1.2 handshakes
// per key type got after two (they start when it ends).
func BenchmarkScan(b *testing.B) {
	servers := []struct {
		name   string
		start  func(b *testing.B) string
		serial bool
	}{
		{"go-default", func(b *testing.B) string {
			return startGoServer(b, &tls.Config{Certificates: []tls.Certificate{certFor(b, rsaKey).tls}})
		}, false},
		{"openssl-all-serverpref", func(b *testing.B) string {
			return startOpenSSL(b, rsaKey, "-cipher", "ALL:@SECLEVEL=0", "-serverpref")
		}, true},
		{"model-legacy-91", func(b *testing.B) string { return modelServer(b, legacyModel) }, false},
		{"model-modern", func(b *testing.B) string { return modelServer(b, modernModel) }, false},
		{"model-legacy-91-beside", func(b *testing.B) string { return modelServer(b, legacyModel) }, false},
	}
	for _, srv := range servers {
		for _, rtt := range []time.Duration{0, 50 * time.Millisecond} {
			if rtt > 0 && srv.serial {
				continue
			}
			b.Run(srv.name+"/rtt="+rtt.String(), func(b *testing.B) {
				addr := srv.start(b)
				if rtt > 0 {
					p, err := delayproxy.Listen("127.0.0.1:0", addr, rtt/2)
					if err != nil {
						b.Fatal(err)
					}
					b.Cleanup(func() { p.Close() })
					addr = p.Addr().String()
				}
				conns, runs := 0, 0
				for b.Loop() {
					var opts Options
					if strings.HasSuffix(srv.name, "-beside") {
						opts.Handshakes = besideProbe(legacyModel, rtt)
					}
					res, err := Scan(context.Background(), addr, opts)
					if err != nil {
						b.Fatal(err)
					}
					conns += res.Connections
					runs++
				}
				b.ReportMetric(float64(conns)/float64(runs), "conns/op")
			})
		}
	}
}

// besideProbe brings a scan what pkg/probe's strict handshake with m gets after one round
// trip (at least a millisecond), and its handshakes per key type after two.
func besideProbe(m *serverModel, rtt time.Duration) <-chan Handshake {
	ch := make(chan Handshake, 4)
	rtt = max(rtt, time.Millisecond)
	go func() {
		defer close(ch)
		time.Sleep(rtt)
		ch <- besideOf(m)
		time.Sleep(rtt)
		for _, h := range keyTypesOf(m) {
			ch <- h
		}
	}()
	return ch
}
