package probe

import (
	"context"
	"net"
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
// asked earlier; within a class, first come, first served; a waiter whose
// context ends leaves the queue, and no slot is lost or doubled.
func TestBudgetServesOwnHandshakesFirst(t *testing.T) {
	shared := NewBudget(1)
	b := newBudget(1, 0, shared)
	ctx := context.Background()
	if _, err := b.acquire(ctx, high); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	wait := func(name string, class int) {
		wg.Go(func() {
			if _, err := b.acquire(ctx, class); err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			b.release()
		})
	}
	queued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
			shared.mu.Lock()
			got := len(shared.waiting[high]) + len(shared.waiting[low])
			shared.mu.Unlock()
			if got == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d waiters queued, want %d", got, n)
			}
		}
	}
	wait("hello 1", low)
	queued(1)
	wait("hello 2", low)
	queued(2)
	// One more hello gives up before a slot frees: it must leave the queue.
	gone, cancel := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() { _, err := b.acquire(gone, low); gaveUp <- err }()
	queued(3)
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("a waiter whose context ended got a slot")
	}
	queued(2)
	wait("no-SNI handshake", high)
	queued(3)
	wait("resumption", high)
	queued(4)
	b.release()
	wg.Wait()
	want := []string{"no-SNI handshake", "resumption", "hello 1", "hello 2"}
	if len(order) != len(want) {
		t.Fatalf("served %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("served %v, want %v", order, want)
		}
	}
	if n := shared.InUse(); n != 0 {
		t.Errorf("%d slots in use after every holder released, want 0", n)
	}
}
