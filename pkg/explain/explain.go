// Package explain holds what each check means to the owner of an endpoint:
// what it checks, why a sender cares, what each of its statuses says, and
// how to fix it on nginx, Apache, HAProxy, Caddy and the common cloud load
// balancers. It is the one source of `wacheck explain CHECK-ID` and of the
// generated parts of docs/checks.md (Generate).
//
// Each check's explanation is one Markdown file, checks/ID.md, embedded in
// the binary: prose with backquoted directives and fenced configuration
// reads and reviews better as Markdown than as Go strings (a Go raw string
// cannot hold a backquote), GitHub renders the file as it is, and one file
// per check lets engineers add checks side by side without touching a
// shared table. The file's shape is fixed (see parse) and every file is
// parsed by the tests, so a malformed one fails `go test`, not a user.
package explain

//go:generate go run ../../internal/gendocs -o ../../docs/checks.md

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed checks/*.md
var files embed.FS

// Statuses are the statuses an explanation may describe, in the order they
// are shown.
var Statuses = []string{"pass", "warn", "fail", "info", "skip"}

// Explanation is what one check means.
type Explanation struct {
	ID string `json:"id"`
	// What says what the check judges; Why, why a sender cares. Both are
	// Markdown paragraphs (inline code in backquotes).
	What string `json:"what"`
	Why  string `json:"why"`
	// Statuses holds what each status of the check means, keyed by status
	// (pass, warn, fail, info, skip); a status the check never gives is
	// absent.
	Statuses map[string]string `json:"statuses"`
	// Fixes are the remedies, one per server or platform, in the order
	// written.
	Fixes []Fix `json:"fixes"`
}

// Fix is the remedy on one server or platform.
type Fix struct {
	// Platform is the server or service: nginx, Apache, HAProxy, Caddy,
	// AWS ALB/NLB, ...
	Platform string `json:"platform"`
	// Text is Markdown: paragraphs and fenced code blocks.
	Text string `json:"text"`
}

// The section headings of an explanation file, in the order they must come.
const (
	headWhat     = "## What it checks"
	headWhy      = "## Why a sender cares"
	headStatuses = "## Statuses"
	headFixes    = "## Fixes"
)

// All returns every explanation, sorted by id. It fails only when an
// embedded file is malformed, which the tests rule out.
func All() ([]*Explanation, error) {
	names, err := fs.Glob(files, "checks/*.md")
	if err != nil {
		return nil, err
	}
	var out []*Explanation
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		e, err := parse(strings.TrimSuffix(path.Base(name), ".md"), string(raw))
		if err != nil {
			return nil, fmt.Errorf("pkg/explain/%s: %w", name, err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Explanation) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Lookup returns the explanation of the check id; nil when there is none.
func Lookup(id string) (*Explanation, error) {
	raw, err := files.ReadFile("checks/" + id + ".md")
	if err != nil || strings.ContainsAny(id, "/\\") {
		return nil, nil
	}
	e, err := parse(id, string(raw))
	if err != nil {
		return nil, fmt.Errorf("pkg/explain/checks/%s.md: %w", id, err)
	}
	return e, nil
}

// parse reads one explanation file:
//
//	# ID
//
//	## What it checks
//	paragraphs
//
//	## Why a sender cares
//	paragraphs
//
//	## Statuses
//	- pass: meaning (continued on lines indented by two spaces)
//	- fail: ...
//
//	## Fixes
//	### nginx
//	paragraphs and fenced code blocks
//	### Apache
//	...
func parse(id, text string) (*Explanation, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "# "+id {
		return nil, fmt.Errorf("the first line must be %q", "# "+id)
	}
	sections := map[string][]string{}
	var order []string
	cur := ""
	fence := false
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(l, "## ") {
			cur = strings.TrimSpace(l)
			if _, dup := sections[cur]; dup {
				return nil, fmt.Errorf("%q twice", cur)
			}
			sections[cur] = nil
			order = append(order, cur)
			continue
		}
		if cur == "" {
			if strings.TrimSpace(l) != "" {
				return nil, fmt.Errorf("text before %q", headWhat)
			}
			continue
		}
		sections[cur] = append(sections[cur], l)
	}
	if fence {
		return nil, fmt.Errorf("a code block is not closed")
	}
	if want := []string{headWhat, headWhy, headStatuses, headFixes}; !slices.Equal(order, want) {
		return nil, fmt.Errorf("sections %q, want %q", order, want)
	}
	e := &Explanation{ID: id, Statuses: map[string]string{},
		What: block(sections[headWhat]), Why: block(sections[headWhy])}
	if e.What == "" || e.Why == "" {
		return nil, fmt.Errorf("%q and %q must not be empty", headWhat, headWhy)
	}
	var last string
	for _, l := range sections[headStatuses] {
		switch {
		case strings.TrimSpace(l) == "":
			last = ""
		case strings.HasPrefix(l, "- "):
			st, meaning, ok := strings.Cut(strings.TrimPrefix(l, "- "), ": ")
			if !ok || !slices.Contains(Statuses, st) {
				return nil, fmt.Errorf("status line %q: want \"- STATUS: meaning\" with STATUS one of %s", l, strings.Join(Statuses, ", "))
			}
			if _, dup := e.Statuses[st]; dup {
				return nil, fmt.Errorf("status %s twice", st)
			}
			e.Statuses[st] = strings.TrimSpace(meaning)
			last = st
		case strings.HasPrefix(l, "  ") && last != "":
			e.Statuses[last] += " " + strings.TrimSpace(l)
		default:
			return nil, fmt.Errorf("status line %q: want \"- STATUS: meaning\"", l)
		}
	}
	if len(e.Statuses) == 0 {
		return nil, fmt.Errorf("no status described")
	}
	var fix *Fix
	var body []string
	flush := func() {
		if fix != nil {
			fix.Text = block(body)
			e.Fixes = append(e.Fixes, *fix)
		}
	}
	fence = false
	for _, l := range sections[headFixes] {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(l, "### ") {
			flush()
			fix, body = &Fix{Platform: strings.TrimSpace(strings.TrimPrefix(l, "### "))}, nil
			continue
		}
		if fix == nil {
			if strings.TrimSpace(l) != "" {
				return nil, fmt.Errorf("fix text before the first \"### PLATFORM\"")
			}
			continue
		}
		body = append(body, l)
	}
	flush()
	if len(e.Fixes) == 0 {
		return nil, fmt.Errorf("no fix: give at least one \"### PLATFORM\"")
	}
	for _, f := range e.Fixes {
		if f.Text == "" {
			return nil, fmt.Errorf("fix %q is empty", f.Platform)
		}
	}
	return e, nil
}

// block joins lines into Markdown text without leading or trailing blank
// lines, each paragraph (and list item) on one line, so that the JSON of an
// explanation has no line breaks but between paragraphs and in code.
func block(lines []string) string {
	var out []string
	fence, joining := false, false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "```"):
			fence, joining = !fence, false
			out = append(out, l)
		case fence:
			out = append(out, l)
		case strings.TrimSpace(l) == "":
			joining = false
			out = append(out, "")
		case joining && !strings.HasPrefix(l, "- "):
			out[len(out)-1] += " " + strings.TrimSpace(l)
		default:
			joining = true
			out = append(out, strings.TrimRight(l, " "))
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
