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
