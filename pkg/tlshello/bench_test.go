package tlshello

import (
	"context"
	"crypto/tls"
	"testing"
)

// BenchmarkScan scans loopback servers end to end and reports the connections each scan used.
func BenchmarkScan(b *testing.B) {
	servers := []struct {
		name  string
		start func(b *testing.B) string
	}{
		{"go-default", func(b *testing.B) string {
			return startGoServer(b, &tls.Config{Certificates: []tls.Certificate{certFor(b, rsaKey).tls}})
		}},
		{"openssl-all-serverpref", func(b *testing.B) string {
			return startOpenSSL(b, rsaKey, "-cipher", "ALL:@SECLEVEL=0", "-serverpref")
		}},
	}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			addr := srv.start(b)
			conns := 0
			for b.Loop() {
				res, err := Scan(context.Background(), addr, Options{})
				if err != nil {
					b.Fatal(err)
				}
				conns = res.Connections
			}
			b.ReportMetric(float64(conns), "conns/op")
		})
	}
}
