package integration

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wacheck/wacheck/internal/reportcheck"
)

// renderedOutputs are the --output flags that make one run of a scenario
// also write its text, Markdown and JUnit reports, and the files they go
// to.
type renderedOutputs struct {
	text, markdown, junit string
}

func newRenderedOutputs(t *testing.T) (renderedOutputs, []string) {
	dir := t.TempDir()
	o := renderedOutputs{text: filepath.Join(dir, "report.txt"), markdown: filepath.Join(dir, "report.md"),
		junit: filepath.Join(dir, "report.xml")}
	return o, []string{"--output", "text=" + o.text, "--output", "markdown=" + o.markdown, "--output", "junit=" + o.junit}
}

// check reads what the run wrote and checks each as its reader takes it:
// the text within 80 columns, the Markdown through a GitHub-flavoured
// parser (no injected markup, whole tables, the <details> folds), and the
// JUnit XML against the JUnit schema's content model with one test case
// per check and address, failed as --fail-on warn says.
func (o renderedOutputs) check(t *testing.T, r *jsonReport) {
	t.Helper()
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("--output: %v", err)
		}
		return b
	}
	if err := reportcheck.TextWidth(read(o.text), 80); err != nil {
		t.Errorf("text report: %v", err)
	}
	if err := reportcheck.Markdown(read(o.markdown)); err != nil {
		t.Errorf("Markdown report: %v", err)
	}
	cases, err := reportcheck.JUnit(read(o.junit))
	if err != nil {
		t.Errorf("JUnit report: %v", err)
		return
	}
	if len(cases) != len(r.Checks) {
		t.Errorf("JUnit report: %d test cases, want one per check and address (%d)", len(cases), len(r.Checks))
	}
	failed := 0
	for _, outcome := range cases {
		if outcome == "failure" {
			failed++
		}
	}
	want := 0
	for _, c := range r.Checks {
		if c.Status == "fail" || c.Status == "warn" {
			want++
		}
	}
	if failed != want {
		t.Errorf("JUnit report: %d failed test cases, want %d (every fail and warn, --fail-on warn)", failed, want)
	}
	checkJUnitConsumers(t, o.junit, r)
}
