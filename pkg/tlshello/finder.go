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
	order []uint16 // every item, likeliest last: a list offers them in this order
	tier  func(uint16) int
	// kind groups items that servers tend to accept or refuse together (for suites: the
	// key exchange and authentication), to refine the tier's estimate.
	kind  func(uint16) string
	state map[uint16]itemState
	busy  map[uint16]bool // in a window in flight
	open  []openWindow    // the windows in flight
	found []uint16        // accepted, in the order found
	// tally counts, per likelihood tier (0 least likely, 2 most), the items accepted and
	// the items settled, and kinds the same per tier and kind, to estimate how many of the
	// unknown ones will be accepted.
	tally  [3][2]int
	kinds  map[string]*[2]int
	keys   map[uint16]string // each item's tier and kind, for kinds
	chains []*chain
	// hint, when set, adjusts an item's estimate with evidence from elsewhere (the other
	// versions); onSettle hears of every item settled.
	hint     func(id uint16, p float64) float64
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
	prob         map[uint16]float64
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
	if kind == nil {
		kind = func(uint16) string { return "" }
	}
	return newFinderKeys(order, tier, kind, kindKeys(order, tier, kind))
}

// newFinderKeys is newFinder with the items' kind keys (kindKeys) given:
// they are only read, so finders may share them.
func newFinderKeys(order []uint16, tier func(uint16) int, kind func(uint16) string, keys map[uint16]string) *finder {
	return &finder{order: order, tier: tier, kind: kind, state: map[uint16]itemState{},
		busy: map[uint16]bool{}, kinds: map[string]*[2]int{}, keys: keys}
}

// kindKeys maps each item to its kind key: its tier and kind.
func kindKeys(order []uint16, tier func(uint16) int, kind func(uint16) string) map[uint16]string {
	keys := make(map[uint16]string, len(order))
	for _, id := range order {
		keys[id] = string(rune('0'+tier(id))) + kind(id)
	}
	return keys
}

func (f *finder) kindKey(id uint16) string { return f.keys[id] }

func (f *finder) settle(id uint16, st itemState) {
	if f.state[id] != itemUnknown || !slices.Contains(f.order, id) {
		return
	}
	f.state[id] = st
	f.settles++
	t, k := f.tier(id), f.kinds[f.kindKey(id)]
	if k == nil {
		k = &[2]int{}
		f.kinds[f.kindKey(id)] = k
	}
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

func (f *finder) is(id uint16, st itemState) bool { return f.state[id] == st }

// unknown returns the items not settled yet, in order.
func (f *finder) unknown() []uint16 {
	var ids []uint16
	for _, id := range f.order {
		if f.state[id] == itemUnknown {
			ids = append(ids, id)
		}
	}
	return ids
}

func (f *finder) complete() bool { return len(f.unknown()) == 0 }

// priors: the accepted share assumed for each tier before any evidence, as counts.
var tierPrior = [3][2]float64{{0.02, 2}, {0.2, 2}, {1, 2}}

// prob estimates the chance that the server accepts id: its tier's prior and record,
// refined by the record of its kind within the tier.
func (f *finder) prob(id uint16) float64 {
	t := f.tier(id)
	pt := (float64(f.tally[t][0]) + tierPrior[t][0]) / (float64(f.tally[t][1]) + tierPrior[t][1])
	const weight = 2 // the tier's estimate counts as this many items of the kind
	p := pt
	if k := f.kinds[f.kindKey(id)]; k != nil {
		p = (float64(k[0]) + weight*pt) / (float64(k[1]) + weight)
	}
	if f.hint != nil {
		p = f.hint(id, p)
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
	*m = estimates{valid: true, settles: f.settles, gen: gen, prob: make(map[uint16]float64, len(f.order))}
	for _, id := range f.order {
		if f.state[id] == itemUnknown {
			p := f.prob(id)
			m.prob[id] = p
			m.expected += p
		}
	}
	return m
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
	var avail []uint16
	p := f.estimates().prob // read only
	for _, id := range f.order {
		if f.state[id] == itemUnknown && !f.busy[id] {
			avail = append(avail, id)
		}
	}
	if eager {
		return f.eagerWindow(avail, p)
	}
	if len(avail) == 0 {
		return nil
	}
	// Likeliest first; ties keep the finder's order.
	slices.SortStableFunc(avail, func(a, b uint16) int { return cmp.Compare(p[b], p[a]) })
	var anchor []uint16
	none := 1.0 // the chance that no anchor item is accepted
	for _, id := range avail {
		if 1-none >= anchorChance || len(anchor) == maxAnchor || p[id] < fillerChance && len(anchor) > 0 {
			break
		}
		anchor = append(anchor, id)
		none *= 1 - p[id]
	}
	var w []uint16
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
		for _, id := range slices.Backward(avail[len(anchor):]) {
			if len(w) == maxChunk || p[id] >= fillerChance {
				break
			}
			w = append(w, id)
		}
	}
	// Sent least likely first.
	slices.SortStableFunc(w, func(a, b uint16) int { return cmp.Compare(p[a], p[b]) })
	for _, id := range w {
		f.busy[id] = true
	}
	f.open = append(f.open, openWindow{items: w, anchors: len(anchor)})
	return w
}

func (f *finder) eagerWindow(avail []uint16, p map[uint16]float64) []uint16 {
	var best uint16
	found, bestP := false, eagerChance
	for _, id := range avail {
		if p[id] >= bestP {
			best, bestP, found = id, p[id], true
		}
	}
	if !found {
		return nil
	}
	f.busy[best] = true
	f.open = append(f.open, openWindow{items: []uint16{best}, anchors: 1})
	return []uint16{best}
}

// release ends the window in flight that offered list.
func (f *finder) release(list []uint16) {
	for _, id := range list {
		delete(f.busy, id)
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
		c.rest = slices.DeleteFunc(c.rest, func(id uint16) bool { return f.state[id] != itemUnknown })
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
