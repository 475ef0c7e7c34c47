package probe

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/conntrack"
)

// TestSharedBudget: probes given one Budget (a run of many targets) never
// have more connections open together than its size, counted as the
// client dials them, and each still completes in full.
func TestSharedBudget(t *testing.T) {
	const probes, size = 6, 3
	tg, r, _ := manyAddresses(t, 3)
	var client conntrack.Gauge
	shared := NewBudget(size)
	evs := make([]*Evidence, probes)
	var wg sync.WaitGroup
	for i := range probes {
		wg.Go(func() {
			evs[i] = Run(context.Background(), Options{Target: tg, Resolver: r, Timeout: 30 * time.Second, Enumerate: true,
				Concurrency: 8, Budget: shared, Dial: client.Dial((&net.Dialer{}).DialContext)})
		})
	}
	wg.Wait()
	if got := client.Peak(); got > size || got < 2 {
		t.Errorf("at most %d connections were open at once across %d probes, want 2 to %d", got, probes, size)
	}
	for i, ev := range evs {
		for _, ep := range ev.Endpoints {
			if ep.ConnectErr != nil || ep.Handshake == nil || ep.Handshake.Err != nil || ep.Scan == nil || ep.ScanErr != nil {
				t.Errorf("probe %d, %s: connect %v, handshake %+v, scan %v (%v)", i, ep.Address, ep.ConnectErr, ep.Handshake,
					ep.Scan != nil, ep.ScanErr)
			}
		}
	}
	if shared.InUse() != 0 {
		t.Errorf("%d slots still held after every probe ended", shared.InUse())
	}
}

// TestBudgetServesOwnHandshakesFirst: when a slot frees, a waiting
// handshake of the probe's own gets it before enumeration hellos that
// asked earlier, and those before the handshakes nothing waits for (class
// idle); within a class, first come, first served; a waiter whose context
// ends leaves the queue, and no slot is lost or doubled.
func TestBudgetServesOwnHandshakesFirst(t *testing.T) {
	shared := NewBudget(1)
	b := newBudget(1, 0, shared)
	ctx := context.Background()
	release, _, err := b.acquire(ctx, high)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	wait := func(name string, class int) {
		wg.Go(func() {
			release, _, err := b.acquire(ctx, class)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			release()
		})
	}
	queued := func(n int) {
		t.Helper()
		waitQueued(t, shared, n)
	}
	wait("no-SNI handshake", idle)
	queued(1)
	wait("resumed handshake", idle)
	queued(2)
	wait("hello 1", low)
	queued(3)
	wait("hello 2", low)
	queued(4)
	// One more hello gives up before a slot frees: it must leave the queue.
	gone, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() { _, _, err := b.acquire(gone, low); gaveUp <- err }()
	queued(5)
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("a waiter whose context ended got a slot")
	}
	queued(4)
	wait("key-type handshake", high)
	queued(5)
	wait("request", high)
	queued(6)
	release()
	wg.Wait()
	want := []string{"key-type handshake", "request", "hello 1", "hello 2", "no-SNI handshake", "resumed handshake"}
	if !slices.Equal(order, want) {
		t.Fatalf("served %v, want %v", order, want)
	}
	if n := shared.InUse(); n != 0 {
		t.Errorf("%d slots in use after every holder released, want 0", n)
	}
}

// waitQueued waits until n acquirers, of any class, wait for a slot of s.
func waitQueued(t *testing.T, s *Budget, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		s.mu.Lock()
		got := 0
		for _, q := range s.waiting {
			got += len(q)
		}
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters queued, want %d", got, n)
		}
	}
}

// TestBudgetLeavesTheEnumerationItsSlots: a handshake of class idle does
// not take a free slot that the enumeration will take back (a hello whose
// answer it has not taken into account yet, Options.Wants), only one it
// leaves; and one that waited idleWait is served as high.
func TestBudgetLeavesTheEnumerationItsSlots(t *testing.T) {
	shared := NewBudget(2)
	b := newBudget(2, 0, shared)
	ctx := context.Background()
	// The enumeration has two hellos in flight; one has its answer, and
	// its connection closed, but the scan has not chosen what comes next.
	shared.want(2)
	r1, _, err := b.acquire(ctx, low)
	if err != nil {
		t.Fatal(err)
	}
	r2, _, err := b.acquire(ctx, low)
	if err != nil {
		t.Fatal(err)
	}
	r1()
	got := make(chan func(), 1)
	idleHandshake := func() {
		release, _, err := b.acquire(ctx, idle)
		if err != nil {
			t.Error(err)
		}
		got <- release
	}
	go idleHandshake()
	waitQueued(t, shared, 1)
	select {
	case <-got:
		t.Fatal("a handshake of class idle took the slot of a hello the enumeration has in flight")
	case <-time.After(50 * time.Millisecond):
	}
	// The enumeration's next hello takes its slot back: still nothing for
	// the idle handshake, and the hello did not wait behind it.
	r3, waited, err := b.acquire(ctx, low)
	if err != nil || waited {
		t.Fatalf("the enumeration's next hello: waited %v, %v", waited, err)
	}
	// The scan ends one hello and has nothing more to send: its slot is free.
	r3()
	shared.want(-1)
	select {
	case release := <-got:
		release()
	case <-time.After(5 * time.Second):
		t.Fatal("a handshake of class idle did not get the slot the enumeration left")
	}
	r2()
	shared.want(-1)
	if n := shared.InUse(); n != 0 {
		t.Errorf("%d slots in use after every holder released, want 0", n)
	}

	// An enumeration that never leaves a slot: the idle handshake is
	// served as high after idleWait.
	shared.want(2)
	r1, _, _ = b.acquire(ctx, low)
	r2, _, _ = b.acquire(ctx, low)
	start := time.Now()
	go idleHandshake()
	waitQueued(t, shared, 1)
	hello := make(chan func(), 1)
	go func() {
		release, _, _ := b.acquire(ctx, low)
		hello <- release
	}()
	waitQueued(t, shared, 2)
	time.Sleep(idleWait + 100*time.Millisecond)
	r1() // promoted by now: the idle handshake goes before the hello
	select {
	case release := <-got:
		if d := time.Since(start); d < idleWait {
			t.Errorf("served as high after %v, want %v or more", d, idleWait)
		}
		release()
	case <-time.After(5 * time.Second):
		t.Fatal("the idle handshake was not served after its promotion")
	}
	(<-hello)()
	r2()
	shared.want(-2)
	if n := shared.InUse(); n != 0 {
		t.Errorf("%d slots in use after every holder released, want 0", n)
	}
}
