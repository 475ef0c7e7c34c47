package checks

import (
	"slices"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
)

// Stats summarises a phase's durations over the samples of one address.
type Stats struct {
	N                     int
	Min, Median, P95, Max time.Duration
}

// statsOf returns the summary of ds; N is 0 when ds is empty.
func statsOf(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Stats{N: len(s), Min: s[0], Median: percentile(s, 50), P95: percentile(s, 95), Max: s[len(s)-1]}
}

// percentile is the nearest-rank percentile of sorted ds.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// connectTimes are the successful TCP connect durations of an endpoint: the
// evidence connection and every sample.
func connectTimes(ep *probe.Endpoint) []time.Duration {
	var out []time.Duration
	if ep.ConnectErr == nil {
		out = append(out, ep.ConnectEnd.Sub(ep.ConnectStart))
	}
	for _, s := range ep.Samples {
		if !s.ConnectEnd.IsZero() && (s.Err == nil || !s.HandshakeStart.IsZero()) {
			out = append(out, s.ConnectEnd.Sub(s.ConnectStart))
		}
	}
	return out
}

// handshakeTimes are the completed TLS handshake durations of an endpoint.
func handshakeTimes(ep *probe.Endpoint) []time.Duration {
	var out []time.Duration
	if hs := ep.Handshake; hs != nil && hs.Err == nil {
		out = append(out, hs.End.Sub(hs.Start))
	}
	for _, s := range ep.Samples {
		if s.Err == nil && !s.HandshakeEnd.IsZero() {
			out = append(out, s.HandshakeEnd.Sub(s.HandshakeStart))
		}
	}
	return out
}

// failedSamples counts the sample rounds that did not complete.
func failedSamples(ep *probe.Endpoint) int {
	n := 0
	for _, s := range ep.Samples {
		if s.Err != nil {
			n++
		}
	}
	return n
}
