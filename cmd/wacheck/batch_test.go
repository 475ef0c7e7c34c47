package main

// Many targets in one run (wacheck probe A B C, --targets FILE): the file's
// syntax, the shared connection budget, the exit code of the worst target,
// and the batch JSON, JSON Lines and JUnit shapes.

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/conntrack"
	"github.com/wacheck/wacheck/internal/reportcheck"
	"github.com/wacheck/wacheck/internal/testpki"
)

// runPlain runs the binary (after shell, when set, in sh) and refuses a
// stack trace on stderr; runBinary adds its single-report JSON checks,
// which a batch document (not a report) does not pass.
func runPlain(t *testing.T, shell string, args ...string) result {
	t.Helper()
	var cmd *exec.Cmd
	if shell != "" {
		cmd = exec.Command("sh", append([]string{"-c", shell + ` && exec "$0" "$@"`, binary}, args...)...)
	} else {
		cmd = exec.Command(binary, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running wacheck: %v", err)
	}
	if strings.Contains(res.stderr, "goroutine ") || strings.Contains(res.stderr, "panic:") {
		t.Fatalf("stack trace on stderr:\n%s", res.stderr)
	}
	return res
}

// batchSchema compiles docs/schema/batch.v2.json, whose reports refer to
// report.v2.json by its $id.
func batchSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	sch, err := reportcheck.BatchSchema("../../docs/schema", true)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

type batchReport struct {
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Target struct {
		Input string `json:"input"`
		SNI   string `json:"sni"`
	} `json:"target"`
	Checks []struct{ ID, Status, Detail string } `json:"checks"`
}

func (r batchReport) status(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "missing"
}

// TestTargetsFile: comments, blank lines and a per-line --sni are read; the
// exit code is the worst target's; the summary puts the worst first; the
// JSON is one batch document valid against its schema, JSON Lines one
// report a line valid against report.v2.json, JUnit one suite per target.
func TestTargetsFile(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	good := serve(t, c.TLSCertificate(c.Intermediate.DER))
	leafOnly := serve(t, c.TLSCertificate())
	_, goodPort, _ := net.SplitHostPort(good)
	_, badPort, _ := net.SplitHostPort(leafOnly)
	file := filepath.Join(t.TempDir(), "targets.txt")
	text := "# endpoints\n\n" +
		"127.0.0.1:" + goodPort + " --sni localhost   # by address, named by --sni\n" +
		"  localhost:" + badPort + " --resolve localhost:" + badPort + ":127.0.0.1\n" +
		"#localhost:1\n"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"probe", "--targets", file, "--ca-file", root, "--enumerate=false", "--timeout", "10s"}

	res := runPlain(t, "", append(base, "--format", "json")...)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (the leaf-only target fails):\n%s", res.code, res.stderr)
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(res.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := batchSchema(t).Validate(inst); err != nil {
		t.Errorf("the batch does not validate against batch.v2.json: %v", err)
	}
	var doc struct {
		SchemaVersion int           `json:"schema_version"`
		Kind          string        `json:"kind"`
		Reports       []batchReport `json:"reports"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 2 || doc.Kind != "batch" || len(doc.Reports) != 2 {
		t.Fatalf("schema_version %d, kind %q, %d reports; want 2, batch, 2", doc.SchemaVersion, doc.Kind, len(doc.Reports))
	}
	first, second := doc.Reports[0], doc.Reports[1]
	if first.Target.SNI != "localhost" || first.status("tls.handshake") != "pass" || first.status("chain.complete") != "pass" {
		t.Errorf("first target (by IP, --sni localhost): sni %q, tls.handshake %s, chain.complete %s",
			first.Target.SNI, first.status("tls.handshake"), first.status("chain.complete"))
	}
	if second.Status != "fail" || second.status("chain.complete") != "fail" {
		t.Errorf("second target (leaf only): status %s, chain.complete %s", second.Status, second.status("chain.complete"))
	}

	// --fail-on never: the worst target no longer fails the run.
	if res := runPlain(t, "", append(base, "--format", "json", "--fail-on", "never")...); res.code != 0 {
		t.Errorf("--fail-on never: exit %d", res.code)
	}

	// JSON Lines: one report a line, each valid on its own.
	jl := runPlain(t, "", append(base, "--format", "jsonl")...)
	lines := strings.Split(strings.TrimSuffix(jl.stdout, "\n"), "\n")
	if jl.code != 1 || len(lines) != 2 {
		t.Fatalf("jsonl: exit %d, %d lines, want 1 and 2:\n%s", jl.code, len(lines), jl.stdout)
	}
	for _, l := range lines {
		validateReport(t, []byte(l))
	}

	// Text: each report, then the summary, worst first.
	tx := runPlain(t, "", append(base, "--format", "text", "--summary-only")...)
	sum := tx.stdout
	if !strings.HasPrefix(sum, "SUMMARY  2 targets, worst first\n") {
		t.Fatalf("--summary-only does not print only the summary:\n%s", sum)
	}
	fail := strings.Index(sum, "FAIL   localhost:"+badPort)
	ok := strings.Index(sum, "127.0.0.1:"+goodPort)
	if fail < 0 || ok < 0 || fail > ok || !strings.Contains(sum, "(chain.complete)") {
		t.Errorf("the summary does not list the failing target first, with its cause:\n%s", sum)
	}
	if err := reportcheck.TextWidth([]byte(sum), 80); err != nil {
		t.Error(err)
	}
	full := runPlain(t, "", append(base, "--format", "text")...)
	if n := strings.Count(full.stdout, "wacheck dev — "); n != 2 || !strings.HasSuffix(full.stdout, sum) {
		t.Errorf("the text has %d reports, or does not end with the summary:\n%s", n, full.stdout)
	}

	// JUnit: one suite per target, valid against the JUnit content model.
	out := filepath.Join(t.TempDir(), "wacheck.xml")
	ju := runPlain(t, "", append(base, "--format", "text", "--summary-only", "--output", "junit="+out)...)
	xml, err := os.ReadFile(out)
	if err != nil || ju.code != 1 {
		t.Fatalf("junit output: exit %d, %v", ju.code, err)
	}
	if _, err := reportcheck.JUnit(xml); err != nil {
		t.Errorf("the JUnit does not validate: %v", err)
	}
	if n := strings.Count(string(xml), "<testsuite "); n != 2 {
		t.Errorf("%d testsuites, want one per target", n)
	}

	// Markdown: the summary table and each report, read by a real parser.
	md := runPlain(t, "", append(base, "--format", "markdown")...)
	if err := reportcheck.Markdown([]byte(md.stdout)); err != nil {
		t.Errorf("the Markdown does not parse as intended: %v", err)
	}

	// Several targets as arguments: the same run.
	args := runPlain(t, "", "probe", "127.0.0.1:"+goodPort, "localhost:"+badPort, "--sni", "localhost",
		"--resolve", "localhost:"+badPort+":127.0.0.1", "--ca-file", root, "--enumerate=false", "--format", "jsonl")
	if n := strings.Count(args.stdout, "\n"); args.code != 1 || n != 2 {
		t.Errorf("two targets as arguments: exit %d, %d lines", args.code, n)
	}
}

// TestTargetsFileErrors: a line that does not parse stops the run before
// anything is probed: exit 2, the file and line number, and a hint.
func TestTargetsFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown flag", "a.example\n# fine\nb.example --bogus\n", ":3: unknown flag: --bogus"},
		{"two targets", "a.example b.example\n", ":1: 2 targets on one line"},
		{"bad --resolve", "\na.example --resolve a.example:443:nope\n", `:2: --resolve "a.example:443:nope"`},
		{"--resolve for another name", "a.example --resolve b.example:443:127.0.0.1\n", ":1: --resolve does not match the target a.example:443"},
		{"bad port", "ok.example\na.example:99999\n", ":2: "},
		{"bad --address", "a.example --address x\n", `:1: invalid --address "x"`},
		{"no target", "# nothing\n\n", "names no target"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "targets.txt")
			if err := os.WriteFile(file, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			res := runPlain(t, "", "probe", "--targets", file)
			if res.code != 2 || !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, "\nhint: ") || res.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want 2, %q and a hint", res.code, res.stderr, res.stdout, tc.want)
			}
			if tc.want != "names no target" && !strings.Contains(res.stderr, "targets.txt:") {
				t.Errorf("stderr does not name the file and line: %q", res.stderr)
			}
		})
	}
	if res := runPlain(t, "", "probe", "--targets", t.TempDir()); res.code != 2 || !strings.Contains(res.stderr, "not a regular file") {
		t.Errorf("a directory as --targets: exit %d, %q", res.code, res.stderr)
	}
	if res := runPlain(t, "", "probe", "a.example", "b.example", "--save-chain", "x.pem"); res.code != 2 {
		t.Errorf("--save-chain with two targets: exit %d, %q", res.code, res.stderr)
	}
}

// TestThousandTargetsOneBudget: 1,000 targets, each its own name pinned to
// one of four loopback TLS servers, probed 64 at a time within one budget
// of 4 connections, under a file-descriptor limit of 128 the binary cannot
// raise: every target completes its handshake, and the servers never see
// more connections at once than the budget allows. --enumerate=false keeps
// the run short; the enumeration draws on the same budget.
func TestThousandTargetsOneBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 probes")
	}
	const n, concurrency = 1000, 4
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"*.batch.test"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2", "http/1.1"}}
	ips := []string{"127.0.41.1", "127.0.41.2", "127.0.41.3", "127.0.41.4"}
	port := testpki.FreePort(t, ips...)
	var all conntrack.Gauge
	for _, ip := range ips {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		testpki.ServeTLS(t, all.Listener(ln), cfg)
	}
	var b strings.Builder
	for i := range n {
		name := fmt.Sprintf("t%04d.batch.test:%d", i, port)
		fmt.Fprintf(&b, "%s --resolve %s:%s\n", name, name, ips[i%len(ips)])
	}
	file := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runPlain(t, "ulimit -n 128", "probe", "--targets", file, "--ca-file", root, "--enumerate=false",
		"--concurrency", strconv.Itoa(concurrency), "--parallel", "64", "--timeout", "60s", "--format", "jsonl")
	lines := strings.Split(strings.TrimSuffix(res.stdout, "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("exit %d, %d reports, want %d:\n%s", res.code, len(lines), n, res.stderr)
	}
	seen := map[string]bool{}
	for i, l := range lines {
		var r batchReport
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		seen[r.Target.Input] = true
		for _, id := range []string{"connect.tcp", "tls.handshake", "chain.complete", "tls.hostname"} {
			if st := r.status(id); st != "pass" && id != "tls.hostname" || st == "fail" {
				t.Errorf("%s: %s = %s", r.Target.Input, id, st)
			}
		}
		if i == 0 {
			validateReport(t, []byte(l))
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct targets reported, want %d", len(seen), n)
	}
	// As in TestManyAddressesOneBudget, a server sees a closed connection
	// a moment after the client closed it; without one shared budget the
	// 64 targets probed at once would open 64 strict handshakes together.
	if got := all.Peak(); got > 3*concurrency {
		t.Errorf("the servers saw %d connections at once with --concurrency %d", got, concurrency)
	}
	if all.Total() < 2*n {
		t.Errorf("the servers saw %d connections in all, fewer than two per target", all.Total())
	}
}
