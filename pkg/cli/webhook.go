package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/internal/readfile"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/wacheck"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// The environment variables secrets may come from. Secrets never come from
// the command line, where ps and the shell's history show them.
const (
	envVerifyToken = "WACHECK_VERIFY_TOKEN"
	envAppSecret   = "WACHECK_APP_SECRET"
)

// WebhookOptions holds the webhook command's flags and dependencies: the
// probe's, and the exchange's.
type WebhookOptions struct {
	ProbeOptions
	// VerifyToken and Secret are the secrets, read from their files or the
	// environment; never printed.
	VerifyToken string
	Secret      []byte
	// Deliver sends the signed deliveries (--deliver); Deliveries is how
	// many are timed (--deliveries).
	Deliver    bool
	Deliveries int
	// Dropped are the verification parameters taken out of the URL.
	Dropped []string
	// Rand is the source of challenges and random tokens; crypto/rand
	// when nil.
	Rand io.Reader
}

// webhookTimeout is the webhook command's default --timeout: the probe and
// every request of the exchange share it.
const webhookTimeout = 30 * time.Second

// maxDeliveries bounds --deliveries: a check, not a load test.
const maxDeliveries = 200

// maxSecretFile bounds a secret file's size.
const maxSecretFile = 64 << 10

// webhookFlags are the webhook command's own raw flag values.
type webhookFlags struct {
	probeFlags
	verifyTokenFile string
	appSecretFile   string
	signingKeyFile  string
	// refused are the flags that would take a secret on the command line.
	verifyToken, appSecret string
	// deliveriesSet is true when --deliveries was given.
	deliveriesSet bool
}

func newWebhookCmd(ios *IOStreams, getenv func(string) string, runF func(context.Context, *WebhookOptions) error) *cobra.Command {
	opts := &WebhookOptions{ProbeOptions: ProbeOptions{IO: ios, Thresholds: checks.DefaultThresholds()}}
	var f webhookFlags
	cmd := &cobra.Command{
		Use:   "webhook URL",
		Short: "Check a webhook endpoint's verification and deliveries as the sender makes them",
		Long: `Probe URL as wacheck probe does, then make the requests the sender makes: the
verification request with the verify token and with a wrong one, and with
--deliver the signed deliveries (a message and a status, a forged and an
unsigned one, one with escaped non-ASCII text, one of about 3 MB, and
--deliveries more, some at once, timed to the first byte of the answer; for
twilio also application/json deliveries to the URL with bodySHA256, as Twilio
sends JSON bodies for some products).

URL is the callback URL, https://host[:port]/path. Secrets are read from files
or the environment, never from the command line: the verify token from
--verify-token-file or WACHECK_VERIFY_TOKEN, the App Secret that signs the
deliveries from --app-secret-file or WACHECK_APP_SECRET. They appear in no
output. The deliveries reach the handler's business logic (their ids say
WACHECK_TEST), so they are sent only with --deliver. Nothing is sent to a
server whose certificate does not verify.

--sender picks the sender (wacheck senders): meta (above; the default),
stripe, shopify and twilio (no verification request: the webhook.verify checks
skip), github (a signed ping event, answered 2xx), line (a signed webhook with
no events, answered 200), slack (a signed url_verification POST, answered with
the challenge as text/plain, form or JSON), twitch (a signed
webhook_callback_verification, answered with the raw challenge), zoom (a
signed endpoint.url_validation, answered with plainToken and its HMAC), discord
(a signed PING, answered {"type":1}); for these four the same request signed
wrongly must not be answered (Discord: 401). msgraph: a POST with
?validationToken=..., answered 200 text/plain with the decoded token within
10 s; its notifications carry a clientState instead of a signature.
Deliveries are signed with the secret from --app-secret-file (Stripe's endpoint
signing secret, GitHub's webhook secret, Slack's signing secret, Shopify's app
client secret, Zoom's secret token, Twitch's subscription secret, LINE's
channel secret, Twilio's auth token, Graph's clientState); senders that sign
their verification request need it without --deliver as well.

Discord signs with its own Ed25519 private key, which wacheck does not have:
give --signing-key, a test key of yours (wacheck sign --sender discord
--gen-key writes one), and run the handler under test with that key's public
half (wacheck sign --sender discord --signing-key FILE --public-key) instead
of the application's public key while testing.`,
		Example: `  wacheck webhook https://api.example.com/webhook
  WACHECK_VERIFY_TOKEN=... WACHECK_APP_SECRET=... wacheck webhook https://api.example.com/webhook --deliver
  wacheck webhook https://api.example.com/webhook --verify-token-file token.txt --app-secret-file app-secret.txt --deliver
  wacheck webhook https://api.example.com/webhook --deliver --deliveries 50 --format json
  wacheck webhook https://api.example.com/slack/events --sender slack --app-secret-file signing-secret.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give the callback URL, e.g. wacheck webhook https://api.example.com/webhook",
					"webhook takes one URL, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.deliveriesSet = cmd.Flags().Changed("deliveries")
			if err := opts.complete(args[0], f, getenv); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runWebhook(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd, &f.probeFlags)
	fl := cmd.Flags()
	// The probe and the exchange share --timeout: a longer default.
	tf := fl.Lookup("timeout")
	_ = tf.Value.Set(webhookTimeout.String())
	tf.DefValue = webhookTimeout.String()
	tf.Usage = "time limit for the whole run: the probe, the verification requests and the deliveries"
	fl.StringVar(&f.verifyTokenFile, "verify-token-file", "", "read the verify token from this file (or set "+envVerifyToken+")")
	fl.StringVar(&f.appSecretFile, "app-secret-file", "", "read the App Secret that signs deliveries from this file (or set "+envAppSecret+")")
	fl.StringVar(&f.signingKeyFile, "signing-key", "", "discord: read the Ed25519 private key (PKCS#8 PEM) wacheck signs with; the handler must check with its public key")
	fl.BoolVar(&opts.Deliver, "deliver", false, "send the signed test deliveries (they reach the handler's business logic)")
	fl.IntVar(&opts.Deliveries, "deliveries", webhook.DefaultDeliveries, "with --deliver, how many deliveries to time (some at once)")
	// Secrets on the command line are refused, with a hint.
	fl.StringVar(&f.verifyToken, "verify-token", "", "")
	fl.StringVar(&f.appSecret, "app-secret", "", "")
	_ = fl.MarkHidden("verify-token")
	_ = fl.MarkHidden("app-secret")
	return cmd
}

// complete validates the flags and fills in o, reading the secrets.
func (o *WebhookOptions) complete(arg string, f webhookFlags, getenv func(string) string) error {
	if f.verifyToken != "" || f.appSecret != "" {
		return secretOnCommandLine()
	}
	v := verification(o.Sender)
	// The URL may carry a verify token: it must reach no message.
	shown := webhook.RedactParam(arg, v.TokenParam)
	if err := o.ProbeOptions.complete(arg, f.probeFlags); err != nil {
		var ue *UsageError
		var te *target.Error
		if errors.As(err, &ue) && errors.As(err, &te) {
			return &UsageError{Err: fmt.Errorf("invalid URL %q: %s", shown, te.Msg), Hint: te.Hint}
		}
		return err
	}
	if !strings.HasPrefix(strings.ToLower(arg), "https://") {
		return usageErrorf("give the callback URL as the sender has it, e.g. https://"+o.Target.HostPort()+"/webhook",
			"webhook takes the callback URL (https://host/path), got %q", shown)
	}
	o.Target.Input = shown
	o.Target.Path, o.Dropped = webhook.StripParams(o.Target.Path, v)
	if o.Target.Path == "" {
		o.Target.Path = "/"
	}
	if o.Deliveries < 0 || o.Deliveries > maxDeliveries {
		return usageErrorf(fmt.Sprintf("e.g. --deliveries 50 (at most %d)", maxDeliveries),
			"--deliveries must be from 0 to %d, got %d", maxDeliveries, o.Deliveries)
	}
	if f.deliveriesSet && !o.Deliver {
		return usageErrorf("add --deliver: the timed deliveries are signed deliveries", "--deliveries needs --deliver")
	}
	var err error
	if o.VerifyToken, err = readSecret("--verify-token-file", f.verifyTokenFile, envVerifyToken, "verify token", getenv); err != nil {
		return err
	}
	p := profile.MustLookup(o.Sender)
	if p.Webhook != nil && p.Webhook.Signature.Asymmetric() {
		return o.completeSigningKey(p, f)
	}
	if f.signingKeyFile != "" {
		return usageErrorf("give the shared secret with --app-secret-file FILE or "+envAppSecret,
			"--signing-key is for Ed25519 senders (discord); --sender %s signs with a shared secret", p.Key)
	}
	what, where := "App Secret", "the App Secret (App Dashboard > App settings > Basic)"
	if p.Webhook != nil && p.Key != profile.Default {
		what = p.Webhook.Signature.Secret
		where = p.Short + "'s " + what
	}
	secret, err := readSecret("--app-secret-file", f.appSecretFile, envAppSecret, what, getenv)
	if err != nil {
		return err
	}
	o.Secret = []byte(secret)
	if o.Deliver && len(o.Secret) == 0 {
		use := "to sign the deliveries"
		if p.Webhook != nil && p.Webhook.ClientState {
			use = "to put in the notifications (" + p.Short + " signs nothing)"
		}
		return usageErrorf("give "+where+" with --app-secret-file FILE or "+envAppSecret,
			"--deliver needs the %s %s", what, use)
	}
	if w := p.Webhook; w.Supported() && len(o.Secret) == 0 && !w.ClientState &&
		(w.Verification.Kind == profile.VerifyPostChallenge || w.Verification.Kind == profile.VerifyPing) {
		return usageErrorf("give "+where+" with --app-secret-file FILE or "+envAppSecret,
			"--sender %s: %s signs its %s request, so wacheck needs the %s to send it", p.Key, p.Short,
			w.Verification.Event, what)
	}
	return nil
}

// completeSigningKey reads the Ed25519 key of a sender that signs with a
// private key of its own (Discord): wacheck signs with the user's test key
// instead, which the handler under test must check with.
func (o *WebhookOptions) completeSigningKey(p *profile.Profile, f webhookFlags) error {
	if f.appSecretFile != "" {
		return usageErrorf("give an Ed25519 private key with --signing-key FILE (wacheck sign --sender "+p.Key+
			" --gen-key writes one)", "--sender %s signs with Ed25519, not a shared secret: --app-secret-file does not "+
			"apply", p.Key)
	}
	if f.signingKeyFile == "" {
		return usageErrorf("write a test key with wacheck sign --sender "+p.Key+" --gen-key > key.pem, run the handler "+
			"with its public key (wacheck sign --sender "+p.Key+" --signing-key key.pem --public-key) and give "+
			"--signing-key key.pem", "--sender %s: %s signs with its own private key, which wacheck does not have; "+
			"it needs --signing-key", p.Key, p.Short)
	}
	key, err := readSigningKey(f.signingKeyFile)
	if err != nil {
		return err
	}
	o.Secret = key
	return nil
}

// verification is the verification handshake of sender, or the default
// sender's when it has none (its parameters are still taken out of URLs).
func verification(sender string) profile.Verification {
	if p := profile.MustLookup(sender); p.Webhook != nil {
		return p.Webhook.Verification
	}
	return profile.MustLookup(profile.Default).Webhook.Verification
}

func secretOnCommandLine() error {
	return usageErrorf("write the secret to a file only you can read and give --verify-token-file or --app-secret-file, "+
		"or set "+envVerifyToken+" or "+envAppSecret,
		"secrets are not taken from the command line, where ps and the shell's history show them")
}

// readSecret reads a secret from the file flag names (path), else from the
// environment variable env; "" when neither is set. The file's surrounding
// white space (a trailing newline) is dropped. No message shows the
// flag's value: it may be the secret itself, typed by mistake.
func readSecret(flag, path, env, what string, getenv func(string) string) (string, error) {
	if path == "" {
		return strings.TrimSpace(getenv(env)), nil
	}
	data, err := readfile.Regular(path, maxSecretFile)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && looksLikeSecret(path) {
			return "", usageErrorf(fmt.Sprintf("write the %s to a file only you can read (umask 077; printf '%%s' \"$SECRET\" > "+
				"secret.txt) and give its path, or set %s", what, env),
				"%s takes the path of a file holding the %s, not the %s itself: no such file", flag, what, what)
		}
		return "", usageErrorf(fmt.Sprintf("give a readable file holding the %s, or set %s", what, env),
			"%s: %v", flag, readfile.Words(err))
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", usageErrorf(fmt.Sprintf("write the %s into the file", what), "%s: the file is empty", flag)
	}
	return s, nil
}

// secretShape is what a typed secret looks like: a long run of letters,
// digits and the like, without a path's slashes or a file name's dot.
var secretShape = regexp.MustCompile(`^[A-Za-z0-9_\-+=]{16,}$|^[0-9a-fA-F]{16,}$`)

func looksLikeSecret(s string) bool { return secretShape.MatchString(s) }

func runWebhook(ctx context.Context, o *WebhookOptions) error {
	rep := wacheck.Webhook(ctx, wacheck.WebhookConfig{
		Config:      o.config(),
		VerifyToken: o.VerifyToken,
		Secret:      o.Secret,
		Deliver:     o.Deliver,
		Deliveries:  o.Deliveries,
		Dropped:     o.Dropped,
		Rand:        o.Rand,
	})
	return o.finish(ctx, rep, "webhook "+o.Target.HostPort())
}
