package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// junitSchema is wacheck's JUnit XML schema (docs/schema/junit.xsd): the
// common JUnit shape CI report readers take, stated strictly for what
// wacheck writes.
func junitSchema(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "docs", "schema", "junit.xsd")
}

// junitConsumerScript reads a JUnit file with junitparser, the library
// EnricoMi/publish-unit-test-result-action (a GitHub Actions reporter)
// reads test results with, and prints what it understood: every test case
// with its outcome as junitparser classifies it, and the suites' counters.
const junitConsumerScript = `
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites = list(xml) if xml._tag == "testsuites" else [xml]
out = {"suites": [], "cases": []}
for s in suites:
    out["suites"].append({"name": s.name, "tests": s.tests, "failures": s.failures,
                          "errors": s.errors, "skipped": s.skipped})
    for c in s:
        kinds = [type(r).__name__ for r in (c.result or [])]
        outcome = "passed"
        if any(k == "Failure" for k in kinds): outcome = "failure"
        elif any(k == "Error" for k in kinds): outcome = "error"
        elif any(k == "Skipped" for k in kinds): outcome = "skipped"
        out["cases"].append({"name": c.name, "classname": c.classname, "outcome": outcome})
json.dump(out, sys.stdout)
`

// junitConsumed is what junitparser understood of a JUnit file.
type junitConsumed struct {
	Suites []struct {
		Name     string `json:"name"`
		Tests    int    `json:"tests"`
		Failures int    `json:"failures"`
		Errors   int    `json:"errors"`
		Skipped  int    `json:"skipped"`
	} `json:"suites"`
	Cases []struct {
		Name      string `json:"name"`
		Classname string `json:"classname"`
		Outcome   string `json:"outcome"`
	} `json:"cases"`
}

// checkJUnitConsumers validates the JUnit file at path against
// docs/schema/junit.xsd with xmllint, reads it with junitparser, and
// checks that junitparser sees one test case per check and address, failed
// for every fail and warn (--fail-on warn) and skipped for every skip, and
// suite counters that agree with the cases.
func checkJUnitConsumers(t *testing.T, path string, r *jsonReport) {
	t.Helper()
	xmllint := requireBinary(t, "xmllint")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, xmllint, "--noout", "--nonet", "--schema", junitSchema(t), path).CombinedOutput(); err != nil {
		t.Errorf("JUnit report does not validate against docs/schema/junit.xsd: %v\n%s", err, out)
	}

	python := "/usr/bin/python3" // Debian's, which python3-junitparser installs into
	if _, err := os.Stat(python); err != nil {
		testpki.SkipOrFail(t, "/usr/bin/python3 is not installed: run `make integration-deps` as root")
		return
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-c", junitConsumerScript, path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "No module named 'junitparser'") {
			testpki.SkipOrFail(t, "junitparser is not installed (python3-junitparser): run `make integration-deps` as root")
			return
		}
		t.Fatalf("junitparser could not read the JUnit report: %v\n%s", err, stderr.String())
	}
	var got junitConsumed
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("junitparser output: %v\n%s", err, stdout.String())
	}

	if len(got.Cases) != len(r.Checks) {
		t.Errorf("junitparser read %d test cases, want one per check and address (%d)", len(got.Cases), len(r.Checks))
	}
	want := map[string]int{}
	for _, c := range r.Checks {
		switch c.Status {
		case "fail", "warn":
			want["failure"]++
		case "skip":
			want["skipped"]++
		default:
			want["passed"]++
		}
	}
	seen := map[string]int{}
	for _, c := range got.Cases {
		seen[c.Outcome]++
		if !strings.HasPrefix(c.Classname, "wacheck.") || c.Name == "" {
			t.Errorf("junitparser case %q classname %q: want a name and a wacheck.CATEGORY classname", c.Name, c.Classname)
		}
	}
	for _, k := range []string{"passed", "failure", "skipped", "error"} {
		if seen[k] != want[k] {
			t.Errorf("junitparser: %d test cases %s, want %d", seen[k], k, want[k])
		}
	}
	var tests, failures, skipped int
	for _, s := range got.Suites {
		tests += s.Tests
		failures += s.Failures + s.Errors
		skipped += s.Skipped
	}
	if tests != len(got.Cases) || failures != seen["failure"]+seen["error"] || skipped != seen["skipped"] {
		t.Errorf("junitparser: suite counters tests=%d failures+errors=%d skipped=%d disagree with the cases %v",
			tests, failures, skipped, seen)
	}
}
