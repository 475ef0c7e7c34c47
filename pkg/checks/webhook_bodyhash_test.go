package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// twilioExchange is what a Twilio handler answers: the form deliveries
// accepted and the forged ones refused (no verification request), then
// the JSON deliveries (the ASCII one, the non-ASCII one, the tampered
// one) answered as given; a nil leaves that request out.
func twilioExchange(ascii, nonASCII, tampered *webhook.Request) *webhook.Exchange {
	ex := healthyExchange(2, 5*time.Millisecond)
	ex.Requests = ex.Requests[2:] // Twilio sends no verification request
	for role, r := range map[webhook.Role]*webhook.Request{webhook.RoleJSONDelivery: ascii,
		webhook.RoleJSONNonASCII: nonASCII, webhook.RoleJSONTampered: tampered} {
		if r != nil {
			r.Role = role
			ex.Requests = append(ex.Requests, r)
		}
	}
	return ex
}

// TestWebhookTwilioJSON judges Twilio's JSON deliveries (bodySHA256)
// built in memory: each handler's fault is named by its own check, and no
// other check warns or fails.
func TestWebhookTwilioJSON(t *testing.T) {
	ok := func() *webhook.Request { return answered("", 200, "<Response></Response>", time.Millisecond) }
	refused := func(s int) *webhook.Request {
		return answered("", s, "Twilio Request Validation Failed.", time.Millisecond)
	}
	tests := []struct {
		name                      string
		ascii, nonASCII, tampered *webhook.Request
		id                        string
		status                    report.Status
		in                        []string
	}{
		{"correct", ok(), ok(), refused(403), "webhook.raw_body", report.Pass,
			[]string{"checks bodySHA256 against the raw body"}},
		{"correct signature", ok(), ok(), refused(403), "webhook.signature", report.Pass, []string{"refused"}},
		// Hashes JSON it parsed and wrote out again: the ASCII body comes
		// out the same (compact, sorted keys), the escaped one does not.
		{"re-serialised", ok(), refused(403), refused(403), "webhook.raw_body", report.Fail,
			[]string{"re-serialised body", "bodySHA256", "ASCII JSON delivery got 2xx"}},
		// Checks the signature over the URL, never bodySHA256: the tampered
		// body is accepted. That is webhook.signature's finding; raw_body
		// cannot tell and says why.
		{"ignores bodySHA256", ok(), ok(), ok(), "webhook.signature", report.Fail,
			[]string{"does not check bodySHA256 against the raw body", "only for some products"}},
		{"ignores bodySHA256, raw_body", ok(), ok(), ok(), "webhook.raw_body", report.Skip,
			[]string{"does not check bodySHA256 at all", "webhook.signature"}},
		// Form only: refusing JSON is right if Twilio sends this URL none.
		{"form only", refused(403), refused(403), refused(403), "webhook.raw_body", report.Info,
			[]string{"form-encoded requests only", "error 57012", "only for some products"}},
		{"form only, 415", refused(415), refused(415), refused(415), "webhook.raw_body", report.Info,
			[]string{"415 Unsupported Media Type"}},
		{"crashes on JSON", refused(500), refused(500), refused(500), "webhook.raw_body", report.Warn,
			[]string{"fails on a JSON body", "500"}},
		{"times out on JSON", failed("", probe.ErrTimeout, "no answer within 15s"), nil, nil, "webhook.raw_body",
			report.Skip, []string{"not sent"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := twilioExchange(tc.ascii, tc.nonASCII, tc.tampered)
			if tc.nonASCII == nil {
				ex.Err = &probe.NetError{Kind: probe.ErrTimeout, Msg: "the time budget (--timeout) ran out"}
			}
			got := judgeWebhook(t, ex, "twilio")
			g := got[tc.id]
			if g.Status != tc.status {
				t.Errorf("%s = %s (%s), want %s", tc.id, g.Status, g.Detail, tc.status)
			}
			for _, in := range tc.in {
				if !strings.Contains(g.Detail, in) {
					t.Errorf("%s: %q lacks %q", tc.id, g.Detail, in)
				}
			}
			for id, r := range got {
				if id == tc.id || id == "webhook.signature" && strings.HasPrefix(tc.name, "ignores bodySHA256") {
					continue // the case above judges it
				}
				if r.Status == report.Fail || r.Status == report.Warn {
					t.Errorf("%s %s (%s) blames another cause", id, r.Status, r.Detail)
				}
			}
			// The form deliveries' verdicts are not touched by the JSON ones.
			if g := got["webhook.delivery"]; g.Status != report.Pass {
				t.Errorf("webhook.delivery = %s (%s)", g.Status, g.Detail)
			}
		})
	}
}

// TestWebhookTwilioFormOnlyUnchanged: without the JSON deliveries (an
// exchange recorded before them), raw_body says the exchange did not get
// there rather than judging.
func TestWebhookTwilioFormOnlyUnchanged(t *testing.T) {
	got := judgeWebhook(t, twilioExchange(nil, nil, nil), "twilio")
	if g := got["webhook.raw_body"]; g.Status != report.Skip {
		t.Errorf("webhook.raw_body = %s (%s)", g.Status, g.Detail)
	}
	if g := got["webhook.signature"]; g.Status != report.Pass {
		t.Errorf("webhook.signature = %s (%s)", g.Status, g.Detail)
	}
}
