package checks

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/webhook"
)

const challenge = "1158201444"

// answered is a request that got status and body after ttfb.
func answered(role webhook.Role, status int, body string, ttfb time.Duration) *webhook.Request {
	return &webhook.Request{Role: role, Method: http.MethodPost, Path: "/webhook", Start: now,
		FirstByte: now.Add(ttfb), End: now.Add(ttfb), Status: status, Proto: "HTTP/2.0",
		Excerpt: []byte(body), BodyLen: int64(len(body))}
}

func getReq(role webhook.Role, status int, body string) *webhook.Request {
	r := answered(role, status, body, 3*time.Millisecond)
	r.Method, r.Challenge = http.MethodGet, challenge
	r.Path = "/webhook?hub.mode=subscribe&hub.challenge=" + challenge + "&hub.verify_token=REDACTED"
	return r
}

func failed(role webhook.Role, kind probe.ErrorKind, msg string) *webhook.Request {
	return &webhook.Request{Role: role, Method: http.MethodPost, Path: "/webhook", Start: now,
		Err: &probe.NetError{Kind: kind, Msg: msg}}
}

// healthyExchange is what a correct handler answers, with n timed
// deliveries taking ttfb each.
func healthyExchange(n int, ttfb time.Duration) *webhook.Exchange {
	ex := &webhook.Exchange{URL: "https://localhost/webhook", Address: "127.0.0.1", TokenGiven: true, Deliver: true,
		Deliveries: n, Challenge: challenge, Deadline: 5 * time.Second,
		Requests: []*webhook.Request{
			getReq(webhook.RoleVerify, 200, challenge),
			getReq(webhook.RoleVerifyWrong, 403, "forbidden"),
			answered(webhook.RoleDelivery, 200, "EVENT_RECEIVED", 4*time.Millisecond),
			answered(webhook.RoleDelivery, 200, "EVENT_RECEIVED", 3*time.Millisecond),
			answered(webhook.RoleForged, 403, "invalid signature", time.Millisecond),
			answered(webhook.RoleUnsigned, 401, "", time.Millisecond),
			answered(webhook.RoleNonASCII, 200, "EVENT_RECEIVED", 4*time.Millisecond),
			answered(webhook.RoleLarge, 200, "EVENT_RECEIVED", 40*time.Millisecond),
		}}
	ex.Requests[6].BodySize = 400
	ex.Requests[7].BodySize = 3<<20 - 16<<10
	for i := range n {
		r := answered(webhook.RoleLatency, 200, "EVENT_RECEIVED", ttfb)
		r.Concurrent = i >= (n+1)/2
		ex.Requests = append(ex.Requests, r)
	}
	return ex
}

// judgeWebhook runs the webhook checks over ex as the adapter makes it.
func judgeWebhook(t *testing.T, ex *webhook.Exchange, key string) map[string]report.Result {
	t.Helper()
	p := profile.MustLookup(key)
	set := subject.FromWebhook(&probe.Evidence{}, ex, p, nil)
	out := map[string]report.Result{}
	for _, r := range Run(Context{Profile: p, Thresholds: DefaultThresholds(), Now: now}, []*subject.Set{set}).Results {
		if r.Category() != "webhook" {
			t.Errorf("%s judged a webhook Set", r.ID)
		}
		out[r.ID] = r
	}
	if len(out) != 7 {
		t.Errorf("%d webhook results, want 7", len(out))
	}
	return out
}

// find returns ex's first request of role.
func find(ex *webhook.Exchange, role webhook.Role) *webhook.Request { return ex.Find(role) }

func setLatency(ex *webhook.Exchange, ttfbs ...time.Duration) {
	for i, r := range ex.All(webhook.RoleLatency) {
		r.FirstByte = r.Start.Add(ttfbs[i%len(ttfbs)])
	}
}

func TestWebhookChecks(t *testing.T) {
	ms := time.Millisecond
	allPass := []want{
		{"webhook.verify", report.Pass, []string{"exactly the challenge", "REDACTED"}},
		{"webhook.verify_rejects", report.Pass, []string{"403"}},
		{"webhook.delivery", report.Pass, []string{"X-Hub-Signature-256", "an incoming message got 200", "a status update got 200"}},
		{"webhook.signature", report.Pass, []string{"wrong secret got 403", "without X-Hub-Signature-256 got 401"}},
		{"webhook.raw_body", report.Pass, []string{`\u00e4\u00f6\u00e5`, "raw body"}},
		{"webhook.body_size", report.Pass, []string{"3.0 MB", "1000 updates", "3 MB"}},
		{"webhook.latency", report.Pass, []string{"20 timed deliveries (10 one at a time, 10 in bursts", "median 20 ms",
			"p99 20 ms", "≤50 ms: 20", "360dialog", "5 s"}},
	}
	tests := []struct {
		name  string
		mod   func(ex *webhook.Exchange)
		wants []want
	}{
		{"healthy", func(*webhook.Exchange) {}, allPass},
		// webhook.verify
		{"JSON-quoted echo", func(ex *webhook.Exchange) { find(ex, webhook.RoleVerify).Excerpt = []byte(`"` + challenge + `"`) },
			[]want{{"webhook.verify", report.Fail, []string{"JSON quotes", `received="\"1158201444\""`,
				"Response does not match challenge"}}}},
		{"trailing newline", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleVerify)
			r.Excerpt, r.BodyLen = []byte(challenge+"\r\n"), 12
		}, []want{{"webhook.verify", report.Fail, []string{"trailing newline", `1158201444\r\n`}}}},
		{"HTML", func(ex *webhook.Exchange) { find(ex, webhook.RoleVerify).Excerpt = []byte("<p>" + challenge + "</p>") },
			[]want{{"webhook.verify", report.Fail, []string{"inside HTML"}}}},
		{"JSON object", func(ex *webhook.Exchange) {
			find(ex, webhook.RoleVerify).Excerpt = []byte(`{"hub.challenge":"` + challenge + `"}`)
		}, []want{{"webhook.verify", report.Fail, []string{"wrapped in other text"}}}},
		{"empty 200", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleVerify)
			r.Excerpt, r.BodyLen = nil, 0
		}, []want{{"webhook.verify", report.Fail, []string{"empty body", "did not find hub.challenge", "hub_challenge"}}}},
		{"other 200", func(ex *webhook.Exchange) { find(ex, webhook.RoleVerify).Excerpt = []byte("OK") },
			[]want{{"webhook.verify", report.Fail, []string{`the body "OK"`, "not the challenge 1158201444"}}}},
		{"token refused", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleVerify)
			r.Status, r.Excerpt, r.BodyLen = 403, nil, 0
		}, []want{{"webhook.verify", report.Fail, []string{"403 Forbidden", "does not match the handler's"}}}},
		{"PHP names", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleVerify)
			r.Status, r.Excerpt, r.BodyLen = 403, nil, 0
			php := getReq(webhook.RoleVerifyPHP, 200, "4444444444")
			php.Challenge = "4444444444"
			ex.Requests = append(ex.Requests, php)
		}, []want{{"webhook.verify", report.Fail, []string{"hub_mode, hub_challenge and hub_verify_token", "PHP"}}}},
		{"404", func(ex *webhook.Exchange) { find(ex, webhook.RoleVerify).Status = 404 },
			[]want{{"webhook.verify", report.Fail, []string{"404 Not Found", "no handler answers GET"}}}},
		{"500", func(ex *webhook.Exchange) { find(ex, webhook.RoleVerify).Status = 502 },
			[]want{{"webhook.verify", report.Fail, []string{"502 Bad Gateway", "fails on the verification"}}}},
		{"redirect", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleVerify)
			r.Status, r.Location = 308, "https://www.example.com/webhook"
		}, []want{{"webhook.verify", report.Fail, []string{"308", "to https://www.example.com/webhook", "follows no redirect"}}}},
		{"verification times out", func(ex *webhook.Exchange) {
			ex.Requests[0] = failed(webhook.RoleVerify, probe.ErrTimeout, "no answer within 5s")
			ex.Requests[0].Method = "GET"
		}, []want{{"webhook.verify", report.Fail, []string{"no answer within 5s", "sends no deliveries"}}}},
		{"body of control characters", func(ex *webhook.Exchange) {
			find(ex, webhook.RoleVerify).Excerpt = []byte("\x1b[2J\u202e" + challenge + "\xff")
		}, []want{{"webhook.verify", report.Fail, []string{`\x1b[2J\u202e1158201444\xff`}}}},
		// Without a token, the one request had a random token.
		{"no token, refused", func(ex *webhook.Exchange) {
			ex.TokenGiven = false
			r := find(ex, webhook.RoleVerify)
			r.Status, r.Excerpt, r.BodyLen = 403, []byte("forbidden"), 9
			ex.Requests = append(ex.Requests[:1], ex.Requests[2:]...)
		}, []want{{"webhook.verify", report.Info, []string{"random verify token", "was not verified", "403"}},
			{"webhook.verify_rejects", report.Pass, []string{"403"}}}},
		{"no token, echoed", func(ex *webhook.Exchange) {
			ex.TokenGiven = false
			ex.Requests = append(ex.Requests[:1], ex.Requests[2:]...)
		}, []want{{"webhook.verify", report.Pass, []string{"random verify token", "echo is right"}},
			{"webhook.verify_rejects", report.Fail, []string{"does not check hub.verify_token"}}}},
		{"no token, quoted", func(ex *webhook.Exchange) {
			ex.TokenGiven = false
			find(ex, webhook.RoleVerify).Excerpt = []byte(`"` + challenge + `"`)
			ex.Requests = append(ex.Requests[:1], ex.Requests[2:]...)
		}, []want{{"webhook.verify", report.Fail, []string{"not alone"}},
			{"webhook.verify_rejects", report.Fail, []string{"does not check hub.verify_token"}}}},
		// webhook.verify_rejects
		{"wrong token echoed", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleVerifyWrong)
			r.Status, r.Excerpt = 200, []byte(challenge)
		}, []want{{"webhook.verify_rejects", report.Fail, []string{"does not check hub.verify_token"}}}},
		{"wrong token, 200 without the challenge", func(ex *webhook.Exchange) { find(ex, webhook.RoleVerifyWrong).Status = 200 },
			[]want{{"webhook.verify_rejects", report.Pass, []string{"without the challenge", "403 says it more clearly"}}}},
		{"wrong token, no answer", func(ex *webhook.Exchange) {
			ex.Requests[1] = failed(webhook.RoleVerifyWrong, probe.ErrReset, "connection reset")
		}, []want{{"webhook.verify_rejects", report.Skip, []string{"reset"}}}},
		// webhook.delivery
		{"delivery refused", func(ex *webhook.Exchange) { ex.All(webhook.RoleDelivery)[0].Status = 403 }, []want{
			{"webhook.delivery", report.Fail, []string{"refused a correctly signed delivery", "403"}},
			{"webhook.signature", report.Pass, nil}, // the status update got 200
		}},
		{"every delivery refused", func(ex *webhook.Exchange) {
			for _, r := range ex.Requests[2:] {
				r.Status = 403
			}
		}, []want{
			{"webhook.delivery", report.Fail, []string{"refused a correctly signed delivery"}},
			{"webhook.signature", report.Skip, []string{"webhook.delivery"}},
			{"webhook.raw_body", report.Skip, []string{"webhook.delivery"}},
			{"webhook.body_size", report.Skip, []string{"webhook.delivery"}},
			{"webhook.latency", report.Skip, []string{"webhook.delivery"}},
		}},
		{"delivery redirected", func(ex *webhook.Exchange) {
			r := ex.All(webhook.RoleDelivery)[0]
			r.Status, r.Location = 301, "/webhook/"
		}, []want{{"webhook.delivery", report.Fail, []string{"301", "do not follow redirects on POST", "7 days"}}}},
		{"delivery times out", func(ex *webhook.Exchange) {
			ex.Requests[2] = failed(webhook.RoleDelivery, probe.ErrTimeout, "no answer within 5s")
		}, []want{{"webhook.delivery", report.Fail, []string{"no answer within 5s"}}}},
		{"delivery 500", func(ex *webhook.Exchange) { ex.Requests[3].Status = 500 },
			[]want{{"webhook.delivery", report.Fail, []string{"a status update", "500", "the handler fails"}}}},
		{"delivery 400", func(ex *webhook.Exchange) { ex.Requests[2].Status = 400 },
			[]want{{"webhook.delivery", report.Fail, []string{"400", "refused a correctly signed delivery"}}}},
		// webhook.signature
		{"forged accepted", func(ex *webhook.Exchange) { find(ex, webhook.RoleForged).Status = 200 },
			[]want{{"webhook.signature", report.Fail, []string{"wrong secret got 200", "accepts forged"}}}},
		{"unsigned accepted", func(ex *webhook.Exchange) { find(ex, webhook.RoleUnsigned).Status = 204 },
			[]want{{"webhook.signature", report.Fail, []string{"without X-Hub-Signature-256 got 204"}}}},
		{"forged: no answer", func(ex *webhook.Exchange) {
			ex.Requests[4] = failed(webhook.RoleForged, probe.ErrTimeout, "no answer within 5s")
		}, []want{{"webhook.signature", report.Warn, []string{"no answer"}}}},
		// webhook.raw_body
		{"re-serialised", func(ex *webhook.Exchange) { find(ex, webhook.RoleNonASCII).Status = 403 },
			[]want{{"webhook.raw_body", report.Fail, []string{"403", "re-serialised", "while the ASCII deliveries got 2xx"}}}},
		{"non-ASCII crashes", func(ex *webhook.Exchange) { find(ex, webhook.RoleNonASCII).Status = 500 },
			[]want{{"webhook.raw_body", report.Fail, []string{"500"}}}},
		// webhook.body_size
		{"nginx 413", func(ex *webhook.Exchange) {
			r := find(ex, webhook.RoleLarge)
			r.Status = 413
			r.Excerpt = []byte("<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.24.0</center>")
		}, []want{{"webhook.body_size", report.Fail, []string{"413", "from nginx", "3.0 MB"}}}},
		{"Django 400", func(ex *webhook.Exchange) { find(ex, webhook.RoleLarge).Status = 400 },
			[]want{{"webhook.body_size", report.Fail, []string{"400", "DATA_UPLOAD_MAX_MEMORY_SIZE"}}}},
		{"closed on a large body", func(ex *webhook.Exchange) {
			ex.Requests[7] = failed(webhook.RoleLarge, probe.ErrReset, "connection reset by peer")
			ex.Requests[7].BodySize = 3 << 20
		}, []want{{"webhook.body_size", report.Fail, []string{"reset", "closes the connection on a large body"}}}},
		// webhook.latency
		{"median over 250 ms", func(ex *webhook.Exchange) { setLatency(ex, 300*ms) },
			[]want{{"webhook.latency", report.Warn, []string{"median 300 ms", "250 ms or less"}}}},
		{"one in 20 over 1 s", func(ex *webhook.Exchange) { setLatency(ex, 20*ms, 20*ms, 20*ms, 20*ms, 1500*ms) },
			[]want{{"webhook.latency", report.Warn, []string{"p99 1500 ms", "≤50 ms: 16, ≤2000 ms: 4"}}}},
		{"median over 1 s", func(ex *webhook.Exchange) { setLatency(ex, 1200*ms) },
			[]want{{"webhook.latency", report.Fail, []string{"median 1200 ms", "More than half"}}}},
		{"bursts refused", func(ex *webhook.Exchange) {
			for _, r := range ex.All(webhook.RoleLatency) {
				if r.Concurrent {
					r.Status = 503
				}
			}
		}, []want{{"webhook.latency", report.Fail, []string{"10 of 20", "burst", "503 Service Unavailable"}}}},
		{"timed out", func(ex *webhook.Exchange) {
			r := ex.All(webhook.RoleLatency)[0]
			r.Err, r.Status, r.FirstByte = &probe.NetError{Kind: probe.ErrTimeout, Msg: "no answer within 5s"}, 0, time.Time{}
		}, []want{{"webhook.latency", report.Fail, []string{"1 of 20", "no answer within 5s"}}}},
		// Without --deliver, and a run cut short.
		{"not delivered", func(ex *webhook.Exchange) { ex.Deliver, ex.Requests = false, ex.Requests[:2] }, []want{
			{"webhook.verify", report.Pass, nil},
			{"webhook.delivery", report.Skip, []string{"--deliver"}},
			{"webhook.signature", report.Skip, []string{"--deliver"}},
			{"webhook.raw_body", report.Skip, []string{"--deliver"}},
			{"webhook.body_size", report.Skip, []string{"--deliver"}},
			{"webhook.latency", report.Skip, []string{"--deliver"}},
		}},
		{"budget ran out", func(ex *webhook.Exchange) {
			ex.Requests = ex.Requests[:4]
			ex.Err = &probe.NetError{Kind: probe.ErrTimeout, Msg: "the time budget (--timeout) ran out"}
		}, []want{
			{"webhook.delivery", report.Pass, nil},
			{"webhook.signature", report.Skip, []string{"--timeout"}},
			{"webhook.raw_body", report.Skip, []string{"--timeout"}},
			{"webhook.body_size", report.Skip, []string{"--timeout"}},
			{"webhook.latency", report.Skip, []string{"--timeout"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := healthyExchange(20, 20*ms)
			tt.mod(ex)
			got := judgeWebhook(t, ex, "meta")
			expect(t, got, tt.wants...)
			// Nothing else is blamed: every check the case does not name
			// passes (or is a skip the case expects).
			named := map[string]bool{}
			for _, w := range tt.wants {
				named[w.id] = true
			}
			for id, r := range got {
				if !named[id] && r.Status != report.Pass && r.Status != report.Info {
					t.Errorf("%s = %s (%s): not expected by this case", id, r.Status, r.Detail)
				}
			}
		})
	}
}

// TestWebhookAdapter: the reasons a webhook Set has no exchange come from
// the adapter, once, for every webhook check.
func TestWebhookAdapter(t *testing.T) {
	ev := &probe.Evidence{Endpoints: []probe.Endpoint{{Address: "127.0.0.1",
		Handshake: &probe.Handshake{Err: &probe.NetError{Kind: probe.ErrAlert, Msg: "handshake failure"}}}}}
	untrusted := healthyExchange(0, 0)
	untrusted.Requests = []*webhook.Request{failed(webhook.RoleVerify, webhook.ErrUntrusted, "x509: unknown authority")}
	untrusted.Err = untrusted.Requests[0].Err
	for _, tc := range []struct {
		name, key string
		ev        *probe.Evidence
		ex        *webhook.Exchange
		why       string
	}{
		{"generic", "generic", ev, nil, "no webhook protocol"},
		{"no handshake", "meta", ev, nil, "no address completed Meta's TLS handshake"},
		{"no address", "meta", &probe.Evidence{DNS: probe.DNS{Err: &probe.NetError{Kind: probe.ErrNXDomain}}}, nil, "NXDOMAIN"},
		{"untrusted", "meta", ev, untrusted, "certificate does not verify"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := profile.MustLookup(tc.key)
			set := subject.FromWebhook(tc.ev, tc.ex, p, nil)
			if set.Has(subject.KindWebhook) || !strings.Contains(set.Why(subject.KindWebhook), tc.why) {
				t.Fatalf("set: has %v, why %q; want %q", set.Has(subject.KindWebhook), set.Why(subject.KindWebhook), tc.why)
			}
			for _, r := range Run(Context{Profile: p, Now: now}, []*subject.Set{set}).Results {
				if r.Status != report.Skip || !strings.Contains(r.Detail, tc.why) {
					t.Errorf("%s = %s %q", r.ID, r.Status, r.Detail)
				}
			}
		})
	}
	if got := subject.DeliveryAddress(&probe.Evidence{Endpoints: []probe.Endpoint{ev.Endpoints[0],
		{Address: "::1", Handshake: &probe.Handshake{}}}}); got != "::1" {
		t.Errorf("DeliveryAddress = %q, want the address that completed the handshake", got)
	}
}

// TestWebhookChecksFollowTheProfile: the protocol's names, the guidance and
// the sender's name come from the profile, not the code.
func TestWebhookChecksFollowTheProfile(t *testing.T) {
	p := profile.MustLookup("meta")
	p.Short = "Acme"
	w := p.Webhook
	w.Verification.ChallengeParam, w.Verification.Mismatch = "acme.challenge", "Challenge mismatch"
	w.Signature.Header, w.Signature.Secret = "X-Acme-Signature", "signing key"
	w.Latency = profile.LatencyGuidance{Median: 100 * time.Millisecond, Slow: 500 * time.Millisecond, SlowShare: 0.05,
		Source: "Acme's docs"}
	p.Deadlines.Response = 2 * time.Second
	ex := healthyExchange(20, 150*time.Millisecond)
	find(ex, webhook.RoleVerify).Excerpt = []byte(`"` + challenge + `"`)
	find(ex, webhook.RoleUnsigned).Status = 200
	set := subject.FromWebhook(&probe.Evidence{}, ex, p, nil)
	got := map[string]report.Result{}
	for _, r := range Run(Context{Profile: p, Now: now}, []*subject.Set{set}).Results {
		got[r.ID] = r
		if strings.Contains(r.Detail+r.Remediation, "Meta") || strings.Contains(r.Detail+r.Remediation, "hub.") &&
			!strings.Contains(r.Detail, "/webhook?hub.") {
			t.Errorf("%s names Meta's protocol: %s / %s", r.ID, r.Detail, r.Remediation)
		}
	}
	expect(t, got,
		want{"webhook.verify", report.Fail, []string{"Acme answers: Challenge mismatch"}},
		want{"webhook.signature", report.Fail, []string{"without X-Acme-Signature"}},
		want{"webhook.latency", report.Warn, []string{"Acme's docs", "100 ms", "Acme gives up after 2 s"}},
	)
	if !strings.Contains(got["webhook.verify"].Remediation, "acme.challenge") ||
		!strings.Contains(got["webhook.signature"].Remediation, "signing key") {
		t.Errorf("remediations: %q, %q", got["webhook.verify"].Remediation, got["webhook.signature"].Remediation)
	}
}

// TestWebhookLatencySummary: the numbers the report shows are the ones the
// check judged.
func TestWebhookLatencySummary(t *testing.T) {
	ex := healthyExchange(20, 0)
	var ds []time.Duration
	for i := range 20 {
		ds = append(ds, time.Duration(i+1)*60*time.Millisecond)
	}
	setLatency(ex, ds...)
	ex.All(webhook.RoleLatency)[19].Status = 500
	l := WebhookLatency(ex, profile.MustLookup("meta").Webhook.Latency)
	if l.N != 20 || l.Failed != 1 || l.Sequential != 10 || l.Concurrent != 10 || l.FailedConcurrent != 1 {
		t.Errorf("counts %+v", l)
	}
	if l.Min != 60*time.Millisecond || l.Median != 600*time.Millisecond || l.P95 != 1140*time.Millisecond ||
		l.P99 != 1140*time.Millisecond || l.Max != 1140*time.Millisecond || l.OverSlow != 3 {
		t.Errorf("stats %+v", l)
	}
	var total int
	for _, b := range l.Buckets {
		total += b.Count
	}
	if total != 19 || fmt.Sprint(l.Buckets[:3]) != "[{50ms 0} {100ms 1} {250ms 3}]" {
		t.Errorf("buckets %v", l.Buckets)
	}
}

// slackExchange is a Slack exchange whose url_verification POST got status
// and body, and whose forged twin got forged.
func slackExchange(status int, body string, forged int, forgedBody string) *webhook.Exchange {
	ex := healthyExchange(2, 5*time.Millisecond)
	ex.TokenGiven = false
	v := answered(webhook.RoleVerify, status, body, 3*time.Millisecond)
	v.Challenge = challenge
	w := answered(webhook.RoleVerifyWrong, forged, forgedBody, time.Millisecond)
	w.Challenge = "2158201444"
	ex.Requests[0], ex.Requests[1] = v, w
	ex.Requests = append(ex.Requests[:7], ex.Requests[8:]...) // no large delivery: Slack documents no size
	return ex
}

// TestWebhookPostChallenge: Slack takes the challenge alone, as a form or
// as JSON, and nothing else; the forged twin must not get it.
func TestWebhookPostChallenge(t *testing.T) {
	for _, tc := range []struct {
		body, st, in string
	}{
		{challenge, "pass", "as plain text"},
		{"challenge=" + challenge, "pass", "as a form"},
		{`{"challenge":"` + challenge + `"}`, "pass", "as JSON"},
		{`{"challenge":` + challenge + `}`, "fail", "inside something else"}, // a number, not the string
		{`"` + challenge + `"`, "fail", "inside something else"},
		{"ok", "fail", "not 200 with the challenge"},
	} {
		res := judgeWebhook(t, slackExchange(200, tc.body, 401, "invalid signature"), "slack")
		r := res["webhook.verify"]
		if string(r.Status) != tc.st || !strings.Contains(r.Detail, tc.in) {
			t.Errorf("%q: webhook.verify = %s %q, want %s with %q", tc.body, r.Status, r.Detail, tc.st, tc.in)
		}
		if st := res["webhook.verify_rejects"].Status; st != "pass" {
			t.Errorf("%q: verify_rejects = %s", tc.body, st)
		}
		if st := res["webhook.body_size"].Status; st != "skip" || !strings.Contains(res["webhook.body_size"].Detail,
			"documents no largest payload") {
			t.Errorf("%q: body_size = %s %q", tc.body, st, res["webhook.body_size"].Detail)
		}
	}
	res := judgeWebhook(t, slackExchange(401, "invalid signature", 401, ""), "slack")
	if r := res["webhook.verify"]; r.Status != "fail" || !strings.Contains(r.Detail, "refused a correctly signed") {
		t.Errorf("refused: %s %q", r.Status, r.Detail)
	}
	res = judgeWebhook(t, slackExchange(200, challenge, 200, "2158201444"), "slack")
	if r := res["webhook.verify_rejects"]; r.Status != "fail" || !strings.Contains(r.Detail, "without checking") {
		t.Errorf("forged twin answered: %s %q", r.Status, r.Detail)
	}
}

// TestWebhookNoHandshake: Stripe and Shopify send no verification
// request; the checks say so instead of "not sent".
func TestWebhookNoHandshake(t *testing.T) {
	for _, key := range []string{"stripe", "shopify"} {
		ex := healthyExchange(2, 5*time.Millisecond)
		ex.TokenGiven, ex.Challenge = false, ""
		ex.Requests = append(ex.Requests[2:7], ex.Requests[8:]...)
		res := judgeWebhook(t, ex, key)
		for _, id := range []string{"webhook.verify", "webhook.verify_rejects"} {
			if r := res[id]; r.Status != "skip" || !strings.Contains(r.Detail, "sends no verification request") {
				t.Errorf("%s: %s = %s %q", key, id, r.Status, r.Detail)
			}
		}
		for _, id := range []string{"webhook.delivery", "webhook.signature", "webhook.raw_body", "webhook.latency"} {
			if r := res[id]; r.Status != "pass" {
				t.Errorf("%s: %s = %s %q", key, id, r.Status, r.Detail)
			}
		}
	}
}
