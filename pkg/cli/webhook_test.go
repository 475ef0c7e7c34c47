package cli

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/internal/testwebhook"
)

// The secrets of the webhook tests. Every output of every test is searched
// for them (noSecrets).
const (
	testToken  = "tok-Verify-7f3a9c2e51d84b06"
	testSecret = "4f1c0a9e8b7d6c5b4a39281706f5e4d3"
)

// webhookServer serves a handler with fault on loopback, with a chain that
// verifies against the root it returns (a PEM file).
func webhookServer(t *testing.T, h *testwebhook.Handler) (addr, root string) {
	t.Helper()
	c := testpki.NewChain(t, time.Now())
	if h.Token == "" {
		h.Token = testToken
	}
	if h.Secret == "" {
		h.Secret = testSecret
	}
	return testwebhook.Start(t, h, c.TLSCertificate(c.Intermediate.DER)), c.WriteRootPEM(t, "")
}

// secretFiles writes the test secrets to files and returns their paths.
func secretFiles(t *testing.T) (token, secret string) {
	t.Helper()
	dir := t.TempDir()
	token, secret = filepath.Join(dir, "token.txt"), filepath.Join(dir, "app-secret.txt")
	if err := os.WriteFile(token, []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return token, secret
}

// webhookRun is one run of the webhook command through its flags.
type webhookRun struct {
	code           int
	stdout, stderr string
	report         *webhookReport
}

// webhookReport is the part of the JSON report the tests read.
type webhookReport struct {
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Target struct {
		Input string `json:"input"`
		Path  string `json:"path"`
	} `json:"target"`
	Checks []struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		Detail      string `json:"detail"`
		Remediation string `json:"remediation"`
	} `json:"checks"`
	Webhook *struct {
		URL         string   `json:"url"`
		VerifyToken string   `json:"verify_token"`
		Challenge   string   `json:"challenge"`
		Dropped     []string `json:"dropped_params"`
		Error       string   `json:"error"`
		Requests    []struct {
			Role    string `json:"role"`
			Method  string `json:"method"`
			Path    string `json:"path"`
			Headers []struct {
				Name, Value string
			} `json:"headers"`
			BodyBytes   int      `json:"body_bytes"`
			Status      int      `json:"status"`
			TTFBMS      *float64 `json:"ttfb_ms"`
			BodyExcerpt string   `json:"body_excerpt"`
			Concurrent  bool     `json:"concurrent"`
		} `json:"requests"`
		Latency *struct {
			N        int     `json:"n"`
			MedianMS float64 `json:"median_ms"`
			P99MS    float64 `json:"p99_ms"`
			Buckets  []struct {
				LeMS  *float64 `json:"le_ms"`
				Count int      `json:"count"`
			} `json:"buckets"`
		} `json:"latency"`
	} `json:"webhook"`
}

func (r *webhookRun) check(id string) (status, detail string) {
	if r.report == nil {
		return "", ""
	}
	for _, c := range r.report.Checks {
		if c.ID == id {
			return c.Status, c.Detail
		}
	}
	return "", ""
}

func (r *webhookRun) String() string {
	var b strings.Builder
	b.WriteString("exit " + string(rune('0'+r.code)) + "\nstderr: " + r.stderr + "\n")
	if r.report == nil {
		b.WriteString(r.stdout)
		return b.String()
	}
	for _, c := range r.report.Checks {
		b.WriteString("  " + c.Status + " " + c.ID + ": " + c.Detail + "\n")
	}
	return b.String()
}

// runWebhookCmd runs `wacheck webhook https://localhost:PORT/webhook` pinned
// to the server, with the test root, the given environment and args, the
// way Main does (exit code and stderr included).
func runWebhookCmd(t *testing.T, addr, root string, env map[string]string, args ...string) *webhookRun {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	url := "https://localhost:" + port + "/webhook"
	if len(args) > 0 && strings.HasPrefix(args[0], "https://") {
		url, args = args[0], args[1:]
	}
	ios, out, errOut := streams(false, false)
	root2 := NewRootCmd(ios)
	for _, c := range root2.Commands() {
		if c.Name() == "webhook" {
			root2.RemoveCommand(c)
		}
	}
	root2.AddCommand(newWebhookCmd(ios, func(k string) string { return env[k] }, nil))
	all := append([]string{"webhook", url, "--resolve", "localhost:" + port + ":127.0.0.1", "--ca-file", root,
		"--connect-warn", "5s", "--handshake-warn", "5s", "--handshake-fail", "10s"}, args...)
	root2.SetArgs(all)
	_, err := root2.ExecuteContextC(context.Background())
	code := exitCode(err, errOut)
	r := &webhookRun{code: code, stdout: out.String(), stderr: errOut.String()}
	if strings.HasPrefix(strings.TrimSpace(r.stdout), "{") {
		r.report = &webhookReport{}
		if err := json.Unmarshal(out.Bytes(), r.report); err != nil {
			t.Fatalf("report: %v\n%s", err, r.stdout)
		}
	}
	noSecrets(t, r.stdout, r.stderr)
	return r
}

// noSecrets fails the test when an output holds a secret.
func noSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		for _, s := range []string{testToken, testSecret} {
			if strings.Contains(o, s) {
				t.Errorf("a secret (%.6s...) is in the output:\n%s", s, o)
			}
		}
	}
}

// webhookIDs are the webhook checks, in registry order.
var webhookIDs = []string{"webhook.verify", "webhook.verify_rejects", "webhook.delivery", "webhook.signature",
	"webhook.raw_body", "webhook.body_size", "webhook.latency"}

// deliverArgs are the flags of a full exchange with the test secrets.
func deliverArgs(t *testing.T, more ...string) []string {
	token, secret := secretFiles(t)
	return append([]string{"--verify-token-file", token, "--app-secret-file", secret, "--deliver", "--deliveries", "4",
		"--enumerate=false", "--format", "json"}, more...)
}

// TestWebhookHandlers runs the command against real handlers on loopback,
// a correct one and broken ones: each broken one fails its check with the
// right reason, and nothing else is blamed (every other webhook check
// passes, or skips naming the check that failed, and every other check has
// the correct handler's status).
func TestWebhookHandlers(t *testing.T) {
	addr, root := webhookServer(t, &testwebhook.Handler{})
	base := runWebhookCmd(t, addr, root, nil, deliverArgs(t)...)
	if base.report == nil || base.report.Kind != "webhook" {
		t.Fatalf("correct handler: no webhook report\n%s", base)
	}
	baseline := map[string]string{}
	for _, c := range base.report.Checks {
		baseline[c.ID] = c.Status
	}
	for _, id := range webhookIDs {
		if baseline[id] != "pass" {
			t.Errorf("correct handler: %s is %q, want pass\n%s", id, baseline[id], base)
		}
	}
	if base.code != ExitOK {
		t.Errorf("correct handler: exit %d, want 0\n%s", base.code, base)
	}

	tests := []struct {
		name  string
		h     *testwebhook.Handler
		args  []string
		id    string // the check that must fail
		words []string
		// skipped checks, each with words its detail must hold
		skipped map[string]string
	}{
		{name: "JSON-quoted echo", h: &testwebhook.Handler{Fault: testwebhook.QuotedEcho}, id: "webhook.verify",
			words: []string{"JSON quotes", "Response does not match challenge"}},
		{name: "trailing newline", h: &testwebhook.Handler{Fault: testwebhook.TrailingLine}, id: "webhook.verify",
			words: []string{"trailing newline", `\n`}},
		{name: "HTML", h: &testwebhook.Handler{Fault: testwebhook.HTMLEcho}, id: "webhook.verify",
			words: []string{"inside HTML"}},
		{name: "PHP names", h: &testwebhook.Handler{Fault: testwebhook.PHPNames}, id: "webhook.verify",
			words: []string{"hub_challenge", "PHP"}},
		{name: "no token check", h: &testwebhook.Handler{Fault: testwebhook.NoTokenCheck}, id: "webhook.verify_rejects",
			words: []string{"does not check hub.verify_token"}},
		{name: "no signature check", h: &testwebhook.Handler{Fault: testwebhook.NoSignature}, id: "webhook.signature",
			words: []string{"wrong secret got 200", "without X-Hub-Signature-256 got 200", "accepts forged"}},
		{name: "re-serialises before hashing", h: &testwebhook.Handler{Fault: testwebhook.Reserialise},
			id: "webhook.raw_body", words: []string{"403", "re-serialised", `\u00e4`}},
		{name: "413 over 1 MB", h: &testwebhook.Handler{Fault: testwebhook.SmallBody}, id: "webhook.body_size",
			words: []string{"413", "3.0 MB"}},
		{name: "slow", h: &testwebhook.Handler{Fault: testwebhook.Slow, Delay: 1100 * time.Millisecond},
			args: []string{"--deliveries", "2"}, id: "webhook.latency",
			words: []string{"median 1", "More than half", "360dialog"}},
		{name: "redirect", h: &testwebhook.Handler{Fault: testwebhook.Redirect}, id: "webhook.verify",
			words: []string{"301", "/webhook/", "follows no redirect"},
			skipped: map[string]string{"webhook.verify_rejects": "redirects", "webhook.signature": "webhook.delivery",
				"webhook.raw_body": "webhook.delivery", "webhook.body_size": "webhook.delivery",
				"webhook.latency": "webhook.delivery"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, root := webhookServer(t, tt.h)
			r := runWebhookCmd(t, addr, root, nil, deliverArgs(t, tt.args...)...)
			if r.report == nil {
				t.Fatalf("no report\n%s", r)
			}
			if r.code != ExitFindings {
				t.Errorf("exit %d, want 1", r.code)
			}
			st, detail := r.check(tt.id)
			if st != "fail" {
				t.Errorf("%s is %q, want fail\n%s", tt.id, st, r)
			}
			for _, w := range tt.words {
				if !strings.Contains(detail, w) {
					t.Errorf("%s's detail lacks %q: %s", tt.id, w, detail)
				}
			}
			for _, c := range r.report.Checks {
				switch {
				case c.ID == tt.id:
				case tt.skipped[c.ID] != "":
					if c.Status != "skip" || !strings.Contains(c.Detail, tt.skipped[c.ID]) {
						t.Errorf("%s is %s (%s), want a skip naming %q", c.ID, c.Status, c.Detail, tt.skipped[c.ID])
					}
				case tt.id == "webhook.verify" && c.ID == "webhook.delivery" && tt.h.Fault == testwebhook.Redirect:
					// A redirect fails the deliveries too: they are POSTs to the same URL.
					if c.Status != "fail" || !strings.Contains(c.Detail, "redirect") {
						t.Errorf("%s is %s (%s), want a failure naming the redirect", c.ID, c.Status, c.Detail)
					}
				case strings.HasPrefix(c.ID, "webhook."):
					if c.Status != "pass" {
						t.Errorf("%s is %s, want pass: %s", c.ID, c.Status, c.Detail)
					}
				case c.Status != baseline[c.ID] && !(c.ID == "http.response" && tt.h.Fault == testwebhook.Redirect):
					t.Errorf("%s is %s, the correct handler's is %s: %s", c.ID, c.Status, baseline[c.ID], c.Detail)
				}
			}
		})
	}
}

// TestWebhookWithoutSecrets: without a token the verification request goes
// out with a random one and the check says what it could not verify;
// without --deliver no delivery is sent.
func TestWebhookWithoutSecrets(t *testing.T) {
	h := &testwebhook.Handler{}
	addr, root := webhookServer(t, h)
	r := runWebhookCmd(t, addr, root, nil, "--enumerate=false", "--format", "json")
	if r.report == nil || r.report.Webhook == nil {
		t.Fatalf("no webhook report\n%s", r)
	}
	if st, d := r.check("webhook.verify"); st != "info" || !strings.Contains(d, "random verify token") ||
		!strings.Contains(d, "was not verified") || !strings.Contains(d, "403") {
		t.Errorf("webhook.verify = %s: %s", st, d)
	}
	if st, d := r.check("webhook.verify_rejects"); st != "pass" || !strings.Contains(d, "403") {
		t.Errorf("webhook.verify_rejects = %s: %s", st, d)
	}
	for _, id := range webhookIDs[2:] {
		if st, d := r.check(id); st != "skip" || !strings.Contains(d, "--deliver") {
			t.Errorf("%s = %s (%s), want a skip naming --deliver", id, st, d)
		}
	}
	w := r.report.Webhook
	if w.VerifyToken != "random" || len(w.Requests) != 1 || w.Requests[0].Method != "GET" {
		t.Errorf("exchange = %+v", w)
	}
	if h.Deliveries.Load() != 0 {
		t.Errorf("%d deliveries reached the handler without --deliver", h.Deliveries.Load())
	}
	if r.code != ExitOK {
		t.Errorf("exit %d, want 0\n%s", r.code, r)
	}
}

// TestWebhookSecretsFromEnvironment: the environment variables work like
// the files, and the whole exchange is in the report with no secret in it
// (runWebhookCmd searches every output).
func TestWebhookSecretsFromEnvironment(t *testing.T) {
	h := &testwebhook.Handler{}
	addr, root := webhookServer(t, h)
	env := map[string]string{envVerifyToken: testToken + "\n", envAppSecret: testSecret}
	r := runWebhookCmd(t, addr, root, env, "--deliver", "--deliveries", "6", "--enumerate=false", "--format", "json")
	if r.report == nil || r.report.Webhook == nil {
		t.Fatalf("no webhook report\n%s", r)
	}
	for _, id := range webhookIDs {
		if st, d := r.check(id); st != "pass" {
			t.Errorf("%s = %s: %s", id, st, d)
		}
	}
	w := r.report.Webhook
	roles := map[string]int{}
	for _, q := range w.Requests {
		roles[q.Role]++
		if q.Status == 0 || q.TTFBMS == nil {
			t.Errorf("%s: status %d, ttfb %v", q.Role, q.Status, q.TTFBMS)
		}
		if q.Method == "POST" {
			var sig string
			for _, hd := range q.Headers {
				if hd.Name == "X-Hub-Signature-256" {
					sig = hd.Value
				}
			}
			if want := q.Role != "unsigned"; (sig != "") != want || sig != "" && !strings.HasPrefix(sig, "sha256=<") {
				t.Errorf("%s: signature header %q", q.Role, sig)
			}
		}
		if len(q.BodyExcerpt) > 4*256 {
			t.Errorf("%s: excerpt of %d bytes", q.Role, len(q.BodyExcerpt))
		}
	}
	want := map[string]int{"verify": 1, "verify_wrong_token": 1, "delivery": 2, "forged_signature": 1, "unsigned": 1,
		"non_ascii": 1, "large": 1, "latency": 6}
	for role, n := range want {
		if roles[role] != n {
			t.Errorf("%d %s requests, want %d (%v)", roles[role], role, n, roles)
		}
	}
	if l := w.Latency; l == nil || l.N != 6 || len(l.Buckets) == 0 {
		t.Errorf("latency = %+v", l)
	}
	conc := 0
	for _, q := range w.Requests {
		if q.Concurrent {
			conc++
		}
	}
	if conc != 3 {
		t.Errorf("%d concurrent deliveries, want 3 of 6", conc)
	}
	if w.VerifyToken != "given" || w.Challenge == "" || !strings.Contains(w.Requests[0].Path, "hub.verify_token=REDACTED") {
		t.Errorf("exchange = %+v", w)
	}
	// Every delivery that got 200 reached the handler.
	if got := h.Deliveries.Load(); got != 2+1+1+6 {
		t.Errorf("the handler accepted %d deliveries, want 10", got)
	}
}

// TestWebhookTokenInURL: a verify token left in the URL is replaced by
// wacheck's own parameters and redacted wherever the URL is shown.
func TestWebhookTokenInURL(t *testing.T) {
	addr, root := webhookServer(t, &testwebhook.Handler{})
	_, port, _ := net.SplitHostPort(addr)
	url := "https://localhost:" + port + "/webhook?app=1&hub.mode=subscribe&hub.verify_token=" + testToken + "&hub.challenge=5"
	for _, format := range []string{"json", "text"} {
		r := runWebhookCmd(t, addr, root, nil, url, "--enumerate=false", "--format", format)
		if r.code != ExitOK {
			t.Errorf("%s: exit %d\n%s", format, r.code, r)
		}
		if !strings.Contains(r.stdout, "hub.verify_token=REDACTED") {
			t.Errorf("%s: the URL's token is not shown redacted:\n%s", format, r.stdout)
		}
		if format == "json" {
			w := r.report.Webhook
			if r.report.Target.Path != "/webhook?app=1" || strings.Join(w.Dropped, ",") != "hub.mode,hub.verify_token,hub.challenge" {
				t.Errorf("path %q, dropped %v", r.report.Target.Path, w.Dropped)
			}
			if p := w.Requests[0].Path; !strings.HasPrefix(p, "/webhook?app=1&hub.mode=subscribe&hub.challenge=") {
				t.Errorf("verification request %q", p)
			}
		}
	}
}

// TestWebhookUntrustedServer: nothing is sent to a server whose chain does
// not verify, and the webhook checks say why instead of blaming the handler.
func TestWebhookUntrustedServer(t *testing.T) {
	h := &testwebhook.Handler{}
	addr, _ := webhookServer(t, h)
	other := testpki.NewChain(t, time.Now()).WriteRootPEM(t, "")
	r := runWebhookCmd(t, addr, other, nil, deliverArgs(t)...)
	if st, _ := r.check("chain.trusted"); st != "fail" {
		t.Errorf("chain.trusted = %s\n%s", st, r)
	}
	for _, id := range webhookIDs {
		if st, d := r.check(id); st != "skip" || !strings.Contains(d, "does not verify") {
			t.Errorf("%s = %s (%s), want a skip: the certificate does not verify", id, st, d)
		}
	}
	// The probe's one GET without hub.* parameters is all the handler saw.
	if n := h.Requests.Load(); n != 1 {
		t.Errorf("the handler got %d requests, want only the probe's GET", n)
	}
}

// TestWebhookGenericSender: a sender without a webhook protocol judges the
// TLS side only.
func TestWebhookGenericSender(t *testing.T) {
	h := &testwebhook.Handler{}
	addr, root := webhookServer(t, h)
	r := runWebhookCmd(t, addr, root, nil, deliverArgs(t, "--sender", "generic")...)
	for _, id := range webhookIDs {
		if st, d := r.check(id); st != "skip" || !strings.Contains(d, "no webhook protocol") {
			t.Errorf("%s = %s (%s)", id, st, d)
		}
	}
	if r.report == nil || r.report.Webhook == nil || !strings.Contains(r.report.Webhook.Error, "no webhook protocol") {
		t.Errorf("webhook section: %+v", r.report)
	}
	if n := h.Requests.Load(); n != 1 {
		t.Errorf("the handler got %d requests, want only the probe's GET", n)
	}
}

// TestWebhookUsage: bad usage exits 2 with a hint, and no message shows a
// secret, whether typed as a flag value or found in a file.
func TestWebhookUsage(t *testing.T) {
	addr, root := webhookServer(t, &testwebhook.Handler{})
	token, secret := secretFiles(t)
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		words string
	}{
		{"secret as a flag", nil, []string{"--app-secret=" + testSecret}, "not taken from the command line"},
		{"token as a flag", nil, []string{"--verify-token", testToken}, "not taken from the command line"},
		{"secret instead of its file", nil, []string{"--app-secret-file", testSecret}, "not the App Secret itself"},
		{"token instead of its file", nil, []string{"--verify-token-file", testToken}, "not the verify token itself"},
		{"missing file", nil, []string{"--app-secret-file", "/nonexistent/app-secret.txt"}, "no such file"},
		{"deliver without a secret", nil, []string{"--deliver", "--verify-token-file", token}, "--deliver needs the App Secret"},
		{"deliveries without deliver", nil, []string{"--deliveries", "5", "--app-secret-file", secret}, "--deliveries needs --deliver"},
		{"too many deliveries", nil, []string{"--deliver", "--deliveries", "1000", "--app-secret-file", secret}, "--deliveries must be"},
		{"not a URL", nil, []string{"localhost:1"}, "callback URL"},
		{"bad URL with a token", nil, []string{"https://localhost:99999/w?hub.verify_token=" + testToken}, "REDACTED"},
		{"empty file", nil, []string{"--app-secret-file", emptyFile(t)}, "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runWebhookCmd(t, addr, root, tt.env, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.words) || !strings.Contains(r.stderr, "\nhint: ") {
				t.Errorf("exit %d, stderr %q; want 2, %q and a hint", r.code, r.stderr, tt.words)
			}
			if strings.Count(r.stderr, "\n") != 2 {
				t.Errorf("stderr is not one error line and one hint: %q", r.stderr)
			}
		})
	}
}

func emptyFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(p, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWebhookJSONMatchesSchema validates the webhook report against schema
// v2, and the text report names the webhook checks.
func TestWebhookJSONMatchesSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../../docs/schema/report.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []*testwebhook.Handler{{}, {Fault: testwebhook.Redirect}} {
		addr, root := webhookServer(t, h)
		for _, args := range [][]string{deliverArgs(t), {"--format", "json", "--enumerate=false"},
			deliverArgs(t, "--sender", "generic")} {
			r := runWebhookCmd(t, addr, root, nil, args...)
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%v: %v", args, err)
			}
		}
	}
	addr, root := webhookServer(t, &testwebhook.Handler{})
	r := runWebhookCmd(t, addr, root, nil, "--enumerate=false", "-v")
	for _, s := range []string{"Verification handshake answered as the sender expects", "hub.verify_token=REDACTED"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("text report lacks %q:\n%s", s, r.stdout)
		}
	}
}
