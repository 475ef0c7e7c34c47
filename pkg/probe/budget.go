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
// in the order they asked (a Go channel queues blocked senders first come,
// first served), and every address asks for its strict handshake first.
type budget struct {
	slots chan struct{}
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
	slots chan struct{}
}

// NewBudget is a shared budget of n connections (at least 1).
func NewBudget(n int) *Budget {
	return &Budget{slots: make(chan struct{}, max(1, n))}
}

// InUse is the number of connections holding a slot now.
func (s *Budget) InUse() int { return len(s.slots) }

// newBudget is a budget of n slots for a probe of addresses addresses; its
// slots are shared's when shared is not nil (n is then unused).
func newBudget(n, addresses int, shared *Budget) *budget {
	if shared == nil {
		shared = NewBudget(n)
	}
	b := &budget{slots: shared.slots, enumeration: make(chan struct{}, 1),
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

// acquire takes a slot, waiting for one until ctx ends; waited says
// whether it had to wait. Once ctx's deadline has passed no slot is given,
// even a free one: a connection could do nothing with it.
func (b *budget) acquire(ctx context.Context) (waited bool, err error) {
	if err := expired(ctx); err != nil {
		return false, err
	}
	select {
	case b.slots <- struct{}{}:
		return false, nil
	default:
	}
	select {
	case b.slots <- struct{}{}:
		if err := expired(ctx); err != nil {
			b.release()
			return true, err
		}
		return true, nil
	case <-ctx.Done():
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

func (b *budget) release() { <-b.slots }

// dial wraps d: each connection it opens holds a slot until it is closed.
func (b *budget) dial(d DialFunc) DialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if _, err := b.acquire(ctx); err != nil {
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
