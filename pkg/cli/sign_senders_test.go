package cli

import (
	"strings"
	"testing"
)

// The senders' published examples (pkg/webhook/senders_sign_test.go cites
// them), through the command.
const (
	githubExampleSecret = "It's a Secret to Everybody"
	githubExample       = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
	slackExampleSecret  = "8f742231b10e8888abcd99yyyzzz85a5"
	slackExampleBody    = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" +
		"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
		"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
		"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	slackExample  = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	stripeBody    = `{"id":"evt_test_webhook","object":"event"}`
	stripeExample = "t=1492774577,v1=88a022085c6bdb887b02cb26ff76dd681234d9675c0f22844059f55552a8883a"
	shopifyBody   = `{"id":820982911946154508,"email":"jon@example.com"}`
	shopifyValue  = "LnwdZPLBbdjkBwPD/lDL1/rYEGby/GHPtL1aAH6Dxjc="
)

func TestSignSenders(t *testing.T) {
	cases := []struct {
		sender, secret, body, ts, want string
	}{
		{"github", githubExampleSecret, "Hello, World!", "", githubExample},
		{"slack", slackExampleSecret, slackExampleBody, "1531420618", slackExample},
		{"stripe", "whsec_test_secret", stripeBody, "1492774577", stripeExample},
		{"shopify", "shpss_test_secret", shopifyBody, "", shopifyValue},
	}
	for _, tc := range cases {
		env := map[string]string{envAppSecret: tc.secret}
		args := []string{"--sender", tc.sender}
		if tc.ts != "" {
			args = append(args, "--timestamp", tc.ts)
		}
		r := runSignCmd(t, tc.body, env, args...)
		if r.code != 0 || r.stdout != tc.want+"\n" || r.stderr != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %s", tc.sender, r.code, r.stdout, r.stderr, tc.want)
		}
		r = runSignCmd(t, tc.body, env, append(args, "--verify", tc.want)...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "ok: the signature matches") {
			t.Errorf("%s --verify: exit %d, stdout %q, stderr %q", tc.sender, r.code, r.stdout, r.stderr)
		}
		r = runSignCmd(t, tc.body+"\n", env, append(args, "--verify", tc.want)...)
		if r.code != 1 || !strings.Contains(r.stderr, "does not match") {
			t.Errorf("%s --verify, body with a newline: exit %d, stderr %q", tc.sender, r.code, r.stderr)
		}
	}
}

func TestSignSenderTimestamps(t *testing.T) {
	env := map[string]string{envAppSecret: "whsec_test_secret"}
	// Stripe's --verify reads t= from the header; the published example is
	// years old, so the tolerance note is printed, and the exit is 0.
	r := runSignCmd(t, stripeBody, env, "--sender", "stripe", "--verify", stripeExample)
	if r.code != 0 || !strings.Contains(r.stderr, "tolerance") {
		t.Errorf("stripe --verify without --timestamp: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runSignCmd(t, stripeBody, env, "--sender", "stripe", "--timestamp", "1492774578", "--verify", stripeExample)
	if r.code != 2 || !strings.Contains(r.stderr, "differs from the header") {
		t.Errorf("stripe, --timestamp against the header: exit %d, stderr %q", r.code, r.stderr)
	}
	// Without --timestamp a timestamped scheme signs the current time.
	r = runSignCmd(t, stripeBody, env, "--sender", "stripe")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "t=") {
		t.Errorf("stripe without --timestamp: exit %d, stdout %q", r.code, r.stdout)
	}
	slackEnv := map[string]string{envAppSecret: slackExampleSecret}
	r = runSignCmd(t, slackExampleBody, slackEnv, "--sender", "slack")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "v0=") || !strings.Contains(r.stderr, "X-Slack-Request-Timestamp") {
		t.Errorf("slack without --timestamp: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sender", "slack", "--verify", slackExample}, "needs --timestamp"},
		{[]string{"--sender", "github", "--timestamp", "1"}, "signs no timestamp"},
		{[]string{"--sender", "slack", "--timestamp", "yesterday"}, "not a Unix time"},
		{[]string{"--sender", "generic"}, "no signature scheme"},
		{[]string{"--sender", "discord"}, "needs --signing-key"},
		{[]string{"--sender", "msgraph"}, "signs nothing"},
		{[]string{"--sender", "twilio"}, "--url is needed"},
		{[]string{"--sender", "twilio", "--url", "example.com/sms"}, "not a full URL"},
		{[]string{"--sender", "twitch", "--verify", "sha256=00", "--timestamp", "2026-01-01T00:00:00Z"}, "needs --message-id"},
		{[]string{"--sender", "twitch", "--timestamp", "1700000000"}, "not an RFC 3339 time"},
		{[]string{"--sender", "slack", "--message-id", "x"}, "signs no message id"},
		{[]string{"--sender", "slack", "--url", "https://x/"}, "signs no URL"},
		{[]string{"--sender", "slack", "--gen-key"}, "are for Ed25519 senders"},
		{[]string{"--sender", "zoom", "--verify", "v0=00"}, "needs --timestamp"},
		{[]string{"--sender", "stripe", "--verify", "sha256=00"}, "not an HMAC-SHA256 signature"},
	} {
		r := runSignCmd(t, slackExampleBody, slackEnv, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
