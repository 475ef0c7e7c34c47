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

// StatsOf returns the summary of ds; N is 0 when ds is empty.
func StatsOf(ds []time.Duration) Stats {
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

// ConnectTimes are the successful TCP connect durations of an endpoint: the
// evidence connection and every sample.
func ConnectTimes(start, end time.Time, err *probe.NetError, samples []probe.Sample) []time.Duration {
	var out []time.Duration
	if err == nil {
		out = append(out, end.Sub(start))
	}
	for _, s := range samples {
		if !s.ConnectEnd.IsZero() && (s.Err == nil || !s.HandshakeStart.IsZero()) {
			out = append(out, s.ConnectEnd.Sub(s.ConnectStart))
		}
	}
	return out
}

// HandshakeTimes are the completed TLS handshake durations of an endpoint.
func HandshakeTimes(hs *probe.Handshake, samples []probe.Sample) []time.Duration {
	var out []time.Duration
	if hs != nil && hs.Err == nil {
		out = append(out, hs.End.Sub(hs.Start))
	}
	for _, s := range samples {
		if s.Err == nil && !s.HandshakeEnd.IsZero() {
			out = append(out, s.HandshakeEnd.Sub(s.HandshakeStart))
		}
	}
	return out
}

// FailedSamples counts the sample rounds that did not complete.
func FailedSamples(samples []probe.Sample) int {
	n := 0
	for _, s := range samples {
		if s.Err != nil {
			n++
		}
	}
	return n
}
