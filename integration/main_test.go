package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/testpki"
)

// wacheckBin is the binary TestMain builds from ./cmd/wacheck.
var wacheckBin string

var dump = flag.Bool("dump", false, "log every wacheck run and its checks (go test ./integration -v -args -dump)")

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "wacheck-integration-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	wacheckBin = filepath.Join(dir, "wacheck")
	if err := buildWacheck(wacheckBin); err != nil {
		fmt.Fprintf(os.Stderr, "integration: build wacheck: %v\n", err)
		return 1
	}
	return m.Run()
}

// buildWacheck builds ./cmd/wacheck with the go command that runs the tests
// (GOROOT's, when the go command exported it) or else the one in PATH.
func buildWacheck(out string) error {
	gocmd := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			gocmd = p
		}
	}
	cmd := exec.Command(gocmd, "build", "-o", out, "github.com/wacheck/wacheck/cmd/wacheck")
	cmd.Dir = ".." // the module root
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, b)
	}
	return nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// required reports whether skipping is forbidden: .ci/run sets
// WACHECK_REQUIRE_INTEGRATION=1, because CI installs every server and a
// skipped test there would prove nothing.
func required() bool { return os.Getenv(testpki.RequireEnv) == "1" }

// requireBinary returns the path of a server binary, or skips the test (fails
// it under WACHECK_REQUIRE_INTEGRATION=1) when it is missing.
func requireBinary(t testing.TB, name string) string {
	t.Helper()
	return testpki.RequireBinary(t, name)
}

// jsonReport is the part of wacheck's JSON report the tests read: a
// deliberately separate, small struct, so that a renamed JSON field fails
// here as it would for a user's jq script.
type jsonReport struct {
	SchemaVersion int    `json:"schema_version"`
	Status        string `json:"status"`
	Checks        []struct {
		ID          string `json:"id"`
		Status      string `json:"status"`
		Detail      string `json:"detail"`
		Remediation string `json:"remediation"`
	} `json:"checks"`
	Target struct {
		Port int    `json:"port"`
		SNI  string `json:"sni"`
	} `json:"target"`
	Addresses []jsonAddress `json:"addresses"`
	// The first address's facts: the scenarios have one address.
	jsonAddress `json:"-"`
}

// jsonAddress is what one address served (schema v2).
type jsonAddress struct {
	Address string `json:"address"`
	TLS     *struct {
		Version string `json:"version"`
		Cipher  string `json:"cipher"`
		ALPN    string `json:"alpn"`
	} `json:"tls"`
	Certificates []struct {
		Subject  string   `json:"subject"`
		SANs     []string `json:"sans"`
		DaysLeft int      `json:"days_left"`
		PEM      string   `json:"pem"`
	} `json:"certificates"`
	Chain *struct {
		Verified bool   `json:"verified"`
		Source   string `json:"source"`
	} `json:"chain"`
	Enumeration *struct {
		Protocols []jsonProtocol `json:"protocols"`
		Error     string         `json:"error"`
	} `json:"enumeration"`
	Protocols []jsonProtocol `json:"-"`
	OCSP      *struct {
		Stapled  bool   `json:"stapled"`
		Status   string `json:"status"`
		Verified bool   `json:"verified"`
	} `json:"ocsp"`
	ClientAuth *struct {
		Requested     bool     `json:"requested"`
		AcceptableCAs []string `json:"acceptable_cas"`
	} `json:"client_auth"`
}

// flatten copies the first address's facts to the top, for scenarios with
// one address.
func (r *jsonReport) flatten() {
	if len(r.Addresses) == 0 {
		return
	}
	r.jsonAddress = r.Addresses[0]
	if e := r.Enumeration; e != nil {
		r.Protocols = e.Protocols
	}
}

// jsonProtocol is one version as wacheck enumerated it.
type jsonProtocol struct {
	Version string `json:"version"`
	Offered *bool  `json:"offered"`
	Reason  string `json:"reason"`
	Ciphers []struct {
		Name string `json:"name"`
	} `json:"ciphers"`
	ServerOrder *bool    `json:"server_order"`
	Groups      []string `json:"groups"`
	DHBits      int      `json:"dh_bits"`
	Errors      []string `json:"errors"`
}

// names returns the IANA names of the version's suites, in the report's
// order.
func (p *jsonProtocol) names() []string {
	var names []string
	for _, c := range p.Ciphers {
		names = append(names, c.Name)
	}
	return names
}

// protocol returns the enumeration of one version ("TLS 1.2"), nil when the
// report has none.
func (r *jsonReport) protocol(version string) *jsonProtocol {
	for i := range r.Protocols {
		if r.Protocols[i].Version == version {
			return &r.Protocols[i]
		}
	}
	return nil
}

// check returns the status and detail of the check with the given ID.
func (r *jsonReport) check(id string) (status, detail string, ok bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status, c.Detail, true
		}
	}
	return "", "", false
}

// probeResult is one run of the binary.
type probeResult struct {
	args     []string
	exitCode int
	stdout   []byte
	stderr   []byte
	report   *jsonReport
}

// String shows the command, its exit code and the checks, one a line (the
// whole JSON is too long to read in a failure message).
func (p *probeResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ wacheck %s\nexit code %d\n", strings.Join(p.args, " "), p.exitCode)
	if len(p.stderr) > 0 {
		fmt.Fprintf(&b, "stderr: %s\n", p.stderr)
	}
	if p.report == nil {
		fmt.Fprintf(&b, "stdout:\n%s\n", p.stdout)
		return b.String()
	}
	fmt.Fprintf(&b, "status %s\n", p.report.Status)
	for _, c := range p.report.Checks {
		fmt.Fprintf(&b, "  %-5s %-18s %s\n", c.Status, c.ID, c.Detail)
	}
	return b.String()
}

// wacheckOutput runs the built wacheck with args (colour off, at most 30 s)
// and returns its stdout; an exit code is not an error (findings exit 1),
// failing to run is.
func wacheckOutput(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wacheckBin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("wacheck %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// runWacheck runs `wacheck probe localhost:PORT --format json` pinned to
// 127.0.0.1 and verifying against rootFile, plus extra flags, and parses the
// report. Timing thresholds are raised so that a loaded CI machine cannot
// turn a loopback handshake into a warning; the timing checks themselves
// are still asserted.
func runWacheck(t testing.TB, port int, rootFile string, extra ...string) *probeResult {
	t.Helper()
	hostport := "localhost:" + strconv.Itoa(port)
	args := []string{"probe", hostport,
		"--resolve", hostport + ":127.0.0.1",
		"--ca-file", rootFile,
		"--format", "json",
		"--timeout", "15s",
		"--connect-warn", "5s",
		"--handshake-warn", "5s",
		"--handshake-fail", "10s",
	}
	args = append(args, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wacheckBin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := &probeResult{args: args, stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		res.exitCode = ee.ExitCode()
	default:
		t.Fatalf("run wacheck: %v\n%s", err, res)
	}
	var rep jsonReport
	err = json.Unmarshal(res.stdout, &rep)
	rep.flatten()
	if err != nil {
		t.Fatalf("wacheck printed no JSON report: %v\n%s", err, res)
	}
	res.report = &rep
	validateSchema(t, res)
	return res
}

const schemaPath = "../docs/schema/report.v2.json"

var schema struct {
	once sync.Once
	sch  *jsonschema.Schema
	err  error
}

// validateSchema checks the report against docs/schema/report.v2.json.
func validateSchema(t testing.TB, res *probeResult) {
	t.Helper()
	schema.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		schema.sch, schema.err = c.Compile(schemaPath)
	})
	if schema.err != nil {
		t.Fatalf("compile %s: %v", schemaPath, schema.err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(res.stdout))
	if err != nil {
		t.Fatalf("re-read the JSON report: %v", err)
	}
	if err := schema.sch.Validate(inst); err != nil {
		t.Errorf("the report does not validate against %s: %v\n%s", schemaPath, err, res)
	}
}

// severity orders statuses as --fail-on does: pass, info and skip are 0.
func severity(status string) int {
	switch status {
	case "warn":
		return 1
	case "fail":
		return 2
	}
	return 0
}

func overall(sev int) string {
	return [...]string{"pass", "warn", "fail"}[sev]
}
