package cli

import (
	"strings"
	"testing"
)

// Twilio's published vector of the JSON variant (twilio-node
// spec/validation.spec.js; pkg/webhook/bodyhash_test.go cites it).
const (
	twJSONURL  = "https://mycompany.com/myapp.php?foo=1&bar=2"
	twJSONBody = `{"property": "value", "boolean": true}`
	twJSONHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	twJSONSig  = "a9nBmqA0ju/hNViExpshrM61xv4="
)

// TestSignTwilioJSON: --json-body prints the URL to request (bodySHA256
// added, or checked) and the signature of that URL alone; --verify checks
// both parts and names the one that failed.
func TestSignTwilioJSON(t *testing.T) {
	env := map[string]string{envAppSecret: "12345"}
	withHash := twJSONURL + "&bodySHA256=" + twJSONHash
	for _, u := range []string{twJSONURL, withHash} {
		r := runSignCmd(t, twJSONBody, env, "--sender", "twilio", "--url", u, "--json-body")
		if r.code != 0 || r.stdout != withHash+"\n"+twJSONSig+"\n" || !strings.Contains(r.stderr, "line 1: the URL") {
			t.Errorf("--url %s: exit %d, stdout %q, stderr %q; want the URL with bodySHA256 and %s", u, r.code,
				r.stdout, r.stderr, twJSONSig)
		}
	}
	verify := func(url, body, sig string) *webhookRun {
		return runSignCmd(t, body, env, "--sender", "twilio", "--url", url, "--json-body", "--verify", sig)
	}
	if r := verify(withHash, twJSONBody, twJSONSig); r.code != 0 || !strings.HasPrefix(r.stdout, "ok:") ||
		!strings.Contains(r.stdout, "bodySHA256 matches") {
		t.Errorf("--verify the published vector: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The body with a trailing newline (echo): the signature over the URL
	// still matches, the body hash does not; both hashes are named.
	r := verify(withHash, twJSONBody+"\n", twJSONSig)
	if r.code != 1 || !strings.Contains(r.stderr, "not to the URL's bodySHA256 "+twJSONHash) ||
		strings.Contains(r.stderr, "signature does not match") || !strings.Contains(r.stderr, "hint: the payload must be the raw body") {
		t.Errorf("a changed body: exit %d, stderr %q", r.code, r.stderr)
	}
	// Another token: the signature fails, the body hash does not.
	r = runSignCmd(t, twJSONBody, map[string]string{envAppSecret: "54321"}, "--sender", "twilio", "--url", withHash,
		"--json-body", "--verify", twJSONSig)
	if r.code != 1 || !strings.Contains(r.stderr, "signature does not match the URL") || strings.Contains(r.stderr, "hashes to") {
		t.Errorf("another auth token: exit %d, stderr %q", r.code, r.stderr)
	}
	// A signature whose base64 differs only in the padding bits decodes to
	// the same bytes, but is not the text the SDKs compare: refused.
	if r := verify(withHash, twJSONBody, "a9nBmqA0ju/hNViExpshrM61xv5="); r.code == 0 {
		t.Errorf("a signature with other padding bits: exit %d, stdout %q", r.code, r.stdout)
	}
	// Signing with a URL whose bodySHA256 is another body's: an error
	// naming both hashes, nothing printed on stdout.
	r = runSignCmd(t, "{}", env, "--sender", "twilio", "--url", withHash, "--json-body")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, twJSONHash) ||
		!strings.Contains(r.stderr, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a") ||
		!strings.Contains(r.stderr, "hint:") {
		t.Errorf("a mismatched bodySHA256: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// Without --json-body the form behaviour is unchanged, with a note
	// when the payload looks like JSON.
	r = runSignCmd(t, twJSONBody, env, "--sender", "twilio", "--url", twJSONURL)
	if r.code != 0 || r.stdout == twJSONSig+"\n" || !strings.Contains(r.stderr, "give --json-body") {
		t.Errorf("JSON without --json-body: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestSignTwilioJSONMisuse: each misuse of --json-body is one line, a
// hint, and exit 2.
func TestSignTwilioJSONMisuse(t *testing.T) {
	env := map[string]string{envAppSecret: "12345"}
	withHash := twJSONURL + "&bodySHA256=" + twJSONHash
	for _, tc := range []struct {
		args []string
		in   string
	}{
		{[]string{"--sender", "meta", "--json-body"}, "--json-body is for senders that sign the URL"},
		{[]string{"--sender", "stripe", "--json-body", "--verify", "t=1,v1=00"}, "no JSON variant"},
		{[]string{"--sender", "twilio", "--json-body"}, "--url is needed"},
		{[]string{"--sender", "twilio", "--json-body", "--url", "example.com/x"}, "not a full URL"},
		{[]string{"--sender", "twilio", "--json-body", "--url", twJSONURL, "--verify", twJSONSig}, "--url has no bodySHA256"},
		{[]string{"--sender", "twilio", "--url", withHash}, "requested it with a JSON body"},
		{[]string{"--sender", "twilio", "--json-body", "--url", withHash, "--verify", "sha256=00"}, "not an HMAC-SHA1 signature"},
		{[]string{"--sender", "twilio", "--json-body", "--url", withHash + "&bodySHA256=" + twJSONHash}, "2 times"},
		{[]string{"--sender", "twilio", "--json-body", "--url", "https://x.example/" + strings.Repeat("a", 20000)}, "longer than"},
	} {
		r := runSignCmd(t, twJSONBody, env, tc.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != 2 || !strings.Contains(r.stderr, tc.in) || len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 with %q and a hint", tc.args, r.code, r.stderr, tc.in)
		}
	}
}
