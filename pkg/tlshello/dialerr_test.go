package tlshello

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDialErrorsOfDifferentTypes: when the enumeration's dials fail with
// errors of different types at once (a refused connection and a deadline),
// Scan returns the first as its error; it used to panic keeping it
// (atomic.Value refuses to swap values of different types).
func TestDialErrorsOfDifferentTypes(t *testing.T) {
	var n atomic.Int64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if n.Add(1)%2 == 0 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return nil, errors.New("deadline")
	}
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		res, err := Scan(ctx, "127.0.0.1:1", Options{Dial: dial, Concurrency: 8, Timeout: time.Second})
		cancel()
		if err == nil {
			t.Fatalf("every dial failed, but Scan returned no error (%d connections)", res.Connections)
		}
		if msg := err.Error(); !strings.Contains(msg, "connection refused") && !strings.Contains(msg, "deadline") {
			t.Fatalf("Scan's error %q names neither dial error", msg)
		}
	}
	if n.Load() < 2 {
		t.Fatalf("%d dials: the test did not make dials fail in both ways", n.Load())
	}
}
