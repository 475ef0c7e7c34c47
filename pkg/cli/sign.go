package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// SignOptions holds the sign command's flags and dependencies.
type SignOptions struct {
	IO *IOStreams
	// Secret is the key, read from --secret-file or WACHECK_APP_SECRET.
	Secret []byte
	// Scheme is the sender's signature scheme (--sender).
	Scheme profile.Signature
	// Verify is a signature to check instead of printing one, "" for none.
	Verify string
	// Timestamp fills a timestamped scheme's {timestamp} (--timestamp);
	// "" signs with Now's.
	Timestamp string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// maxPayload bounds the payload read from stdin: several times the largest
// delivery a sender documents (Meta: 3 MB).
const maxPayload = 16 << 20

func newSignCmd(ios *IOStreams, getenv func(string) string, runF func(context.Context, *SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: ios}
	var secretFile, sender, secretArg string
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
"v0:<x-zm-request-timestamp>:<body>"), line (x-line-signature: base64). The
timestamped schemes sign
--timestamp (Unix seconds), the current time without it; Slack's and Zoom's
--verify need --timestamp (the timestamp header received), Stripe's reads it
from the header. Twitch, Twilio, Discord (Ed25519: only Discord can sign) and
Microsoft Graph are refused.

The payload is signed byte for byte: a trailing newline (echo adds one) or JSON
written out again (non-ASCII as ä instead of \u00e4) changes the signature.
The secret comes from --secret-file (surrounding white space dropped) or
WACHECK_APP_SECRET, never from the command line.`,
		Example: `  wacheck sign --secret-file app-secret.txt < payload.json
  wacheck sign --secret-file app-secret.txt --verify 'sha256=ab12...' < payload.json
  WACHECK_APP_SECRET=... wacheck sign < payload.json
  wacheck sign --sender stripe --timestamp 1492774577 --secret-file whsec.txt < event.json
  wacheck sign --sender slack --timestamp 1531420618 --secret-file signing-secret.txt --verify 'v0=a211...' < body`,
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
				case p.Webhook.Signature.Algorithm == "Ed25519":
					why = "signs with Ed25519 and its own private key: only " + p.Short + " can sign (a handler checks " +
						"with the public key)"
				case !strings.Contains(p.Webhook.Signature.Signed, "{body}") ||
					strings.Contains(strings.NewReplacer("{timestamp}", "", "{body}", "").Replace(p.Webhook.Signature.Signed), "{"):
					why = "signs more than a body and a timestamp (" + p.Webhook.Signature.Signed + "), which wacheck sign does not take"
				}
				return usageErrorf("give a sender whose signature wacheck computes: --sender "+strings.Join(signingSenders(), ", "),
					"--sender %s %s", sender, why)
			}
			opts.Scheme = p.Webhook.Signature
			if err := checkTimestamp(opts, p); err != nil {
				return err
			}
			secret, err := readSecret("--secret-file", secretFile, envAppSecret, p.Webhook.Signature.Secret, getenv)
			if err != nil {
				return err
			}
			if secret == "" {
				return usageErrorf("give --secret-file FILE or set "+envAppSecret,
					"no %s to sign with", p.Webhook.Signature.Secret)
			}
			opts.Secret = []byte(secret)
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
	fl.StringVar(&opts.Timestamp, "timestamp", "", "Unix time to sign with (stripe, slack, zoom); the current time when not given")
	fl.StringVar(&secretArg, "secret", "", "")
	_ = fl.MarkHidden("secret")
	return cmd
}

// signingSenders are the senders whose signature scheme wacheck computes.
func signingSenders() []string {
	var out []string
	for _, k := range senderNames() {
		if p := profile.MustLookup(k); p.Webhook.Signs() {
			out = append(out, k)
		}
	}
	return out
}

// checkTimestamp checks --timestamp against the scheme.
func checkTimestamp(o *SignOptions, p *profile.Profile) error {
	s := o.Scheme
	switch {
	case o.Timestamp != "" && !s.Timestamped():
		return usageErrorf("leave out --timestamp: "+p.Short+" signs the body alone",
			"--sender %s signs no timestamp", p.Key)
	case o.Timestamp != "":
		if n, err := strconv.ParseInt(o.Timestamp, 10, 64); err != nil || n < 0 {
			return usageErrorf("give the timestamp as Unix seconds, e.g. --timestamp 1531420618",
				"--timestamp %q is not a Unix time", o.Timestamp)
		}
	case o.Verify != "" && s.Timestamped() && s.TimestampHeader != "":
		return usageErrorf(fmt.Sprintf("give the %s header's value received with the payload: --timestamp N",
			s.TimestampHeader), "--verify with --sender %s needs --timestamp", p.Key)
	}
	return nil
}

func runSign(ctx context.Context, o *SignOptions) error {
	payload, err := io.ReadAll(io.LimitReader(o.IO.In, maxPayload+1))
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: reading the payload: %w", err)}
	}
	if len(payload) > maxPayload {
		return &RuntimeError{Err: fmt.Errorf("sign: the payload is larger than %d MiB", maxPayload>>20),
			Hint: "senders deliver a few MB at most: check what is on stdin"}
	}
	s := o.Scheme
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ts := o.Timestamp
	if ts == "" && s.Timestamped() {
		ts = strconv.FormatInt(now().Unix(), 10)
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
	value, err := webhook.Sign(s, o.Secret, payload, ts)
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: %w", err)}
	}
	if o.Verify == "" {
		if _, err := fmt.Fprintln(o.IO.Out, value); err != nil {
			return &RuntimeError{Err: fmt.Errorf("sign: writing the signature: %w", err)}
		}
		if o.Timestamp == "" && s.TimestampHeader != "" {
			fmt.Fprintf(o.IO.ErrOut, "signed with %s: %s (the current time; give --timestamp to choose it)\n",
				s.TimestampHeader, ts)
		}
		return nil
	}
	ok, err := webhook.Verify(s, o.Secret, payload, ts, o.Verify)
	if errors.Is(err, webhook.ErrSignatureForm) {
		example, _ := webhook.Sign(s, []byte("x"), nil, "<unix time>")
		return usageErrorf(fmt.Sprintf("give the %s header's value as received, of the form %s",
			s.Header, formOf(s, example)),
			"--verify: not a %s signature", s.Algorithm)
	}
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: %w", err)}
	}
	if !ok {
		return &RuntimeError{
			Err: fmt.Errorf("sign: the signature does not match the payload (%d bytes): signed with this %s it is %s",
				len(payload), s.Secret, value),
			Hint: "the payload must be the raw bytes as delivered: a trailing newline (echo adds one; use printf or the " +
				"saved body), JSON written out again (\\u00e4 turned into ä) or a different " + s.Secret + " changes the signature",
		}
	}
	if _, err := fmt.Fprintf(o.IO.Out, "ok: the signature matches the payload (%d bytes)\n", len(payload)); err != nil {
		return &RuntimeError{Err: fmt.Errorf("sign: writing the result: %w", err)}
	}
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil && s.Tolerance > 0 {
		if age := now().Sub(time.Unix(n, 0)); age > s.Tolerance || -age > s.Tolerance {
			fmt.Fprintf(o.IO.ErrOut, "note: the timestamp %s is %s from now: a handler that enforces the sender's "+
				"%s tolerance refuses it (a replay)\n", ts, age.Round(time.Second).Abs(), s.Tolerance)
		}
	}
	return nil
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
