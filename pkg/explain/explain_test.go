package explain

import (
	"bytes"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/wacheck/wacheck/pkg/checks"
)

// TestEveryCheckIsExplained: every registered check has an explanation,
// and every explanation is of a registered check.
func TestEveryCheckIsExplained(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	registered := map[string]bool{}
	for _, d := range checks.All() {
		registered[d.ID] = true
		e, err := Lookup(d.ID)
		if err != nil {
			t.Errorf("%s: %v", d.ID, err)
		} else if e == nil {
			t.Errorf("check %s has no explanation: write pkg/explain/checks/%s.md", d.ID, d.ID)
		}
	}
	for _, e := range all {
		if !registered[e.ID] {
			t.Errorf("pkg/explain/checks/%s.md explains no registered check", e.ID)
		}
	}
	if len(all) != len(registered) {
		t.Errorf("%d explanations for %d checks", len(all), len(registered))
	}
}

// fileExt are the extensions of file names that look like check ids
// (cert.pem).
var fileExt = map[string]bool{".pem": true, ".der": true, ".crt": true, ".key": true, ".csr": true, ".pfx": true}

// checkRef is a backquoted word shaped like a check id.
var checkRef = regexp.MustCompile("`([a-z0-9]+\\.[a-z0-9_]+)`")

// TestExplanationsNameOnlyKnownChecks: a check id an explanation refers to
// (`chain.complete`) is a registered one, so a renamed check cannot leave
// a dangling reference behind.
func TestExplanationsNameOnlyKnownChecks(t *testing.T) {
	registered := map[string]bool{}
	cats := map[string]bool{}
	for _, d := range checks.All() {
		registered[d.ID] = true
		cat, _, _ := strings.Cut(d.ID, ".")
		cats[cat] = true
	}
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range all {
		texts := []string{e.What, e.Why}
		for _, m := range e.Statuses {
			texts = append(texts, m)
		}
		for _, f := range e.Fixes {
			texts = append(texts, f.Text)
		}
		for _, text := range texts {
			for _, m := range checkRef.FindAllStringSubmatch(text, -1) {
				cat, _, _ := strings.Cut(m[1], ".")
				if !cats[cat] || fileExt[path.Ext(m[1])] {
					continue // a file name, a domain: not a check
				}
				seen++
				if !registered[m[1]] {
					t.Errorf("%s names %s, which is no registered check", e.ID, m[1])
				}
			}
		}
	}
	if seen == 0 {
		t.Error("no explanation refers to another check: the pattern finds nothing")
	}
}

func TestParseRejectsMalformedFiles(t *testing.T) {
	good := "# a.b\n\n## What it checks\nx\n\n## Why a sender cares\ny\n\n## Statuses\n- pass: p\n  more\n\n## Fixes\n### nginx\n```nginx\n## not a heading\n```\n"
	e, err := parse("a.b", good)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if e.Statuses["pass"] != "p more" || len(e.Fixes) != 1 || !strings.Contains(e.Fixes[0].Text, "## not a heading") {
		t.Errorf("parsed %+v", e)
	}
	for name, text := range map[string]string{
		"wrong id":        strings.Replace(good, "# a.b", "# a.c", 1),
		"missing why":     strings.Replace(good, "## Why a sender cares\ny\n", "", 1),
		"unknown status":  strings.Replace(good, "- pass: p", "- good: p", 1),
		"no fix":          strings.Replace(good, "### nginx\n```nginx\n## not a heading\n```\n", "", 1),
		"open code block": strings.TrimSuffix(good, "```\n"),
		"twice":           good + "## Fixes\n",
	} {
		if _, err := parse("a.b", text); err == nil {
			t.Errorf("%s: parsed without an error", name)
		}
	}
}

// TestTextFitsTheWidth: every explanation, as wacheck explain prints it,
// fits 80 columns, and 60 (the narrowest layout) but for configuration
// lines, which are never wrapped.
func TestTextFitsTheWidth(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	reg := Registry()
	for _, width := range []int{80, 60} {
		for _, e := range all {
			i := slices.IndexFunc(reg, func(c Check) bool { return c.ID == e.ID })
			if i < 0 {
				continue // TestEveryCheckIsExplained says so
			}
			out := Text(reg[i], e, width)
			code := codeLines(e)
			for n, l := range strings.Split(out, "\n") {
				if utf8.RuneCountInString(l) <= width {
					continue
				}
				if width < 80 && code[strings.TrimSpace(l)] {
					continue
				}
				t.Errorf("%s at %d columns: line %d has %d: %q", e.ID, width, n+1, utf8.RuneCountInString(l), l)
			}
			for _, want := range []string{e.ID, "What it checks", "Why a sender cares", "What each status means", "How to fix it", e.Fixes[0].Platform} {
				if !strings.Contains(out, want) {
					t.Errorf("%s: the text lacks %q", e.ID, want)
				}
			}
			if strings.Contains(out, "`") {
				t.Errorf("%s: backquotes left in the text", e.ID)
			}
		}
	}
}

func codeLines(e *Explanation) map[string]bool {
	out := map[string]bool{}
	for _, f := range e.Fixes {
		for _, l := range strings.Split(f.Text, "\n") {
			out[strings.TrimSpace(l)] = true
		}
	}
	return out
}

// TestTextLayout pins the layout of one explanation: the sections, a status
// with its meaning wrapped under it, a fix's code indented as written.
func TestTextLayout(t *testing.T) {
	e, err := Lookup("chain.complete")
	if err != nil || e == nil {
		t.Fatalf("chain.complete: %v", err)
	}
	out := Text(Check{ID: "chain.complete", Title: "Certificate chain is complete", Category: "chain",
		CategoryTitle: "Certificate chain", Judges: "the certificate chain"}, e, 80)
	for _, want := range []string{
		"chain.complete — Certificate chain is complete\n",
		"\nWhat it checks\n  Whether the certificates the server sends",
		"\n  pass  the served certificates",
		"\n  fail  the server did not send an intermediate",
		"\n  nginx\n    Serve the full chain file",
		"\n      ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;\n",
		"\n  HAProxy\n",
		"\n  Caddy\n",
		"\n  AWS ALB/NLB\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the text lacks %q:\n%s", want, out)
		}
	}
}

// TestChecksDocIsGenerated: docs/checks.md is what the generator writes
// from the explanations and the registry (the drift test).
func TestChecksDocIsGenerated(t *testing.T) {
	const path = "../../docs/checks.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ChecksDoc(doc)
	if err != nil {
		t.Fatalf("generating docs/checks.md: %v", err)
	}
	if !bytes.Equal(doc, want) {
		a, b := strings.Split(string(doc), "\n"), strings.Split(string(want), "\n")
		line := 0
		for line < len(a) && line < len(b) && a[line] == b[line] {
			line++
		}
		t.Errorf("docs/checks.md differs from what the generator writes (first at line %d): run %s", line+1, DocsCommand)
	}
	for _, d := range checks.All() {
		if !strings.Contains(string(want), "`"+d.ID+"`: "+d.Title) {
			t.Errorf("the generated docs/checks.md has no section for %s", d.ID)
		}
	}
}

// TestChecksDocMarkers: a category without its table region, an unknown
// marker and an unclosed one are errors that say what to do.
func TestChecksDocMarkers(t *testing.T) {
	doc, err := os.ReadFile("../../docs/checks.md")
	if err != nil {
		t.Fatal(err)
	}
	out, err := ChecksDoc(doc)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ChecksDoc(out)
	if err != nil || !bytes.Equal(out, again) {
		t.Errorf("generating twice changes the file (err %v)", err)
	}
	noDNS := strings.Replace(string(doc), markTable+"dns"+markClose, "<!-- x -->", 1)
	noDNS = strings.Replace(noDNS, "<!-- x -->\n", "", 1)
	if !strings.Contains(string(doc), markTable+"dns"+markClose) {
		t.Fatal("docs/checks.md has no dns table region")
	}
	if _, err := ChecksDoc([]byte(strings.Replace(string(doc), markTable+"dns"+markClose, markTable+"nope"+markClose, 1))); err == nil ||
		!strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("an unknown category: %v", err)
	}
	i := strings.Index(string(doc), markTable+"dns"+markClose)
	j := i + strings.Index(string(doc[i:]), markEnd)
	cut := string(doc[:i]) + string(doc[j+len(markEnd):])
	if _, err := ChecksDoc([]byte(cut)); err == nil || !strings.Contains(err.Error(), "no table for the dns checks") {
		t.Errorf("a missing table: %v", err)
	}
	if _, err := ChecksDoc([]byte(strings.Replace(string(doc), markEnd, "", 1))); err == nil {
		t.Error("an unclosed region: no error")
	}
}

// TestChecksDocTablesParse: each generated table is one GitHub table (read
// by goldmark) with a row per check of its category and as many cells in
// every row as in its header, so that no status text breaks the table.
func TestChecksDocTablesParse(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Explanation{}
	for _, e := range all {
		byID[e.ID] = e
	}
	byCat := map[string][]Check{}
	for _, c := range Registry() {
		byCat[c.Category] = append(byCat[c.Category], c)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	for cat, cs := range byCat {
		src := []byte(table(cs, byID))
		doc := md.Parser().Parse(text.NewReader(src))
		tables, rows := 0, 0
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if !entering {
				return ast.WalkContinue, nil
			}
			switch n := n.(type) {
			case *east.Table:
				tables++
				cols := len(n.Alignments)
				for r := n.FirstChild(); r != nil; r = r.NextSibling() {
					if r.ChildCount() != cols {
						t.Errorf("%s: a row of %d cells in a table of %d columns", cat, r.ChildCount(), cols)
					}
				}
			case *east.TableRow:
				rows++
			}
			return ast.WalkContinue, nil
		})
		if tables != 1 || rows != len(cs) {
			t.Errorf("%s: %d tables, %d rows; want 1 and %d:\n%s", cat, tables, rows, len(cs), src)
		}
	}
}
