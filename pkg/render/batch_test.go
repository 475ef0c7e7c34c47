package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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

	sch, err := reportcheck.BatchSchema(filepath.Dir(schemaPath), false)
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

// TestJSONLStream: reports done in any order, some targets without a
// report, come out in the targets' order, byte for byte what WriteBatch's
// jsonl writes for the same reports; before sees them in that order; a
// line is written as soon as every target before it is done.
func TestJSONLStream(t *testing.T) {
	reps := sampleReports(t)
	if len(reps) < 4 {
		t.Fatalf("%d samples, want 4 or more", len(reps))
	}
	reps[1].Target.Input = "evil\x1b[31m\u202e<x>&.example" // escaped as WriteBatch does
	// Target 2 has no report (a run interrupted before it started).
	targets := []*report.Report{reps[0], reps[1], nil, reps[2], reps[3]}
	want := writeBatch(t, "jsonl", []*report.Report{reps[0], reps[1], reps[2], reps[3]}, BatchOptions{})

	for _, order := range [][]int{{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 4, 0, 3, 1}, {1, 0, 3, 2, 4}} {
		var out bytes.Buffer
		var seen []*report.Report
		s := NewJSONLStream(&out, len(targets), func(r *report.Report) { seen = append(seen, r) })
		for _, i := range order {
			lenBefore := out.Len()
			if err := s.Done(i, targets[i]); err != nil {
				t.Fatal(err)
			}
			// Written now: exactly the lines whose targets and all
			// before them are done.
			ready := 0
			for ready < len(targets) && slices.Contains(order[:slices.Index(order, i)+1], ready) {
				ready++
			}
			wantN := 0
			for _, r := range targets[:ready] {
				if r != nil {
					wantN++
				}
			}
			if s.Written() != wantN || bytes.Count(out.Bytes(), []byte("\n")) != wantN {
				t.Errorf("order %v, after %d: %d lines written (%d bytes, was %d), want %d", order, i, s.Written(), out.Len(), lenBefore, wantN)
			}
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("order %v: the stream differs from WriteBatch:\n%s\nwant:\n%s", order, out.Bytes(), want)
		}
		if len(seen) != 4 || seen[0] != reps[0] || seen[1] != reps[1] || seen[2] != reps[2] || seen[3] != reps[3] {
			t.Errorf("order %v: before saw %d reports, not in the targets' order", order, len(seen))
		}
		// Out of range and repeated targets are ignored.
		if err := s.Done(7, reps[0]); err != nil || s.Done(0, reps[0]) != nil || !bytes.Equal(out.Bytes(), want) {
			t.Errorf("order %v: a stray Done changed the stream", order)
		}
	}
}

// errWriter fails every write.
type errWriter struct{ n int }

func (w *errWriter) Write([]byte) (int, error) { w.n++; return 0, errors.New("closed") }

// TestJSONLStreamWriteError: after a write fails, Done returns its error
// and writes nothing more.
func TestJSONLStreamWriteError(t *testing.T) {
	reps := sampleReports(t)[:3]
	w := &errWriter{}
	s := NewJSONLStream(w, 3, nil)
	if err := s.Done(1, reps[1]); err != nil {
		t.Fatalf("Done(1) wrote before target 0 was done: %v", err)
	}
	if err := s.Done(0, reps[0]); err == nil {
		t.Fatal("Done(0): no error from a failing writer")
	}
	if err := s.Done(2, reps[2]); err == nil || s.Err() == nil {
		t.Error("Done(2) after a failed write: no error")
	}
	if w.n != 1 || s.Written() != 0 {
		t.Errorf("%d writes, %d written; want one attempt and none written", w.n, s.Written())
	}
}
