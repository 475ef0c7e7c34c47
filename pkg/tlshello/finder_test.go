package tlshello

import (
	"slices"
	"testing"
)

func TestSendOrder(t *testing.T) {
	for _, tc := range []struct{ in, want []uint16 }{
		{[]uint16{0xCCA8, 0xC02F, 0xC030}, []uint16{0xC02F, 0xCCA8, 0xC030}},
		{[]uint16{0xCCA8, 0xCCA9, 0xC02F}, []uint16{0xC02F, 0xCCA8, 0xCCA9}},
		{[]uint16{0xC02F, 0xCCA8}, []uint16{0xC02F, 0xCCA8}},
		{[]uint16{0xCCA8, 0xCCA9}, []uint16{0xCCA8, 0xCCA9}}, // nothing else to put first
		{[]uint16{0xCCA8}, []uint16{0xCCA8}},
	} {
		if got := sendOrder(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("sendOrder(%x) = %x, want %x", tc.in, got, tc.want)
		}
	}
}

// TestFinderWindows checks the windows of a client-order finder: disjoint, at most
// maxChunk, the least likely first, and an answer settling what was listed before it.
func TestFinderWindows(t *testing.T) {
	f := newFinder(byLikelihood(suitesFor(VersionTLS12), suiteTier), suiteTier, suiteKind)
	seen := map[uint16]bool{}
	var windows [][]uint16
	for {
		w := f.nextWindow(len(windows), false)
		if w == nil && len(seen) < len(suitesFor(VersionTLS12)) {
			// The last few, unlikely, are swept once nothing else is in flight.
			w = f.nextWindow(0, false)
		}
		if w == nil {
			break
		}
		if len(w) > maxChunk {
			t.Fatalf("window of %d suites", len(w))
		}
		for i, id := range w {
			if seen[id] {
				t.Fatalf("%s in two windows", SuiteName(id))
			}
			seen[id] = true
			if i > 0 && f.estimate(w[i-1]) > f.estimate(id) {
				t.Fatalf("window not least likely first: %s before %s", SuiteName(w[i-1]), SuiteName(id))
			}
		}
		windows = append(windows, w)
	}
	if len(windows) == 0 || len(seen) != len(suitesFor(VersionTLS12)) {
		t.Fatalf("%d windows cover %d suites of %d", len(windows), len(seen), len(suitesFor(VersionTLS12)))
	}
	w := windows[0]
	x := w[len(w)-1]
	f.answer(w, x, true)
	f.release(w)
	for _, id := range w[:len(w)-1] {
		if !f.is(id, itemRefused) {
			t.Errorf("%s, listed before the answer, is not refused", SuiteName(id))
		}
	}
	if !f.is(x, itemAccepted) || !slices.Equal(f.accepted(), []uint16{x}) {
		t.Errorf("accepted %x, want %x", f.accepted(), x)
	}
}
