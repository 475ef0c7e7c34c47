package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
)

// escapedPayload has non-ASCII text escaped as Meta sends it; its
// signature with testSecret was worked out with Python's hmac module
// (hmac.new(key, payload, hashlib.sha256).hexdigest()), and that of the
// same JSON with the characters unescaped, as a handler that re-serialises
// it hashes, too.
const (
	escapedPayload = `{"entry":[{"changes":[{"field":"messages","value":{"messages":[{"text":{"body":` +
		`"\u00e4\u00f6\u00e5 Gr\u00fc\u00dfe \ud83d\udc4b"}}]}}],"id":"0"}],"object":"whatsapp_business_account"}`
	escapedSignature   = "sha256=b7745e62c3c4e3c98b145c4861e29e8cbadc4ad1d48ad3e5954532ccad248f8a"
	unescapedSignature = "sha256=4aa16d048d65f208cfbfd32b0623e7cd0f46c62a81c56aeb7cc182c6f7268b06"
)

// runSignCmd runs `wacheck sign` with stdin, the environment env and args,
// as Main does, and searches its outputs for the secrets.
func runSignCmd(t *testing.T, stdin string, env map[string]string, args ...string) *webhookRun {
	t.Helper()
	ios, out, errOut := streams(false, false)
	ios.In = strings.NewReader(stdin)
	root := NewRootCmd(ios)
	for _, c := range root.Commands() {
		if c.Name() == "sign" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newSignCmd(ios, func(k string) string { return env[k] }, nil))
	root.SetArgs(append([]string{"sign"}, args...))
	_, err := root.ExecuteContextC(context.Background())
	r := &webhookRun{code: exitCode(err, errOut), stdout: out.String(), stderr: errOut.String()}
	noSecrets(t, r.stdout, r.stderr)
	return r
}

func TestSignKnownAnswer(t *testing.T) {
	_, secret := secretFiles(t)
	r := runSignCmd(t, escapedPayload, nil, "--secret-file", secret)
	if r.code != 0 || r.stdout != escapedSignature+"\n" || r.stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %s", r.code, r.stdout, r.stderr, escapedSignature)
	}
	// The same from the environment.
	r = runSignCmd(t, escapedPayload, map[string]string{envAppSecret: testSecret})
	if r.code != 0 || r.stdout != escapedSignature+"\n" {
		t.Errorf("from the environment: exit %d, %q", r.code, r.stdout)
	}
}

// TestSignMatchesOpenSSLCommand compares the command's output with
// `openssl dgst -sha256 -hmac`.
func TestSignMatchesOpenSSLCommand(t *testing.T) {
	openssl := testpki.RequireBinary(t, "openssl")
	_, secret := secretFiles(t)
	for _, payload := range []string{escapedPayload, "", "line\n", strings.Repeat("x", 1<<20)} {
		file := filepath.Join(t.TempDir(), "payload")
		if err := os.WriteFile(file, []byte(payload), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(openssl, "dgst", "-sha256", "-hmac", testSecret, file).Output()
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`= ([0-9a-f]{64})\s*$`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("openssl printed %q", out)
		}
		if r := runSignCmd(t, payload, nil, "--secret-file", secret); r.stdout != "sha256="+string(m[1])+"\n" {
			t.Errorf("payload of %d bytes: wacheck %q, openssl %s", len(payload), r.stdout, m[1])
		}
	}
}

func TestSignVerify(t *testing.T) {
	_, secret := secretFiles(t)
	tests := []struct {
		name, payload, sig string
		code               int
		stdout, stderr     string
	}{
		{"match", escapedPayload, escapedSignature, 0, "ok: the signature matches", ""},
		{"upper-case hex", escapedPayload, "sha256=" + strings.ToUpper(escapedSignature[7:]), 0, "ok:", ""},
		{"re-serialised", escapedPayload, unescapedSignature, 1, "",
			"does not match the payload (183 bytes): signed with this App Secret it is " + escapedSignature},
		{"trailing newline", escapedPayload + "\n", escapedSignature, 1, "", "hint: the payload must be the raw bytes"},
		{"not a signature", escapedPayload, "sha256=xyz", 2, "", "--verify: not an HMAC-SHA256 signature\nhint: give the " +
			"X-Hub-Signature-256 header's value as received, of the form sha256=<64 hex digits>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSignCmd(t, tt.payload, nil, "--secret-file", secret, "--verify", tt.sig)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
	if len(escapedPayload) != 183 {
		t.Fatalf("the payload is %d bytes", len(escapedPayload))
	}
}

func TestSignUsage(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		words string
	}{
		{"no secret", nil, nil, "no App Secret to sign with"},
		{"secret as a flag", nil, []string{"--secret", testSecret}, "not taken from the command line"},
		{"secret instead of its file", nil, []string{"--secret-file", testSecret}, "not the App Secret itself"},
		{"sender without a scheme", map[string]string{envAppSecret: testSecret}, []string{"--sender", "generic"},
			"has no signature scheme"},
		{"arguments", nil, []string{"payload.json"}, "sign takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runSignCmd(t, "{}", tt.env, tt.args...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.words) || !strings.Contains(r.stderr, "\nhint: ") {
				t.Errorf("exit %d, stderr %q; want 2, %q and a hint", r.code, r.stderr, tt.words)
			}
		})
	}
	// A payload over the bound is refused, not hashed.
	r := runSignCmd(t, strings.Repeat("x", maxPayload+1), map[string]string{envAppSecret: testSecret})
	if r.code != ExitFindings || !strings.Contains(r.stderr, "larger than 16 MiB") {
		t.Errorf("large payload: exit %d, %q", r.code, r.stderr)
	}
}
