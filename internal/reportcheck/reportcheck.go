// Package reportcheck checks rendered reports the way their readers take
// them, for the tests of the renderers and of the integration scenarios:
// the text's width, the Markdown as a real parser (goldmark, GitHub
// flavoured) reads it, and the JUnit XML against the content model of the
// common JUnit schema (Jenkins' junit-10.xsd).
package reportcheck

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	ghtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// TextWidth returns an error naming the first line of out wider than width
// columns (one column per rune).
func TextWidth(out []byte, width int) error {
	for i, l := range strings.Split(string(out), "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			return fmt.Errorf("line %d is %d columns, more than %d: %q", i+1, n, width, l)
		}
	}
	return nil
}

// Markdown parses doc as GitHub does (GFM: tables, strikethrough, task
// lists, autolinks; raw HTML let through) and checks that it holds no
// link, image, autolink or inline HTML, that every HTML block is one of
// the report's <details> folds, that every table row has as many cells as
// its header, and that it has at least one table and one <details> block.
func Markdown(doc []byte) error {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(ghtml.WithUnsafe()))
	root := md.Parser().Parse(text.NewReader(doc))
	var problems []string
	tables, details := 0, 0
	_ = gast.Walk(root, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if !entering {
			return gast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *gast.Link, *gast.Image, *gast.AutoLink, *gast.RawHTML:
			problems = append(problems, fmt.Sprintf("%s node", n.Kind()))
		case *gast.HTMLBlock:
			var b strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				b.Write(seg.Value(doc))
			}
			h := strings.TrimSpace(b.String())
			switch {
			case strings.HasPrefix(h, "<details><summary>") && strings.HasSuffix(h, "</summary>"):
				details++
			case h == "</details>":
			default:
				problems = append(problems, fmt.Sprintf("HTML block %q", h))
			}
		}
		if n.Kind() == extast.KindTable {
			tables++
			cols := -1
			for row := n.FirstChild(); row != nil; row = row.NextSibling() {
				cells := row.ChildCount()
				if cols < 0 {
					cols = cells
				} else if cells != cols {
					problems = append(problems, fmt.Sprintf("table row of %d cells under a header of %d", cells, cols))
				}
			}
		}
		return gast.WalkContinue, nil
	})
	if tables == 0 {
		problems = append(problems, "no table")
	}
	if details == 0 {
		problems = append(problems, "no <details> block")
	}
	if len(problems) > 0 {
		return fmt.Errorf("markdown: %s", strings.Join(problems, "; "))
	}
	return nil
}

// junitModel is the content model of junit-10.xsd: for each element, the
// children it may have in the order allowed, which of them may repeat, and
// its required attributes.
var junitModel = map[string]struct {
	children []string
	repeat   []string
	required []string
}{
	"testsuites": {children: []string{"testsuite"}, repeat: []string{"testsuite"}},
	"testsuite": {children: []string{"properties", "testcase", "system-out", "system-err"},
		repeat: []string{"testcase"}, required: []string{"name", "tests"}},
	"properties": {children: []string{"property"}, repeat: []string{"property"}},
	"property":   {required: []string{"name", "value"}},
	"testcase": {children: []string{"skipped", "error", "failure", "system-out", "system-err"},
		repeat: []string{"error", "failure", "system-out", "system-err"}, required: []string{"name"}},
	"skipped":    {},
	"failure":    {},
	"error":      {},
	"system-out": {},
	"system-err": {},
}

// JUnit checks doc against the JUnit schema's content model with the XML
// tokenizer: a <testsuites> root, only the schema's elements, children in
// the order and number allowed, required attributes present, and each
// suite's tests, failures and skipped counts equal to what it holds. It
// returns each test case's outcome by name: pass, failure or skipped.
func JUnit(doc []byte) (map[string]string, error) {
	type frame struct {
		name    string
		lastPos int
		seen    map[string]int
	}
	cases := map[string]string{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var stack []*frame
	var suite map[string]string
	counts := map[string]int{}
	check := func() error {
		for _, k := range []string{"tests", "failures", "skipped"} {
			if got, _ := strconv.Atoi(suite[k]); got != counts[k] {
				return fmt.Errorf("junit: testsuite %s=%q, but %d found", k, suite[k], counts[k])
			}
		}
		return nil
	}
	var caseName string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("junit: not well-formed XML: %w", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			name := tk.Name.Local
			m, ok := junitModel[name]
			if !ok {
				return nil, fmt.Errorf("junit: element <%s> is not in the schema", name)
			}
			if len(stack) == 0 && name != "testsuites" {
				return nil, fmt.Errorf("junit: root <%s>, want <testsuites>", name)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				pm := junitModel[parent.name]
				pos := slices.Index(pm.children, name)
				switch {
				case pos < 0:
					return nil, fmt.Errorf("junit: <%s> inside <%s>", name, parent.name)
				case pos < parent.lastPos:
					return nil, fmt.Errorf("junit: <%s> after a later child of <%s>", name, parent.name)
				case parent.seen[name] > 0 && !slices.Contains(pm.repeat, name):
					return nil, fmt.Errorf("junit: <%s> twice in <%s>", name, parent.name)
				}
				parent.lastPos = pos
				parent.seen[name]++
			}
			attrs := map[string]string{}
			for _, a := range tk.Attr {
				attrs[a.Name.Local] = a.Value
			}
			for _, req := range m.required {
				if _, ok := attrs[req]; !ok {
					return nil, fmt.Errorf("junit: <%s> without its required %s attribute", name, req)
				}
			}
			switch name {
			case "testsuite":
				suite, counts = attrs, map[string]int{}
			case "testcase":
				counts["tests"]++
				caseName = attrs["name"]
				if _, dup := cases[caseName]; dup {
					return nil, fmt.Errorf("junit: two test cases named %q", caseName)
				}
				cases[caseName] = "pass"
			case "failure":
				counts["failures"]++
				cases[caseName] = "failure"
			case "skipped":
				counts["skipped"]++
				cases[caseName] = "skipped"
			}
			stack = append(stack, &frame{name: name, seen: map[string]int{}})
		case xml.EndElement:
			if tk.Name.Local == "testsuite" {
				if err := check(); err != nil {
					return nil, err
				}
			}
			stack = stack[:len(stack)-1]
		}
	}
	if suite == nil {
		return nil, fmt.Errorf("junit: no testsuite")
	}
	return cases, nil
}
