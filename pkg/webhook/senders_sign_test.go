package webhook

import (
	"errors"
	"testing"

	"github.com/wacheck/wacheck/pkg/profile"
)

func scheme(t *testing.T, sender string) profile.Signature {
	t.Helper()
	p, ok := profile.Lookup(sender)
	if !ok || !p.Webhook.Signs() {
		t.Fatalf("%s: no signature scheme wacheck signs", sender)
	}
	return p.Webhook.Signature
}

// TestSenderPublishedVectors checks each scheme against the sender's own
// published example where one exists.
func TestSenderPublishedVectors(t *testing.T) {
	cases := []struct {
		sender, secret, ts, body, want, source string
	}{
		{
			// GitHub, "Validating webhook deliveries", "Testing the webhook
			// payload validation": secret "It's a Secret to Everybody",
			// payload "Hello, World!".
			sender: "github", secret: "It's a Secret to Everybody", body: "Hello, World!",
			want:   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
			source: "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
		},
		{
			// Slack, "Verifying requests from Slack", the worked example of
			// a slash command: signing secret, timestamp and body as
			// printed there.
			sender: "slack", secret: "8f742231b10e8888abcd99yyyzzz85a5", ts: "1531420618",
			body: "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" +
				"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
				"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
				"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
			want:   "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
			source: "https://docs.slack.dev/authentication/verifying-requests-from-slack",
		},
		{
			// Stripe publishes no fixed vector (stripe-go's webhook tests
			// compute their signatures at run time): this one was computed
			// independently with `printf '%s' '1492774577.{...}' | openssl
			// dgst -sha256 -hmac whsec_test_secret`, the signed string as
			// https://docs.stripe.com/webhooks defines it.
			sender: "stripe", secret: "whsec_test_secret", ts: "1492774577",
			body:   `{"id":"evt_test_webhook","object":"event"}`,
			want:   "t=1492774577,v1=88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a",
			source: "openssl, after https://docs.stripe.com/webhooks",
		},
		{
			// Shopify publishes no fixed vector: computed with `openssl dgst
			// -sha256 -hmac shpss_test_secret -binary | base64`, the scheme
			// of https://shopify.dev/docs/apps/build/webhooks/verify-deliveries.
			sender: "shopify", secret: "shpss_test_secret", body: `{"id":820982911946154508,"email":"jon@example.com"}`,
			want:   "LnwdZPLBbdjkBwPD/lDL1/rYEGby/GHPtL1aAH6Dxjc=",
			source: "openssl, after https://shopify.dev/docs/apps/build/webhooks/verify-deliveries",
		},
		{
			// Zoom and LINE publish no fixed vector either: computed with
			// openssl dgst -sha256 -hmac, the schemes of
			// https://developers.zoom.us/docs/api/webhooks/ and
			// https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/.
			sender: "zoom", secret: "zoom_test_secret", ts: "1700000000",
			body:   `{"event":"meeting.started","payload":{"account_id":"WACHECK_TEST"}}`,
			want:   "v0=fac1b5f296084c7bf162a5db5e36985b96f5098477fa3ccb064ed823579fb46e",
			source: "openssl, after https://developers.zoom.us/docs/api/webhooks/",
		},
		{
			sender: "line", secret: "line_test_secret", body: `{"destination":"UWACHECKTEST","events":[]}`,
			want:   "qytXf7CFcvPHZ3Jf/c8OMh+VTwoVDxzbokJ0mffKqtM=",
			source: "openssl, after https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/",
		},
	}
	for _, tc := range cases {
		s := scheme(t, tc.sender)
		got, err := Sign(s, []byte(tc.secret), []byte(tc.body), tc.ts)
		if err != nil || got != tc.want {
			t.Errorf("%s: Sign = %q, %v; want %q (%s)", tc.sender, got, err, tc.want, tc.source)
		}
		if ok, err := Verify(s, []byte(tc.secret), []byte(tc.body), tc.ts, tc.want); !ok || err != nil {
			t.Errorf("%s: Verify(the published value) = %v, %v", tc.sender, ok, err)
		}
		if ok, _ := Verify(s, []byte(tc.secret+"x"), []byte(tc.body), tc.ts, tc.want); ok {
			t.Errorf("%s: Verify accepts another secret", tc.sender)
		}
		if ok, _ := Verify(s, []byte(tc.secret), []byte(tc.body+" "), tc.ts, tc.want); ok {
			t.Errorf("%s: Verify accepts another body", tc.sender)
		}
		if s.Timestamped() && s.TimestampHeader != "" {
			if ok, _ := Verify(s, []byte(tc.secret), []byte(tc.body), tc.ts+"1", tc.want); ok {
				t.Errorf("%s: Verify accepts another timestamp", tc.sender)
			}
		}
	}
}

// TestStripeHeaderForms: the timestamp comes from the header, every v1 is
// tried (a secret roll), v0 and unknown keys are ignored, and malformed
// headers are ErrSignatureForm.
func TestStripeHeaderForms(t *testing.T) {
	s := scheme(t, "stripe")
	body := []byte(`{"id":"evt_test_webhook","object":"event"}`)
	good := "88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a"
	old := "aed64a3c4c277a17c2a83b486f08da11442d772bc6e44361371cabce6d56f8af" // whsec_old_secret, openssl
	for _, v := range []string{
		"t=1492774577,v1=" + good,
		"t=1492774577,v1=" + old + ",v1=" + good,
		"t=1492774577,v1=" + good + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
		" t=1492774577, v1=" + good + " ",
	} {
		if ok, err := Verify(s, []byte("whsec_test_secret"), body, "", v); !ok || err != nil {
			t.Errorf("%q: %v, %v; want a match", v, ok, err)
		}
	}
	if ok, err := Verify(s, []byte("whsec_old_secret"), body, "", "t=1492774577,v1="+good+",v1="+old); !ok || err != nil {
		t.Errorf("the old secret during a roll: %v, %v", ok, err)
	}
	if ok, _ := Verify(s, []byte("whsec_test_secret"), body, "", "t=1492774578,v1="+good); ok {
		t.Error("another t matched")
	}
	if got := HeaderTimestamp(s, "t=1492774577,v1="+good); got != "1492774577" {
		t.Errorf("HeaderTimestamp = %q", got)
	}
	for _, v := range []string{"", "v1=" + good, "t=1492774577", "t=abc,v1=" + good, "t=1,t=2,v1=" + good,
		"t=1492774577,v1=zz", "t=1492774577,v1=" + good[:10], "sha256=" + good, "t=1492774577;v1=" + good} {
		if _, err := Verify(s, []byte("k"), body, "", v); !errors.Is(err, ErrSignatureForm) {
			t.Errorf("%q: err = %v, want ErrSignatureForm", v, err)
		}
	}
}

// TestSchemesWacheckCannotSign: Twitch (message id), Twilio (URL and
// parameters), Discord (Ed25519) and Microsoft Graph (none) are refused by
// Signs, so no wrong signature is ever printed for them.
func TestSchemesWacheckCannotSign(t *testing.T) {
	for _, k := range []string{"twitch", "twilio", "discord", "msgraph", "generic"} {
		p, ok := profile.Lookup(k)
		if !ok {
			t.Fatalf("no profile %s", k)
		}
		if p.Webhook.Signs() {
			t.Errorf("%s: Signs() = true", k)
		}
	}
}
