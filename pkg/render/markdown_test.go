package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/internal/reportcheck"
	"github.com/wacheck/wacheck/pkg/report"
)

func renderMarkdown(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Markdown(&buf, r, Options{FailOn: "fail"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// gfm is a Markdown parser configured as GitHub's: tables, strikethrough,
// task lists and autolinked URLs (GFM), raw HTML allowed through as
// GitHub lets <details> through.
func gfm() goldmark.Markdown {
	return goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(ghtml.WithUnsafe()))
}

// parsedMarkdown is a Markdown document as a real parser reads it: its
// syntax tree, and the HTML it renders to, parsed.
type parsedMarkdown struct {
	src  []byte
	doc  gast.Node
	html *html.Node
}

func parseMarkdown(t *testing.T, src []byte) parsedMarkdown {
	t.Helper()
	md := gfm()
	doc := md.Parser().Parse(text.NewReader(src))
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, src, doc); err != nil {
		t.Fatal(err)
	}
	h, err := html.Parse(&out)
	if err != nil {
		t.Fatal(err)
	}
	return parsedMarkdown{src: src, doc: doc, html: h}
}

// tables returns every table's rows as cell texts, header row first.
func (p parsedMarkdown) tables() [][][]string {
	var out [][][]string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "table" {
			var rows [][]string
			var row func(n *html.Node)
			row = func(n *html.Node) {
				if n.Type == html.ElementNode && n.Data == "tr" {
					var cells []string
					for c := n.FirstChild; c != nil; c = c.NextSibling {
						if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
							cells = append(cells, strings.TrimSpace(nodeText(c)))
						}
					}
					rows = append(rows, cells)
					return
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					row(c)
				}
			}
			row(n)
			out = append(out, rows)
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.html)
	return out
}

// elements counts the HTML elements called tag in the rendered document.
func (p parsedMarkdown) elements(tag string) int {
	n := 0
	var walk func(h *html.Node)
	walk = func(h *html.Node) {
		if h.Type == html.ElementNode && h.Data == tag {
			n++
		}
		for c := h.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(p.html)
	return n
}

func nodeText(n *html.Node) string {
	if n.Type == html.TextNode {
		return n.Data
	}
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		b.WriteString(nodeText(c))
	}
	return b.String()
}

// kinds counts the syntax tree's nodes by kind.
func (p parsedMarkdown) kinds() map[string]int {
	out := map[string]int{}
	_ = gast.Walk(p.doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if entering {
			out[n.Kind().String()]++
		}
		return gast.WalkContinue, nil
	})
	return out
}

// codeBlocks returns the fenced code blocks' contents by language.
func (p parsedMarkdown) codeBlocks() map[string][]string {
	out := map[string][]string{}
	_ = gast.Walk(p.doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if fc, ok := n.(*gast.FencedCodeBlock); ok && entering {
			var b strings.Builder
			for i := 0; i < fc.Lines().Len(); i++ {
				seg := fc.Lines().At(i)
				b.Write(seg.Value(p.src))
			}
			out[string(fc.Language(p.src))] = append(out[string(fc.Language(p.src))], b.String())
		}
		return gast.WalkContinue, nil
	})
	return out
}

// TestMarkdownGolden checks the Markdown of every sample with a real
// parser: the verdict heading, the problems with their fixes, the facts
// table's cells, one chain table per chain with the right columns, and the
// PEMs and the full JSON folded in <details>, the JSON the same document
// as --format json writes.
func TestMarkdownGolden(t *testing.T) {
	for _, s := range samples(t) {
		t.Run(s.name, func(t *testing.T) {
			out := renderMarkdown(t, s.r)
			golden(t, s.name+".md.golden", out)
			p := parseMarkdown(t, out)

			v := verdict(s.r)
			first := strings.SplitN(string(out), "\n", 2)[0]
			if !strings.HasPrefix(first, "## ") || !strings.Contains(first, strings.ToUpper(string(v.Status))) {
				t.Errorf("first line %q is not the verdict heading", first)
			}
			if n := p.elements("h2"); n != 1 {
				t.Errorf("%d level-2 headings, want the verdict only", n)
			}
			ps := mergedProblems(s.r)
			fixes := 0
			for _, pr := range ps {
				if pr.Remediation != "" {
					fixes++
				}
			}
			if got := strings.Count(string(out), "  - **Fix:** "); got != fixes {
				t.Errorf("%d fixes, want %d", got, fixes)
			}

			tables := p.tables()
			chains := servedChains(s.r)
			if len(tables) != 2+len(chains) {
				t.Fatalf("%d tables, want facts, checks and %d chains", len(tables), len(chains))
			}
			factRows := map[string]string{}
			for _, row := range tables[0][1:] {
				if len(row) != 2 {
					t.Errorf("facts row %q has %d cells", row, len(row))
					continue
				}
				factRows[row[0]] = row[1]
			}
			for _, f := range facts(s.r) {
				if got := factRows[f.label]; got != escape.Line(f.value) {
					t.Errorf("facts %s = %q, want %q", f.label, got, f.value)
				}
			}
			for _, want := range []string{"Tool", "Time"} {
				if _, ok := factRows[want]; !ok {
					t.Errorf("facts table has no %s", want)
				}
			}
			if s.r.Kind == "probe" {
				for _, want := range []string{"Target", "Address"} {
					found := false
					for k := range factRows {
						found = found || strings.HasPrefix(k, want)
					}
					if !found {
						t.Errorf("facts table has no %s", want)
					}
				}
			}
			if got := len(tables[1]) - 1; got != len(byCategory(s.r.Checks)) {
				t.Errorf("checks table has %d rows, want one per category", got)
			}
			for i, ch := range chains {
				rows := tables[2+i]
				if len(rows)-1 != len(ch.certs) {
					t.Errorf("chain %d: %d rows, want %d", i, len(rows)-1, len(ch.certs))
				}
				for _, row := range rows {
					if len(row) != 6 {
						t.Errorf("chain %d: row %q has %d cells, want 6", i, row, len(row))
					}
				}
			}

			if got, want := p.elements("details"), len(chains)+1; got != want {
				t.Errorf("%d <details> blocks, want %d", got, want)
			}
			blocks := p.codeBlocks()
			if len(blocks["json"]) != 1 {
				t.Fatalf("%d JSON blocks", len(blocks["json"]))
			}
			var js bytes.Buffer
			if err := JSON(&js, s.r); err != nil {
				t.Fatal(err)
			}
			if blocks["json"][0] != js.String() {
				t.Error("the JSON in <details> is not the JSON report")
			}
			var back report.Report
			if err := json.Unmarshal([]byte(blocks["json"][0]), &back); err != nil {
				t.Errorf("the JSON in <details> does not parse: %v", err)
			}
			if len(chains) > 0 && !strings.Contains(strings.Join(blocks[""], ""), "-----BEGIN CERTIFICATE-----") {
				t.Error("no PEM block")
			}
			if k := p.kinds(); k["Link"]+k["Image"]+k["AutoLink"]+k["RawHTML"] > 0 {
				t.Errorf("links, images or inline HTML in the report: %v", k)
			}
			if err := reportcheck.Markdown(out); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestMarkdownHostileNames: a server that names itself with Markdown and
// HTML gets neither a link, an image nor HTML into the ticket, and cannot
// break a table; the name is shown as sent (escaped for the terminal).
func TestMarkdownHostileNames(t *testing.T) {
	r := sampleNamed(t, "healthy")
	evil := "a](https://evil.example/x)[b | c <img src=x onerror=alert(1)> *em* _u_ `code` " +
		"&lt; &#x202e; ~~s~~ $x$ ![i](https://evil.example/i.png) <https://evil.example> <script>alert(1)</script>\u202e\x1b[2J"
	r.Addresses[0].Certificates[0].Subject = "CN=" + evil
	r.Addresses[0].Certificates[0].Key = "|"
	r.Add(report.Result{ID: "cert.hostname", Status: report.Fail, Title: "Name " + evil, Detail: "served " + evil,
		Remediation: "fix " + evil})
	out := renderMarkdown(t, r)
	p := parseMarkdown(t, out)
	if k := p.kinds(); k["Link"]+k["Image"]+k["AutoLink"]+k["RawHTML"] > 0 {
		t.Errorf("hostile name injected markup: %v\n%s", k, out)
	}
	for _, tag := range []string{"a", "img", "script", "em", "strong", "del", "code"} {
		want := 0
		if tag == "strong" {
			want = strings.Count(string(out), "**") / 2
		}
		if tag == "code" {
			// Code elements are the check ids and the fenced blocks; the
			// name's backticks stay text.
			if !strings.Contains(nodeText(p.html), "`code`") {
				t.Error("the backticks of the name were taken as a code span")
			}
			continue
		}
		if got := p.elements(tag); got != want {
			t.Errorf("%d <%s> elements, want %d", got, tag, want)
		}
	}
	if bytes.Contains(out, []byte("\u202e")) || bytes.Contains(out, []byte("\x1b")) {
		t.Error("raw bidi or escape control in the Markdown")
	}
	if err := reportcheck.Markdown(out); err != nil {
		t.Error(err)
	}
	tables := p.tables()
	chain := tables[2]
	for _, row := range chain {
		if len(row) != 6 {
			t.Fatalf("chain row %q has %d cells, want 6", row, len(row))
		}
	}
	if got, want := chain[1][1], escape.Line(evil); got != want {
		t.Errorf("subject cell %q, want %q", got, want)
	}
	if chain[1][4] != "|" {
		t.Errorf("key cell %q", chain[1][4])
	}
	if !strings.Contains(nodeText(p.html), "served "+escape.Line(evil)) {
		t.Error("the detail is not shown as sent")
	}
}

func TestMDText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":  "plain text",
		"a|b":         `a\|b`,
		"[x](y)":      `\[x\](y)`,
		"<b>":         `\<b\>`,
		"line\nbreak": `line\\nbreak`,
		"*_`~&!$\\":   "\\*\\_\\`\\~\\&\\!\\$\\\\",
		"see https://x.test or www.x.test, a@b.test": `see https\://x.test or www\.x.test, a\@b.test`,
		"bidi\u202eok": `bidi\\u202eok`,
	} {
		if got := mdText(in); got != want {
			t.Errorf("mdText(%q) = %q, want %q", in, got, want)
		}
	}
}
