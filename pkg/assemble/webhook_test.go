package assemble

import (
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/webhook"
)

func webhookExchange() *webhook.Exchange {
	at := func(role webhook.Role, method string, status int, body string, ttfb time.Duration) *webhook.Request {
		return &webhook.Request{Role: role, Method: method, Path: "/webhook", Start: now.Add(50 * time.Millisecond),
			FirstByte: now.Add(50*time.Millisecond + ttfb), Status: status, Proto: "HTTP/2.0",
			Excerpt: []byte(body), BodyLen: int64(len(body))}
	}
	verify := at(webhook.RoleVerify, "GET", 200, "1158201444", 2*time.Millisecond)
	verify.Path = "/webhook?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=REDACTED"
	odd := at(webhook.RoleVerifyWrong, "GET", 403, "nope\x1b[31m\u202e\xff", time.Millisecond)
	odd.Truncated, odd.BodyLen = true, 65536
	post := at(webhook.RoleDelivery, "POST", 200, "ok", 3*time.Millisecond)
	post.Header = []webhook.Header{{Name: "Content-Type", Value: "application/json"},
		{Name: "X-Hub-Signature-256", Value: "sha256=<HMAC of the body with the App Secret>"}}
	post.BodySize = 420
	lost := &webhook.Request{Role: webhook.RoleLatency, Method: "POST", Path: "/webhook", Concurrent: true,
		Err: &probe.NetError{Kind: probe.ErrTimeout, Msg: "no answer within 5s"}}
	return &webhook.Exchange{URL: "https://localhost/webhook", Address: "127.0.0.1", TokenGiven: true, Deliver: true,
		Deliveries: 3, Challenge: "1158201444", Deadline: 5 * time.Second, Start: now.Add(45 * time.Millisecond),
		End: now.Add(900 * time.Millisecond),
		Requests: []*webhook.Request{verify, odd, post,
			at(webhook.RoleLatency, "POST", 200, "", 30*time.Millisecond),
			at(webhook.RoleLatency, "POST", 200, "", 120*time.Millisecond), lost}}
}

// TestWebhookReport: the exchange is in the report as it happened, server
// bytes escaped, and the latency figures are the ones the check judged.
func TestWebhookReport(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := evidence(t, endpoint("127.0.0.1", [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil))
	ex := webhookExchange()
	r := Webhook(ev, ex, []string{"hub.verify_token"}, context(c))
	if r.Kind != "webhook" || len(r.Addresses) != 1 || r.Webhook == nil {
		t.Fatalf("kind %q, %d addresses, webhook %v", r.Kind, len(r.Addresses), r.Webhook)
	}
	w := r.Webhook
	if w.URL != ex.URL || w.Address != "127.0.0.1" || w.VerifyToken != "given" || !w.Deliver || w.DeadlineMS != 5000 ||
		w.Challenge != "1158201444" || len(w.Dropped) != 1 || len(w.Requests) != 6 {
		t.Errorf("webhook = %+v", w)
	}
	if r.DurationMS != 900 {
		t.Errorf("duration %v ms, want the exchange's end", r.DurationMS)
	}
	v, odd, post := w.Requests[0], w.Requests[1], w.Requests[2]
	if v.Role != "verify" || v.Status != 200 || v.TTFBMS == nil || *v.TTFBMS != 2 || v.BodyExcerpt != "1158201444" {
		t.Errorf("verify = %+v", v)
	}
	if odd.BodyExcerpt != `nope\x1b[31m\u202e\xff` || !odd.BodyTruncated || odd.BodyLength != 65536 {
		t.Errorf("odd body = %q, %+v", odd.BodyExcerpt, odd)
	}
	if post.BodyBytes != 420 || len(post.Headers) != 2 || !strings.HasPrefix(post.Headers[1].Value, "sha256=<") {
		t.Errorf("delivery = %+v", post)
	}
	if lost := w.Requests[5]; lost.TTFBMS != nil || lost.ErrorKind != "timeout" || !lost.Concurrent {
		t.Errorf("lost delivery = %+v", lost)
	}
	l := checks.WebhookLatency(ex, profile.MustLookup("meta").Webhook.Latency)
	if got := w.Latency; got == nil || got.N != 3 || got.Failed != 1 || got.MedianMS != float64(l.Median.Milliseconds()) ||
		got.P99MS != 120 || got.GuidanceMedianMS != 250 || got.GuidanceSlowShare != 0.01 || len(got.Buckets) != 8 ||
		got.Buckets[7].LeMS != nil || *got.Buckets[0].LeMS != 50 {
		t.Errorf("latency = %+v", got)
	}
	var ids []string
	for _, res := range r.Checks {
		if res.Category() == "webhook" {
			ids = append(ids, res.ID)
			if res.Address != "127.0.0.1" {
				t.Errorf("%s concerns %q", res.ID, res.Address)
			}
		}
	}
	if len(ids) != 7 {
		t.Errorf("webhook checks %v", ids)
	}
}

// TestWebhookReportWithoutExchange: no exchange, and the report says why
// in the words the checks skip with.
func TestWebhookReportWithoutExchange(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := evidence(t, endpoint("127.0.0.1", [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil))
	cx := context(c)
	cx.Profile = profile.MustLookup("generic")
	r := Webhook(ev, nil, nil, cx)
	if r.Webhook == nil || !strings.Contains(r.Webhook.Error, "no webhook protocol") || r.Webhook.Requests == nil ||
		r.Webhook.Latency != nil {
		t.Fatalf("webhook = %+v", r.Webhook)
	}
	for _, res := range r.Checks {
		if res.Category() == "webhook" && (res.Status != report.Skip || res.Detail != r.Webhook.Error) {
			t.Errorf("%s = %s %q", res.ID, res.Status, res.Detail)
		}
	}
	// A probe report has no webhook section.
	if p := Probe(ev, context(c)); p.Webhook != nil || p.Kind != "probe" {
		t.Errorf("probe report: kind %q, webhook %v", p.Kind, p.Webhook)
	}
}
