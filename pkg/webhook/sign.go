package webhook

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/wacheck/wacheck/pkg/profile"
)

// Sign returns the value of s.Header for body signed with secret, as the
// sender signs it: Meta's "sha256=" and the lowercase hex HMAC-SHA256 of
// the raw body bytes, Stripe's "t=<timestamp>,v1=<hex>", Shopify's bare
// base64. timestamp fills {timestamp} for the schemes that sign
// one; it is ignored by the others.
func Sign(s profile.Signature, secret, body []byte, timestamp string) (string, error) {
	mac, err := MAC(s, secret, body, timestamp)
	if err != nil {
		return "", err
	}
	v := strings.ReplaceAll(s.Value, "{timestamp}", timestamp)
	return strings.ReplaceAll(v, "{signature}", encode(s.Encoding, mac)), nil
}

// MAC is the raw MAC of a delivery under scheme s.
func MAC(s profile.Signature, secret, body []byte, timestamp string) ([]byte, error) {
	newHash, err := hashOf(s.Algorithm)
	if err != nil {
		return nil, err
	}
	m := hmac.New(newHash, secret)
	before, after, ok := strings.Cut(s.Signed, "{body}")
	if !ok {
		return nil, fmt.Errorf("signature scheme %q signs no body", s.Signed)
	}
	m.Write([]byte(strings.ReplaceAll(before, "{timestamp}", timestamp)))
	m.Write(body)
	m.Write([]byte(strings.ReplaceAll(after, "{timestamp}", timestamp)))
	return m.Sum(nil), nil
}

// Verify reports whether value, a header value as a handler receives it,
// is the signature of body under secret. The comparison of MACs takes
// constant time; hex digits may be in either case. For a scheme whose
// header carries the timestamp (Stripe's "t=<unix>,v1=<hex>"), the
// timestamp is read from value and timestamp is ignored; every v1 in the
// header is tried (Stripe sends one per secret while a secret rolls).
func Verify(s profile.Signature, secret, body []byte, timestamp, value string) (bool, error) {
	if _, err := hashOf(s.Algorithm); err != nil {
		return false, err
	}
	ts, macs, err := parseValue(s, value)
	if err != nil {
		return false, err
	}
	if ts != "" {
		timestamp = ts
	}
	want, err := MAC(s, secret, body, timestamp)
	if err != nil {
		return false, err
	}
	ok := false
	for _, got := range macs {
		ok = hmac.Equal(want, got) || ok
	}
	return ok, nil
}

// HeaderTimestamp is the timestamp inside a header value of a scheme that
// carries it there (Stripe's t=), "" otherwise.
func HeaderTimestamp(s profile.Signature, value string) string {
	ts, _, _ := parseValue(s, value)
	return ts
}

// ErrSignatureForm is a signature that is not of the scheme's form.
var ErrSignatureForm = errors.New("not a signature of this form")

// parseValue extracts the MACs from a header value, and the timestamp when
// the header carries one: "sha256=<hex>" or the bare hex for a one-part
// scheme; "t=<unix>,v1=<hex>[,v1=<hex>...]" for a list of key=value parts
// (Stripe), whose parts of other keys (v0) are ignored.
func parseValue(s profile.Signature, value string) (string, [][]byte, error) {
	value = strings.TrimSpace(value)
	if !strings.Contains(s.Value, ",") {
		prefix, _, _ := strings.Cut(s.Value, "{signature}")
		if prefix != "" && !strings.Contains(prefix, "{timestamp}") {
			value = strings.TrimPrefix(value, prefix)
		}
		b, err := decodeMAC(s, value)
		if err != nil {
			return "", nil, err
		}
		return "", [][]byte{b}, nil
	}
	var tsKey, sigKey string
	for _, part := range strings.Split(s.Value, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch v {
		case "{timestamp}":
			tsKey = k
		case "{signature}":
			sigKey = k
		}
	}
	var ts string
	var macs [][]byte
	for _, part := range strings.Split(value, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case !ok:
			return "", nil, ErrSignatureForm
		case k == tsKey && tsKey != "":
			if ts != "" || v == "" || strings.Trim(v, "0123456789") != "" {
				return "", nil, ErrSignatureForm
			}
			ts = v
		case k == sigKey:
			b, err := decodeMAC(s, v)
			if err != nil {
				return "", nil, err
			}
			macs = append(macs, b)
		}
	}
	if len(macs) == 0 || tsKey != "" && ts == "" {
		return "", nil, ErrSignatureForm
	}
	return ts, macs, nil
}

// decodeMAC decodes one MAC in the scheme's encoding, checking its length.
func decodeMAC(s profile.Signature, value string) ([]byte, error) {
	var b []byte
	var err error
	switch s.Encoding {
	case profile.Base64:
		b, err = base64.StdEncoding.DecodeString(value)
	default:
		b, err = hex.DecodeString(value)
	}
	if err != nil {
		return nil, ErrSignatureForm
	}
	newHash, err := hashOf(s.Algorithm)
	if err != nil {
		return nil, err
	}
	if len(b) != newHash().Size() {
		return nil, ErrSignatureForm
	}
	return b, nil
}

func hashOf(alg string) (func() hash.Hash, error) {
	switch alg {
	case "HMAC-SHA256":
		return sha256.New, nil
	case "HMAC-SHA1":
		return sha1.New, nil
	}
	return nil, fmt.Errorf("signature algorithm %q is not implemented", alg)
}

func encode(e profile.SignatureEncoding, b []byte) string {
	if e == profile.Base64 {
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

// Described is what the report shows for a signature header instead of its
// value: what it was computed with, never the MAC (which would let anyone
// holding the report test guesses of the secret offline).
func Described(s profile.Signature, how string) string {
	prefix, _, _ := strings.Cut(s.Value, "{signature}")
	return prefix + "<" + how + ">"
}
