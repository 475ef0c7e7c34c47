package profile

import (
	"strconv"
	"strings"
	"time"
)

// Webhook is a sender's webhook protocol: how it asks an endpoint to confirm
// that it wants deliveries (Verification), how it signs what it delivers
// (Signature), and what its deliveries look like. wacheck webhook and
// wacheck sign read it; no code path names a sender. A profile without one
// (generic) has no webhook protocol: the webhook checks skip for it.
//
// The fields are general enough for the senders docs/senders.md compares
// (Stripe's "t.body", Slack's "v0:ts:body", Shopify's base64, Slack's and
// Twitch's verification by POST); only the kinds and forms the code
// implements are accepted by it (Supported).
type Webhook struct {
	// Verification is the handshake that confirms an endpoint.
	Verification Verification
	// Signature is how deliveries are signed.
	Signature Signature

	// Payloads names the family of test payloads deliveries are built
	// from: PayloadWhatsApp for Meta's WhatsApp Cloud API changes.
	Payloads string
	// ContentType is the deliveries' Content-Type.
	ContentType string
	// MaxPayload is the largest delivery the sender documents, in bytes; 0
	// when it documents none.
	MaxPayload int
	// MaxBatch is the most updates one delivery carries, 0 when unknown.
	MaxBatch int
	// FollowsRedirects is true when the sender follows a 3xx answer to a
	// delivery.
	FollowsRedirects bool
	// EscapesNonASCII is true when the sender documents that it sends
	// non-ASCII text escaped (\u00e4) and signs that form (Meta).
	EscapesNonASCII bool
	// ClientState is true when the sender signs nothing and each delivery
	// carries instead a shared secret, the subscription's clientState
	// (Microsoft Graph): Signature.Secret names it, the other Signature
	// fields are empty, and the signature checks judge clientState.
	ClientState bool

	// Latency is the response-time guidance deliveries are judged
	// against; zero values when the sender gives none.
	Latency LatencyGuidance
}

// LatencyGuidance is a sender's (or its partners') guidance on how fast a
// webhook handler answers.
type LatencyGuidance struct {
	// Median is the highest median time to first byte asked for.
	Median time.Duration
	// Slow and SlowShare: fewer than SlowShare of deliveries take longer
	// than Slow.
	Slow      time.Duration
	SlowShare float64
	// Source names who gives the guidance, for messages: "360dialog, a
	// Meta partner".
	Source string
	// DeadlineSource says where the profile's response deadline comes
	// from, for messages; "" when the sender documents it for webhooks.
	DeadlineSource string
}

// VerificationKind names a verification handshake.
type VerificationKind string

// The verification handshakes wacheck webhook acts out.
const (
	// VerifyHubChallenge: GET URL?<mode>=subscribe&<token>=TOKEN&<challenge>=C,
	// answered 200 with C as the whole body (Meta).
	VerifyHubChallenge VerificationKind = "hub_challenge"
	// VerifyPostChallenge: a signed POST carrying a challenge, answered as
	// Verification.Reply says (Slack's url_verification, Twitch's
	// webhook_callback_verification, Zoom's endpoint.url_validation,
	// Discord's PING).
	VerifyPostChallenge VerificationKind = "post_challenge"
	// VerifyPing: a signed delivery of a ping event when the webhook is
	// created, answered 2xx (GitHub's ping, LINE's verify with no events).
	VerifyPing VerificationKind = "ping_event"
	// VerifyQueryToken: a POST with the token in ChallengeParam of the
	// query, answered 200, text/plain, with the token URL-decoded
	// (Microsoft Graph's validationToken). Nothing is signed.
	VerifyQueryToken VerificationKind = "query_token"
	// VerifyNone: the sender has no verification handshake (Stripe,
	// Shopify); webhook.verify has nothing to judge.
	VerifyNone VerificationKind = "none"
)

// Verification is a sender's verification handshake.
type Verification struct {
	Kind VerificationKind
	// Method is the request's method.
	Method string
	// ModeParam, TokenParam and ChallengeParam are the query parameters'
	// names; Mode is ModeParam's value.
	ModeParam, TokenParam, ChallengeParam string
	Mode                                  string
	// ChallengeDigits is the length of the random number sent as the
	// challenge (Meta's example, 1158201444, has 10).
	ChallengeDigits int
	// Mismatch is the sender's words when the answer is not the challenge,
	// "" when unknown.
	Mismatch string
	// Token names the shared token for people: "verify token".
	Token string
	// Event is the verification request's event type, for the kinds sent
	// as a delivery: "url_verification" (Slack), "ping" (GitHub).
	Event string
	// Answer says what the answer must be, for people; for VerifyNone,
	// what the sender offers instead ("" for nothing).
	Answer string
	// Reply is what a VerifyPostChallenge answer must hold.
	Reply Reply
	// Deadline is how long the sender waits for the answer when it is not
	// the deliveries' deadline (Microsoft Graph: 10 s); 0 for theirs.
	Deadline time.Duration
	// ForgedStatus is the status the sender requires for a verification
	// request whose signature does not verify (Discord: 401); 0 when any
	// refusal will do.
	ForgedStatus int
}

// Reply is the form of the answer to a POST challenge.
type Reply string

// The answers to a POST challenge.
const (
	// ReplyChallenge: 200 with the challenge as text/plain, as a form
	// (challenge=...) or as JSON ({"challenge": ...}) (Slack).
	ReplyChallenge Reply = "challenge"
	// ReplyRawChallenge: 200 with the challenge alone as the body, byte
	// for byte (Twitch).
	ReplyRawChallenge Reply = "raw_challenge"
	// ReplyTokenHMAC: 200 with JSON {"plainToken": T, "encryptedToken":
	// hex HMAC-SHA256 of T keyed with the secret} (Zoom).
	ReplyTokenHMAC Reply = "token_hmac"
	// ReplyPong: 200 with JSON {"type": 1} (Discord).
	ReplyPong Reply = "pong"
)

// SignatureEncoding is how the MAC is written in the header.
type SignatureEncoding string

// Encodings of a signature.
const (
	HexLower SignatureEncoding = "hex"    // lowercase hexadecimal
	Base64   SignatureEncoding = "base64" // standard base64 with padding
)

// Signature is how a sender signs a delivery: the header's value is Value
// with {signature} replaced by Encoding(Algorithm(secret, Signed)), where
// Signed is the signed string with {body} (the raw body bytes),
// {timestamp} (the value of TimestampHeader, or the timestamp inside the
// header itself), {message_id} (the value of MessageIDHeader), {url} (the
// full URL requested) and {params} (the form-encoded body's parameters
// sorted by name, each name followed by its value: Twilio) replaced.
type Signature struct {
	Header string
	// Algorithm is "HMAC-SHA256", "HMAC-SHA1" or "Ed25519" (a signature
	// made with a private key, checked with its public key: Discord).
	Algorithm string
	Encoding  SignatureEncoding
	// Signed is what the MAC is computed over: "{body}" (Meta, GitHub,
	// Shopify), "{timestamp}.{body}" (Stripe), "v0:{timestamp}:{body}"
	// (Slack).
	Signed string
	// Value is the header's value: "sha256={signature}" (Meta),
	// "t={timestamp},v1={signature}" (Stripe), "v0={signature}" (Slack).
	Value string
	// TimestampHeader carries the timestamp when it is not inside Value;
	// "" when the scheme has none.
	TimestampHeader string
	// TimestampFormat is how the timestamp is written: "" for Unix
	// seconds, TimestampRFC3339 for RFC 3339 with nanoseconds (Twitch).
	TimestampFormat string
	// MessageIDHeader carries {message_id}, "" when the scheme signs none.
	MessageIDHeader string
	// Secret names the key for people: "App Secret".
	Secret string
	// Tolerance is how old a signed timestamp may be before the sender's
	// own libraries (or documents) refuse it; 0 when the scheme signs none.
	Tolerance time.Duration
	// BodyHashParam is the query parameter a URL-signing scheme adds for a
	// JSON body (Twilio's bodySHA256): the lowercase hex SHA-256 of the raw
	// body bytes, added to the URL requested, which is then signed alone
	// (no parameters). "" when the scheme has no such variant.
	BodyHashParam string
	// BodyHashWhen says, for people, when the sender sends such JSON
	// bodies instead of form-encoded ones.
	BodyHashWhen string
}

// TimestampRFC3339 is Signature.TimestampFormat for RFC 3339 timestamps.
const TimestampRFC3339 = "rfc3339"

// Timestamped reports whether the scheme signs a timestamp.
func (s Signature) Timestamped() bool {
	return strings.Contains(s.Signed, "{timestamp}")
}

// SignsURL reports whether the scheme signs the URL and the form
// parameters instead of the raw body (Twilio).
func (s Signature) SignsURL() bool {
	return strings.Contains(s.Signed, "{url}")
}

// Asymmetric reports whether the scheme signs with a private key and is
// checked with the public key (Ed25519), not with a shared secret.
func (s Signature) Asymmetric() bool { return s.Algorithm == "Ed25519" }

// FormatTimestamp writes t as the scheme writes its timestamps.
func (s Signature) FormatTimestamp(t time.Time) string {
	if s.TimestampFormat == TimestampRFC3339 {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// PayloadWhatsApp is the payload family of the WhatsApp Cloud API: changes
// of object whatsapp_business_account, fields messages and statuses.
const PayloadWhatsApp = "whatsapp"

// The payload families of the other senders, each built by wacheck
// webhook in its sender's shape.
const (
	PayloadStripe  = "stripe"  // Stripe event objects
	PayloadGitHub  = "github"  // GitHub event payloads (X-GitHub-Event)
	PayloadSlack   = "slack"   // Slack Events API event_callback envelopes
	PayloadShopify = "shopify" // Shopify topic payloads (X-Shopify-Topic)
	PayloadZoom    = "zoom"    // Zoom event notifications
	PayloadLINE    = "line"    // LINE Messaging API webhook events
	PayloadTwitch  = "twitch"  // Twitch EventSub notifications
	PayloadDiscord = "discord" // Discord interactions
	PayloadTwilio  = "twilio"  // Twilio status callbacks (form-encoded)
	PayloadGraph   = "msgraph" // Microsoft Graph change notifications
)

// Supported reports whether wacheck webhook can act out this protocol: its
// verification handshake, payloads and signature scheme are ones the code
// implements.
func (w *Webhook) Supported() bool {
	if w == nil || !w.Signs() && !(w.ClientState && w.Signature.Header == "") {
		return false
	}
	switch w.Verification.Kind {
	case VerifyHubChallenge, VerifyNone, VerifyPing, VerifyQueryToken:
	case VerifyPostChallenge:
		switch w.Verification.Reply {
		case ReplyChallenge, ReplyRawChallenge, ReplyTokenHMAC, ReplyPong:
		default:
			return false
		}
	default:
		return false
	}
	switch w.Payloads {
	case PayloadWhatsApp, PayloadStripe, PayloadGitHub, PayloadSlack, PayloadShopify, PayloadZoom, PayloadLINE,
		PayloadTwitch, PayloadDiscord, PayloadTwilio, PayloadGraph:
		return true
	}
	return false
}

// Signs reports whether wacheck sign can compute and check this protocol's
// signatures: an HMAC or Ed25519 of an implemented encoding over a signed
// string of the implemented parts: the body, or the URL with the sorted
// form parameters; a timestamp and a message id each carried somewhere.
func (w *Webhook) Signs() bool {
	if w == nil {
		return false
	}
	s := w.Signature
	if !(s.Algorithm == "HMAC-SHA256" || s.Algorithm == "HMAC-SHA1" || s.Algorithm == "Ed25519") ||
		!(s.Encoding == HexLower || s.Encoding == Base64) || s.Header == "" ||
		strings.Count(s.Value, "{signature}") != 1 {
		return false
	}
	if s.SignsURL() {
		if strings.Count(s.Signed, "{url}") != 1 || strings.Count(s.Signed, "{params}") != 1 ||
			strings.Contains(s.Signed, "{body}") {
			return false
		}
	} else if strings.Count(s.Signed, "{body}") != 1 {
		return false
	}
	if s.Timestamped() && s.TimestampHeader == "" && !strings.Contains(s.Value, "{timestamp}") ||
		strings.Contains(s.Signed, "{message_id}") && s.MessageIDHeader == "" {
		return false
	}
	return !strings.Contains(placeholders.Replace(s.Signed), "{")
}

// placeholders removes the placeholders a signed string may hold (built
// once: a Replacer builds its tables on first use).
var placeholders = strings.NewReplacer("{timestamp}", "", "{body}", "", "{message_id}", "", "{url}", "", "{params}", "")

// metaWebhook is Meta's webhook protocol (WhatsApp Cloud API, Graph API
// webhooks); docs/senders.md gives the source of every value.
func metaWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:            VerifyHubChallenge,
			Method:          "GET",
			ModeParam:       "hub.mode",
			TokenParam:      "hub.verify_token",
			ChallengeParam:  "hub.challenge",
			Mode:            "subscribe",
			ChallengeDigits: 10,
			Mismatch:        "The URL couldn't be validated. Response does not match challenge",
			Token:           "verify token",
		},
		Signature: Signature{
			Header:    "X-Hub-Signature-256",
			Algorithm: "HMAC-SHA256",
			Encoding:  HexLower,
			Signed:    "{body}",
			Value:     "sha256={signature}",
			Secret:    "App Secret",
		},
		Payloads:        PayloadWhatsApp,
		ContentType:     "application/json",
		MaxPayload:      3 << 20,
		EscapesNonASCII: true,
		MaxBatch:        1000,
		Latency: LatencyGuidance{
			Median:    250 * time.Millisecond,
			Slow:      time.Second,
			SlowShare: 0.01,
			Source:    "360dialog, a Meta partner",
			// Deadlines.Response is Messenger's.
			DeadlineSource: "Messenger's documented limit; WhatsApp documents none",
		},
	}
}

// stripeWebhook is Stripe's webhook protocol: no verification handshake,
// Stripe-Signature with a timestamp inside the header (docs/senders.md).
func stripeWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:   VerifyNone,
			Answer: "an endpoint is tested with test events instead (Stripe CLI, Dashboard)",
		},
		Signature: Signature{
			Header:    "Stripe-Signature",
			Algorithm: "HMAC-SHA256",
			Encoding:  HexLower,
			Signed:    "{timestamp}.{body}",
			Value:     "t={timestamp},v1={signature}",
			Secret:    "endpoint signing secret",
			Tolerance: 5 * time.Minute,
		},
		Payloads:    PayloadStripe,
		ContentType: "application/json",
	}
}

// githubWebhook is GitHub's: a signed ping event on creation,
// X-Hub-Signature-256 over the body.
func githubWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:   VerifyPing,
			Method: "POST",
			Event:  "ping",
			Answer: "a signed POST with X-GitHub-Event: ping when the webhook is created, answered 2xx",
		},
		Signature: Signature{
			Header:    "X-Hub-Signature-256",
			Algorithm: "HMAC-SHA256",
			Encoding:  HexLower,
			Signed:    "{body}",
			Value:     "sha256={signature}",
			Secret:    "webhook secret",
		},
		Payloads:    PayloadGitHub,
		ContentType: "application/json",
	}
}

// slackWebhook is Slack's Events API: a signed url_verification POST
// answered with the challenge, X-Slack-Signature over "v0:ts:body".
func slackWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:   VerifyPostChallenge,
			Method: "POST",
			Event:  "url_verification",
			Reply:  ReplyChallenge,
			Answer: "HTTP 200 with the challenge value as text/plain, as application/x-www-form-urlencoded " +
				"(challenge=...) or as JSON ({\"challenge\":\"...\"})",
		},
		Signature: Signature{
			Header:          "X-Slack-Signature",
			Algorithm:       "HMAC-SHA256",
			Encoding:        HexLower,
			Signed:          "v0:{timestamp}:{body}",
			Value:           "v0={signature}",
			TimestampHeader: "X-Slack-Request-Timestamp",
			Secret:          "signing secret",
			Tolerance:       5 * time.Minute,
		},
		Payloads:    PayloadSlack,
		ContentType: "application/json",
	}
}

// shopifyWebhook is Shopify's: no verification handshake,
// X-Shopify-Hmac-SHA256 in base64 over the body.
func shopifyWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind: VerifyNone,
		},
		Signature: Signature{
			Header:    "X-Shopify-Hmac-SHA256",
			Algorithm: "HMAC-SHA256",
			Encoding:  Base64,
			Signed:    "{body}",
			Value:     "{signature}",
			Secret:    "app client secret",
		},
		Payloads:    PayloadShopify,
		ContentType: "application/json",
	}
}

// zoomWebhook is Zoom's: a signed endpoint.url_validation POST answered
// with the plainToken and its HMAC, x-zm-signature over "v0:ts:body".
func zoomWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:   VerifyPostChallenge,
			Method: "POST",
			Event:  "endpoint.url_validation",
			Reply:  ReplyTokenHMAC,
			Answer: "HTTP 200 with JSON {\"plainToken\": ..., \"encryptedToken\": <hex HMAC-SHA256 of plainToken with the " +
				"secret token>}",
		},
		Signature: Signature{
			Header:          "x-zm-signature",
			Algorithm:       "HMAC-SHA256",
			Encoding:        HexLower,
			Signed:          "v0:{timestamp}:{body}",
			Value:           "v0={signature}",
			TimestampHeader: "x-zm-request-timestamp",
			Secret:          "secret token",
		},
		Payloads:    PayloadZoom,
		ContentType: "application/json",
	}
}

// lineWebhook is LINE's Messaging API: x-line-signature in base64 over the
// body; the console's Verify button sends a signed webhook whose events
// array is empty, answered 200.
func lineWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:   VerifyPing,
			Method: "POST",
			Event:  "Verify (no events)",
			Answer: "a signed POST whose events array is empty when Verify is clicked, answered 200",
		},
		Signature: Signature{
			Header:    "x-line-signature",
			Algorithm: "HMAC-SHA256",
			Encoding:  Base64,
			Signed:    "{body}",
			Value:     "{signature}",
			Secret:    "channel secret",
		},
		Payloads:    PayloadLINE,
		ContentType: "application/json",
	}
}

// twitchWebhook is Twitch EventSub's: a signed webhook_callback_verification
// POST answered with the raw challenge, and a signature over message id,
// timestamp (RFC 3339) and body.
func twitchWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:   VerifyPostChallenge,
			Method: "POST",
			Event:  "webhook_callback_verification",
			Reply:  ReplyRawChallenge,
			Answer: "HTTP 200 with the raw challenge as the body (Content-Length set), not JSON",
		},
		Signature: Signature{
			Header:          "Twitch-Eventsub-Message-Signature",
			Algorithm:       "HMAC-SHA256",
			Encoding:        HexLower,
			Signed:          "{message_id}{timestamp}{body}",
			Value:           "sha256={signature}",
			TimestampHeader: "Twitch-Eventsub-Message-Timestamp",
			TimestampFormat: TimestampRFC3339,
			MessageIDHeader: "Twitch-Eventsub-Message-Id",
			Secret:          "subscription secret",
			Tolerance:       10 * time.Minute,
		},
		Payloads:    PayloadTwitch,
		ContentType: "application/json",
		Latency: LatencyGuidance{
			DeadlineSource: "Twitch asks for an answer \"within a few seconds\"; wacheck reads it as 3 s",
		},
	}
}

// discordWebhook is Discord's interactions endpoint: an Ed25519 signature
// made with Discord's private key and checked with the application's
// public key. wacheck cannot sign as Discord: it signs with a key of its
// own (--signing-key), and the handler under test must be configured with
// that key's public half (docs/senders.md).
func discordWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:         VerifyPostChallenge,
			Method:       "POST",
			Event:        "PING (type 1)",
			Reply:        ReplyPong,
			ForgedStatus: 401,
			Answer:       "HTTP 200 with JSON {\"type\": 1} (PONG), and 401 for a request whose signature does not verify",
		},
		Signature: Signature{
			Header:          "X-Signature-Ed25519",
			Algorithm:       "Ed25519",
			Encoding:        HexLower,
			Signed:          "{timestamp}{body}",
			Value:           "{signature}",
			TimestampHeader: "X-Signature-Timestamp",
			Secret:          "Ed25519 signing key (Discord signs with its private key; the handler checks with the public key)",
		},
		Payloads:    PayloadDiscord,
		ContentType: "application/json",
	}
}

// twilioWebhook is Twilio's: no verification handshake, form-encoded
// deliveries, X-Twilio-Signature, base64 HMAC-SHA1 over the full URL and
// the POST parameters sorted by name; for an application/json body, the
// URL with bodySHA256 (the hex SHA-256 of the raw body) added, signed
// alone (Twilio's error 57012; the SDKs' validateRequestWithBody).
func twilioWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind: VerifyNone,
		},
		Signature: Signature{
			Header:    "X-Twilio-Signature",
			Algorithm: "HMAC-SHA1",
			Encoding:  Base64,
			Signed:    "{url}{params}",
			Value:     "{signature}",
			Secret:    "auth token",
			// https://www.twilio.com/docs/api/errors/57012; twilio-node
			// lib/webhooks/webhooks.ts (validateRequestWithBody).
			BodyHashParam: "bodySHA256",
			BodyHashWhen: "Twilio sends application/json bodies only for some products (a Studio flow's Make HTTP " +
				"Request widget set to application/json is Twilio's own example); its messaging and voice webhooks " +
				"and status callbacks are form-encoded",
		},
		Payloads:    PayloadTwilio,
		ContentType: "application/x-www-form-urlencoded",
	}
}

// msgraphWebhook is Microsoft Graph's change notifications: a
// validationToken POST answered with the token as text/plain within 10 s,
// and no signature: each notification carries the subscription's
// clientState.
func msgraphWebhook() *Webhook {
	return &Webhook{
		Verification: Verification{
			Kind:           VerifyQueryToken,
			Method:         "POST",
			ChallengeParam: "validationToken",
			Event:          "validationToken",
			Deadline:       10 * time.Second,
			Answer:         "HTTP 200, Content-Type text/plain, with the validationToken URL-decoded as the whole body",
		},
		Signature: Signature{
			Secret: "clientState",
		},
		ClientState: true,
		Payloads:    PayloadGraph,
		ContentType: "application/json",
	}
}
