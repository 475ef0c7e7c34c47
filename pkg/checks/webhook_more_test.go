package checks

import (
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// TestGetHint: http.response's hint names the verification parameters only
// for a sender that verifies by GET with them (Meta's hub.*).
func TestGetHint(t *testing.T) {
	for sender, want := range map[string]string{
		"meta":    "A GET without hub.* parameters may rightly be refused",
		"twitch":  "Twitch POSTs every request it makes",
		"msgraph": "Microsoft Graph POSTs every request it makes",
		"generic": "senders POST deliveries",
	} {
		p, _ := profile.Lookup(sender)
		got := getHint(p)
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", sender, got, want)
		}
		if sender != "meta" && strings.Contains(got, "hub.") {
			t.Errorf("%s: %q names Meta's parameters", sender, got)
		}
	}
}

// senderExchange is healthyExchange with the verification requests of a
// POST-challenge sender: the first answered verify, the second wrong.
func senderExchange(verify, wrong *webhook.Request) *webhook.Exchange {
	ex := healthyExchange(2, 5*time.Millisecond)
	verify.Role, verify.Challenge = webhook.RoleVerify, challenge
	ex.Requests[0] = verify
	if wrong == nil {
		ex.Requests = append(ex.Requests[:1], ex.Requests[2:]...)
		return ex
	}
	wrong.Role, wrong.Challenge = webhook.RoleVerifyWrong, "9999999999"
	ex.Requests[1] = wrong
	return ex
}

// TestWebhookAnswerForms judges the further senders' verification answers
// built in memory: Twitch's raw challenge, Zoom's plainToken and HMAC,
// Discord's PONG and its 401, Graph's validationToken; each wrong answer
// fails webhook.verify (or verify_rejects) and nothing else.
func TestWebhookAnswerForms(t *testing.T) {
	const hmacWant = "5a2f" // stands for the encryptedToken the exchange computed
	zoom := func(body string) *webhook.Request {
		r := answered("", 200, body, 2*time.Millisecond)
		r.Want = hmacWant
		return r
	}
	token := "Validation: a b:c"
	graph := func(status int, body, ct string) *webhook.Request {
		r := answered("", status, body, 2*time.Millisecond)
		r.ContentType = ct
		return r
	}
	tests := []struct {
		name, sender string
		verify       *webhook.Request
		wrong        *webhook.Request
		id           string
		status       report.Status
		in           string
	}{
		{"twitch raw", "twitch", answered("", 200, challenge, time.Millisecond),
			answered("", 403, "bad", time.Millisecond), "webhook.verify", report.Pass, "exactly the raw challenge"},
		{"twitch json", "twitch", answered("", 200, `{"challenge":"`+challenge+`"}`, time.Millisecond),
			answered("", 403, "bad", time.Millisecond), "webhook.verify", report.Fail, "inside JSON"},
		{"twitch quoted", "twitch", answered("", 200, `"`+challenge+`"`, time.Millisecond),
			answered("", 403, "bad", time.Millisecond), "webhook.verify", report.Fail, "JSON quotes"},
		{"twitch forged answered", "twitch", answered("", 200, challenge, time.Millisecond),
			answered("", 200, "9999999999", time.Millisecond), "webhook.verify_rejects", report.Fail,
			"without checking Twitch-Eventsub-Message-Signature"},
		{"zoom right", "zoom", zoom(`{"plainToken":"` + challenge + `","encryptedToken":"5A2F"}`),
			answered("", 401, "", time.Millisecond), "webhook.verify", report.Pass, "right encryptedToken"},
		{"zoom wrong hmac", "zoom", zoom(`{"plainToken":"` + challenge + `","encryptedToken":"00"}`),
			answered("", 401, "", time.Millisecond), "webhook.verify", report.Fail, "not the HMAC-SHA256"},
		{"zoom no json", "zoom", zoom(challenge), answered("", 401, "", time.Millisecond), "webhook.verify",
			report.Fail, "not a JSON object"},
		{"zoom wrong plainToken", "zoom", zoom(`{"plainToken":"1","encryptedToken":"5a2f"}`),
			answered("", 401, "", time.Millisecond), "webhook.verify", report.Fail, "plainToken is not"},
		{"discord pong", "discord", answered("", 200, `{"type":1}`, time.Millisecond),
			answered("", 401, "", time.Millisecond), "webhook.verify", report.Pass, "PONG"},
		{"discord not pong", "discord", answered("", 200, `{"type":4}`, time.Millisecond),
			answered("", 401, "", time.Millisecond), "webhook.verify", report.Fail, "not a PONG"},
		{"discord 401", "discord", answered("", 200, `{"type":1}`, time.Millisecond),
			answered("", 401, "", time.Millisecond), "webhook.verify_rejects", report.Pass, "as Discord requires"},
		{"discord 403", "discord", answered("", 200, `{"type":1}`, time.Millisecond),
			answered("", 403, "", time.Millisecond), "webhook.verify_rejects", report.Warn, "documents 401"},
		{"discord accepted", "discord", answered("", 200, `{"type":1}`, time.Millisecond),
			answered("", 200, `{"type":1}`, time.Millisecond), "webhook.verify_rejects", report.Fail,
			"accepts requests whose signature does not verify"},
		{"graph token", "msgraph", graph(200, token, "text/plain; charset=utf-8"), nil, "webhook.verify",
			report.Pass, "URL-decoded token"},
		{"graph encoded", "msgraph", graph(200, "Validation%3A+a+b%3Ac", "text/plain"), nil, "webhook.verify",
			report.Fail, "still URL-encoded"},
		{"graph json type", "msgraph", graph(200, token, "application/json"), nil, "webhook.verify",
			report.Fail, "wants text/plain"},
		{"graph no route", "msgraph", graph(404, "", ""), nil, "webhook.verify", report.Fail, "no handler"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ex := senderExchange(tc.verify, tc.wrong)
			if tc.sender == "msgraph" {
				ex.Requests[0].Challenge = token
			}
			got := judgeWebhook(t, ex, tc.sender)
			g := got[tc.id]
			if g.Status != tc.status || !strings.Contains(g.Detail, tc.in) {
				t.Errorf("%s = %s (%s), want %s with %q", tc.id, g.Status, g.Detail, tc.status, tc.in)
			}
			for id, r := range got {
				if id != tc.id && (r.Status == report.Fail || r.Status == report.Warn) {
					t.Errorf("%s %s (%s) blames another cause", id, r.Status, r.Detail)
				}
			}
		})
	}
}

// TestWebhookClientState: Graph's notifications with a wrong and no
// clientState, refused, pass; accepted, info (Graph asks for 202 to every
// notification); the raw-body check skips, saying why.
func TestWebhookClientState(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   report.Status
		in     string
	}{
		{403, report.Pass, "the handler checks it"},
		{202, report.Info, "cannot show whether the handler drops"},
	} {
		ex := senderExchange(answered("", 200, "x", time.Millisecond), nil)
		ex.Requests[0].Challenge = "x"
		for _, r := range ex.Requests {
			if r.Role == webhook.RoleForged || r.Role == webhook.RoleUnsigned {
				r.Status = tc.status
			}
		}
		got := judgeWebhook(t, ex, "msgraph")
		if g := got["webhook.signature"]; g.Status != tc.want || !strings.Contains(g.Detail, tc.in) {
			t.Errorf("%d: webhook.signature = %s (%s)", tc.status, g.Status, g.Detail)
		}
		if g := got["webhook.raw_body"]; g.Status != report.Skip || !strings.Contains(g.Detail, "signs nothing") {
			t.Errorf("webhook.raw_body = %s (%s)", g.Status, g.Detail)
		}
	}
}
