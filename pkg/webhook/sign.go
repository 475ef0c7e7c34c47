package webhook

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"sort"
	"strings"

	"github.com/wacheck/wacheck/pkg/profile"
)

// Message is what a scheme signs: the raw body and the values signed
// around it.
type Message struct {
	Body []byte
	// Timestamp fills {timestamp}, as the scheme writes it.
	Timestamp string
	// MessageID fills {message_id} (Twitch).
	MessageID string
	// URL fills {url}: the full URL requested, query included (Twilio).
	URL string
}

// Sign returns the value of s.Header for body signed with secret, as the
// sender signs it: Meta's "sha256=" and the lowercase hex HMAC-SHA256 of
// the raw body bytes, Stripe's "t=<timestamp>,v1=<hex>", Shopify's bare
// base64. timestamp fills {timestamp} for the schemes that sign
// one; it is ignored by the others.
func Sign(s profile.Signature, secret, body []byte, timestamp string) (string, error) {
	return SignMessage(s, secret, Message{Body: body, Timestamp: timestamp})
}

// SignMessage returns the value of s.Header for m signed with key: the
// shared secret of an HMAC scheme, or the Ed25519 private key (64 bytes,
// ed25519.PrivateKey) of an asymmetric one.
func SignMessage(s profile.Signature, key []byte, m Message) (string, error) {
	mac, err := compute(s, key, m)
	if err != nil {
		return "", err
	}
	v := strings.ReplaceAll(s.Value, "{timestamp}", m.Timestamp)
	return strings.ReplaceAll(v, "{signature}", encode(s.Encoding, mac)), nil
}

// SignedBytes is what scheme s computes its MAC or signature over for m:
// s.Signed with its parts filled in.
func SignedBytes(s profile.Signature, m Message) ([]byte, error) {
	var out []byte
	rest := s.Signed
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			out = append(out, rest...)
			break
		}
		out = append(out, rest[:i]...)
		rest = rest[i:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			return nil, fmt.Errorf("signature scheme %q is malformed", s.Signed)
		}
		switch part := rest[:j+1]; part {
		case "{body}":
			out = append(out, m.Body...)
		case "{timestamp}":
			out = append(out, m.Timestamp...)
		case "{message_id}":
			if m.MessageID == "" {
				return nil, fmt.Errorf("signature scheme %q needs a message id", s.Signed)
			}
			out = append(out, m.MessageID...)
		case "{url}":
			if m.URL == "" {
				return nil, fmt.Errorf("signature scheme %q needs the URL", s.Signed)
			}
			out = append(out, m.URL...)
		case "{params}":
			params, err := SortedParams(m.Body)
			if err != nil {
				return nil, err
			}
			out = append(out, params...)
		default:
			return nil, fmt.Errorf("signature scheme %q: %s is not implemented", s.Signed, part)
		}
		rest = rest[j+1:]
	}
	if !strings.Contains(s.Signed, "{body}") && !strings.Contains(s.Signed, "{params}") {
		return nil, fmt.Errorf("signature scheme %q signs no body", s.Signed)
	}
	return out, nil
}

// maxParams bounds the form parameters parsed from one body.
const maxParams = 1000

// SortedParams is a form-encoded body's parameters as Twilio signs them:
// sorted by name (byte order, so case-sensitive), each name followed by
// its value with no separator, a name's values sorted too.
func SortedParams(body []byte) (string, error) {
	if bytes.Count(body, []byte("&")) >= maxParams {
		return "", fmt.Errorf("more than %d form parameters", maxParams)
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return "", fmt.Errorf("the body is not form-encoded: %w", err)
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	return b.String(), nil
}

// compute is the MAC (or Ed25519 signature) of m under scheme s.
func compute(s profile.Signature, key []byte, m Message) ([]byte, error) {
	msg, err := SignedBytes(s, m)
	if err != nil {
		return nil, err
	}
	if s.Asymmetric() {
		if len(key) != ed25519.PrivateKeySize {
			return nil, errors.New("an Ed25519 signature needs an Ed25519 private key")
		}
		return ed25519.Sign(ed25519.PrivateKey(key), msg), nil
	}
	newHash, err := hashOf(s.Algorithm)
	if err != nil {
		return nil, err
	}
	h := hmac.New(newHash, key)
	h.Write(msg)
	return h.Sum(nil), nil
}

// Verify reports whether value, a header value as a handler receives it,
// is the signature of body under secret. The comparison of MACs takes
// constant time; hex digits may be in either case. For a scheme whose
// header carries the timestamp (Stripe's "t=<unix>,v1=<hex>"), the
// timestamp is read from value and timestamp is ignored; every v1 in the
// header is tried (Stripe sends one per secret while a secret rolls).
func Verify(s profile.Signature, secret, body []byte, timestamp, value string) (bool, error) {
	return VerifyMessage(s, secret, Message{Body: body, Timestamp: timestamp}, value)
}

// VerifyMessage is Verify for a whole Message. For an Ed25519 scheme key
// is the public key (32 bytes) or the private key (64 bytes), whose
// public half is used.
func VerifyMessage(s profile.Signature, key []byte, m Message, value string) (bool, error) {
	if _, err := hashOf(s.Algorithm); err != nil {
		return false, err
	}
	ts, macs, err := parseValue(s, value)
	if err != nil {
		return false, err
	}
	if ts != "" {
		m.Timestamp = ts
	}
	if s.Asymmetric() {
		pub, err := publicKey(key)
		if err != nil {
			return false, err
		}
		msg, err := SignedBytes(s, m)
		if err != nil {
			return false, err
		}
		ok := false
		for _, sig := range macs {
			ok = ed25519.Verify(pub, msg, sig) || ok
		}
		return ok, nil
	}
	want, err := compute(s, key, m)
	if err != nil {
		return false, err
	}
	ok := false
	for _, got := range macs {
		ok = hmac.Equal(want, got) || ok
	}
	return ok, nil
}

// publicKey is the Ed25519 public key of key, a public or a private key.
func publicKey(key []byte) (ed25519.PublicKey, error) {
	switch len(key) {
	case ed25519.PublicKeySize:
		return ed25519.PublicKey(key), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(key).Public().(ed25519.PublicKey), nil
	}
	return nil, errors.New("not an Ed25519 key")
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
		// Strict: the padding bits must be zero, as the senders' SDKs
		// compare the base64 text itself ("...xv4=" and "...xv5=" decode
		// alike otherwise).
		b, err = base64.StdEncoding.Strict().DecodeString(value)
	default:
		b, err = hex.DecodeString(value)
	}
	if err != nil {
		return nil, ErrSignatureForm
	}
	want := ed25519.SignatureSize
	if !s.Asymmetric() {
		newHash, err := hashOf(s.Algorithm)
		if err != nil {
			return nil, err
		}
		want = newHash().Size()
	}
	if len(b) != want {
		return nil, ErrSignatureForm
	}
	return b, nil
}

// hashOf is the hash of an HMAC scheme; nil and no error for Ed25519.
func hashOf(alg string) (func() hash.Hash, error) {
	switch alg {
	case "Ed25519":
		return nil, nil
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
