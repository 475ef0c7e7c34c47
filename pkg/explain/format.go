package explain

import (
	"fmt"
	"strings"

	"github.com/wacheck/wacheck/pkg/render"
)

// Check is what the registry says of a check (pkg/checks): the explanation
// is shown with it.
type Check struct {
	ID    string
	Title string
	// Category is the part of the id before the dot; CategoryTitle its
	// heading as reports show it.
	Category      string
	CategoryTitle string
	// Judges says in words what the check judges ("the certificate chain").
	Judges string
}

// Text writes e for a terminal, every line within width columns (wrapped
// at spaces; configuration lines are written as they are, and the tests
// keep them short enough). Backquotes are left out.
func Text(c Check, e *Explanation, width int) string {
	if width <= 0 {
		width = render.DefaultWidth
	}
	var b strings.Builder
	para := func(indent, text string) {
		writeBlocks(&b, indent, text, width)
	}
	para("", c.ID+" — "+c.Title)
	para("", fmt.Sprintf("Category: %s (%s). Judges %s.", c.CategoryTitle, c.Category, c.Judges))
	b.WriteString("\nWhat it checks\n")
	para("  ", e.What)
	b.WriteString("\nWhy a sender cares\n")
	para("  ", e.Why)
	b.WriteString("\nWhat each status means\n")
	for _, st := range Statuses {
		m, ok := e.Statuses[st]
		if !ok {
			continue
		}
		lines := render.Wrap(strings.ReplaceAll(m, "`", ""), width-8)
		for i, l := range lines {
			lead := "        "
			if i == 0 {
				lead = fmt.Sprintf("  %-4s  ", st)
			}
			b.WriteString(strings.TrimRight(lead+l, " ") + "\n")
		}
	}
	b.WriteString("\nHow to fix it\n")
	for i, f := range e.Fixes {
		if i > 0 {
			b.WriteString("\n")
		}
		para("  ", f.Platform)
		para("    ", f.Text)
	}
	b.WriteString("\n")
	para("", "wacheck checks lists every check; docs/checks.md has these explanations too.")
	return b.String()
}

// writeBlocks writes Markdown text as wrapped paragraphs after indent: a
// blank line between paragraphs, "- " items with a hanging indent, and
// fenced code blocks as they are, two columns further in. Backquotes are
// left out of the paragraphs.
func writeBlocks(b *strings.Builder, indent, text string, width int) {
	room := width - len(indent)
	var para []string
	first := true
	flush := func() {
		if len(para) == 0 {
			return
		}
		joined := strings.Join(para, " ")
		para = nil
		lead, hang := indent, indent
		if strings.HasPrefix(joined, "- ") {
			joined = strings.TrimPrefix(joined, "- ")
			lead, hang = indent+"- ", indent+"  "
		}
		for i, l := range render.Wrap(joined, room-(len(lead)-len(indent))) {
			p := hang
			if i == 0 {
				p = lead
			}
			b.WriteString(strings.TrimRight(p+l, " ") + "\n")
		}
	}
	sep := func() {
		if !first {
			b.WriteString("\n")
		}
		first = false
	}
	fence := false
	prevItem := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "```"):
			if !fence {
				flush()
				sep()
			}
			fence = !fence
		case fence:
			b.WriteString(strings.TrimRight(indent+"  "+l, " ") + "\n")
		case strings.TrimSpace(l) == "":
			flush()
			prevItem = false
		case strings.HasPrefix(l, "- "):
			flush()
			if !prevItem {
				sep()
			}
			prevItem = true
			para = append(para, strings.ReplaceAll(l, "`", ""))
		default:
			if len(para) == 0 && !prevItem {
				sep()
			}
			para = append(para, strings.ReplaceAll(strings.TrimSpace(l), "`", ""))
		}
	}
	flush()
}

// Markdown writes e as a Markdown section whose heading has level
// (2 for "##"): the title, what and why, a table of the statuses and one
// subsection per fix.
func Markdown(c Check, e *Explanation, level int) string {
	h := strings.Repeat("#", level)
	var b strings.Builder
	fmt.Fprintf(&b, "%s `%s`: %s\n\n", h, c.ID, c.Title)
	fmt.Fprintf(&b, "**What it checks.** %s\n\n", e.What)
	fmt.Fprintf(&b, "**Why a sender cares.** %s\n\n", e.Why)
	b.WriteString("| Status | Meaning |\n|--------|---------|\n")
	for _, st := range Statuses {
		if m, ok := e.Statuses[st]; ok {
			fmt.Fprintf(&b, "| `%s` | %s |\n", st, cell(m))
		}
	}
	b.WriteString("\n")
	for _, f := range e.Fixes {
		fmt.Fprintf(&b, "%s# %s\n\n%s\n\n", h, f.Platform, f.Text)
	}
	return b.String()
}

// cell makes text fit in one cell of a Markdown table.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", `\|`)
}

// Anchor is the fragment GitHub gives a Markdown heading: lower case,
// letters, digits, '-' and '_' kept, spaces made '-', the rest dropped.
func Anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case r > 127 && r != '—':
			b.WriteRune(r)
		}
	}
	return b.String()
}
