package explain

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/render"
)

// DocsCommand is the command that writes docs/checks.md; the drift test
// names it.
const DocsCommand = "go generate ./pkg/explain (or make docs)"

// The markers of docs/checks.md's generated regions. Everything outside
// them is written by hand (the status semantics, each category's notes)
// and kept as it is; a region's content is replaced:
//
//	<!-- gendocs:table CATEGORY -->  the category's table of statuses
//	<!-- gendocs:explanations -->    every check's explanation and fixes
//	<!-- gendocs:end -->             closes either
const (
	markTable        = "<!-- gendocs:table "
	markExplanations = "<!-- gendocs:explanations -->"
	markEnd          = "<!-- gendocs:end -->"
	markClose        = " -->"
)

// Registry is every registered check (pkg/checks), in registry order, as
// an explanation shows it. Judges is left empty: the command fills it.
func Registry() []Check {
	var out []Check
	for _, d := range checks.All() {
		cat, _, _ := strings.Cut(d.ID, ".")
		out = append(out, Check{ID: d.ID, Title: d.Title, Category: cat,
			CategoryTitle: render.CategoryTitle(cat), Judges: string(d.Needs)})
	}
	return out
}

// ChecksDoc returns docs/checks.md with its generated regions written
// from the registry and the explanations; doc is the file as it is.
// Every check needs an explanation and every category of checks a table
// region; an explanation of no registered check is an error too.
func ChecksDoc(doc []byte) ([]byte, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	byID := map[string]*Explanation{}
	for _, e := range all {
		byID[e.ID] = e
	}
	reg := Registry()
	byCat := map[string][]Check{}
	var cats []string
	for _, c := range reg {
		if byID[c.ID] == nil {
			return nil, fmt.Errorf("check %s has no explanation: write pkg/explain/checks/%s.md", c.ID, c.ID)
		}
		if byCat[c.Category] == nil {
			cats = append(cats, c.Category)
		}
		byCat[c.Category] = append(byCat[c.Category], c)
	}
	for _, e := range all {
		if !slices.ContainsFunc(reg, func(c Check) bool { return c.ID == e.ID }) {
			return nil, fmt.Errorf("pkg/explain/checks/%s.md explains no registered check", e.ID)
		}
	}
	slices.SortStableFunc(cats, func(a, b string) int { return render.CategoryRank(a) - render.CategoryRank(b) })

	src := strings.ReplaceAll(string(doc), "\r\n", "\n")
	var out bytes.Buffer
	tabled := map[string]bool{}
	explained := false
	for {
		i := strings.Index(src, "<!-- gendocs:")
		if i < 0 {
			out.WriteString(src)
			break
		}
		out.WriteString(src[:i])
		src = src[i:]
		nl := strings.IndexByte(src, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("a marker ends the file: close it with %s", markEnd)
		}
		open := src[:nl]
		end := strings.Index(src, markEnd)
		if end < 0 {
			return nil, fmt.Errorf("%s is not closed with %s", open, markEnd)
		}
		if strings.Contains(src[nl:end], "<!-- gendocs:") {
			return nil, fmt.Errorf("%s is not closed before the next marker", open)
		}
		src = src[end+len(markEnd):]
		out.WriteString(open + "\n")
		switch {
		case open == markExplanations:
			explained = true
			for _, cat := range cats {
				fmt.Fprintf(&out, "\n### %s\n\n", render.CategoryTitle(cat))
				for _, c := range byCat[cat] {
					out.WriteString(Markdown(c, byID[c.ID], 4))
				}
			}
		case strings.HasPrefix(open, markTable) && strings.HasSuffix(open, markClose):
			cat := strings.TrimSuffix(strings.TrimPrefix(open, markTable), markClose)
			if byCat[cat] == nil {
				return nil, fmt.Errorf("%s: no check is of category %q", open, cat)
			}
			if tabled[cat] {
				return nil, fmt.Errorf("%s twice", open)
			}
			tabled[cat] = true
			out.WriteString(table(byCat[cat], byID))
		default:
			return nil, fmt.Errorf("unknown marker %q", open)
		}
		out.WriteString(markEnd)
	}
	for _, cat := range cats {
		if !tabled[cat] {
			return nil, fmt.Errorf("docs/checks.md has no table for the %s checks: add a section with the lines %q and %q",
				cat, markTable+cat+markClose, markEnd)
		}
	}
	if !explained {
		return nil, fmt.Errorf("docs/checks.md has no %s region", markExplanations)
	}
	return out.Bytes(), nil
}

// table is a category's Markdown table: one row per check, a column per
// status any of them gives (info and skip share one).
func table(cs []Check, byID map[string]*Explanation) string {
	cols := []string{"pass", "warn", "fail", "info / skip"}
	has := make([]bool, len(cols))
	row := func(e *Explanation) []string {
		trim := func(st string) string { return strings.TrimSuffix(e.Statuses[st], ".") }
		r := []string{trim("pass"), trim("warn"), trim("fail")}
		var other []string
		for _, st := range []string{"info", "skip"} {
			if _, ok := e.Statuses[st]; ok {
				other = append(other, st+": "+trim(st))
			}
		}
		return append(r, strings.Join(other, "; "))
	}
	for _, c := range cs {
		for i, v := range row(byID[c.ID]) {
			has[i] = has[i] || v != ""
		}
	}
	var b strings.Builder
	b.WriteString("| ID |")
	sepLine := "|----|"
	for i, c := range cols {
		if has[i] {
			b.WriteString(" " + c + " |")
			sepLine += strings.Repeat("-", len(c)+2) + "|"
		}
	}
	b.WriteString("\n" + sepLine + "\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "| [`%s`](#%s) |", c.ID, Anchor(c.ID+": "+c.Title))
		for i, v := range row(byID[c.ID]) {
			if has[i] {
				b.WriteString(" " + cell(v) + " |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
