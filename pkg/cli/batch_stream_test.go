package cli

// A run of many targets with --format jsonl streams its lines: each
// target's line is on stdout as soon as it and the targets before it are
// done, in the targets' order, byte for byte what WriteBatch writes.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/checks"
)

// syncWriter is stdout shared by the run's goroutines and the test: every
// write is recorded under a lock and announced on wrote.
type syncWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newSyncWriter() *syncWriter { return &syncWriter{wrote: make(chan struct{}, 1)} }

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	n, err := w.buf.Write(p)
	w.mu.Unlock()
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitLines waits until w holds n lines, failing the test after 30s.
func (w *syncWriter) waitLines(t *testing.T, n int) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if s := w.String(); strings.Count(s, "\n") >= n {
			return s
		}
		select {
		case <-w.wrote:
		case <-timeout:
			t.Fatalf("no %d lines on stdout after 30s: %q", n, w.String())
		}
	}
}

// gatedTLS is a loopback TLS server whose handshakes wait, after the
// ClientHello, until release is called; entered is closed at the first
// one. Test cleanup releases it before the server closes.
func gatedTLS(t *testing.T, cert tls.Certificate) (addr string, entered <-chan struct{}, release func()) {
	t.Helper()
	gate, in := make(chan struct{}), make(chan struct{})
	var inOnce, relOnce sync.Once
	addr = testpki.StartTLS(t, &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			inOnce.Do(func() { close(in) })
			<-gate
			return nil, nil
		},
	})
	release = func() { relOnce.Do(func() { close(gate) }) }
	t.Cleanup(release) // runs before StartTLS's cleanup waits for the handshakes
	return addr, in, release
}

// batchOf builds a run of many targets from command-line arguments, as
// newProbeCmd's RunE does, with ios as its streams.
func batchOf(t *testing.T, ios *IOStreams, args ...string) *batchRun {
	t.Helper()
	o := &ProbeOptions{IO: ios, Thresholds: checks.DefaultThresholds()}
	var f probeFlags
	var bf batchFlags
	cmd := &cobra.Command{Use: "probe"}
	o.addFlags(cmd, &f)
	bf.addFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	b, err := o.completeBatch(cmd.Flags().Args(), f, bf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// targetsFile writes one "127.0.0.1:PORT --sni localhost" line per address.
func targetsFile(t *testing.T, addrs ...string) string {
	t.Helper()
	var text strings.Builder
	text.WriteString("# loopback servers\n")
	for _, a := range addrs {
		_, port, _ := net.SplitHostPort(a)
		text.WriteString("127.0.0.1:" + port + " --sni localhost\n")
	}
	path := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(path, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

type streamedLine struct {
	Target struct {
		Input string `json:"input"`
	} `json:"target"`
	Tool struct {
		Name string `json:"name"`
	} `json:"tool"`
	Settings struct {
		FailOn       string `json:"fail_on"`
		Sender       string `json:"sender"`
		Trust        string `json:"trust"`
		RootsSkipped int    `json:"roots_skipped"`
	} `json:"settings"`
}

func parseLines(t *testing.T, out string) []streamedLine {
	t.Helper()
	var lines []streamedLine
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var sl streamedLine
		if err := json.Unmarshal([]byte(l), &sl); err != nil {
			t.Fatalf("not a JSON line: %v\n%s", err, l)
		}
		lines = append(lines, sl)
	}
	return lines
}

func inputOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return "127.0.0.1:" + port
}

// TestBatchJSONLStreams: with the second target's handshake held by its
// server, the first target's line is already on stdout; once released the
// second follows, in the targets' order. The settings filled in after a
// probe (tool, fail-on, trust, and roots_skipped from the one trust store)
// are on every line, the first too, and the note about skipped roots is
// printed once. An --output jsonl file, written whole at the end by
// WriteBatch from the same reports, is byte for byte what was streamed,
// and an --output json file is one complete batch document.
func TestBatchJSONLStreams(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	fast := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	slow, entered, release := gatedTLS(t, c.TLSCertificate(c.Intermediate.DER))
	dir := t.TempDir()
	jsonlFile, jsonFile := filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "out.json")

	out := newSyncWriter()
	var errOut bytes.Buffer
	ios := &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &errOut}
	b := batchOf(t, ios, "--targets", targetsFile(t, fast, slow), "--ca-file", root, "--enumerate=false",
		"--timeout", "60s", "--format", "jsonl", "--fail-on", "never",
		"--output", "jsonl="+jsonlFile, "--output", "json="+jsonFile)
	// As --trust system does when the OS root files hold damaged
	// certificates: every target is judged against this one store.
	b.o.Roots.Skipped = 2

	errc := make(chan error, 1)
	go func() { errc <- b.run(context.Background()) }()

	first := out.waitLines(t, 1)
	select {
	case <-entered:
	default:
		t.Fatal("the first line is out but the second target's server saw no handshake")
	}
	select {
	case err := <-errc:
		t.Fatalf("the run ended (%v) while the second target's handshake was held", err)
	default:
	}
	if got := parseLines(t, first); len(got) != 1 || got[0].Target.Input != inputOf(fast) {
		t.Fatalf("before the slow target is done, stdout = %q; want the first target's line alone", first)
	}
	if _, err := os.Stat(jsonlFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the --output file exists before the run ends (%v): it must be written whole at the end", err)
	}

	release()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	all := out.String()
	if !strings.HasPrefix(all, first) {
		t.Errorf("the first line changed after it was written:\n%q\n%q", first, all)
	}
	lines := parseLines(t, all)
	if len(lines) != 2 || lines[0].Target.Input != inputOf(fast) || lines[1].Target.Input != inputOf(slow) {
		t.Fatalf("lines = %+v, want the two targets in the file's order", lines)
	}
	for i, l := range lines {
		if l.Tool.Name != "wacheck" || l.Settings.FailOn != "never" || l.Settings.Trust != "file" ||
			l.Settings.Sender != "meta" || l.Settings.RootsSkipped != 2 {
			t.Errorf("line %d: settings not filled in: %+v", i+1, l)
		}
	}
	if n := strings.Count(errOut.String(), "2 damaged certificates"); n != 1 {
		t.Errorf("the roots note is printed %d times, want once:\n%s", n, errOut.String())
	}

	file, err := os.ReadFile(jsonlFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, []byte(all)) {
		t.Errorf("streamed stdout differs from WriteBatch's jsonl of the same reports:\nstdout: %q\nfile:   %q", all, file)
	}
	var doc struct {
		Kind    string         `json:"kind"`
		Reports []streamedLine `json:"reports"`
	}
	data, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &doc); err != nil || doc.Kind != "batch" || len(doc.Reports) != 2 ||
		doc.Reports[0].Target.Input != inputOf(fast) || doc.Reports[1].Settings.RootsSkipped != 2 {
		t.Errorf("--output json: %v, %+v", err, doc)
	}
}

// TestBatchJSONLOrder: the first target slow, the second fast: nothing is
// on stdout while the first is held, and the lines come out in the
// targets' order, not the order they finished in.
func TestBatchJSONLOrder(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	slow, entered, release := gatedTLS(t, c.TLSCertificate(c.Intermediate.DER))
	fast := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})

	out := newSyncWriter()
	ios := &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &bytes.Buffer{}}
	b := batchOf(t, ios, "--targets", targetsFile(t, slow, fast), "--ca-file", root, "--enumerate=false",
		"--timeout", "60s", "--format", "jsonl", "--fail-on", "never")
	errc := make(chan error, 1)
	go func() { errc <- b.run(context.Background()) }()
	<-entered
	if s := out.String(); s != "" {
		t.Errorf("stdout before the first target is done: %q", s)
	}
	release()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := parseLines(t, out.String())
	if len(lines) != 2 || lines[0].Target.Input != inputOf(slow) || lines[1].Target.Input != inputOf(fast) {
		t.Fatalf("lines = %+v, want the slow first target first", lines)
	}
}

// TestBatchJSONLInterrupted: a run cancelled after the first line is out
// keeps that line as written, leaves out the target that never started,
// and ends as an interrupted run does; a run cancelled before any target
// starts writes nothing and has no report.
func TestBatchJSONLInterrupted(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	fast := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	slow, entered, _ := gatedTLS(t, c.TLSCertificate(c.Intermediate.DER))
	never := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	file := targetsFile(t, fast, slow, never)

	t.Run("after the first line", func(t *testing.T) {
		out := newSyncWriter()
		ios := &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &bytes.Buffer{}}
		// --parallel 1: the third target waits for the held second.
		b := batchOf(t, ios, "--targets", file, "--ca-file", root, "--enumerate=false",
			"--timeout", "60s", "--format", "jsonl", "--parallel", "1")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errc := make(chan error, 1)
		go func() { errc <- b.run(ctx) }()
		first := out.waitLines(t, 1)
		<-entered
		cancel()
		err := <-errc
		var ie *InterruptedError
		if !errors.As(err, &ie) || ie.NoReport {
			t.Fatalf("err = %v, want an InterruptedError with the report above", err)
		}
		if code := exitCode(err, &bytes.Buffer{}); code != ExitInterrupted {
			t.Errorf("exit %d, want %d", code, ExitInterrupted)
		}
		all := out.String()
		if !strings.HasPrefix(all, first) {
			t.Errorf("the streamed line is gone or changed:\n%q\n%q", first, all)
		}
		lines := parseLines(t, all)
		if len(lines) == 0 || lines[0].Target.Input != inputOf(fast) {
			t.Fatalf("lines = %+v, want the first target's first", lines)
		}
		for _, l := range lines {
			if l.Target.Input == inputOf(never) {
				t.Errorf("the target that never started has a line: %+v", l)
			}
		}
	})
	t.Run("before any target", func(t *testing.T) {
		out := newSyncWriter()
		ios := &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &bytes.Buffer{}}
		b := batchOf(t, ios, "--targets", file, "--ca-file", root, "--enumerate=false", "--format", "jsonl")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := b.run(ctx)
		var ie *InterruptedError
		if !errors.As(err, &ie) || !ie.NoReport {
			t.Errorf("err = %v, want an InterruptedError with no report", err)
		}
		if s := out.String(); s != "" {
			t.Errorf("stdout = %q, want nothing", s)
		}
	})
}

// failWriter fails every write.
type failWriter struct{ n int }

func (w *failWriter) Write([]byte) (int, error) { w.n++; return 0, errors.New("broken pipe") }

// TestBatchJSONLWriteError: stdout that cannot be written ends the run
// with the error writing the report, after one attempt.
func TestBatchJSONLWriteError(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	a := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	bad := &failWriter{}
	ios := &IOStreams{In: strings.NewReader(""), Out: bad, ErrOut: &bytes.Buffer{}}
	b := batchOf(t, ios, "--targets", targetsFile(t, a, a, a), "--ca-file", root, "--enumerate=false",
		"--format", "jsonl", "--parallel", "1")
	err := b.run(context.Background())
	var rt *RuntimeError
	if !errors.As(err, &rt) || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("err = %v, want a RuntimeError writing the report", err)
	}
	if bad.n != 1 {
		t.Errorf("%d writes after the first failed, want none", bad.n-1)
	}
}
