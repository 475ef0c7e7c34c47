package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/exporter"
)

// syncBuffer is a buffer a server goroutine writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(badYAML, []byte("modules:\n  m:\n    sender: meta\n    fail_on: sometimes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "nowhere"}, `invalid --listen "nowhere"`},
		{[]string{"--listen", "127.0.0.1"}, `invalid --listen`},
		{[]string{"--listen", ":99999"}, `bad port`},
		{[]string{"--concurrency", "0"}, "--concurrency must be from 1 to 256, got 0"},
		{[]string{"--min-interval", "-1s"}, "--min-interval must be from 0"},
		{[]string{"--min-interval", "soon"}, `invalid argument "soon"`},
		{[]string{"--trust", "windows"}, `invalid --trust "windows"`},
		{[]string{"--ca-file", filepath.Join(dir, "none.pem")}, "--ca-file: "},
		{[]string{"--config", filepath.Join(dir, "none.yml")}, "no such file"},
		{[]string{"--config", badYAML}, `line 4: invalid fail_on "sometimes"`},
		{[]string{"extra"}, `unknown command "extra"`},
	} {
		ios, out, errOut := streams(false, false)
		code := Main(append([]string{"serve"}, tt.args...), ios)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", tt.args, code, ExitUsage)
		}
		lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "wacheck: ") || !strings.Contains(lines[0], tt.want) ||
			!strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%v: stderr %q, want one line with %q and a hint", tt.args, errOut.String(), tt.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout %q", tt.args, out.String())
		}
	}
}

func TestServeFlagsFillConfig(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	cfgFile := filepath.Join(t.TempDir(), "wacheck.yml")
	if err := os.WriteFile(cfgFile, []byte("modules:\n  strict:\n    fail_on: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var got *ServeOptions
	ios, _, _ := streams(false, false)
	cmd := newServeCmd(ios, func(_ context.Context, o *ServeOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--config", cfgFile, "--ca-file", root, "--concurrency", "3", "--min-interval", "0"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg := got.Config
	if cfg.Listen != "127.0.0.1:0" || cfg.Concurrency != 3 || cfg.MinInterval != 0 || cfg.Roots == nil ||
		cfg.Roots.Name != "file:"+root {
		t.Errorf("config = %+v", cfg)
	}
	if m := cfg.Modules["strict"]; m == nil || m.FailOn != "warn" {
		t.Errorf("the config file's module: %+v", m)
	}
	if cfg.Modules["meta"] == nil {
		t.Error("no built-in meta module")
	}

	// The defaults.
	cmd = newServeCmd(ios, func(_ context.Context, o *ServeOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg = got.Config
	if cfg.Listen != ":9116" || cfg.Concurrency != exporter.DefaultConcurrency || cfg.MinInterval != 10*time.Second ||
		cfg.Roots.Name != "mozilla" || len(cfg.Modules) != len(exporter.BuiltinModules()) {
		t.Errorf("defaults: %+v", cfg)
	}
}

// TestServeProbesAndStops runs wacheck serve, scrapes a loopback TLS
// server through it and stops it with SIGTERM: exit 0, at once.
func TestServeProbesAndStops(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	good := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	root := c.WriteRootPEM(t, "")
	var errOut syncBuffer
	ios := &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &errOut}
	exited := make(chan int, 1)
	go func() {
		exited <- Main([]string{"serve", "--listen", "127.0.0.1:0", "--ca-file", root}, ios)
	}()
	serving := regexp.MustCompile(`serving on http://(127\.0\.0\.1:\d+) `)
	var addr string
	for deadline := time.Now().Add(5 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := serving.FindStringSubmatch(errOut.String()); m != nil {
			addr = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 5s: %q", errOut.String())
		}
	}
	resp, err := http.Get("http://" + addr + "/probe?" + url.Values{"target": {good}, "module": {"meta"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "\nwacheck_probe_success 1\n") ||
		!strings.Contains(string(body), `wacheck_check_status{address="`+good+`",check="chain.trusted"} 0`) {
		t.Errorf("probe answer %d:\n%s", resp.StatusCode, body)
	}

	start := time.Now()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != ExitOK {
			t.Errorf("exit %d after SIGTERM, want 0; stderr %q", code, errOut.String())
		}
	case <-time.After(serveGrace + 2*time.Second):
		t.Fatal("still serving after SIGTERM")
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("shutdown took %s with nothing in flight", took)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after the shutdown")
	}
}

// TestServePortInUse: a port another process holds is a runtime error,
// exit 1, with a hint.
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ios, _, errOut := streams(false, false)
	if code := Main([]string{"serve", "--listen", ln.Addr().String()}, ios); code != ExitFindings {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "listen on "+ln.Addr().String()) || !strings.Contains(errOut.String(), "hint: ") {
		t.Errorf("stderr %q", errOut.String())
	}
}

// webConfigDir writes a server certificate for 127.0.0.1 and its key, a
// client CA, and web.yml with config (its paths relative to the dir).
func webConfigDir(t *testing.T, c *testpki.Chain, config string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"server.pem": testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER),
		"server.key": c.Leaf.KeyPEM(t),
		"ca.pem":     c.RootPEM(),
		"web.yml":    []byte(config),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "web.yml")
}

// TestServeWebConfigErrors: a web config file that cannot be used is a
// usage error at start: exit 2, one line naming the file (and the line),
// and a hint.
func TestServeWebConfigErrors(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	tlsCfg := "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
	for _, tt := range []struct {
		name, config, want, hint string
	}{
		{"missing key file", "tls_server_config:\n  cert_file: server.pem\n  key_file: gone.key\n",
			"line 3: key_file ", "key_file its PEM private key"},
		{"bad YAML key", tlsCfg + "  client_auth: RequireAndVerifyClientCert\n", `line 4: unknown key "client_auth"`,
			"docs/cli.md#web-config"},
		{"bad bcrypt hash", "basic_auth_users:\n  prometheus: plaintext\n", "line 2: user \"prometheus\": the password is not a bcrypt hash",
			"htpasswd -nBC 10"},
		{"unknown client_auth_type", tlsCfg + "  client_auth_type: Always\n", `line 4: invalid client_auth_type "Always"`,
			"docs/cli.md#web-config"},
		{"oversize file", "# " + strings.Repeat("x", 64<<10) + "\n", "larger than 64 KiB", "docs/cli.md#web-config"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := webConfigDir(t, c, tt.config)
			ios, out, errOut := streams(false, false)
			code := Main([]string{"serve", "--listen", "127.0.0.1:0", "--web-config", file}, ios)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "wacheck: web config "+file+": ") ||
				!strings.Contains(lines[0], tt.want) || !strings.HasPrefix(lines[1], "hint: ") || !strings.Contains(lines[1], tt.hint) {
				t.Errorf("stderr %q, want one line with %q and a hint with %q", errOut.String(), tt.want, tt.hint)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
	ios, _, errOut := streams(false, false)
	if code := Main([]string{"serve", "--web-config", filepath.Join(t.TempDir(), "none.yml")}, ios); code != ExitUsage ||
		!strings.Contains(errOut.String(), "none.yml: no such file\nhint: ") {
		t.Errorf("a missing web config: exit %d, %q", code, errOut.String())
	}
}

// TestServeWebConfig runs wacheck serve --web-config with TLS and a user:
// it says https, answers 401 without the password and probes with it.
func TestServeWebConfig(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	good := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	web := webConfigDir(t, c, "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\nbasic_auth_users:\n  prometheus: "+
		string(hash)+"\n")
	root := filepath.Join(filepath.Dir(web), "ca.pem")
	var errOut syncBuffer
	ios := &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &errOut}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	ready := make(chan string, 1)
	go func() {
		cmd := newServeCmd(ios, func(_ context.Context, o *ServeOptions) error {
			o.Ready = func(addr string) { ready <- addr }
			return runServe(ctx, o)
		})
		cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--ca-file", root, "--web-config", web})
		if err := cmd.Execute(); err != nil {
			exited <- 1
			return
		}
		exited <- 0
	}()
	var addr string
	select {
	case addr = <-ready:
	case code := <-exited:
		t.Fatalf("exited %d: %q", code, errOut.String())
	case <-time.After(5 * time.Second):
		t.Fatalf("not serving after 5s: %q", errOut.String())
	}
	if !strings.Contains(errOut.String(), "serving on https://"+addr+" ") {
		t.Errorf("start line %q, want https://%s", errOut.String(), addr)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Pool()}}}
	probeURL := "https://" + addr + "/probe?" + url.Values{"target": {good}, "module": {"meta"}}.Encode()
	get := func(user, password string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, probeURL, nil)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, string(body)
	}
	if code, body := get("prometheus", "wrong"); code != http.StatusUnauthorized || strings.Contains(body, "wacheck_probe") {
		t.Errorf("a wrong password: %d\n%s", code, body)
	}
	if code, body := get("prometheus", "s3cret"); code != 200 || !strings.Contains(body, "\nwacheck_probe_success 1\n") {
		t.Errorf("the right password: %d\n%s", code, body)
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit %d: %q", code, errOut.String())
		}
	case <-time.After(serveGrace + 2*time.Second):
		t.Fatal("still serving after cancel")
	}
}
