package assemble

import (
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// Webhook judges a probe and the webhook exchange that followed it (nil
// when none was made) and builds their report: the probe's, of kind
// webhook, with the webhook checks and the exchange. dropped are the
// verification parameters taken out of the URL the user gave.
func Webhook(ev *probe.Evidence, ex *webhook.Exchange, dropped []string, c checks.Context) *report.Report {
	if c.Profile == nil {
		c.Profile = profile.MustLookup(profile.Default)
	}
	set := subject.FromWebhook(ev, ex, c.Profile, dropped)
	r := probeReport(ev, append(subject.FromProbe(ev), set), c)
	r.Kind = "webhook"
	w := &report.Webhook{Dropped: nonNil(dropped), Requests: []report.WebhookRequest{}, VerifyToken: "random"}
	r.Webhook = w
	if ex == nil {
		w.Error = set.Why(subject.KindWebhook)
		return r
	}
	if ex.End.After(ev.EndedAt) {
		r.DurationMS = msf(ex.End.Sub(ev.StartedAt))
	}
	w.URL, w.Address, w.Deliver, w.Deliveries, w.Challenge = ex.URL, ex.Address, ex.Deliver, ex.Deliveries, ex.Challenge
	w.DeadlineMS = msf(ex.Deadline)
	if ex.TokenGiven {
		w.VerifyToken = "given"
	}
	if ex.Err != nil {
		w.Error = string(ex.Err.Kind) + ": " + ex.Err.Msg
	}
	for _, q := range ex.Requests {
		w.Requests = append(w.Requests, webhookRequest(q))
	}
	if len(ex.All(webhook.RoleLatency)) > 0 && c.Profile.Webhook != nil {
		w.Latency = latency(checks.WebhookLatency(ex, c.Profile.Webhook.Latency))
	}
	return r
}

func webhookRequest(q *webhook.Request) report.WebhookRequest {
	out := report.WebhookRequest{Role: string(q.Role), Method: q.Method, Path: webhook.Escape([]byte(q.Path)),
		Headers: []report.Header{}, BodyBytes: q.BodySize, Concurrent: q.Concurrent, Status: q.Status, Proto: q.Proto,
		Location: webhook.Escape([]byte(q.Location)), ContentType: webhook.Escape([]byte(q.ContentType)),
		BodyExcerpt: webhook.Escape(q.Excerpt), BodyLength: int(q.BodyLen), BodyTruncated: q.Truncated}
	for _, h := range q.Header {
		out.Headers = append(out.Headers, report.Header{Name: h.Name, Value: webhook.Escape([]byte(h.Value))})
	}
	if q.Err != nil {
		out.Error, out.ErrorKind = webhook.Escape([]byte(q.Err.Msg)), string(q.Err.Kind)
	}
	if d := q.TTFB(); d > 0 {
		out.TTFBMS = ptr(msf(d))
	}
	return out
}

func latency(l checks.Latency) *report.WebhookLatency {
	out := &report.WebhookLatency{N: l.N, Sequential: l.Sequential, Concurrent: l.Concurrent, Failed: l.Failed,
		MinMS: msf(l.Min), MedianMS: msf(l.Median), P95MS: msf(l.P95), P99MS: msf(l.P99), MaxMS: msf(l.Max),
		Buckets: []report.LatencyBucket{}, GuidanceMedianMS: msf(l.Guidance.Median), GuidanceSlowMS: msf(l.Guidance.Slow),
		GuidanceSlowShare: l.Guidance.SlowShare, GuidanceSource: l.Guidance.Source}
	for _, b := range l.Buckets {
		rb := report.LatencyBucket{Count: b.Count}
		if b.Le > 0 {
			rb.LeMS = ptr(msf(b.Le))
		}
		out.Buckets = append(out.Buckets, rb)
	}
	return out
}
