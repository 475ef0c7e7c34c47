package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testwebhook"
)

// moreSenderArgs are the flags of a run with the signed deliveries for one
// of the further senders; for Discord, the Ed25519 key wacheck signs with
// (the handler checks with its public half, as the docs tell users to).
func moreSenderArgs(t *testing.T, sender string, h *testwebhook.SenderHandler) []string {
	t.Helper()
	if sender != "discord" {
		return senderArgs(t, sender)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h.PublicKey = pub
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	key := filepath.Join(t.TempDir(), "discord-test-key.pem")
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--sender", sender, "--signing-key", key, "--deliver", "--deliveries", "2", "--enumerate=false",
		"--format", "json"}
}

// moreCorrect is what a correct handler of each further sender gets,
// besides pass: the checks a sender's protocol leaves nothing to judge.
var moreCorrect = map[string]map[string]string{
	"zoom":    {"webhook.body_size": "skip"},
	"twitch":  {"webhook.body_size": "skip"},
	"discord": {"webhook.body_size": "skip"},
	"line":    {"webhook.verify_rejects": "skip", "webhook.body_size": "skip"},
	// The shared Twilio handler takes form-encoded requests only: raw_body
	// tells so (webhook_twilio_test.go has the JSON-capable ones).
	"twilio": {"webhook.verify": "skip", "webhook.verify_rejects": "skip", "webhook.raw_body": "info",
		"webhook.body_size": "skip"},
	"msgraph": {"webhook.verify_rejects": "skip", "webhook.raw_body": "skip", "webhook.body_size": "skip"},
}

// moreFault is a broken handler and what it must get: its check, status
// and words, and the other checks allowed to blame the same cause.
type moreFault struct {
	fault      testwebhook.Fault
	id, st, in string
	same       []string
}

var moreFaults = map[string][]moreFault{
	"zoom": {
		{testwebhook.WrongEcho, "webhook.verify", "fail", "not the HMAC-SHA256 of plainToken", nil},
		{testwebhook.NoSignature, "webhook.signature", "fail", "accepts forged deliveries", []string{"webhook.verify_rejects"}},
		{testwebhook.NoSignature, "webhook.verify_rejects", "fail", "without checking x-zm-signature", []string{"webhook.signature"}},
		{testwebhook.Reserialise, "webhook.raw_body", "fail", "re-serialised", nil},
		{testwebhook.Slow, "webhook.latency", "fail", "over 1 s", nil},
	},
	"twitch": {
		{testwebhook.QuotedEcho, "webhook.verify", "fail", "inside JSON", nil},
		{testwebhook.WrongEcho, "webhook.verify", "fail", "not the challenge", nil},
		{testwebhook.NoSignature, "webhook.verify_rejects", "fail", "without checking Twitch-Eventsub-Message-Signature",
			[]string{"webhook.signature"}},
		{testwebhook.Reserialise, "webhook.raw_body", "fail", "re-serialised", nil},
		{testwebhook.Slow, "webhook.latency", "fail", "over 1 s", nil},
	},
	"discord": {
		{testwebhook.WrongEcho, "webhook.verify", "fail", "not a PONG", nil},
		{testwebhook.NoSignature, "webhook.verify_rejects", "fail", "accepts requests whose signature does not verify",
			[]string{"webhook.signature"}},
		{testwebhook.Refuses403, "webhook.verify_rejects", "warn", "documents 401", nil},
		{testwebhook.Reserialise, "webhook.raw_body", "fail", "re-serialised", nil},
		{testwebhook.Slow, "webhook.latency", "fail", "over 1 s", nil},
	},
	"line": {
		{testwebhook.NoSignature, "webhook.signature", "fail", "accepts forged deliveries", nil},
		{testwebhook.Reserialise, "webhook.raw_body", "fail", "re-serialised", nil},
		{testwebhook.Slow, "webhook.latency", "fail", "over 1 s", nil},
	},
	"twilio": {
		{testwebhook.NoSignature, "webhook.signature", "fail", "accepts forged deliveries", nil},
		{testwebhook.Slow, "webhook.latency", "fail", "over 1 s", nil},
	},
	"msgraph": {
		{testwebhook.WrongEcho, "webhook.verify", "fail", "still URL-encoded", nil},
		{testwebhook.QuotedEcho, "webhook.verify", "fail", "JSON quotes", nil},
		{testwebhook.NoSignature, "webhook.signature", "info", "cannot show whether the handler drops", nil},
		{testwebhook.Slow, "webhook.latency", "fail", "over 1 s", nil},
	},
}

// TestWebhookMoreSenders runs wacheck webhook --sender X for Zoom, Twitch,
// Discord, LINE, Twilio and Microsoft Graph against handlers written from
// each sender's documents (internal/testwebhook) on loopback: a correct
// one passes every check it can be judged by; each broken one gets exactly
// its check, and no other webhook check blames a different cause.
func TestWebhookMoreSenders(t *testing.T) {
	for sender, want := range moreCorrect {
		t.Run(sender, func(t *testing.T) {
			t.Parallel()
			h := &testwebhook.SenderHandler{Sender: sender}
			args := moreSenderArgs(t, sender, h)
			addr, root := senderServer(t, h)
			r := runWebhookCmd(t, addr, root, nil, args...)
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
			if sender == "twitch" {
				// Twitch delivers to port 443 only: the loopback port is
				// refused, with the source.
				if st, d := r.check("connect.port"); st != "fail" || !strings.Contains(d, "443") ||
					!strings.Contains(d, "dev.twitch.tv") {
					t.Errorf("twitch on port %s: connect.port = %s (%s), want fail naming 443 and the source", addr, st, d)
				}
			}
			for _, tc := range moreFaults[sender] {
				h := &testwebhook.SenderHandler{Sender: sender, Fault: tc.fault, Delay: 1200 * time.Millisecond}
				args := moreSenderArgs(t, sender, h)
				addr, root := senderServer(t, h)
				r := runWebhookCmd(t, addr, root, nil, args...)
				st, detail := r.check(tc.id)
				if st != tc.st || !strings.Contains(detail, tc.in) {
					t.Errorf("fault %d: %s = %s (%s), want %s with %q\n%s", tc.fault, tc.id, st, detail, tc.st, tc.in, r)
				}
				for _, id := range webhookCheckIDs {
					if id == tc.id || contains(tc.same, id) {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestWebhookMoreSendersUsage: Discord needs --signing-key (wacheck holds
// no Discord key) and refuses --app-secret-file; Zoom and Twitch sign their
// verification, so they need the secret even without --deliver; Graph's
// validation needs none.
func TestWebhookMoreSendersUsage(t *testing.T) {
	h := &testwebhook.SenderHandler{Sender: "msgraph"}
	addr, root := senderServer(t, h)
	_, secret := secretFiles(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sender", "discord"}, "it needs --signing-key"},
		{[]string{"--sender", "discord", "--app-secret-file", secret}, "--app-secret-file does not apply"},
		{[]string{"--sender", "zoom"}, "signs its endpoint.url_validation request"},
		{[]string{"--sender", "twitch"}, "signs its webhook_callback_verification request"},
		{[]string{"--sender", "zoom", "--signing-key", secret}, "--signing-key is for Ed25519 senders"},
	} {
		r := runWebhookCmd(t, addr, root, nil, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	r := runWebhookCmd(t, addr, root, nil, "--sender", "msgraph", "--format", "json", "--enumerate=false")
	if st, d := r.check("webhook.verify"); st != "pass" || !strings.Contains(d, "URL-decoded token") {
		t.Errorf("msgraph without a clientState: webhook.verify = %s (%s)\n%s", st, d, r)
	}
}
