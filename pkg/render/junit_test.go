package render

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/internal/reportcheck"
	"github.com/wacheck/wacheck/pkg/report"
)

func renderJUnit(t *testing.T, r *report.Report, failOn string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := JUnit(&buf, r, Options{FailOn: failOn}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// validateJUnit checks doc against the JUnit schema's content model
// (internal/reportcheck) and returns the test cases by outcome.
func validateJUnit(t *testing.T, doc []byte) map[string]string {
	t.Helper()
	cases, err := reportcheck.JUnit(doc)
	if err != nil {
		t.Fatal(err)
	}
	xsdValidateJUnit(t, doc)
	return cases
}

// TestJUnitSchema checks every sample's JUnit report against the schema's
// content model, one test case per check and address, and the mapping of
// statuses by --fail-on.
func TestJUnitSchema(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			golden(t, s.name+".junit.golden", renderJUnit(t, s.r, "warn"))
			for _, failOn := range []string{"fail", "warn", "never"} {
				out := renderJUnit(t, s.r, failOn)
				cases := validateJUnit(t, out)
				if len(cases) != len(s.r.Checks) {
					t.Errorf("--fail-on %s: %d distinct test cases, want one per check and address (%d)", failOn, len(cases), len(s.r.Checks))
				}
				for _, c := range s.r.Checks {
					want := "pass"
					switch {
					case c.Status == report.Fail && failOn != "never", c.Status == report.Warn && failOn == "warn":
						want = "failure"
					case c.Status == report.Skip:
						want = "skipped"
					}
					if got := cases[caseName(c)]; got != want {
						t.Errorf("--fail-on %s: %s is %s, want %s", failOn, caseName(c), got, want)
					}
				}
			}
		})
	}
}

// TestJUnitDetails: a failure carries the check's detail and fix, and what
// a server sent cannot break the XML or reach a CI log raw.
func TestJUnitDetails(t *testing.T) {
	r := sampleNamed(t, "incomplete-chain")
	evil := "evil]]></failure><x>\x1b[2J\u202e\xff&amp;"
	r.Add(report.Result{ID: "cert.hostname", Status: report.Fail, Title: "Name", Detail: "served " + evil, Remediation: "fix " + evil})
	out := renderJUnit(t, r, "fail")
	validateJUnit(t, out)
	var doc junitSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var chain, name *junitCase
	for i, c := range doc.Suites[0].Cases {
		switch {
		case strings.HasPrefix(c.Name, "chain.complete:"):
			chain = &doc.Suites[0].Cases[i]
		case strings.HasPrefix(c.Name, "cert.hostname:") && c.Failure != nil && strings.Contains(c.Failure.Body, "served"):
			name = &doc.Suites[0].Cases[i]
		}
	}
	if chain == nil || chain.Failure == nil || !strings.Contains(chain.Failure.Body, "did not send") ||
		!strings.Contains(chain.Failure.Body, "\nfix: Serve the full chain") || chain.Failure.Type != "fail" {
		t.Errorf("chain.complete test case: %+v", chain)
	}
	if name == nil {
		t.Fatal("no test case for the hostile check")
	}
	if !strings.Contains(name.Failure.Body, `served evil]]></failure><x>\x1b[2J\u202e\xff&amp;`) {
		t.Errorf("hostile detail not kept, escaped: %q", name.Failure.Body)
	}
	if bytes.Contains(out, []byte("\x1b")) || bytes.Contains(out, []byte("\u202e")) {
		t.Error("raw control characters in the XML")
	}
	if !strings.Contains(doc.Suites[0].SystemOut, "cannot deliver") {
		t.Errorf("suite output %q lacks the verdict", doc.Suites[0].SystemOut)
	}
}
