package tlshello

import (
	"cmp"
	"slices"
	"strings"
)

// A finder settles which items of a list (cipher suites, or groups) a server accepts, from
// hellos that each offer some of them.
//
// Two kinds of evidence settle an item. Model-free: an item the server chose is accepted, and
// every item of a hello the server refused with an alert is refused. Under the client-order
// model, once it is established for the server: the server chose the first item of the list
// it accepts, so every item listed before the one chosen is refused too. The model is
// established by offering one list in both orders and getting two different answers, which
// a server that picks by its own preference cannot give.
//
// A finder in client mode deals the unknown items into lists (windows), several in flight
// at once, each taking every m-th unknown item so that each spans the likely and the
// unlikely; every answer settles a run. Otherwise it peels fixed lists (chains): each chain
// is offered again without the item chosen until the server refuses it, and the items it
// found come in the server's order.
type finder struct {
	order []uint16     // every item, likeliest last: a list offers them in this order
	state []itemState  // by position in order (kt.pos)
	busy  []bool       // by position in order: in a window in flight
	open  []openWindow // the windows in flight
	found []uint16     // accepted, in the order found
	// tally counts, per likelihood tier (0 least likely, 2 most), the items accepted and
	// the items settled, and kinds the same per tier and kind, to estimate how many of the
	// unknown ones will be accepted.
	tally  [3][2]int
	kinds  [][2]int  // by kind number (kt)
	kt     kindTable // the items' positions, tiers and kinds, shared by the finders of a table
	chains []*chain
	// hint, when set, adjusts an item's estimate with evidence from elsewhere (the other
	// versions); onSettle hears of every item settled.
	hint     func(i int, id uint16, p float64) float64
	onSettle func(id uint16, st itemState)
	// hintGen, set with hint, changes whenever what hint reads does: with settles (the
	// items this finder settled) it keys memo, the estimates of the unknown items.
	hintGen func() uint64
	settles uint64
	memo    estimates
}

// estimates are the unknown items' estimates (prob) and their sum (expected), as they
// were when the finder had settled settles items and hintGen said gen.
type estimates struct {
	valid        bool
	settles, gen uint64
	prob         []float64 // by position in order; 0 for the items settled
	expected     float64
}

type itemState uint8

const (
	itemUnknown  itemState = iota
	itemAccepted           // the server chose it
	itemRefused            // an alert refused a hello offering it, or the client-order model
	itemUntested           // the hellos offering it got no usable answer
)

// openWindow is a window in flight: its items, the least likely first, and how many of the
// last are its anchor.
type openWindow struct {
	items   []uint16
	anchors int
}

// chain is a fixed list peeled one answer at a time.
type chain struct {
	rest  []uint16 // the items still to offer, in order
	found []uint16 // the items the server chose, in the order it chose them
	busy  bool
	done  bool
}

func newFinder(order []uint16, tier func(uint16) int, kind func(uint16) string) *finder {
	return newFinderKinds(order, newKindTable(order, tier, kind, map[string]int32{}))
}

// newFinderKinds is newFinder with the items' kind table given: it is only read, so
// finders may share it.
func newFinderKinds(order []uint16, kt kindTable) *finder {
	return &finder{order: order, state: make([]itemState, len(order)),
		busy: make([]bool, len(order)), kinds: make([][2]int, kt.n), kt: kt}
}

// kindTable numbers the items' kind keys (an item's likelihood tier and its kind: items
// that servers tend to accept or refuse together, for suites the key exchange and
// authentication), so that the tallies by kind are slices indexed by number rather than
// maps keyed by strings: the estimates read them for every unknown item at every free
// connection.
type kindTable struct {
	pos   map[uint16]int32 // each item's position in order
	at    []int32          // the kind number of the item at each position of order
	tiers []int8           // the tier of the item at each position of order
	n     int              // kind numbers are below n
}

// newKindTable numbers the kind keys of order's items, with the numbers of intern (which
// it extends), so that tables built with one intern share their numbers.
func newKindTable(order []uint16, tier func(uint16) int, kind func(uint16) string, intern map[string]int32) kindTable {
	kt := kindTable{pos: make(map[uint16]int32, len(order)), at: make([]int32, len(order)),
		tiers: make([]int8, len(order))}
	for i, id := range order {
		key := string(rune('0' + tier(id)))
		if kind != nil {
			key += kind(id)
		}
		n, ok := intern[key]
		if !ok {
			n = int32(len(intern))
			intern[key] = n
		}
		kt.pos[id], kt.at[i], kt.tiers[i] = int32(i), n, int8(tier(id))
	}
	kt.n = len(intern)
	return kt
}

// kindOf is id's kind number (id is one of the finder's items).
func (f *finder) kindOf(id uint16) int32 { return f.kt.at[f.kt.pos[id]] }

func (f *finder) settle(id uint16, st itemState) {
	i, ok := f.kt.pos[id]
	if !ok || f.state[i] != itemUnknown {
		return
	}
	f.state[i] = st
	f.settles++
	t, k := f.kt.tiers[i], &f.kinds[f.kt.at[i]]
	if st == itemAccepted {
		f.found = append(f.found, id)
		f.tally[t][0]++
		k[0]++
	}
	if st != itemUntested {
		f.tally[t][1]++
		k[1]++
	}
	if f.onSettle != nil {
		f.onSettle(id, st)
	}
}

func (f *finder) accepted() []uint16 { return slices.Clone(f.found) }

func (f *finder) is(id uint16, st itemState) bool { return f.stateOf(id) == st }

// stateOf is id's state: unknown for an item the finder does not have.
func (f *finder) stateOf(id uint16) itemState {
	if i, ok := f.kt.pos[id]; ok {
		return f.state[i]
	}
	return itemUnknown
}

// unknown returns the items not settled yet, in order.
func (f *finder) unknown() []uint16 {
	var ids []uint16
	for i, id := range f.order {
		if f.state[i] == itemUnknown {
			ids = append(ids, id)
		}
	}
	return ids
}

func (f *finder) complete() bool { return len(f.unknown()) == 0 }

// priors: the accepted share assumed for each tier before any evidence, as counts.
var tierPrior = [3][2]float64{{0.02, 2}, {0.2, 2}, {1, 2}}

// prob estimates the chance that the server accepts id, the item at position i of order:
// its tier's prior and record, refined by the record of its kind within the tier (which
// leaves the tier's estimate as it is while its kind has none).
func (f *finder) prob(i int, id uint16) float64 {
	t := f.kt.tiers[i]
	pt := (float64(f.tally[t][0]) + tierPrior[t][0]) / (float64(f.tally[t][1]) + tierPrior[t][1])
	const weight = 2 // the tier's estimate counts as this many items of the kind
	k := f.kinds[f.kt.at[i]]
	p := (float64(k[0]) + weight*pt) / (float64(k[1]) + weight)
	if f.hint != nil {
		p = f.hint(i, id, p)
	}
	return p
}

// expected estimates how many of the unknown items the server accepts.
func (f *finder) expected() float64 {
	return f.estimates().expected
}

// estimates returns the unknown items' estimates, computed again only when an item was
// settled here or what hint reads changed since the last time: the scheduler asks every
// planner for them at every free connection, and computing them was most of a scan's
// CPU time (prob, with hint, for a few hundred suites each time).
func (f *finder) estimates() *estimates {
	var gen uint64
	if f.hintGen != nil {
		gen = f.hintGen()
	}
	m := &f.memo
	if m.valid && m.settles == f.settles && m.gen == gen {
		return m
	}
	prob := m.prob
	if len(prob) != len(f.order) {
		prob = make([]float64, len(f.order))
	}
	*m = estimates{valid: true, settles: f.settles, gen: gen, prob: prob}
	for i, id := range f.order {
		p := 0.0
		if f.state[i] == itemUnknown {
			p = f.prob(i, id)
			m.expected += p
		}
		prob[i] = p
	}
	return m
}

// estimate is the estimate of id, an unknown item of the finder's.
func (f *finder) estimate(id uint16) float64 {
	return f.estimates().prob[f.kt.pos[id]]
}

// Window building (client mode) is group testing: a window's answer settles everything
// listed before the item chosen, so a window is the least likely items (filler, settled
// for free when the server chooses an item after them) followed by an anchor of the
// likeliest ones, as few as make it likely that the server accepts one.
const (
	anchorChance = 0.6  // the chance an anchor should have of holding an accepted item
	fillerChance = 0.25 // items less likely than this are filler
	maxAnchor    = 24
	eagerChance  = 0.3 // the least chance an eager window's one anchor item may have
)

// nextWindow returns the next window to send, marked busy, or nil when there is none worth
// sending now: when no anchor can be likely enough, the items left are swept in one window,
// and only once nothing else is in flight (inflight counts this finder's windows).
//
// With eager (connections would stay idle otherwise) it offers the likeliest item not in
// flight alone. (It used to offer, too, the last anchor item of a window in flight with
// several, which that window does not answer if an anchor item before it is accepted; but
// the window answers with that very item as often as not, which cost the legacy server of
// issue 10 one to three connections a scan for no time saved.)
func (f *finder) nextWindow(inflight int, eager bool) []uint16 {
	var avail []int32       // positions in order
	p := f.estimates().prob // by position; read only
	for i := range f.order {
		if f.state[i] == itemUnknown && !f.busy[i] {
			avail = append(avail, int32(i))
		}
	}
	if eager {
		return f.eagerWindow(avail, p)
	}
	if len(avail) == 0 {
		return nil
	}
	// Likeliest first; ties keep the finder's order.
	slices.SortStableFunc(avail, func(a, b int32) int { return cmp.Compare(p[b], p[a]) })
	var anchor []int32
	none := 1.0 // the chance that no anchor item is accepted
	for _, i := range avail {
		if 1-none >= anchorChance || len(anchor) == maxAnchor || p[i] < fillerChance && len(anchor) > 0 {
			break
		}
		anchor = append(anchor, i)
		none *= 1 - p[i]
	}
	var w []int32
	if 1-none < anchorChance {
		// A sweep: everything left that fits. Small sweeps one at a time, so that an answer
		// to one can still settle the items of the next.
		if inflight > 0 && len(avail) < maxChunk/2 {
			return nil
		}
		w = avail[:min(len(avail), maxChunk)]
		anchor = nil
	} else {
		w = slices.Clone(anchor)
		for _, i := range slices.Backward(avail[len(anchor):]) {
			if len(w) == maxChunk || p[i] >= fillerChance {
				break
			}
			w = append(w, i)
		}
	}
	// Sent least likely first.
	slices.SortStableFunc(w, func(a, b int32) int { return cmp.Compare(p[a], p[b]) })
	return f.open1(w, len(anchor))
}

// open1 marks the window of the items at positions w busy, notes it in flight with its
// anchors and returns its items.
func (f *finder) open1(w []int32, anchors int) []uint16 {
	items := make([]uint16, len(w))
	for j, i := range w {
		f.busy[i] = true
		items[j] = f.order[i]
	}
	f.open = append(f.open, openWindow{items: items, anchors: anchors})
	return items
}

func (f *finder) eagerWindow(avail []int32, p []float64) []uint16 {
	var best int32
	found, bestP := false, eagerChance
	for _, i := range avail {
		if p[i] >= bestP {
			best, bestP, found = i, p[i], true
		}
	}
	if !found {
		return nil
	}
	return f.open1([]int32{best}, 1)
}

// release ends the window in flight that offered list.
func (f *finder) release(list []uint16) {
	for _, id := range list {
		if i, ok := f.kt.pos[id]; ok {
			f.busy[i] = false
		}
	}
	f.open = slices.DeleteFunc(f.open, func(w openWindow) bool {
		return len(w.items) == len(list) && !slices.ContainsFunc(w.items, func(id uint16) bool {
			return !slices.Contains(list, id)
		})
	})
}

// answer settles list, as sent, whose hello the server answered with x: x is accepted and,
// with client, the items listed before it are refused.
func (f *finder) answer(list []uint16, x uint16, client bool) {
	if client {
		for _, id := range list {
			if id == x {
				break
			}
			f.settle(id, itemRefused)
		}
	}
	f.settle(x, itemAccepted)
}

// settleAll settles every item of list that is still unknown.
func (f *finder) settleAll(list []uint16, st itemState) {
	for _, id := range list {
		f.settle(id, st)
	}
}

// makeChains splits the unknown items, less those in skip, into n chains, dealt round-robin.
func (f *finder) makeChains(n int, skip ...uint16) {
	var ids []uint16
	for _, id := range f.unknown() {
		if !slices.Contains(skip, id) {
			ids = append(ids, id)
		}
	}
	n = max(n, (len(ids)+maxChunk-1)/maxChunk)
	for _, l := range deal(ids, n) {
		if len(l) > 0 {
			f.chains = append(f.chains, &chain{rest: l})
		}
	}
}

// nextChain returns a chain with items left that is not in flight, with its rest reduced to
// the items still unknown, or nil.
func (f *finder) nextChain() *chain {
	for _, c := range f.chains {
		if c.busy || c.done {
			continue
		}
		c.rest = slices.DeleteFunc(c.rest, func(id uint16) bool { return f.stateOf(id) != itemUnknown })
		if len(c.rest) == 0 {
			c.done = true
			continue
		}
		return c
	}
	return nil
}

// chainsDone reports whether every chain has ended.
func (f *finder) chainsDone() bool {
	for _, c := range f.chains {
		if !c.done {
			return false
		}
	}
	return true
}

// chainAnswer records the answer x to the chain's list.
func (f *finder) chainAnswer(c *chain, list []uint16, x uint16, client bool) {
	c.busy = false
	f.answer(list, x, client)
	c.found = append(c.found, x)
}

// chainEnd ends a chain whose list got no answer naming an item: refused (st itemRefused)
// or untested.
func (f *finder) chainEnd(c *chain, list []uint16, st itemState) {
	c.busy = false
	c.done = true
	f.settleAll(list, st)
}

// deal splits ids into n lists round-robin, so that each spans the likely and the unlikely.
func deal(ids []uint16, n int) [][]uint16 {
	n = max(1, min(n, len(ids)))
	lists := make([][]uint16, n)
	for i, id := range ids {
		lists[i%n] = append(lists[i%n], id)
	}
	return lists
}

func isChaCha(id uint16) bool  { return strings.Contains(SuiteName(id), "CHACHA20") }
func notChaCha(id uint16) bool { return !isChaCha(id) }

// sendOrder returns suites as they are sent: never with a ChaCha20 suite first, since a
// server that imposes its order may still honour a client that puts ChaCha20 first
// (OpenSSL's PRIORITIZE_CHACHA, on in HAProxy and many others).
func sendOrder(suites []uint16) []uint16 {
	if len(suites) < 2 || !isChaCha(suites[0]) {
		return suites
	}
	i := slices.IndexFunc(suites, notChaCha)
	if i < 0 {
		return suites
	}
	out := slices.Clone(suites)
	first := out[i]
	copy(out[1:i+1], out[:i])
	out[0] = first
	return out
}

// rotate returns l rotated left by n.
func rotate(l []uint16, n int) []uint16 {
	if len(l) == 0 {
		return nil
	}
	n %= len(l)
	return append(slices.Clone(l[n:]), l[:n]...)
}
