package webhook

import (
	"testing"

	"github.com/wacheck/wacheck/pkg/profile"
)

// BenchmarkLargeDelivery builds and signs the ~3 MB delivery of
// webhook.body_size, the largest work an exchange does on its own.
func BenchmarkLargeDelivery(b *testing.B) {
	w := profile.MustLookup("meta").Webhook
	p := newPayloads("BENCH", 1700000000)
	b.ReportAllocs()
	for b.Loop() {
		body := p.Batch(w.MaxBatch, w.MaxPayload-16<<10)
		if _, err := Sign(w.Signature, []byte(testKey), body, ""); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(body)))
	}
}
