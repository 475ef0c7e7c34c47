package render

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// xsdValidateJUnit validates doc against docs/schema/junit.xsd with
// xmllint (libxml2), a real XML Schema validator. Without xmllint the
// check is skipped here (the content-model check in internal/reportcheck
// still runs), except in CI (WACHECK_REQUIRE_INTEGRATION=1), which
// installs it.
func xsdValidateJUnit(t *testing.T, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv(testpki.RequireEnv) == "1" {
			t.Fatalf("xmllint is not installed (libxml2-utils): run `make integration-deps` as root (%s=1)", testpki.RequireEnv)
		}
		t.Log("xmllint is not installed: docs/schema/junit.xsd not checked")
		return
	}
	path := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, xmllint, "--noout", "--nonet", "--schema", "../../docs/schema/junit.xsd", path).CombinedOutput()
	if err != nil {
		t.Errorf("the JUnit report does not validate against docs/schema/junit.xsd: %v\n%s", err, out)
	}
}

// TestJUnitXSDRejects: the schema is not vacuous; a failure without its
// type, and two outcomes in one test case, are refused.
func TestJUnitXSDRejects(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint is not installed")
	}
	bad := []byte(`<?xml version="1.0"?>
<testsuites name="x" tests="1" failures="1" errors="0" time="0.1"><testsuite name="s" tests="1" failures="1" errors="0" skipped="0" time="0.1"><testcase name="a" classname="wacheck.x" time="0"><failure message="m">x</failure><skipped/></testcase></testsuite></testsuites>`)
	path := filepath.Join(t.TempDir(), "bad.xml")
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", "../../docs/schema/junit.xsd", path).CombinedOutput(); err == nil {
		t.Errorf("docs/schema/junit.xsd accepts a failure without type and two outcomes:\n%s", out)
	}
}
