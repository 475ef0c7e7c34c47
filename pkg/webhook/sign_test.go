package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/profile"
)

// meta is Meta's signature scheme, from the profile.
func meta(t *testing.T) profile.Signature {
	t.Helper()
	return profile.MustLookup("meta").Webhook.Signature
}

// escapedPayload is a delivery whose text has non-ASCII characters escaped
// as Meta sends them: ä ö å (U+00E4, U+00F6, U+00E5), ü ß, and a waving
// hand (U+1F44B, the surrogate pair D83D DC4B).
const escapedPayload = `{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"text":{"body":` +
	`"\u00e4\u00f6\u00e5 Gr\u00fc\u00dfe \ud83d\udc4b"}}]}}],"id":"0"}],"object":"whatsapp_business_account"}`

// unescapedPayload is the same JSON written out again with the characters
// as UTF-8, as a handler that parses and re-serialises it gets.
const unescapedPayload = `{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"text":{"body":` +
	`"äöå Grüße 👋"}}]}}],"id":"0"}],"object":"whatsapp_business_account"}`

const testKey = "4f1c0a9e8b7d6c5b4a39281706f5e4d3"

// hmacByHand is HMAC-SHA256 written out from its definition (RFC 2104):
// H((K ^ opad) || H((K ^ ipad) || m)), K padded to SHA-256's 64-byte block.
func hmacByHand(key, msg []byte) string {
	k := make([]byte, 64)
	copy(k, key) // the test keys are shorter than a block
	inner, outer := make([]byte, 64), make([]byte, 64)
	for i := range k {
		inner[i], outer[i] = k[i]^0x36, k[i]^0x5c
	}
	h := sha256.Sum256(append(inner, msg...))
	sum := sha256.Sum256(append(outer, h[:]...))
	return hex.EncodeToString(sum[:])
}

// TestSignKnownAnswers checks Sign against answers worked out elsewhere:
// RFC 4231's test case 2, and the escaped and unescaped forms of a payload
// with non-ASCII text, computed with Python's hmac module (hmac.new(key,
// payload, hashlib.sha256).hexdigest()) and by the definition above.
func TestSignKnownAnswers(t *testing.T) {
	s := meta(t)
	for _, tc := range []struct {
		name, key, payload, want string
	}{
		{"RFC 4231 test case 2", "Jefe", "what do ya want for nothing?",
			"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"escaped non-ASCII, as Meta signs", testKey, escapedPayload,
			"b7745e62c3c4e3c98b145c4861e29e8cbadc4ad1d48ad3e5954532ccad248f8a"},
		{"re-serialised, as a broken handler hashes", testKey, unescapedPayload,
			"4aa16d048d65f208cfbfd32b0623e7cd0f46c62a81c56aeb7cc182c6f7268b06"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sign(s, []byte(tc.key), []byte(tc.payload), "")
			if err != nil {
				t.Fatal(err)
			}
			if got != "sha256="+tc.want {
				t.Errorf("Sign = %s, want sha256=%s", got, tc.want)
			}
			if by := hmacByHand([]byte(tc.key), []byte(tc.payload)); by != tc.want {
				t.Errorf("by hand: %s, want %s", by, tc.want)
			}
		})
	}
	if !strings.Contains(escapedPayload, `\u00e4`) || strings.Contains(escapedPayload, "ä") {
		t.Fatal("the escaped payload is not escaped")
	}
}

// TestSignMatchesOpenSSL compares Sign with `openssl dgst -sha256 -hmac`
// over the payloads an exchange sends.
func TestSignMatchesOpenSSL(t *testing.T) {
	openssl := testpki.RequireBinary(t, "openssl")
	p := newPayloads("OPENSSL", 1700000000)
	dir := t.TempDir()
	for name, payload := range map[string][]byte{
		"message":   p.Message("wacheck test delivery, not a real message"),
		"status":    p.Status(),
		"non-ASCII": p.NonASCII(),
		"escaped":   []byte(escapedPayload),
		"batch":     p.Batch(50, 64<<10),
		"empty":     {},
	} {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(file, payload, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(openssl, "dgst", "-sha256", "-hmac", testKey, file).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`= ([0-9a-f]{64})\s*$`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("openssl printed %q", out)
		}
		got, err := Sign(meta(t), []byte(testKey), payload, "")
		if err != nil {
			t.Fatal(err)
		}
		if got != "sha256="+string(m[1]) {
			t.Errorf("%s: Sign = %s, openssl says %s", name, got, m[1])
		}
	}
}

func TestVerify(t *testing.T) {
	s := meta(t)
	body := []byte(escapedPayload)
	good, _ := Sign(s, []byte(testKey), body, "")
	for _, tc := range []struct {
		value string
		ok    bool
		err   error
	}{
		{good, true, nil},
		{strings.ToUpper(good[:7]) + strings.ToUpper(good[7:]), false, ErrSignatureForm}, // "SHA256=" is not the prefix
		{"sha256=" + strings.ToUpper(good[7:]), true, nil},
		{good[7:], true, nil}, // the hex alone, as a handler compares it
		{" " + good + "\n", true, nil},
		{"sha256=4aa16d048d65f208cfbfd32b0623e7cd0f46c62a81c56aeb7cc182c6f7268b06", false, nil},
		{"sha256=abc", false, ErrSignatureForm},
		{"sha256=" + strings.Repeat("zz", 32), false, ErrSignatureForm},
		{"", false, ErrSignatureForm},
	} {
		ok, err := Verify(s, []byte(testKey), body, "", tc.value)
		if ok != tc.ok || !errors.Is(err, tc.err) {
			t.Errorf("Verify(%q) = %v, %v; want %v, %v", tc.value, ok, err, tc.ok, tc.err)
		}
	}
	if ok, _ := Verify(s, []byte(testKey), []byte(escapedPayload+"\n"), "", good); ok {
		t.Error("a trailing newline still verifies")
	}
}

// TestSignSchemes covers the forms the profile can describe beyond Meta's:
// a timestamp in the signed string and base64.
func TestSignSchemes(t *testing.T) {
	body := []byte(`{"id":"evt_1"}`)
	stripe := profile.Signature{Algorithm: "HMAC-SHA256", Encoding: profile.HexLower, Signed: "{timestamp}.{body}",
		Value: "t={timestamp},v1={signature}"}
	got, err := Sign(stripe, []byte("whsec"), body, "1700000000")
	if want := "t=1700000000,v1=" + hmacByHand([]byte("whsec"), append([]byte("1700000000."), body...)); err != nil || got != want {
		t.Errorf("timestamped: %s, %v; want %s", got, err, want)
	}
	shopify := profile.Signature{Algorithm: "HMAC-SHA256", Encoding: profile.Base64, Signed: "{body}", Value: "{signature}"}
	raw, _ := hex.DecodeString(hmacByHand([]byte("k"), body))
	if got, _ := Sign(shopify, []byte("k"), body, ""); got != encode(profile.Base64, raw) || !strings.HasSuffix(got, "=") {
		t.Errorf("base64: %s", got)
	}
	if _, err := Sign(profile.Signature{Algorithm: "Ed25519", Signed: "{body}", Value: "{signature}"}, nil, body, ""); err == nil {
		t.Error("an algorithm wacheck does not implement was accepted")
	}
	if got := Described(meta(t), "HMAC of the body with the App Secret"); got != "sha256=<HMAC of the body with the App Secret>" {
		t.Errorf("Described = %q", got)
	}
}
