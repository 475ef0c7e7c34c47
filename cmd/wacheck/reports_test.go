package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// TestOutputFiles: one run writes the checklist to stdout and the JSON,
// JUnit and Markdown reports to files (CI no longer probes twice), all of
// the same run, and exits by --fail-on.
func TestOutputFiles(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	addr := serve(t, c.TLSCertificate()) // the leaf alone: chain.complete fails
	dir := t.TempDir()
	js, ju, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.xml"), filepath.Join(dir, "r.md")
	args := textArgs(probeArgs(t, addr, root, "--output", "json="+js, "--output", "junit="+ju, "--output", "markdown="+md,
		"--fail-on", "warn"))
	res := runBinary(t, args...)
	if res.code != 1 {
		t.Errorf("exit %d, want 1 (--fail-on warn, chain incomplete)\n%s", res.code, res.stderr)
	}
	if !strings.HasPrefix(res.stdout, "FAIL  ") || !strings.Contains(strings.SplitN(res.stdout, "\n", 2)[0], "(chain.complete") {
		t.Errorf("stdout does not open with the verdict:\n%s", res.stdout)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	validateReport(t, b)
	var rep jsonReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	rep.flatten()
	if rep.status("chain.complete") != "fail" {
		t.Errorf("JSON file: chain.complete %s", rep.status("chain.complete"))
	}
	x, err := os.ReadFile(ju)
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &suites); err != nil || len(suites.Suites) != 1 {
		t.Fatalf("JUnit file: %v", err)
	}
	s := suites.Suites[0]
	bad := 0
	for _, ch := range rep.Checks {
		if ch.Status == "fail" || ch.Status == "warn" {
			bad++
		}
	}
	if s.Tests != len(rep.Checks) || s.Failures != bad || len(s.Cases) != s.Tests {
		t.Errorf("JUnit file: %d tests, %d failures; the JSON has %d checks, %d failing or warning (--fail-on warn)",
			s.Tests, s.Failures, len(rep.Checks), bad)
	}
	m, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(m), "## ❌ FAIL: ") || !strings.Contains(string(m), "<details><summary>Full report (JSON)</summary>") {
		t.Errorf("Markdown file:\n%s", m)
	}
	if strings.Contains(string(m), "\x1b[") || strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour in a file or a pipe")
	}
}

// TestColorFlag: --color always colours even a pipe (CI logs), never and
// NO_COLOR keep it plain, and auto on a pipe is plain.
func TestColorFlag(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	addr := serve(t, c.TLSCertificate(c.Intermediate.DER))
	for _, tt := range []struct {
		color, noColor string
		want           bool
	}{
		{"always", "", true},
		{"always", "1", true},
		{"auto", "", false},
		{"never", "", false},
	} {
		args := textArgs(probeArgs(t, addr, root, "--color", tt.color))
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR="+tt.noColor)
		out, _ := cmd.Output()
		if got := strings.Contains(string(out), "\x1b["); got != tt.want {
			t.Errorf("--color %s NO_COLOR=%q: colour %v, want %v", tt.color, tt.noColor, got, tt.want)
		}
	}
}

// TestReportFlagErrors: a bad --color or --output is a usage error.
func TestReportFlagErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"probe", "api.example.com", "--color", "sometimes"}, `invalid --color "sometimes"`},
		{[]string{"probe", "api.example.com", "--output", "report.json"}, `invalid --output "report.json"`},
		{[]string{"probe", "api.example.com", "--output", "xml=report.xml"}, `unknown format "xml"`},
		{[]string{"probe", "api.example.com", "--output", "json=a", "--output", "junit=a"}, "--output names a twice"},
		{[]string{"cert", "x.pem", "--output", "report.json"}, `invalid --output "report.json"`},
		{[]string{"cert", "x.pem", "--format", "yaml"}, `invalid --format "yaml"`},
	} {
		res := runBinary(t, tt.args...)
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		if res.code != 2 || !strings.Contains(lines[0], tt.msg) || len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%q: exit %d, stderr %q; want exit 2, %q and a hint", tt.args, res.code, res.stderr, tt.msg)
		}
	}
}

// textArgs turns probeArgs' --format json into --format text.
func textArgs(args []string) []string {
	for i := range args {
		if i > 0 && args[i-1] == "--format" {
			args[i] = "text"
		}
	}
	return args
}

// TestSettingsHoldEverything: the JSON's settings name everything behind
// the verdict: thresholds as given, --resolve pins, the trust store, the
// sender, and the build (tool, Go, OS).
func TestSettingsHoldEverything(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	addr := serve(t, c.TLSCertificate(c.Intermediate.DER))
	res := runBinary(t, probeArgs(t, addr, root, "--handshake-warn", "750ms", "--expiry-warn", "21", "--sender", "generic")...)
	var rep struct {
		Settings struct {
			Thresholds struct {
				DNSWarnMS       float64 `json:"dns_warn_ms"`
				HandshakeWarnMS float64 `json:"handshake_warn_ms"`
				ExpiryWarnDays  float64 `json:"expiry_warn_days"`
			} `json:"thresholds"`
			Resolve     []string `json:"resolve"`
			Trust       string   `json:"trust"`
			RootsCount  int      `json:"roots_count"`
			Sender      string   `json:"sender"`
			ToolVersion string   `json:"tool_version"`
			GoVersion   string   `json:"go_version"`
			OS          string   `json:"os"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Settings
	_, port, _ := strings.Cut(addr, ":")
	if s.Thresholds.HandshakeWarnMS != 750 || s.Thresholds.ExpiryWarnDays != 21 || s.Thresholds.DNSWarnMS != 500 {
		t.Errorf("thresholds %+v", s.Thresholds)
	}
	if len(s.Resolve) != 1 || s.Resolve[0] != "localhost:"+port+":127.0.0.1" {
		t.Errorf("resolve %q", s.Resolve)
	}
	if s.Trust != "file" || s.RootsCount != 1 || s.Sender != "generic" {
		t.Errorf("trust %q (%d roots), sender %q", s.Trust, s.RootsCount, s.Sender)
	}
	if s.ToolVersion == "" || !strings.HasPrefix(s.GoVersion, "go") || !strings.Contains(s.OS, "/") {
		t.Errorf("build: tool %q, Go %q, OS %q", s.ToolVersion, s.GoVersion, s.OS)
	}

	// The bundled Mozilla roots are named with their module version.
	res = runBinary(t, probeArgs(t, addr, "")...)
	var moz struct {
		Settings struct {
			Trust       string `json:"trust"`
			RootsBundle string `json:"roots_bundle"`
		} `json:"settings"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &moz); err != nil {
		t.Fatal(err)
	}
	if moz.Settings.Trust != "mozilla" || !strings.HasPrefix(moz.Settings.RootsBundle, "v0.") {
		t.Errorf("mozilla store: %+v", moz.Settings)
	}
}
