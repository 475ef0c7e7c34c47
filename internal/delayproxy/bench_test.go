package delayproxy

import (
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkRoundTrip measures what a round trip through the proxy costs
// beyond its nominal 2 × delay: 8 connections at once (as wacheck's
// enumeration makes them), each writing 300 bytes to an echo server and
// reading them back. ms/rtt is the median of the round trips measured;
// over-ms is what it adds to the 50 ms asked for (timer wake-ups and the
// hand-offs between goroutines and processes). docs/performance.md uses it
// to tell the harness's round trip from wacheck's own time.
func BenchmarkRoundTrip(b *testing.B) {
	const delay, conns = 25 * time.Millisecond, 8
	p := startProxy(b, echoServer(b), delay)
	var mu sync.Mutex
	var rtts []time.Duration
	for b.Loop() {
		var wg sync.WaitGroup
		for range conns {
			wg.Go(func() {
				c, err := net.Dial("tcp", p.Addr().String())
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				msg := make([]byte, 300)
				start := time.Now()
				if _, err := c.Write(msg); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, msg); err != nil {
					b.Error(err)
					return
				}
				d := time.Since(start)
				mu.Lock()
				rtts = append(rtts, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	if len(rtts) == 0 {
		b.Fatal("no round trip measured")
	}
	slices.Sort(rtts)
	med := rtts[len(rtts)/2]
	if med < 2*delay {
		b.Fatalf("round trip %v, shorter than the %v asked for", med, 2*delay)
	}
	b.ReportMetric(float64(med.Microseconds())/1000, "ms/rtt")
	b.ReportMetric(float64((med-2*delay).Microseconds())/1000, "over-ms")
}
