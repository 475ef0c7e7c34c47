package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/wacheck/wacheck/pkg/profile"
)

// The JSON variant of a URL-signing scheme (Twilio's): for a request with
// an application/json body the sender adds a query parameter
// (Signature.BodyHashParam, bodySHA256) holding the lowercase hex SHA-256
// of the raw body bytes to the URL it requests, and signs that full URL
// alone, with no parameters. A handler must check both: the signature over
// the URL as requested, and the parameter against the bytes it received
// (twilio-node's validateRequestWithBody; Twilio's error 57012: "For
// application/json requests, Twilio also includes a bodySHA256 query
// parameter and expects you to validate the raw request body").

// ErrNoBodyHash is a URL without the scheme's body hash parameter.
var ErrNoBodyHash = errors.New("the URL has no body hash parameter")

// BodyHashError is a URL whose body hash is not the body's.
type BodyHashError struct {
	Param string
	// InURL is the value in the URL (as received: escape it before
	// printing); OfBody the SHA-256 of the body.
	InURL, OfBody string
}

func (e *BodyHashError) Error() string {
	return fmt.Sprintf("the URL's %s is %s, but the body hashes to %s", e.Param, Escape([]byte(e.InURL)), e.OfBody)
}

// BodySHA256 is the lowercase hex SHA-256 of body, as the URL carries it.
func BodySHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// maxURL bounds a URL read from the command line or built for a request.
const maxURL = 16 << 10

// bodyHashIn returns the values of param in rawURL's query, in order. The
// query is read as is (names compared unescaped), the fragment ignored.
func bodyHashIn(rawURL, param string) ([]string, error) {
	if len(rawURL) > maxURL {
		return nil, fmt.Errorf("the URL is longer than %d bytes", maxURL)
	}
	u, _, _ := strings.Cut(rawURL, "#")
	_, q, ok := strings.Cut(u, "?")
	if !ok || q == "" {
		return nil, nil
	}
	if strings.Count(q, "&") >= maxParams {
		return nil, fmt.Errorf("more than %d query parameters", maxParams)
	}
	var out []string
	for _, part := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(k); err == nil {
			k = name
		}
		if k != param {
			continue
		}
		if val, err := url.QueryUnescape(v); err == nil {
			v = val
		}
		out = append(out, v)
	}
	return out, nil
}

// withParam appends param=value to rawURL's query, before any fragment.
func withParam(rawURL, param, value string) string {
	u, frag, hasFrag := strings.Cut(rawURL, "#")
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
		if strings.HasSuffix(u, "?") || strings.HasSuffix(u, "&") {
			sep = ""
		}
	}
	u += sep + url.QueryEscape(param) + "=" + url.QueryEscape(value)
	if hasFrag {
		u += "#" + frag
	}
	return u
}

// URLWithBodyHash is rawURL as the sender requests it for the JSON body
// body: with the scheme's body hash parameter added, or unchanged when it
// carries the right one already. A URL carrying another hash gives a
// *BodyHashError naming both; one carrying it twice an error.
func URLWithBodyHash(s profile.Signature, rawURL string, body []byte) (string, error) {
	have, found, err := urlBodyHash(s, rawURL)
	if err != nil {
		return "", err
	}
	sum := BodySHA256(body)
	switch {
	case !found:
		return withParam(rawURL, s.BodyHashParam, sum), nil
	case subtle.ConstantTimeCompare([]byte(have), []byte(sum)) != 1:
		return "", &BodyHashError{Param: s.BodyHashParam, InURL: have, OfBody: sum}
	}
	return rawURL, nil
}

// urlBodyHash is the body hash rawURL carries for scheme s, found false
// when it carries none; an error for a scheme without a JSON-body variant,
// a URL too long to read or one carrying the hash more than once.
func urlBodyHash(s profile.Signature, rawURL string) (have string, found bool, err error) {
	if s.BodyHashParam == "" {
		return "", false, fmt.Errorf("signature scheme %q has no JSON-body variant", s.Signed)
	}
	all, err := bodyHashIn(rawURL, s.BodyHashParam)
	switch {
	case err != nil:
		return "", false, err
	case len(all) > 1:
		return "", false, fmt.Errorf("the URL has %s %d times", s.BodyHashParam, len(all))
	case len(all) == 0:
		return "", false, nil
	}
	return all[0], true, nil
}

// SignJSON returns the URL to request for the JSON body body (rawURL with
// the body hash, URLWithBodyHash) and the signature header's value: the
// scheme's MAC of that URL alone.
func SignJSON(s profile.Signature, key []byte, rawURL string, body []byte) (u, value string, err error) {
	if u, err = URLWithBodyHash(s, rawURL, body); err != nil {
		return "", "", err
	}
	value, err = SignMessage(s, key, Message{URL: u})
	return u, value, err
}

// JSONCheck is the verification of a JSON-bodied request, part by part.
type JSONCheck struct {
	// Signature is true when the signature is the MAC of the URL.
	Signature bool
	// InURL is the body hash the URL carries (as received); OfBody the
	// SHA-256 of the body received.
	InURL, OfBody string
}

// BodyHash reports whether the URL's body hash is the body's. The
// comparison is exact, as the senders' SDKs make it: lowercase hex.
func (c JSONCheck) BodyHash() bool {
	return subtle.ConstantTimeCompare([]byte(c.InURL), []byte(c.OfBody)) == 1
}

// OK reports whether both parts verify.
func (c JSONCheck) OK() bool { return c.Signature && c.BodyHash() }

// VerifyJSON checks a JSON-bodied request as a handler must: value, the
// signature header's value, against rawURL (the full URL as requested,
// its body hash included) signed alone, and the URL's body hash against
// body, the raw bytes received. A URL without the body hash gives
// ErrNoBodyHash; a value not of the scheme's form ErrSignatureForm.
func VerifyJSON(s profile.Signature, key []byte, rawURL string, body []byte, value string) (JSONCheck, error) {
	have, found, err := urlBodyHash(s, rawURL)
	switch {
	case err != nil:
		return JSONCheck{}, err
	case !found:
		return JSONCheck{}, ErrNoBodyHash
	}
	ok, err := VerifyMessage(s, key, Message{URL: rawURL}, value)
	if err != nil {
		return JSONCheck{}, err
	}
	return JSONCheck{Signature: ok, InURL: have, OfBody: BodySHA256(body)}, nil
}

// jsonDelivery is a JSON-bodied delivery of family f for a scheme with a
// body hash: the URL carries the hash of body; sent, when not nil, is the
// body actually sent instead (a tampered one).
func (p *payloads) jsonDelivery(f, text string) delivery {
	id := p.id()
	var v map[string]any
	if f == profile.PayloadTwilio {
		v = map[string]any{"AccountSid": twilioAccount, "ApiVersion": "2010-04-01", "Body": text,
			"From": "+" + testWaID, "MessageSid": "SMWACHECKTEST" + strconv.Itoa(p.n), "To": "+" + testDisplayPhone,
			"wacheck": "test delivery " + id + ", not a real one"}
	} else {
		v = map[string]any{"id": "WACHECK_TEST_" + id, "text": text}
	}
	return delivery{body: Encode(v), contentType: "application/json", bodyHash: true}
}
