package exporter

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
)

// BenchmarkFamilies is the cost of turning a real probe report (a loopback
// server, with the enumeration) into a scrape's metrics and encoding them.
func BenchmarkFamilies(b *testing.B) {
	c := testpki.NewChain(b, time.Now())
	addr := testpki.StartTLS(b, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	s, err := New(Config{Roots: trust.New("test", c.Root.Cert)})
	if err != nil {
		b.Fatal(err)
	}
	m := s.modules["meta"]
	tg, err := target.Parse(addr, "")
	if err != nil {
		b.Fatal(err)
	}
	rep := s.probe(context.Background(), m, tg, 10*time.Second)
	o := &outcome{rep: rep, duration: time.Second}
	o.judge(m, 10*time.Second)
	b.ReportAllocs()
	for b.Loop() {
		var buf countWriter
		if err := writeText(&buf, families(m, o)); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf))
	}
}

type countWriter int

func (w *countWriter) Write(p []byte) (int, error) { *w += countWriter(len(p)); return len(p), nil }
