package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/pkg/report"
)

// Batch is the JSON document of a run of many targets (docs/json.md,
// docs/schema/batch.v2.json): one report per target, in the order given.
type Batch struct {
	SchemaVersion int              `json:"schema_version"`
	Kind          string           `json:"kind"`
	Reports       []*report.Report `json:"reports"`
}

// BatchKind is Batch's kind.
const BatchKind = "batch"

// BatchOptions are Options plus what only a run of many targets has.
type BatchOptions struct {
	Options
	// SummaryOnly leaves out the per-target reports of the text and
	// Markdown formats: only the summary table.
	SummaryOnly bool
}

// WriteBatch writes the reports of a run of many targets in format: text
// and Markdown are each target's report and then a summary table, worst
// first; json is one Batch document; jsonl one report per line; junit one
// testsuite per target.
func WriteBatch(w io.Writer, format string, reps []*report.Report, o BatchOptions) error {
	switch format {
	case "json":
		docs := make([]*report.Report, len(reps))
		for i, r := range reps {
			docs[i] = normalize(r)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(Batch{SchemaVersion: report.SchemaVersion, Kind: BatchKind, Reports: docs}); err != nil {
			return err
		}
		_, err := w.Write(escapeInvisible(buf.Bytes()))
		return err
	case "jsonl":
		for _, r := range reps {
			if err := JSONLine(w, r); err != nil {
				return err
			}
		}
		return nil
	case "junit":
		return junitBatch(w, reps, o.Options)
	case "markdown":
		var b bytes.Buffer
		b.WriteString("# wacheck: " + plural(len(reps), "target", "targets") + "\n\n")
		summaryMarkdown(&b, reps)
		if !o.SummaryOnly {
			for _, r := range reps {
				b.WriteString("\n---\n\n")
				if err := Markdown(&b, r, o.Options); err != nil {
					return err
				}
			}
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	// text, and any terminal format.
	f, ok := Lookup(format)
	if !ok || !f.Terminal {
		f, _ = Lookup("text")
	}
	if !o.SummaryOnly {
		for _, r := range reps {
			if err := f.Write(w, r, o.Options); err != nil {
				return err
			}
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
	}
	return Summary(w, reps, o.Width)
}

// JSONLine writes r as one line of compact JSON (JSON Lines).
func JSONLine(w io.Writer, r *report.Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalize(r)); err != nil {
		return err
	}
	_, err := w.Write(escapeInvisible(buf.Bytes()))
	return err
}

// JSONLStream writes the reports of a run of many targets as JSON Lines
// while the targets are probed: a report's line is written as soon as it
// and every target before it are done, so the lines are in the targets'
// order, each exactly as WriteBatch's jsonl writes it. It holds only the
// reports that wait for an earlier target. Its methods may be called from
// several goroutines.
type JSONLStream struct {
	mu      sync.Mutex
	w       io.Writer
	before  func(*report.Report)
	done    []bool
	waiting []*report.Report
	next    int
	written int
	err     error
}

// NewJSONLStream is a stream of n targets' lines to w. before, when not
// nil, is called with each report just before its line is written, in the
// targets' order, one call at a time.
func NewJSONLStream(w io.Writer, n int, before func(*report.Report)) *JSONLStream {
	return &JSONLStream{w: w, before: before, done: make([]bool, n), waiting: make([]*report.Report, n)}
}

// Done records that target i is done, with its report or nil when it has
// none (a run interrupted before it started), and writes every line that
// no longer waits for an earlier target. After a write fails, nothing more
// is written and Done returns that error. An i out of range, or given
// twice, is ignored.
func (s *JSONLStream) Done(i int, r *report.Report) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 || i >= len(s.done) || s.done[i] {
		return s.err
	}
	s.done[i] = true
	if s.err == nil {
		s.waiting[i] = r
	}
	for s.next < len(s.done) && s.done[s.next] {
		r := s.waiting[s.next]
		s.waiting[s.next] = nil
		s.next++
		if r == nil || s.err != nil {
			continue
		}
		if s.before != nil {
			s.before(r)
		}
		if err := JSONLine(s.w, r); err != nil {
			s.err = err
			clear(s.waiting)
			continue
		}
		s.written++
	}
	return s.err
}

// Written is how many lines have been written.
func (s *JSONLStream) Written() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// Err is the error of the write that failed, nil if none did.
func (s *JSONLStream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// summaryRow is one target's line of the summary table.
type summaryRow struct {
	status  report.Status
	target  string
	verdict string
	index   int
}

// summaryRows are the reports' rows, worst first, then in the order given.
func summaryRows(reps []*report.Report) []summaryRow {
	rows := make([]summaryRow, len(reps))
	for i, r := range reps {
		v := verdict(r)
		// Raw: each format escapes them its own way.
		rows[i] = summaryRow{status: v.Status, target: r.Target.Input, verdict: v.Sentence, index: i}
		if rows[i].target == "" {
			rows[i].target = hostPort(r.Target)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		return rankStatus(rows[i].status) > rankStatus(rows[j].status)
	})
	return rows
}

// Summary writes the summary table of many targets' reports, worst first,
// fitted to width columns (80 when width is 0): the status, the target
// and the verdict, cut with "…" when it does not fit; then the counts.
func Summary(w io.Writer, reps []*report.Report, width int) error {
	if width <= 0 {
		width = 80
	}
	rows := summaryRows(reps)
	for i := range rows {
		rows[i].target, rows[i].verdict = escape.Line(rows[i].target), escape.Line(rows[i].verdict)
	}
	tw := len("TARGET")
	for _, r := range rows {
		tw = max(tw, runeLen(r.target))
	}
	tw = min(tw, max(10, width/3))
	var b strings.Builder
	fmt.Fprintf(&b, "SUMMARY  %s, worst first\n", plural(len(reps), "target", "targets"))
	// The verdict wraps under its column; its check id is what matters
	// most, so it is never cut.
	indent := 6 + 1 + tw + 2
	vw := max(10, width-indent)
	line := func(st, tg, v string) {
		tg = cutRunes(tg, tw)
		for i, part := range wrapWords(v, vw) {
			if i == 0 {
				b.WriteString(strings.TrimRight(fmt.Sprintf("%-6s %-*s  %s", st, tw, tg, part), " ") + "\n")
				continue
			}
			b.WriteString(strings.Repeat(" ", indent) + part + "\n")
		}
	}
	line("STATUS", "TARGET", "VERDICT")
	counts := map[report.Status]int{}
	for _, r := range rows {
		counts[r.status]++
		line(strings.ToUpper(string(r.status)), r.target, r.verdict)
	}
	var parts []string
	for _, st := range []report.Status{report.Fail, report.Warn, report.Pass} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", formatCount(counts[st]), strings.ToLower(string(st))))
		}
	}
	if other := len(rows) - counts[report.Fail] - counts[report.Warn] - counts[report.Pass]; other > 0 {
		parts = append(parts, fmt.Sprintf("%s other", formatCount(other)))
	}
	b.WriteString(strings.Join(parts, ", ") + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryMarkdown(b *bytes.Buffer, reps []*report.Report) {
	b.WriteString("| Status | Target | Verdict |\n|---|---|---|\n")
	for _, r := range summaryRows(reps) {
		fmt.Fprintf(b, "| %s | %s | %s |\n", strings.ToUpper(string(r.status)), mdText(r.target), mdText(r.verdict))
	}
}

// wrapWords breaks s into lines of at most width runes at spaces; a word
// longer than width is cut into pieces.
func wrapWords(s string, width int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		for runeLen(w) > width {
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			r := []rune(w)
			lines = append(lines, string(r[:width]))
			w = string(r[width:])
		}
		switch {
		case cur == "":
			cur = w
		case runeLen(cur)+1+runeLen(w) <= width:
			cur += " " + w
		default:
			lines = append(lines, cur)
			cur = w
		}
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

func runeLen(s string) int { return len([]rune(s)) }

// cutRunes cuts s to n runes, ending it with "…" when cut.
func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}

// junitBatch is one JUnit document with one testsuite per target, each as
// JUnit writes it for one report.
func junitBatch(w io.Writer, reps []*report.Report, o Options) error {
	doc := junitSuites{Name: "wacheck"}
	var total float64
	for _, r := range reps {
		var one bytes.Buffer
		if err := JUnit(&one, r, o); err != nil {
			return err
		}
		var s junitSuites
		if err := xml.Unmarshal(one.Bytes(), &s); err != nil {
			return err
		}
		for _, suite := range s.Suites {
			// Test case names are unique in the document: CI report
			// viewers list them flat, so each names its target.
			for i := range suite.Cases {
				suite.Cases[i].Name = escape.Line(hostPort(r.Target)+r.Target.Path) + ": " + suite.Cases[i].Name
			}
			doc.Tests += suite.Tests
			doc.Failures += suite.Failures
			doc.Suites = append(doc.Suites, suite)
		}
		total += r.DurationMS
	}
	doc.Time = seconds(total)
	return writeJUnitXML(w, doc)
}
