package webhook

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testwebhook"
	"github.com/wacheck/wacheck/pkg/profile"
)

func profileOf(t *testing.T, sender string) *profile.Profile {
	t.Helper()
	p, ok := profile.Lookup(sender)
	if !ok {
		t.Fatal(sender)
	}
	return p
}

// TestSenderSchemesAgainstHandlers signs deliveries with each sender's
// scheme and sends them to handlers written from the sender's documents
// (internal/testwebhook) on loopback: a correct handler takes the signed
// delivery and refuses a forged, an unsigned and (for the timestamped
// schemes) a stale one; a broken handler that checks nothing takes them
// all, which is what webhook.signature exists to catch.
func TestSenderSchemesAgainstHandlers(t *testing.T) {
	now := time.Now()
	for _, sender := range []string{"stripe", "github", "slack", "shopify"} {
		s := scheme(t, sender)
		d := newPayloads("T", now.Unix()).build(profileOf(t, sender).Webhook.Payloads, kindMessage, NonASCIIText)
		body := d.body
		post := func(url string, key []byte, ts time.Time, signed bool) int {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			tss := strconv.FormatInt(ts.Unix(), 10)
			for _, h := range d.header {
				req.Header.Set(h.Name, h.Value)
			}
			if s.TimestampHeader != "" {
				req.Header.Set(s.TimestampHeader, tss)
			}
			if signed {
				v, err := Sign(s, key, body, tss)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set(s.Header, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		secret := []byte("wacheck-test-secret-" + sender)
		good := httptest.NewServer(&testwebhook.SenderHandler{Sender: sender, Secret: string(secret)})
		broken := httptest.NewServer(&testwebhook.SenderHandler{Sender: sender, Secret: string(secret),
			Fault: testwebhook.NoSignature})
		if got := post(good.URL, secret, now, true); got != 200 {
			t.Errorf("%s: a signed delivery got %d from a correct handler", sender, got)
		}
		if got := post(good.URL, []byte("wrong"), now, true); got != 401 {
			t.Errorf("%s: a forged delivery got %d from a correct handler", sender, got)
		}
		if got := post(good.URL, secret, now, false); got != 401 {
			t.Errorf("%s: an unsigned delivery got %d from a correct handler", sender, got)
		}
		if s.Timestamped() {
			if got := post(good.URL, secret, now.Add(-10*time.Minute), true); got != 401 {
				t.Errorf("%s: a delivery signed 10 minutes ago got %d from a correct handler", sender, got)
			}
		}
		if got := post(broken.URL, []byte("wrong"), now, true); got != 200 {
			t.Errorf("%s: the broken handler refused a forged delivery (%d): it should check nothing", sender, got)
		}
		reser := httptest.NewServer(&testwebhook.SenderHandler{Sender: sender, Secret: string(secret),
			Fault: testwebhook.Reserialise})
		if got := post(reser.URL, secret, now, true); got != 401 {
			t.Errorf("%s: a re-serialising handler took escaped non-ASCII text (%d)", sender, got)
		}
		good.Close()
		broken.Close()
		reser.Close()
	}
}
