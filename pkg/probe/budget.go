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
// first come, first served within two classes: the probe's own handshakes
// and requests (the strict one, without SNI, per key type, resumption,
// timing rounds, the HTTP request) before the enumeration's hellos, so that
// a server (or a WAF) that stalls hand-built hellos cannot starve the
// handshakes a sender really makes, in this probe or another target's of
// the same batch. Every address asks for its strict handshake first.
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
	// waiting holds the blocked acquirers by class (high first), each
	// first come, first served; a waiter's channel receives the slot a
	// release hands over.
	waiting [2][]chan struct{}
}

// The classes of connections, served high first.
const (
	high = 0 // the probe's own handshakes and requests
	low  = 1 // the enumeration's hand-built hellos
)

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

// tryAcquire takes a free slot when no waiter of class or a higher one is
// queued; otherwise it queues w (when not nil) and reports false.
func (s *Budget) tryAcquire(class int, w chan struct{}) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	free := s.used < s.n && len(s.waiting[high]) == 0 && (class == high || len(s.waiting[low]) == 0)
	if free {
		s.used++
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
			return true
		}
	}
	return false
}

// release gives a slot back: to the first waiter of the highest class
// queued, or to the pool.
func (s *Budget) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.waiting {
		if q := s.waiting[c]; len(q) > 0 {
			s.waiting[c] = q[1:]
			q[0] <- struct{}{} // buffered: never blocks
			return
		}
	}
	s.used--
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
func (b *budget) acquire(ctx context.Context, class int) (waited bool, err error) {
	if err := expired(ctx); err != nil {
		return false, err
	}
	w := make(chan struct{}, 1)
	if b.slots.tryAcquire(class, w) {
		return false, nil
	}
	select {
	case <-w:
		if err := expired(ctx); err != nil {
			b.release()
			return true, err
		}
		return true, nil
	case <-ctx.Done():
		if !b.slots.cancel(class, w) {
			<-w // handed a slot as ctx ended: give it back
			b.release()
		}
		return true, ctx.Err()
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

func (b *budget) release() { b.slots.release() }

// dial wraps d: each connection it opens holds a slot of class until it
// is closed.
func (b *budget) dial(d DialFunc, class int) DialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if _, err := b.acquire(ctx, class); err != nil {
			return nil, err
		}
		c, err := d(ctx, network, address)
		if err != nil {
			b.release()
			return nil, err
		}
		return &slotConn{Conn: c, release: sync.OnceFunc(b.release)}, nil
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
