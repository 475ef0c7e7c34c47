package probe

import (
	"context"
	"net"
	"sync"
	"time"
)

// budget is the probe's one connection budget: Options.Concurrency slots,
// shared by every connection of the run, whatever the address or the phase
// (the strict handshake, the one without SNI, the enumeration, the timing
// rounds, the HTTP request). A connection holds its slot from before it is
// dialled until it is closed, so the server never sees more than
// Concurrency connections from one run at once, however many addresses the
// name has.
//
// Waiting for a slot is never timed as part of a phase: the strict
// handshake takes its slot before its connect is timed. Waiters are served
// first come, first served within three classes, in this order:
//
//   - high: the probe's own handshakes and requests that something waits
//     for (the strict one, the one per key type whose suite the
//     enumeration takes, timing rounds, the HTTP request), so that a server
//     (or a WAF) that stalls hand-built hellos cannot starve the handshakes
//     a sender really makes, in this probe or another target's of the same
//     batch;
//   - low: the enumeration's hellos;
//   - idle: the probe's own handshakes that nothing waits for (the one
//     without SNI, the one per key type the strict handshake's certificate
//     is not of, the resumed handshake). They take only the slots the
//     enumerations leave: a free slot is the enumeration's while it has
//     more hellos in flight (tlshello.Options.Wants) than slots and queued
//     hellos, which is the case between the answer of one hello and the
//     dial of the next. So they run when the enumeration waits for
//     answers, mostly in its last round trips. One that has waited
//     idleWait is served as high, so that an enumeration that never leaves
//     a slot cannot starve it.
//
// The enumeration's speculative hellos, sent only when a slot would stay
// idle otherwise, are not counted in Wants: once one is answered its slot
// may go to a handshake of class idle.
//
// Every address asks for its strict handshake first.
type budget struct {
	slots *Budget
	// enumeration lets one address enumerate at a time, with every slot
	// the other phases leave: an enumeration connection has its own
	// timeout (tlshello), which must not be spent waiting for a slot that
	// another address's enumeration holds.
	enumeration chan struct{}
	// firstWaiting counts the addresses whose strict handshake has not
	// got a slot yet; firstDone is closed when it reaches zero. No
	// enumeration starts before, so that its connections never wait behind
	// a queue of other addresses' handshakes.
	mu           sync.Mutex
	firstWaiting int
	firstDone    chan struct{}
}

// Budget is a connection budget several probes share (Options.Budget):
// the connections of all of them together never exceed its size, as one
// probe's never exceed Options.Concurrency. A Budget is safe for
// concurrent use by any number of probes.
type Budget struct {
	mu   sync.Mutex
	n    int
	used int
	held [classes]int // the slots held, by class
	// wants is how many hellos the enumerations have in flight, counting
	// those between their answer and the scan's next choice (see budget).
	wants int
	// waiting holds the blocked acquirers by class (high first), each
	// first come, first served; a waiter's channel receives the slot a
	// release hands over.
	waiting [classes][]chan struct{}
}

// The classes of connections, served in this order (see budget).
const (
	high    = iota // the probe's own handshakes and requests that something waits for
	low            // the enumeration's hellos
	idle           // the probe's own handshakes that nothing waits for
	classes        // how many there are
)

// idleWait is how long a connection of class idle waits for a slot the
// enumerations leave before it is served as high. At a 50 ms round trip
// the enumeration of a server accepting 91 suites leaves its first slots
// after about 0.65 s.
const idleWait = time.Second

// NewBudget is a shared budget of n connections (at least 1).
func NewBudget(n int) *Budget {
	return &Budget{n: max(1, n)}
}

// InUse is the number of connections holding a slot now.
func (s *Budget) InUse() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used
}

// Size is the number of slots.
func (s *Budget) Size() int { return s.n }

// canTake reports whether a waiter of class, first in its queue, may take
// a free slot now. s.mu is held.
func (s *Budget) canTake(class int) bool {
	free := s.n - s.used
	for c := range class {
		if len(s.waiting[c]) > 0 {
			return false
		}
	}
	if class == idle {
		// The slots the enumerations' hellos in flight will take back.
		free -= max(0, s.wants-s.held[low]-len(s.waiting[low]))
	}
	return free > 0
}

// take gives a slot to class. s.mu is held.
func (s *Budget) take(class int) {
	s.used++
	s.held[class]++
}

// tryAcquire takes a free slot when no waiter of class or a higher one is
// queued (and, for class idle, the enumerations leave one);
// otherwise it queues w (when not nil) and reports false.
func (s *Budget) tryAcquire(class int, w chan struct{}) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.waiting[class]) == 0 && s.canTake(class) {
		s.take(class)
		return true
	}
	if w != nil {
		s.waiting[class] = append(s.waiting[class], w)
	}
	return false
}

// cancel takes w out of its queue; false when a release already handed it
// a slot (the caller then holds one).
func (s *Budget) cancel(class int, w chan struct{}) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.waiting[class]
	for i, x := range q {
		if x == w {
			s.waiting[class] = append(q[:i:i], q[i+1:]...)
			s.serve() // w may have held back the classes after it
			return true
		}
	}
	return false
}

// release gives a slot of class back, to the waiters that may take it.
func (s *Budget) release(class int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.used--
	s.held[class]--
	s.serve()
}

// want adds delta to the hellos the enumerations have in flight
// (tlshello.Options.Wants).
func (s *Budget) want(delta int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.wants += delta
	s.serve()
}

// serve hands free slots to the first waiters of the highest classes that
// may take them. s.mu is held.
func (s *Budget) serve() {
	for c := 0; c < classes; c++ {
		for len(s.waiting[c]) > 0 && s.canTake(c) {
			w := s.waiting[c][0]
			s.waiting[c] = s.waiting[c][1:]
			s.take(c)
			w <- struct{}{} // buffered: never blocks
		}
		if len(s.waiting[c]) > 0 {
			return // the classes after it wait behind it
		}
	}
}

// newBudget is a budget of n slots for a probe of addresses addresses; its
// slots are shared's when shared is not nil (n is then unused).
func newBudget(n, addresses int, shared *Budget) *budget {
	if shared == nil {
		shared = NewBudget(n)
	}
	b := &budget{slots: shared, enumeration: make(chan struct{}, 1),
		firstWaiting: addresses, firstDone: make(chan struct{})}
	if addresses <= 0 {
		close(b.firstDone)
	}
	return b
}

// firstServed records that an address's strict handshake got its slot (or
// gave up waiting for one).
func (b *budget) firstServed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.firstWaiting--
	if b.firstWaiting == 0 {
		close(b.firstDone)
	}
}

// acquire takes a slot for a connection of class, waiting for one until
// ctx ends; waited says whether it had to wait. Once ctx's deadline has
// passed no slot is given, even a free one: a connection could do nothing
// with it.
//
// A connection of class idle that has waited idleWait is queued again as
// high (behind the high waiters already queued). release gives the slot
// back; it is nil when err is not.
func (b *budget) acquire(ctx context.Context, class int) (release func(), waited bool, err error) {
	if err := expired(ctx); err != nil {
		return nil, false, err
	}
	held := func() func() { return sync.OnceFunc(func() { b.slots.release(class) }) }
	w := make(chan struct{}, 1)
	if b.slots.tryAcquire(class, w) {
		return held(), false, nil
	}
	var promote <-chan time.Time
	if class == idle {
		t := time.NewTimer(idleWait)
		defer t.Stop()
		promote = t.C
	}
	for {
		select {
		case <-w:
			if err := expired(ctx); err != nil {
				b.slots.release(class)
				return nil, true, err
			}
			return held(), true, nil
		case <-promote:
			promote = nil
			if b.slots.cancel(class, w) {
				class = high
				if b.slots.tryAcquire(class, w) {
					return held(), true, nil
				}
			} // else handed a slot meanwhile: w has it
		case <-ctx.Done():
			if !b.slots.cancel(class, w) {
				<-w // handed a slot as ctx ended: give it back
				b.slots.release(class)
			}
			return nil, true, ctx.Err()
		}
	}
}

// expired is ctx.Err(), but also reports a deadline that has passed when
// ctx's timer has not fired yet (a connection's deadline, set from ctx's,
// can expire a moment before it).
func expired(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// dial wraps d: each connection it opens holds a slot of class until it
// is closed.
func (b *budget) dial(d DialFunc, class int) DialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		release, _, err := b.acquire(ctx, class)
		if err != nil {
			return nil, err
		}
		c, err := d(ctx, network, address)
		if err != nil {
			release()
			return nil, err
		}
		return &slotConn{Conn: c, release: release}, nil
	}
}

// enumerate runs f once every address's strict handshake has its slot and
// while no other address enumerates; when ctx ends first f runs at once
// (it then stops at once too, saying why).
func (b *budget) enumerate(ctx context.Context, f func()) {
	select {
	case <-b.firstDone:
	case <-ctx.Done():
		f()
		return
	}
	select {
	case b.enumeration <- struct{}{}:
		defer func() { <-b.enumeration }()
	case <-ctx.Done():
	}
	f()
}

// slotConn gives its slot back when it is closed.
type slotConn struct {
	net.Conn
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
