package render

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/reportcheck"
	"github.com/wacheck/wacheck/pkg/report"
)

func sampleReports(t *testing.T) []*report.Report {
	var reps []*report.Report
	for _, s := range samples(t) {
		reps = append(reps, s.r)
	}
	return reps
}

func writeBatch(t *testing.T, format string, reps []*report.Report, o BatchOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteBatch(&buf, format, reps, o); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSummaryWorstFirst: the summary of every sample lists them worst
// first, names each one's verdict with its check id whole, and fits the
// width asked for.
func TestSummaryWorstFirst(t *testing.T) {
	reps := sampleReports(t)
	for _, width := range []int{40, 80, 132} {
		var buf bytes.Buffer
		if err := Summary(&buf, reps, width); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if err := reportcheck.TextWidth(buf.Bytes(), width); err != nil {
			t.Errorf("width %d: %v", width, err)
		}
		flat := strings.Join(strings.Fields(out), " ")
		last := 100
		for _, l := range strings.Split(out, "\n")[2:] {
			st, _, _ := strings.Cut(l, " ")
			if st == "" || strings.HasPrefix(l, " ") || !strings.Contains("FAIL WARN PASS INFO SKIP ERROR", st) {
				continue
			}
			if r := rankStatus(report.Status(strings.ToLower(st))); r > last {
				t.Errorf("width %d: %s listed after a better status:\n%s", width, st, out)
			} else {
				last = r
			}
		}
		for _, r := range reps {
			if v := verdict(r); v.Worst != nil && !strings.Contains(flat, "("+v.Worst.ID) {
				t.Errorf("width %d: the summary does not name %s:\n%s", width, v.Worst.ID, out)
			}
		}
	}
}

// TestBatchFormats: a hostile target name is escaped in the summary; the
// JSON is a batch document valid against batch.v2.json, JSON Lines one
// valid report a line, the Markdown parses as meant and the JUnit is one
// suite per target, valid against the JUnit schema's content model.
func TestBatchFormats(t *testing.T) {
	reps := sampleReports(t)[:3]
	reps[0].Target.Input = "evil\x1b[31m|x\u202e.example"
	text := writeBatch(t, "text", reps, BatchOptions{Options: Options{Width: 80}, SummaryOnly: true})
	if bytes.ContainsAny(text, "\x1b\u202e") {
		t.Errorf("raw controls in the summary:\n%q", text)
	}

	c := jsonschema.NewCompiler()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("https://raw.githubusercontent.com/wacheck/wacheck/main/docs/schema/report.v2.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("../../docs/schema/batch.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	js := writeBatch(t, "json", reps, BatchOptions{})
	if err := validate(t, sch, js); err != nil {
		t.Errorf("the batch does not validate: %v", err)
	}
	var b struct {
		Kind    string            `json:"kind"`
		Reports []json.RawMessage `json:"reports"`
	}
	if err := json.Unmarshal(js, &b); err != nil || b.Kind != "batch" || len(b.Reports) != 3 {
		t.Fatalf("batch: kind %q, %d reports, %v", b.Kind, len(b.Reports), err)
	}
	// A batch that is no report: the schema is not vacuous.
	if err := validate(t, sch, []byte(`{"schema_version":2,"kind":"batch","reports":[{"kind":"probe"}]}`)); err == nil {
		t.Error("batch.v2.json accepts a report that is not one")
	}

	one := compileSchema(t)
	lines := strings.Split(strings.TrimSuffix(string(writeBatch(t, "jsonl", reps, BatchOptions{})), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d JSON lines, want 3", len(lines))
	}
	for i, l := range lines {
		if err := validate(t, one, []byte(l)); err != nil {
			t.Errorf("line %d: %v", i+1, err)
		}
	}

	md := writeBatch(t, "markdown", reps, BatchOptions{})
	if err := reportcheck.Markdown(md); err != nil {
		t.Errorf("markdown: %v", err)
	}
	if !bytes.Contains(md, []byte(`m\|x`)) {
		t.Errorf("the pipe in a target name is not escaped in the summary table")
	}

	ju := writeBatch(t, "junit", reps, BatchOptions{Options: Options{FailOn: "fail"}})
	if _, err := reportcheck.JUnit(ju); err != nil {
		t.Errorf("junit: %v", err)
	}
	xsdValidateJUnit(t, ju)
	if n := bytes.Count(ju, []byte("<testsuite ")); n != 3 {
		t.Errorf("%d testsuites, want 3", n)
	}
}
