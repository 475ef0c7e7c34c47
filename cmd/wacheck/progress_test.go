//go:build linux

package main

// The progress bar of a run of many targets, seen through a real
// pseudo-terminal: drawn on stderr when it is a terminal, and ended (the
// line cleared) before the run exits; never drawn when stderr is not a
// terminal, and never on stdout.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wacheck/wacheck/internal/testpki"
)

// openPTY opens a pseudo-terminal pair by hand (posix_openpt, unlockpt,
// ptsname), 80 columns wide: the terminal side is what the child writes
// to, the controller side what a terminal emulator would read.
func openPTY(t *testing.T) (controller, terminal *os.File) {
	t.Helper()
	controller, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(controller.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	terminal, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the terminal side: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(terminal.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
		t.Fatalf("set the window size: %v", err)
	}
	t.Cleanup(func() { controller.Close(); terminal.Close() })
	return controller, terminal
}

// progressTargets are three healthy loopback targets and the flags that
// probe them quickly.
func progressTargets(t *testing.T) []string {
	t.Helper()
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	args := []string{"probe"}
	for range 3 {
		args = append(args, serve(t, c.TLSCertificate(c.Intermediate.DER)))
	}
	return append(args, "--sni", "localhost", "--ca-file", root, "--enumerate=false", "--format", "jsonl")
}

// barCount is the bar's count of targets done (throttled, the bar may not
// be drawn again before it is cleared: any count will do).
var barCount = regexp.MustCompile(`\([0-3]/3\)`)

// barCleared is the end of a bar drawn with OptionClearOnFinish: the line
// overwritten with spaces (or erased with ESC [2K) and the cursor back at
// its start.
var barCleared = regexp.MustCompile(`(\r +\r|\x1b\[2K\r)$`)

func TestProgressBarOnATerminal(t *testing.T) {
	controller, terminal := openPTY(t)
	cmd := exec.Command(binary, progressTargets(t)...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, terminal
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	terminal.Close() // the child holds its own copy: EOF (EIO) once it exits
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(controller) // ends with EIO when the child's side closes
		read <- b
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	var seen []byte
	select {
	case seen = <-read:
	case <-time.After(10 * time.Second):
		t.Fatal("the terminal side was not closed after the run")
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("exit %d; terminal:\n%q", cmd.ProcessState.ExitCode(), seen)
	}
	out := string(seen)
	last := strings.LastIndex(out, "probing")
	if last < 0 || !barCount.MatchString(out) {
		t.Fatalf("no progress bar (\"probing\", \"(N/3)\") on the terminal:\n%q", out)
	}
	// The bar's last drawing is followed by its clearing, and nothing else:
	// the terminal's line is left empty for the shell's prompt.
	if !barCleared.MatchString(out[last:]) {
		t.Errorf("the bar was not cleared at the end; after its last drawing the terminal got:\n%q", out[last:])
	}
	if s := stdout.String(); strings.Count(s, "\n") != 3 || strings.ContainsAny(s, "\r\x1b") || strings.Contains(s, "probing") {
		t.Errorf("stdout carries more than the 3 reports (JSON Lines):\n%q", s)
	}
}

func TestNoProgressBarOffATerminal(t *testing.T) {
	res := runPlain(t, "", progressTargets(t)...)
	if res.code != 0 {
		t.Fatalf("exit %d:\n%s", res.code, res.stderr)
	}
	if strings.Contains(res.stderr, "probing") || strings.ContainsAny(res.stderr, "\r\x1b█") {
		t.Errorf("stderr is a pipe, yet it got bar bytes:\n%q", res.stderr)
	}
	if strings.Count(res.stdout, "\n") != 3 || strings.ContainsAny(res.stdout, "\r\x1b") {
		t.Errorf("stdout:\n%q", res.stdout)
	}
}
