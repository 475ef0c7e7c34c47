package testpki

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RequireEnv is the variable CI sets so that a test whose server program is
// missing fails instead of skipping.
const RequireEnv = "WACHECK_REQUIRE_INTEGRATION"

// RequireBinary returns the path of a program, looking in PATH and in the
// sbin directories (not in a normal user's PATH on Debian, where nginx,
// apache2 and haproxy live), or skips the test when it is not installed —
// unless RequireEnv is "1" (CI), where it fails the test: CI installs every
// program the tests drive, so a skip there hides a gap.
func RequireBinary(tb testing.TB, name string) string {
	tb.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	SkipOrFail(tb, name+" is not installed (not in PATH or sbin): run `make integration-deps` as root to install it")
	return ""
}

// SkipOrFail skips the test with why, or fails it when RequireEnv is "1".
func SkipOrFail(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatalf("%s (%s=1: CI must run this test)", why, RequireEnv)
	}
	tb.Skip(why)
}

// StartRaw runs serve on every connection to a fresh 127.0.0.1 port and
// returns the address; connections have a deadline and are closed at
// Cleanup.
func StartRaw(tb testing.TB, serve func(net.Conn)) string {
	tb.Helper()
	return startRaw(tb, serve)
}

// StartOpenSSL runs `openssl s_server -www` with the given certificate and
// key (PEM) and extra arguments on a free 127.0.0.1 port, waits until it
// accepts connections and returns its address. It is killed at Cleanup.
func StartOpenSSL(tb testing.TB, certPEM, keyPEM []byte, args ...string) string {
	tb.Helper()
	bin := RequireBinary(tb, "openssl")
	dir := tb.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		tb.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(tb, "127.0.0.1")))
		cmd := exec.Command(bin, append([]string{"s_server", "-accept", addr,
			"-cert", certFile, "-key", keyFile, "-www", "-quiet"}, args...)...)
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			tb.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() { cmd.Process.Kill(); <-exited }
		if WaitListening(addr, exited, 10*time.Second) {
			tb.Cleanup(stop)
			return addr
		}
		stop()
		if attempt == 2 || !strings.Contains(output.String(), "in use") {
			tb.Fatalf("openssl s_server %s did not start:\n%s", strings.Join(args, " "), output.String())
		}
	}
}

// WaitListening polls addr until it accepts a connection, exited is closed
// (the server died), or timeout passes.
func WaitListening(addr string, exited <-chan struct{}, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
