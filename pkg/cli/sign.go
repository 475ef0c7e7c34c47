package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/internal/readfile"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// SignOptions holds the sign command's flags and dependencies.
type SignOptions struct {
	IO *IOStreams
	// Secret is the key, read from --secret-file or WACHECK_APP_SECRET.
	Secret []byte
	// Scheme is the sender's signature scheme (--sender); Sender names
	// the sender for messages.
	Scheme profile.Signature
	Sender string
	// Verify is a signature to check instead of printing one, "" for none.
	Verify string
	// Timestamp fills a timestamped scheme's {timestamp} (--timestamp);
	// "" signs with Now's.
	Timestamp string
	// MessageID fills {message_id} (--message-id, Twitch); "" signs with a
	// random one, printed on stderr.
	MessageID string
	// URL fills {url} (--url, Twilio): the full URL the sender requests.
	URL string
	// JSONBody signs the payload as an application/json body (--json-body,
	// Twilio): the URL with the body's hash added (bodySHA256), signed
	// alone.
	JSONBody bool
	// PublicKey prints the public key of --signing-key instead of signing
	// (--public-key); GenKey writes a new Ed25519 private key (--gen-key).
	PublicKey, GenKey bool
	// VerifyOnly is set when Secret is an Ed25519 public key (--verify-key):
	// it can check a signature, not make one.
	VerifyOnly bool
	// Rand is the source of generated keys and message ids; crypto/rand
	// when nil.
	Rand io.Reader
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// maxPayload bounds the payload read from stdin: several times the largest
// delivery a sender documents (Meta: 3 MB).
const maxPayload = 16 << 20

func newSignCmd(ios *IOStreams, getenv func(string) string, runF func(context.Context, *SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: ios}
	var secretFile, keyFile, verifyKey, sender, secretArg string
	cmd := &cobra.Command{
		Use:   "sign [flags] < PAYLOAD",
		Short: "Sign a webhook payload as the sender does, or check a signature",
		Long: `Read a payload from stdin and print the signature header value the sender would
send with it: for Meta, sha256= and the lowercase hex HMAC-SHA256 of the raw
bytes, keyed with the App Secret (X-Hub-Signature-256). With --verify, check a
signature instead: exit 0 when it matches, 1 when it does not.

--sender picks the scheme: meta and github (X-Hub-Signature-256: sha256=<hex>),
stripe (Stripe-Signature: t=<unix>,v1=<hex> over "<t>.<body>"), slack
(X-Slack-Signature: v0=<hex> over "v0:<X-Slack-Request-Timestamp>:<body>"),
shopify (X-Shopify-Hmac-SHA256: base64), zoom (x-zm-signature: v0=<hex> over
"v0:<x-zm-request-timestamp>:<body>"), line (x-line-signature: base64),
twitch (Twitch-Eventsub-Message-Signature: sha256=<hex> over message id +
timestamp + body; --message-id, a random one when not given; --timestamp in
RFC 3339), twilio (X-Twilio-Signature: base64 HMAC-SHA1 over --url, the full
URL, followed by the form-encoded POST parameters on stdin sorted by name; with
--json-body the payload is an application/json body: wacheck prints the URL to
request, --url with bodySHA256 (the hex SHA-256 of the body) added, then the
signature of that URL alone, and --verify checks both) and discord
(X-Signature-Ed25519 over X-Signature-Timestamp + body). The
timestamped schemes sign --timestamp (Unix seconds; Twitch: RFC 3339), the
current time without it; --verify needs the timestamp (and Twitch's message
id) received, except Stripe's, read from the header. Microsoft Graph signs
nothing and is refused.

Discord signs with its own Ed25519 private key, which nobody else has: wacheck
signs with a key of yours instead (--signing-key, a PKCS#8 PEM file; --gen-key
writes a new one), so a handler accepts wacheck's signatures only while it is
configured with that key's public half (--public-key prints it, as the hex
Discord shows as the application's public key). Use it for tests, never in
place of Discord's key in production. To check a signature Discord sent,
--verify with --verify-key, the application's public key (hex) as the
developer portal shows it: no private key is needed.

The payload is signed byte for byte: a trailing newline (echo adds one) or JSON
written out again (non-ASCII as ä instead of \u00e4) changes the signature.
The secret comes from --secret-file (surrounding white space dropped) or
WACHECK_APP_SECRET, never from the command line.`,
		Example: `  wacheck sign --secret-file app-secret.txt < payload.json
  wacheck sign --secret-file app-secret.txt --verify 'sha256=ab12...' < payload.json
  WACHECK_APP_SECRET=... wacheck sign < payload.json
  wacheck sign --sender stripe --timestamp 1492774577 --secret-file whsec.txt < event.json
  wacheck sign --sender slack --timestamp 1531420618 --secret-file signing-secret.txt --verify 'v0=a211...' < body
  wacheck sign --sender twitch --message-id ID --timestamp 2026-01-01T00:00:00Z --secret-file secret.txt < event.json
  wacheck sign --sender twilio --url 'https://example.com/sms?x=1' --secret-file auth-token.txt < form-body.txt
  wacheck sign --sender twilio --url 'https://example.com/studio?x=1' --json-body --secret-file auth-token.txt < body.json
  wacheck sign --sender twilio --url 'https://example.com/studio?bodySHA256=0a1f...' --json-body --verify 'a9nB...=' --secret-file auth-token.txt < body.json
  wacheck sign --sender discord --gen-key > discord-test-key.pem
  wacheck sign --sender discord --signing-key discord-test-key.pem --public-key
  wacheck sign --sender discord --signing-key discord-test-key.pem --timestamp 1700000000 < interaction.json
  wacheck sign --sender discord --verify-key APP_PUBLIC_KEY_HEX --timestamp 1700000000 --verify SIG_HEX < interaction.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 {
				return usageErrorf("give the payload on stdin: wacheck sign --secret-file FILE < payload.json",
					"sign takes no arguments, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if secretArg != "" {
				return secretOnCommandLine()
			}
			if err := checkSender(sender); err != nil {
				return err
			}
			p := profile.MustLookup(sender)
			if !p.Webhook.Signs() {
				why := "has no signature scheme wacheck computes"
				switch {
				case p.Webhook == nil:
					why = "has no signature scheme"
				case p.Webhook.ClientState:
					why = "signs nothing: its notifications carry a clientState to compare instead"
				}
				return usageErrorf("give a sender whose signature wacheck computes: --sender "+strings.Join(signingSenders(), ", "),
					"--sender %s %s", sender, why)
			}
			opts.Scheme, opts.Sender = p.Webhook.Signature, p.Short
			if err := checkSignFlags(opts, p, secretFile, keyFile, verifyKey); err != nil {
				return err
			}
			if opts.Scheme.Asymmetric() && verifyKey != "" {
				key, err := parseVerifyKey(verifyKey)
				if err != nil {
					return err
				}
				opts.Secret, opts.VerifyOnly = key, true
			} else if opts.Scheme.Asymmetric() {
				if !opts.GenKey {
					key, err := readSigningKey(keyFile)
					if err != nil {
						return err
					}
					opts.Secret = key
				}
			} else {
				secret, err := readSecret("--secret-file", secretFile, envAppSecret, p.Webhook.Signature.Secret, getenv)
				if err != nil {
					return err
				}
				if secret == "" {
					return usageErrorf("give --secret-file FILE or set "+envAppSecret,
						"no %s to sign with", p.Webhook.Signature.Secret)
				}
				opts.Secret = []byte(secret)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSign(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&secretFile, "secret-file", "", "read the secret (Meta: the App Secret; Stripe: the endpoint's signing secret) from this file (or set "+envAppSecret+")")
	fl.StringVar(&opts.Verify, "verify", "", "check this signature (e.g. sha256=<hex>) instead of printing one: exit 0 if it matches, 1 if not")
	fl.StringVar(&sender, "sender", profile.Default, "webhook sender whose signature scheme to use: "+strings.Join(signingSenders(), ", "))
	fl.StringVar(&opts.Timestamp, "timestamp", "", "time to sign with (stripe, slack, zoom, discord: Unix seconds; twitch: RFC 3339); the current time when not given")
	fl.StringVar(&opts.MessageID, "message-id", "", "twitch: the Twitch-Eventsub-Message-Id to sign with; a random one when not given")
	fl.StringVar(&opts.URL, "url", "", "twilio: the full URL the request is sent to (scheme, host, port, path and query)")
	fl.BoolVar(&opts.JSONBody, "json-body", false, "twilio: the payload is an application/json body: print the URL with bodySHA256 and the signature of that URL; with --verify, check both")
	fl.StringVar(&keyFile, "signing-key", "", "discord: read the Ed25519 private key (PKCS#8 PEM) to sign with from this file")
	fl.BoolVar(&opts.PublicKey, "public-key", false, "discord: print the public key of --signing-key (hex) for the handler, instead of signing")
	fl.BoolVar(&opts.GenKey, "gen-key", false, "discord: write a new Ed25519 private key (PKCS#8 PEM) to stdout, its public key to stderr")
	fl.StringVar(&verifyKey, "verify-key", "", "discord: with --verify, check the signature with this Ed25519 public key (hex, the application's public key) instead of --signing-key")
	fl.StringVar(&secretArg, "secret", "", "")
	_ = fl.MarkHidden("secret")
	return cmd
}

// signingSenders are the senders whose signature scheme wacheck computes.
func signingSenders() []string {
	var out []string
	for _, p := range profile.All() { // once: every Lookup builds them all
		if p.Webhook.Signs() {
			out = append(out, p.Key)
		}
	}
	slices.Sort(out) // as senderNames
	return out
}

// checkSignFlags checks the flags against the scheme: --timestamp,
// --message-id, --url and the key flags each only where the scheme has a
// use for them.
func checkSignFlags(o *SignOptions, p *profile.Profile, secretFile, keyFile, verifyKey string) error {
	s := o.Scheme
	asym := s.Asymmetric()
	switch {
	case o.JSONBody && s.BodyHashParam == "":
		return usageErrorf("leave out --json-body: "+p.Short+" signs the body's bytes whatever their type",
			"--json-body is for senders that sign the URL (twilio); --sender %s has no JSON variant", p.Key)
	case !asym && (keyFile != "" || o.PublicKey || o.GenKey || verifyKey != ""):
		return usageErrorf("give the shared secret with --secret-file FILE or "+envAppSecret,
			"--signing-key, --verify-key, --public-key and --gen-key are for Ed25519 senders (discord); %s signs "+
				"with a shared %s", p.Key, s.Secret)
	case verifyKey != "" && (keyFile != "" || o.PublicKey || o.GenKey):
		return usageErrorf("give either --verify-key (to check a signature) or --signing-key (to make one)",
			"--verify-key takes no --signing-key, --public-key or --gen-key")
	case verifyKey != "" && o.Verify == "":
		return usageErrorf("give the signature received: --verify-key KEY --verify SIG (a public key cannot sign)",
			"--verify-key needs --verify")
	case asym && secretFile != "":
		return usageErrorf("give an Ed25519 private key with --signing-key FILE (wacheck sign --sender "+p.Key+
			" --gen-key writes one)", "--sender %s signs with Ed25519, not a shared secret: --secret-file does not apply",
			p.Key)
	case asym && o.GenKey && (keyFile != "" || o.PublicKey || o.Verify != ""):
		return usageErrorf("run --gen-key alone: wacheck sign --sender "+p.Key+" --gen-key > key.pem",
			"--gen-key writes a new key and takes no other key flag or --verify")
	case asym && !o.GenKey && keyFile == "" && verifyKey == "":
		return usageErrorf("write a test key with wacheck sign --sender "+p.Key+" --gen-key > key.pem, configure the "+
			"handler with its public key (--public-key), and give --signing-key key.pem",
			"--sender %s needs --signing-key: %s signs with its own private key, which wacheck does not have", p.Key,
			p.Short)
	case o.MessageID != "" && s.MessageIDHeader == "":
		return usageErrorf("leave out --message-id", "--sender %s signs no message id", p.Key)
	case o.URL != "" && !s.SignsURL():
		return usageErrorf("leave out --url: "+p.Short+" signs the body", "--sender %s signs no URL", p.Key)
	case s.SignsURL() && o.URL == "":
		return usageErrorf("give the URL exactly as "+p.Short+" requests it: --url 'https://example.com/sms?x=1'",
			"--sender %s signs the full URL with the form parameters: --url is needed", p.Key)
	case s.SignsURL():
		return checkSignURL(o, p)
	case o.Verify != "" && s.MessageIDHeader != "" && o.MessageID == "":
		return usageErrorf(fmt.Sprintf("give the %s header's value received with the payload: --message-id ID",
			s.MessageIDHeader), "--verify with --sender %s needs --message-id", p.Key)
	}
	return checkTimestamp(o, p)
}

// checkSignURL checks --url for a URL-signing scheme, and --json-body
// against it: a URL that carries the body hash is a JSON request's.
func checkSignURL(o *SignOptions, p *profile.Profile) error {
	s := o.Scheme
	if len(o.URL) > maxSignURL {
		return usageErrorf("give the URL the sender requests, not a file's content",
			"--url is longer than %d bytes", maxSignURL)
	}
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return usageErrorf("give the full URL, scheme and host included: --url 'https://example.com/sms'",
			"--url %s is not a full URL", quoteArg(o.URL))
	}
	has := s.BodyHashParam != "" && u.Query().Has(s.BodyHashParam)
	switch {
	case o.JSONBody && o.Verify != "" && !has:
		return usageErrorf("give --url as "+p.Short+" requested it, "+s.BodyHashParam+" included (wacheck sign "+
			"--json-body without --verify prints it)", "--verify --json-body: --url has no %s", s.BodyHashParam)
	case o.JSONBody || !has:
		return nil
	default:
		return usageErrorf("add --json-body: the payload on stdin is then the raw JSON body",
			"--url has %s: %s requested it with a JSON body, which it signs differently from form parameters",
			s.BodyHashParam, p.Short)
	}
}

// maxSignURL bounds --url.
const maxSignURL = 16 << 10

// quoteArg quotes a command-line value for a message, escaped.
func quoteArg(s string) string {
	return strconv.Quote(webhook.Escape([]byte(s)))
}

// checkTimestamp checks --timestamp against the scheme.
func checkTimestamp(o *SignOptions, p *profile.Profile) error {
	s := o.Scheme
	switch {
	case o.Timestamp != "" && !s.Timestamped():
		return usageErrorf("leave out --timestamp: "+p.Short+" signs no timestamp",
			"--sender %s signs no timestamp", p.Key)
	case o.Timestamp != "" && s.TimestampFormat == profile.TimestampRFC3339:
		if _, err := time.Parse(time.RFC3339Nano, o.Timestamp); err != nil {
			return usageErrorf("give the timestamp in RFC 3339, as the "+s.TimestampHeader+" header has it, e.g. "+
				"--timestamp 2026-01-01T00:00:00.123456789Z", "--timestamp %q is not an RFC 3339 time", o.Timestamp)
		}
	case o.Timestamp != "":
		if n, err := strconv.ParseInt(o.Timestamp, 10, 64); err != nil || n < 0 {
			return usageErrorf("give the timestamp as Unix seconds, e.g. --timestamp 1531420618",
				"--timestamp %q is not a Unix time", o.Timestamp)
		}
	case o.Verify != "" && s.Timestamped() && s.TimestampHeader != "":
		return usageErrorf(fmt.Sprintf("give the %s header's value received with the payload: --timestamp T",
			s.TimestampHeader), "--verify with --sender %s needs --timestamp", p.Key)
	}
	return nil
}

// parseVerifyKey reads --verify-key: an Ed25519 public key as hex (64
// digits), as Discord's developer portal shows an application's.
func parseVerifyKey(s string) (ed25519.PublicKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, usageErrorf("give the application's public key as its 64 hex digits, as the developer portal "+
			"shows it", "--verify-key is not an Ed25519 public key in hex (%d characters)", len(s))
	}
	return b, nil
}

// maxKeyFile bounds a key file's size.
const maxKeyFile = 64 << 10

// readSigningKey reads an Ed25519 private key from a PKCS#8 PEM file
// ("PRIVATE KEY", as openssl genpkey -algorithm ed25519 and --gen-key
// write it). No message shows the file's content.
func readSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := readfile.Regular(path, maxKeyFile)
	if err != nil {
		return nil, usageErrorf("give a readable PEM file holding an Ed25519 private key (wacheck sign --sender discord "+
			"--gen-key > key.pem writes one)", "--signing-key: %v", readfile.Words(err))
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, usageErrorf("give a PKCS#8 PEM file (-----BEGIN PRIVATE KEY-----), as openssl genpkey -algorithm "+
			"ed25519 or wacheck sign --sender discord --gen-key writes", "--signing-key: not a PKCS#8 PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		return nil, usageErrorf("give an Ed25519 key: openssl genpkey -algorithm ed25519, or wacheck sign --sender "+
			"discord --gen-key", "--signing-key: not an Ed25519 private key")
	}
	return priv, nil
}

// genKey writes a new Ed25519 private key as PKCS#8 PEM to stdout and its
// public key, hex, to stderr.
func genKey(o *SignOptions) error {
	r := o.Rand
	if r == nil {
		r = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(r)
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: generating a key: %w", err)}
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: encoding the key: %w", err)}
	}
	if err := pem.Encode(o.IO.Out, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: writing the key: %w", err)}
	}
	fmt.Fprintf(o.IO.ErrOut, "public key: %s\n(configure the handler under test with it instead of the application's "+
		"public key; keep the private key for tests only)\n", hex.EncodeToString(pub))
	return nil
}

func runSign(ctx context.Context, o *SignOptions) error {
	if o.GenKey {
		return genKey(o)
	}
	if o.PublicKey {
		pub := ed25519.PrivateKey(o.Secret).Public().(ed25519.PublicKey)
		if _, err := fmt.Fprintln(o.IO.Out, hex.EncodeToString(pub)); err != nil {
			return &RuntimeError{Err: fmt.Errorf("sign: writing the key: %w", err)}
		}
		return nil
	}
	payload, err := io.ReadAll(io.LimitReader(o.IO.In, maxPayload+1))
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: reading the payload: %w", err)}
	}
	if len(payload) > maxPayload {
		return &RuntimeError{Err: fmt.Errorf("sign: the payload is larger than %d MiB", maxPayload>>20),
			Hint: "senders deliver a few MB at most: check what is on stdin"}
	}
	s := o.Scheme
	if o.JSONBody {
		return signJSON(o, payload)
	}
	if s.BodyHashParam != "" && looksJSON(payload) {
		fmt.Fprintf(o.IO.ErrOut, "note: the payload looks like JSON: %s signs a JSON body differently (the URL with "+
			"%s); give --json-body if it was sent as application/json\n", s.Header, s.BodyHashParam)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ts := o.Timestamp
	if ts == "" && s.Timestamped() {
		ts = s.FormatTimestamp(now())
	}
	id := o.MessageID
	if id == "" && s.MessageIDHeader != "" {
		b := make([]byte, 16)
		r := o.Rand
		if r == nil {
			r = rand.Reader
		}
		if _, err := io.ReadFull(r, b); err != nil {
			return &RuntimeError{Err: fmt.Errorf("sign: making a message id: %w", err)}
		}
		id = hex.EncodeToString(b[:4]) + "-" + hex.EncodeToString(b[4:6]) + "-" + hex.EncodeToString(b[6:8]) + "-" +
			hex.EncodeToString(b[8:10]) + "-" + hex.EncodeToString(b[10:])
	}
	if o.Verify != "" {
		if t := webhook.HeaderTimestamp(s, o.Verify); t != "" {
			if o.Timestamp != "" && o.Timestamp != t {
				return usageErrorf("leave out --timestamp: the "+s.Header+" header carries t=",
					"--timestamp %s differs from the header's t=%s", o.Timestamp, t)
			}
			ts = t
		}
	}
	m := webhook.Message{Body: payload, Timestamp: ts, MessageID: id, URL: o.URL}
	var value string // what wacheck signs; none with a public key alone (--verify-key)
	if !o.VerifyOnly {
		if value, err = webhook.SignMessage(s, o.Secret, m); err != nil {
			if s.SignsURL() {
				return usageErrorf("give the POST parameters on stdin form-encoded, as "+s.Header+"'s sender sends them "+
					"(From=%2B15550100001&Body=hello)", "sign: %v", err)
			}
			return &RuntimeError{Err: fmt.Errorf("sign: %w", err)}
		}
	}
	if o.Verify == "" {
		if _, err := fmt.Fprintln(o.IO.Out, value); err != nil {
			return &RuntimeError{Err: fmt.Errorf("sign: writing the signature: %w", err)}
		}
		if o.Timestamp == "" && s.TimestampHeader != "" {
			fmt.Fprintf(o.IO.ErrOut, "signed with %s: %s (the current time; give --timestamp to choose it)\n",
				s.TimestampHeader, ts)
		}
		if o.MessageID == "" && s.MessageIDHeader != "" {
			fmt.Fprintf(o.IO.ErrOut, "signed with %s: %s (a random one; give --message-id to choose it)\n",
				s.MessageIDHeader, id)
		}
		return nil
	}
	ok, err := webhook.VerifyMessage(s, o.Secret, m, o.Verify)
	if errors.Is(err, webhook.ErrSignatureForm) {
		return notASignature(o)
	}
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: %w", err)}
	}
	if !ok {
		what := fmt.Sprintf("signed with this %s it is %s", keyWords(s), value)
		if o.VerifyOnly {
			what = "it is no signature of it under this public key"
		}
		return &RuntimeError{
			Err: fmt.Errorf("sign: the signature does not match the payload (%d bytes): %s", len(payload), what),
			Hint: "the payload must be the raw bytes as delivered: a trailing newline (echo adds one; use printf or the " +
				"saved body), JSON written out again (\\u00e4 turned into ä) or a different " + s.Secret + " changes the signature",
		}
	}
	if _, err := fmt.Fprintf(o.IO.Out, "ok: the signature matches the payload (%d bytes)\n", len(payload)); err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: writing the result: %w", err)}
	}
	if signed, ok := parseTimestamp(s, ts); ok && s.Tolerance > 0 {
		if age := now().Sub(signed); age > s.Tolerance || -age > s.Tolerance {
			fmt.Fprintf(o.IO.ErrOut, "note: the timestamp %s is %s from now: a handler that enforces the sender's "+
				"%s tolerance refuses it (a replay)\n", ts, age.Round(time.Second).Abs(), s.Tolerance)
		}
	}
	return nil
}

// notASignature is the usage error of a --verify value that is not of the
// scheme's form, with an example of the form.
func notASignature(o *SignOptions) error {
	s := o.Scheme
	key := o.Secret
	if o.VerifyOnly {
		key = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // for the signature's form alone
	}
	example, _ := webhook.SignMessage(s, key, webhook.Message{Timestamp: "<unix time>", MessageID: "x",
		URL: "https://x", Body: []byte{}})
	return usageErrorf(fmt.Sprintf("give the %s header's value as received, of the form %s",
		s.Header, formOf(s, example)),
		"--verify: not an %s signature", s.Algorithm) // every algorithm: HMAC-…, Ed25519
}

// senderName names the sender in messages.
func senderName(o *SignOptions) string {
	if o.Sender != "" {
		return o.Sender
	}
	return "the sender"
}

// looksJSON reports whether b starts like a JSON object or array.
func looksJSON(b []byte) bool {
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// signJSON signs or verifies payload as an application/json body of a
// URL-signing scheme: the URL to request (with the body hash) and the
// signature of that URL alone on two lines; with --verify, the signature
// and the body hash checked apart, each failure named.
func signJSON(o *SignOptions, payload []byte) error {
	s := o.Scheme
	param := s.BodyHashParam
	if o.Verify == "" {
		u, value, err := webhook.SignJSON(s, o.Secret, o.URL, payload)
		var he *webhook.BodyHashError
		if errors.As(err, &he) {
			return &RuntimeError{
				Err: fmt.Errorf("sign: --url's %s is %s, but the payload (%d bytes) hashes to %s", param,
					webhook.Escape([]byte(he.InURL)), len(payload), he.OfBody),
				Hint: "give the raw body as delivered (a trailing newline or JSON written out again changes the hash), " +
					"or leave " + param + " out of --url and wacheck adds it",
			}
		}
		if err != nil {
			return usageErrorf("give --url once, with "+param+" at most once", "sign: %v", err)
		}
		if _, err := fmt.Fprintf(o.IO.Out, "%s\n%s\n", u, value); err != nil {
			return &RuntimeError{Err: fmt.Errorf("sign: writing the signature: %w", err)}
		}
		how := "added"
		if u == o.URL {
			how = "checked"
		}
		fmt.Fprintf(o.IO.ErrOut, "line 1: the URL to request (%s %s); line 2: the %s value (the URL alone "+
			"signed, no parameters)\n", param, how, s.Header)
		return nil
	}
	c, err := webhook.VerifyJSON(s, o.Secret, o.URL, payload, o.Verify)
	switch {
	case errors.Is(err, webhook.ErrSignatureForm):
		return notASignature(o)
	case err != nil: // ErrNoBodyHash included, which checkSignURL refuses first
		return usageErrorf("give --url as requested, with "+param+" once", "sign: %v", err)
	}
	var wrong []string
	if !c.Signature {
		value, _ := webhook.SignMessage(s, o.Secret, webhook.Message{URL: o.URL})
		wrong = append(wrong, fmt.Sprintf("the signature does not match the URL (signed with this %s it is %s)",
			s.Secret, value))
	}
	if !c.BodyHash() {
		wrong = append(wrong, fmt.Sprintf("the payload (%d bytes) hashes to %s, not to the URL's %s %s",
			len(payload), c.OfBody, param, webhook.Escape([]byte(c.InURL))))
	}
	if len(wrong) > 0 {
		hint := "the payload must be the raw body as delivered: a trailing newline (echo adds one; use printf or the " +
			"saved body) or JSON written out again (\\u00e4 turned into ä) changes its hash"
		if c.BodyHash() {
			hint = "--url must be the URL exactly as requested (scheme, host, port, path, every query parameter, " +
				param + " included), and the " + s.Secret + " the one " + senderName(o) + " signs with"
		}
		return &RuntimeError{Err: fmt.Errorf("sign: %s", strings.Join(wrong, "; and ")), Hint: hint}
	}
	if _, err := fmt.Fprintf(o.IO.Out, "ok: the signature matches the URL, and %s matches the payload (%d bytes)\n",
		param, len(payload)); err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: writing the result: %w", err)}
	}
	return nil
}

// parseTimestamp reads a timestamp as the scheme writes it.
func parseTimestamp(s profile.Signature, ts string) (time.Time, bool) {
	if s.TimestampFormat == profile.TimestampRFC3339 {
		t, err := time.Parse(time.RFC3339Nano, ts)
		return t, err == nil
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	return time.Unix(n, 0), err == nil
}

// keyWords names the key a scheme signs with, for messages.
func keyWords(s profile.Signature) string {
	if s.Asymmetric() {
		return "signing key"
	}
	return s.Secret
}

// formOf writes a signature's form with its MAC elided: sha256=<64 hex
// digits>.
func formOf(s profile.Signature, value string) string {
	i := strings.LastIndexAny(value, "=,")
	if s.Encoding == profile.Base64 {
		return strings.Replace(s.Value, "{signature}", "<base64>", 1)
	}
	return value[:i+1] + fmt.Sprintf("<%d hex digits>", len(value)-i-1)
}
