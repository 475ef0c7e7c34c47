package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/internal/testwebhook"
)

// senderServer serves a handler of another sender's deliveries on
// loopback, with a chain that verifies against the root it returns.
func senderServer(t *testing.T, h *testwebhook.SenderHandler) (addr, root string) {
	t.Helper()
	c := testpki.NewChain(t, time.Now())
	if h.Secret == "" {
		h.Secret = testSecret
	}
	return testwebhook.Start(t, h, c.TLSCertificate(c.Intermediate.DER)), c.WriteRootPEM(t, "")
}

// senderArgs are the flags of a run with the signed deliveries for sender.
func senderArgs(t *testing.T, sender string) []string {
	_, secret := secretFiles(t)
	return []string{"--sender", sender, "--app-secret-file", secret, "--deliver", "--deliveries", "2",
		"--enumerate=false", "--format", "json"}
}

// The webhook checks a correct handler of each sender gets: the handshake
// each sender has (none for Stripe and Shopify, GitHub's ping, Slack's
// url_verification), and no body_size without a documented largest
// payload.
var senderCorrect = map[string]map[string]string{
	"stripe":  {"webhook.verify": "skip", "webhook.verify_rejects": "skip", "webhook.body_size": "skip"},
	"shopify": {"webhook.verify": "skip", "webhook.verify_rejects": "skip", "webhook.body_size": "skip"},
	"github":  {"webhook.verify": "pass", "webhook.verify_rejects": "skip", "webhook.body_size": "skip"},
	"slack":   {"webhook.verify": "pass", "webhook.verify_rejects": "pass", "webhook.body_size": "skip"},
}

var webhookCheckIDs = []string{"webhook.verify", "webhook.verify_rejects", "webhook.delivery", "webhook.signature",
	"webhook.raw_body", "webhook.body_size", "webhook.latency"}

// TestWebhookSenders runs wacheck webhook --sender X against handlers
// written from each sender's documents (internal/testwebhook) on loopback:
// a correct one passes every check it can be judged by, and each broken
// one fails exactly its check, with nothing else blamed.
func TestWebhookSenders(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile("../../docs/schema/report.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	for sender, want := range senderCorrect {
		t.Run(sender, func(t *testing.T) {
			addr, root := senderServer(t, &testwebhook.SenderHandler{Sender: sender})
			r := runWebhookCmd(t, addr, root, nil, senderArgs(t, sender)...)
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("the report does not match schema v2: %v", err)
			}
			for _, id := range webhookCheckIDs {
				st, detail := r.check(id)
				w := want[id]
				if w == "" {
					w = "pass"
				}
				if st != w {
					t.Errorf("correct handler: %s = %s (%s), want %s\n%s", id, st, detail, w, r)
				}
			}
			if st, d := r.check("webhook.verify"); sender == "stripe" && !strings.Contains(d, "sends no verification request") {
				t.Errorf("stripe: webhook.verify %s %q should say Stripe sends none", st, d)
			}
			for _, tc := range []struct {
				fault testwebhook.Fault
				id    string
				want  string
			}{
				{testwebhook.NoSignature, "webhook.signature", "accepts forged deliveries"},
				{testwebhook.Reserialise, "webhook.raw_body", "re-serialised"},
			} {
				addr, root := senderServer(t, &testwebhook.SenderHandler{Sender: sender, Fault: tc.fault})
				r := runWebhookCmd(t, addr, root, nil, senderArgs(t, sender)...)
				st, detail := r.check(tc.id)
				if st != "fail" || !strings.Contains(detail, tc.want) {
					t.Errorf("fault %d: %s = %s (%s), want fail with %q\n%s", tc.fault, tc.id, st, detail, tc.want, r)
				}
				for _, id := range webhookCheckIDs {
					if id == tc.id || sender == "slack" && tc.fault == testwebhook.NoSignature && id == "webhook.verify_rejects" {
						continue
					}
					if st, d := r.check(id); st == "fail" || st == "warn" {
						t.Errorf("fault %d: %s %s (%s) blames another cause", tc.fault, id, st, d)
					}
				}
			}
		})
	}
}

// TestWebhookSlackChallenge: Slack takes the challenge as plain text, as a
// form or as JSON; not inside HTML. A handler that answers without checking
// the signature fails webhook.verify_rejects.
func TestWebhookSlackChallenge(t *testing.T) {
	for _, tc := range []struct {
		fault      testwebhook.Fault
		id, st, in string
	}{
		{testwebhook.Correct, "webhook.verify", "pass", "as plain text"},
		{testwebhook.QuotedEcho, "webhook.verify", "pass", "as JSON"},
		{testwebhook.HTMLEcho, "webhook.verify", "fail", "inside something else"},
		{testwebhook.NoSignature, "webhook.verify_rejects", "fail", "without checking X-Slack-Signature"},
	} {
		addr, root := senderServer(t, &testwebhook.SenderHandler{Sender: "slack", Fault: tc.fault})
		r := runWebhookCmd(t, addr, root, nil, senderArgs(t, "slack")...)
		if st, d := r.check(tc.id); st != tc.st || !strings.Contains(d, tc.in) {
			t.Errorf("fault %d: %s = %s (%s), want %s with %q\n%s", tc.fault, tc.id, st, d, tc.st, tc.in, r)
		}
	}
	// Slack signs its url_verification request: without the signing
	// secret wacheck cannot send it.
	addr, root := senderServer(t, &testwebhook.SenderHandler{Sender: "slack"})
	r := runWebhookCmd(t, addr, root, nil, "--sender", "slack", "--format", "json")
	if r.code != 2 || !strings.Contains(r.stderr, "signs its url_verification request") || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("slack without a secret: exit %d, stderr %q", r.code, r.stderr)
	}
}
