package webhook

import (
	"errors"
	"strings"
	"testing"
)

// Twilio's published vectors of the JSON variant, from twilio-node's
// spec/validation.spec.js (validateRequestWithBody, commit 005ea9cd; the
// same values are in twilio-python's tests/unit/test_request_validator.py
// and twilio-csharp's RequestValidatorTest): auth token 12345, the body
// below, its bodySHA256 and the signature of the URL with it.
const (
	vecToken  = "12345"
	vecURL    = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vecBody   = `{"property": "value", "boolean": true}`
	vecHash   = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	vecSig    = "a9nBmqA0ju/hNViExpshrM61xv4="
	vecEmptyH = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" // of "{}"
	// vecEmptySig signs the URL with the port written (:443): twilio-node
	// tries the URL with and without it (checked with openssl dgst -sha1
	// -hmac 12345).
	vecEmptySig = "Ldidvp12m26NI7eqEvxnEpkd9Hc="
	vecOnlySig  = "y77kIzt2vzLz71DgmJGsen2scGs=" // of https://mycompany.com/myapp.php?bodySHA256=<vecHash>
)

func TestJSONVariantPublishedVectors(t *testing.T) {
	tw := scheme(t, "twilio")
	if tw.BodyHashParam != "bodySHA256" {
		t.Fatalf("twilio's BodyHashParam = %q", tw.BodyHashParam)
	}
	if got := BodySHA256([]byte(vecBody)); got != vecHash {
		t.Errorf("BodySHA256 = %s, want %s", got, vecHash)
	}
	for _, tc := range []struct{ url, body, wantURL, sig string }{
		{vecURL, vecBody, vecURL + "&bodySHA256=" + vecHash, vecSig},
		{"https://mycompany.com:443/myapp.php?foo=1&bar=2", "{}",
			"https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256=" + vecEmptyH, vecEmptySig},
		{"https://mycompany.com/myapp.php", vecBody, "https://mycompany.com/myapp.php?bodySHA256=" + vecHash, vecOnlySig},
		// A URL that carries the right hash already is kept as it is.
		{vecURL + "&bodySHA256=" + vecHash, vecBody, vecURL + "&bodySHA256=" + vecHash, vecSig},
	} {
		u, sig, err := SignJSON(tw, []byte(vecToken), tc.url, []byte(tc.body))
		if err != nil || u != tc.wantURL || sig != tc.sig {
			t.Errorf("SignJSON(%s, %s) = %s, %s, %v; want %s, %s", tc.url, tc.body, u, sig, err, tc.wantURL, tc.sig)
			continue
		}
		c, err := VerifyJSON(tw, []byte(vecToken), u, []byte(tc.body), tc.sig)
		if err != nil || !c.OK() {
			t.Errorf("VerifyJSON(the published vector %s) = %+v, %v", tc.sig, c, err)
		}
	}
	// The body hash alone is not the signature: the form variant of the
	// same URL and no parameters signs the URL without bodySHA256.
	if v, _ := SignMessage(tw, []byte(vecToken), Message{URL: vecURL}); v == vecSig {
		t.Error("the URL without bodySHA256 has the same signature")
	}
}

// TestVerifyJSONSaysWhichPartFailed: the signature over the URL and the
// body hash are checked apart, and each failure is told.
func TestVerifyJSONSaysWhichPartFailed(t *testing.T) {
	tw := scheme(t, "twilio")
	u := vecURL + "&bodySHA256=" + vecHash
	key := []byte(vecToken)
	for _, tc := range []struct {
		name      string
		key       []byte
		url, body string
		sig       string
		sigOK     bool
		hashOK    bool
	}{
		{"published", key, u, vecBody, vecSig, true, true},
		// A trailing newline, or the JSON written out again without the
		// spaces: the URL still verifies, the body does not.
		{"newline", key, u, vecBody + "\n", vecSig, true, false},
		{"re-serialised", key, u, `{"boolean":true,"property":"value"}`, vecSig, true, false},
		{"wrong token", []byte("54321"), u, vecBody, vecSig, false, true},
		// Uppercase hex is not what Twilio sends, and its SDKs compare
		// exactly: the hash no longer matches, nor the signature.
		{"uppercase hash", key, vecURL + "&bodySHA256=" + strings.ToUpper(vecHash), vecBody, vecSig, false, false},
	} {
		c, err := VerifyJSON(tw, tc.key, tc.url, []byte(tc.body), tc.sig)
		if err != nil || c.Signature != tc.sigOK || c.BodyHash() != tc.hashOK || c.OK() != (tc.sigOK && tc.hashOK) {
			t.Errorf("%s: %+v, %v; want signature %v, body hash %v", tc.name, c, err, tc.sigOK, tc.hashOK)
		}
		if err == nil && !c.BodyHash() && (c.OfBody != BodySHA256([]byte(tc.body)) || c.InURL == "") {
			t.Errorf("%s: the hashes are not both told: %+v", tc.name, c)
		}
	}
	if _, err := VerifyJSON(tw, key, vecURL, []byte(vecBody), vecSig); !errors.Is(err, ErrNoBodyHash) {
		t.Errorf("a URL without bodySHA256: %v, want ErrNoBodyHash", err)
	}
	if _, err := VerifyJSON(tw, key, u+"&bodySHA256="+vecHash, []byte(vecBody), vecSig); err == nil ||
		!strings.Contains(err.Error(), "2 times") {
		t.Errorf("bodySHA256 twice: %v", err)
	}
	if _, err := VerifyJSON(tw, key, u, []byte(vecBody), "not base64!"); !errors.Is(err, ErrSignatureForm) {
		t.Errorf("a malformed signature: %v, want ErrSignatureForm", err)
	}
	if _, err := VerifyJSON(scheme(t, "meta"), key, u, []byte(vecBody), vecSig); err == nil {
		t.Error("meta has no JSON variant, but VerifyJSON went ahead")
	}
	if _, err := VerifyJSON(tw, key, "https://x/?"+strings.Repeat("a&", maxURL), nil, vecSig); err == nil {
		t.Error("an unbounded URL was read")
	}
}

// TestURLWithBodyHashMismatch: a URL carrying another body's hash is an
// error naming both hashes, and nothing is signed.
func TestURLWithBodyHashMismatch(t *testing.T) {
	tw := scheme(t, "twilio")
	other := BodySHA256([]byte("{}"))
	_, _, err := SignJSON(tw, []byte(vecToken), vecURL+"&bodySHA256="+other, []byte(vecBody))
	var he *BodyHashError
	if !errors.As(err, &he) || he.InURL != other || he.OfBody != vecHash ||
		!strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), vecHash) {
		t.Fatalf("err = %v, want a BodyHashError naming %s and %s", err, other, vecHash)
	}
	// Server- or user-given bytes in the URL are escaped in the message.
	_, err = URLWithBodyHash(tw, vecURL+"&bodySHA256=%1b%5b31m", []byte(vecBody))
	if err == nil || strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("err = %q: the control character is not escaped", err)
	}
	// A fragment stays at the end; a query-less URL gets one.
	if u, _ := URLWithBodyHash(tw, "https://x.example/h#frag", []byte("{}")); u != "https://x.example/h?bodySHA256="+other+"#frag" {
		t.Errorf("fragment: %s", u)
	}
}
