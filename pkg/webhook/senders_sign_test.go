package webhook

import (
	"crypto/ed25519"
	"encoding/hex"
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

// TestSchemesWacheckCannotSign: Microsoft Graph (no signature, a
// clientState) and generic (no protocol) are refused by Signs, so no
// signature is ever printed for them.
func TestSchemesWacheckCannotSign(t *testing.T) {
	for _, k := range []string{"msgraph", "generic"} {
		p, ok := profile.Lookup(k)
		if !ok {
			t.Fatalf("no profile %s", k)
		}
		if p.Webhook.Signs() {
			t.Errorf("%s: Signs() = true", k)
		}
	}
}

// TestMessageSchemeVectors checks the schemes that sign more than a body
// and a timestamp against published values: Twilio's URL and sorted
// parameters, Twitch's message id, timestamp and body, Discord's Ed25519.
func TestMessageSchemeVectors(t *testing.T) {
	// Twilio's documented example (https://twilio.com/docs/usage/webhooks/webhooks-security,
	// "Validating Signatures from Twilio"; the same values are in
	// TwilioDevEd/api-snippets, security/signature_validation): auth token
	// 12345, this URL and these POST parameters. The body's order is not
	// the sorted one, so the sorting is tested too.
	tw := scheme(t, "twilio")
	form := "To=%2B18005551212&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&CallSid=CA1234567890ABCDE"
	m := Message{Body: []byte(form), URL: "https://mycompany.com/myapp.php?foo=1&bar=2"}
	if got, err := SignMessage(tw, []byte("12345"), m); err != nil || got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("twilio: %q, %v; want Twilio's RSOYDt4T1cUTdK1PDd93/VVr8B8=", got, err)
	}
	if ok, err := VerifyMessage(tw, []byte("12345"), m, "RSOYDt4T1cUTdK1PDd93/VVr8B8="); !ok || err != nil {
		t.Errorf("twilio: Verify(the published value) = %v, %v", ok, err)
	}
	m2 := m
	m2.URL = "http://mycompany.com/myapp.php?foo=1&bar=2" // what a handler behind a proxy sees
	if ok, _ := VerifyMessage(tw, []byte("12345"), m2, "RSOYDt4T1cUTdK1PDd93/VVr8B8="); ok {
		t.Error("twilio: another URL verified")
	}
	if _, err := SignMessage(tw, []byte("12345"), Message{Body: []byte(form)}); err == nil {
		t.Error("twilio: signed without a URL")
	}

	// Twitch publishes no fixed vector (its docs show the code, not a
	// value): computed independently with `printf '%s'
	// 'wacheck-test-00012026-01-01T00:00:00Z{"event":{}}' | openssl dgst
	// -sha256 -hmac twitch_test_secret`, the signed string of
	// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/.
	tc := scheme(t, "twitch")
	mt := Message{Body: []byte(`{"event":{}}`), Timestamp: "2026-01-01T00:00:00Z", MessageID: "wacheck-test-0001"}
	want := "sha256=c12e342c70cabd4c1d2c754fe3d93bd352fefc7fb6cddc24a0a42798e6beb973"
	if got, err := SignMessage(tc, []byte("twitch_test_secret"), mt); err != nil || got != want {
		t.Errorf("twitch: %q, %v; want %q", got, err, want)
	}
	mt.MessageID = "wacheck-test-0002"
	if ok, _ := VerifyMessage(tc, []byte("twitch_test_secret"), mt, want); ok {
		t.Error("twitch: another message id verified")
	}
	if _, err := SignMessage(tc, []byte("k"), Message{Body: []byte("{}"), Timestamp: "x"}); err == nil {
		t.Error("twitch: signed without a message id")
	}

	// Discord signs timestamp + body with Ed25519 (RFC 8032) and publishes
	// no vector of its own: the primitive is checked against RFC 8032
	// section 7.1, TEST 2 (a one-byte message, 0x72), as the timestamp ""
	// and the body "r".
	dc := scheme(t, "discord")
	seed, _ := hex.DecodeString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
	pub, _ := hex.DecodeString("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
	sig := "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da" +
		"085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
	priv := ed25519.NewKeyFromSeed(seed)
	md := Message{Body: []byte{0x72}}
	if got, err := SignMessage(dc, priv, md); err != nil || got != sig {
		t.Errorf("discord: %q, %v; want RFC 8032 TEST 2's %q", got, err, sig)
	}
	if ok, err := VerifyMessage(dc, pub, md, sig); !ok || err != nil {
		t.Errorf("discord: Verify with RFC 8032's public key = %v, %v", ok, err)
	}
	// The timestamp is signed in front of the body: moving a byte from the
	// body to the timestamp leaves the signed bytes, and so the signature,
	// the same; changing either does not.
	if ok, _ := VerifyMessage(dc, pub, Message{Timestamp: "r"}, sig); !ok {
		t.Error("discord: the timestamp is not signed in front of the body")
	}
	if ok, _ := VerifyMessage(dc, pub, Message{Timestamp: "1", Body: []byte{0x72}}, sig); ok {
		t.Error("discord: another timestamp verified")
	}
	if _, err := SignMessage(dc, []byte("not a key"), md); err == nil {
		t.Error("discord: signed with an HMAC secret")
	}
}
