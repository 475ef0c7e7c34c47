//go:build linux

package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/internal/testwebhook"
)

// The secrets of the webhook tests; every output is searched for them.
const (
	webhookToken  = "integration-verify-token-3b9f04d2"
	webhookSecret = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// webhookConf is what nginx-webhook.conf.tmpl is rendered with.
type webhookConf struct {
	Dir           string
	Sites         []*site
	Backend       string // the Go handler's host:port
	ModernCiphers string
}

// TestWebhookBehindNginx: a correct handler behind nginx with the default
// client_max_body_size (1 MB) refuses Meta's 3 MB deliveries with 413, and
// webhook.body_size names nginx's directive, while every other webhook
// check passes; with the limit raised, every one passes.
func TestWebhookBehindNginx(t *testing.T) {
	nginx := requireBinary(t, "nginx")
	c := testpki.NewChain(t, time.Now())
	dir := t.TempDir()
	// nginx's workers (nobody, when the test runs as root) buffer large
	// bodies in client_body/ under it.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	certFile, keyFile, rootFile := filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "root.pem")
	for file, data := range map[string][]byte{certFile: testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER),
		keyFile: c.Leaf.KeyPEM(t), rootFile: c.RootPEM()} {
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h := &testwebhook.Handler{Token: webhookToken, Secret: webhookSecret}
	backend := httptest.NewServer(h)
	t.Cleanup(backend.Close)

	sites := []*site{{Name: "default", Cert: certFile, Key: keyFile}, {Name: "raised", Cert: certFile, Key: keyFile}}
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	startServer(t, serverSpec{name: "nginx", dir: dir, sites: sites, configure: func() ([]string, []string) {
		renderTemplate(t, "nginx-webhook.conf.tmpl", conf, webhookConf{Dir: dir, Sites: sites,
			Backend: strings.TrimPrefix(backend.URL, "http://"), ModernCiphers: modernCiphers})
		return []string{nginx, "-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, []string{errorLog}
	}})

	ids := []string{"webhook.verify", "webhook.verify_rejects", "webhook.delivery", "webhook.signature",
		"webhook.raw_body", "webhook.body_size", "webhook.latency"}
	t.Run("default client_max_body_size", func(t *testing.T) {
		r := runWebhook(t, sites[0].Port, rootFile)
		for _, id := range ids {
			st, detail, rem := r.check(id)
			want := "pass"
			if id == "webhook.body_size" {
				want = "fail"
				for _, w := range []string{"413", "from nginx", "3.0 MB"} {
					if !strings.Contains(detail, w) {
						t.Errorf("%s detail lacks %q: %s", id, w, detail)
					}
				}
				if !strings.Contains(rem, "client_max_body_size") || !strings.Contains(rem, "1 MB by default") {
					t.Errorf("%s remediation: %s", id, rem)
				}
			}
			if st != want {
				t.Errorf("%s = %s, want %s: %s", id, st, want, detail)
			}
		}
		if r.exitCode != 1 {
			t.Errorf("exit %d, want 1", r.exitCode)
		}
	})
	t.Run("raised client_max_body_size", func(t *testing.T) {
		r := runWebhook(t, sites[1].Port, rootFile)
		for _, id := range ids {
			if st, detail, _ := r.check(id); st != "pass" {
				t.Errorf("%s = %s: %s", id, st, detail)
			}
		}
	})
}

// webhookResult is one run of `wacheck webhook`.
type webhookResult struct {
	exitCode       int
	stdout, stderr []byte
	report         struct {
		Kind   string `json:"kind"`
		Checks []struct {
			ID          string `json:"id"`
			Status      string `json:"status"`
			Detail      string `json:"detail"`
			Remediation string `json:"remediation"`
		} `json:"checks"`
	}
}

func (r *webhookResult) check(id string) (status, detail, remediation string) {
	for _, c := range r.report.Checks {
		if c.ID == id {
			return c.Status, c.Detail, c.Remediation
		}
	}
	return "", "", ""
}

// runWebhook runs the built binary against https://localhost:PORT/webhook
// with the secrets in the environment, in JSON and in text, validates the
// JSON against the schema and searches every output for the secrets.
func runWebhook(t *testing.T, port int, rootFile string) *webhookResult {
	t.Helper()
	hostport := "localhost:" + strconv.Itoa(port)
	var res *webhookResult
	for _, format := range []string{"json", "text"} {
		args := []string{"webhook", "https://" + hostport + "/webhook", "--resolve", hostport + ":127.0.0.1",
			"--ca-file", rootFile, "--deliver", "--deliveries", "10", "--enumerate=false", "--format", format,
			"--connect-warn", "5s", "--handshake-warn", "5s", "--handshake-fail", "10s", "-v"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, wacheckBin, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1", "WACHECK_VERIFY_TOKEN="+webhookToken,
			"WACHECK_APP_SECRET="+webhookSecret)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		cancel()
		r := &webhookResult{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.Exited():
			r.exitCode = ee.ExitCode()
		default:
			t.Fatalf("run wacheck: %v\n%s", err, stderr.String())
		}
		for _, out := range [][]byte{r.stdout, r.stderr} {
			for _, s := range []string{webhookToken, webhookSecret} {
				if bytes.Contains(out, []byte(s)) {
					t.Errorf("%s output holds a secret (%.6s...)", format, s)
				}
			}
		}
		if format == "json" {
			if err := json.Unmarshal(r.stdout, &r.report); err != nil || r.report.Kind != "webhook" {
				t.Fatalf("no webhook report (%v):\n%s\n%s", err, r.stdout, r.stderr)
			}
			validateSchema(t, &probeResult{args: args, stdout: r.stdout})
			res = r
		} else if !bytes.Contains(r.stdout, []byte("Largest payload accepted")) || r.exitCode != res.exitCode {
			t.Errorf("text report (exit %d):\n%s", r.exitCode, r.stdout)
		}
	}
	if *dump {
		t.Logf("%s", res.stdout)
	}
	return res
}
