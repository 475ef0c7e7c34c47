package main

// Ctrl-C (SIGINT) and SIGTERM end any phase within a second: the partial
// report is printed and the exit code is 128 + the signal's number.

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testdns"
	"github.com/wacheck/wacheck/internal/testpki"
)

// interrupt starts the binary with args, sends sig once it is busy (after
// wait), and returns what it printed, its exit code and how long it took
// to end after the signal.
func interrupt(t *testing.T, sig syscall.Signal, wait time.Duration, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("still running 10 s after %v", sig)
	}
	took = time.Since(start)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	}
	if strings.Contains(errOut.String(), "goroutine ") || strings.Contains(errOut.String(), "panic:") {
		t.Fatalf("stack trace on stderr:\n%s", errOut.String())
	}
	return out.String(), errOut.String(), code, took
}

func TestSignalsEndAnyPhase(t *testing.T) {
	silent := testpki.StartSilent(t)
	_, port, _ := net.SplitHostPort(silent)
	dns := testdns.Start(t, testdns.Zone{"dropped.test.": {Drop: true}})
	phases := []struct {
		name  string
		args  []string
		words string // what the partial report says
	}{
		{"handshake", []string{"probe", "localhost:" + port, "--resolve", "localhost:" + port + ":127.0.0.1",
			"--timeout", "60s"}, "interrupted during the handshake"},
		{"DNS", []string{"probe", "dropped.test", "--resolver", dns.Addr(), "--timeout", "60s"},
			"interrupted during DNS resolution"},
	}
	for _, ph := range phases {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(ph.name+" "+sig.String(), func(t *testing.T) {
				t.Parallel()
				for _, format := range []string{"text", "json"} {
					stdout, stderr, code, took := interrupt(t, sig, 700*time.Millisecond, append(ph.args, "--format", format)...)
					if took > time.Second {
						t.Errorf("%s: ended %s after %v, want within 1 s", format, took, sig)
					}
					if want := 128 + int(sig); code != want {
						t.Errorf("%s: exit %d, want %d", format, code, want)
					}
					lines := strings.Split(strings.TrimSpace(stderr), "\n")
					if len(lines) != 1 || !strings.Contains(lines[0], "interrupted ("+sig.String()+")") ||
						!strings.Contains(lines[0], "the report above is partial") {
						t.Errorf("%s: stderr = %q", format, stderr)
					}
					if format == "json" {
						validateReport(t, []byte(stdout))
					}
					if !strings.Contains(stdout, ph.words) {
						t.Errorf("%s: the partial report does not say %q:\n%s", format, ph.words, stdout)
					}
				}
			})
		}
	}
}
