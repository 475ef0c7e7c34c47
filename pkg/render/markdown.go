package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/pkg/report"
)

// Markdown writes r for a support ticket or a pull-request comment, as
// GitHub and GitLab render it: the verdict, each failing and warning check
// with its fix, a table of facts (target, addresses, TLS, chain, timings,
// tool and time), the checks by category, the chain as served, and the
// certificates' PEM and the full JSON report folded in <details>.
//
// Everything a server sent is escaped for Markdown (mdText), so that a
// certificate name can neither inject a link, an image or HTML nor break a
// table. A bare URL stays text, which GitHub may show as a link to that
// same URL.
func Markdown(w io.Writer, r *report.Report, o Options) error {
	var b bytes.Buffer
	v := verdict(r)
	fmt.Fprintf(&b, "## %s %s: %s\n\n", statusEmoji[v.Status], strings.ToUpper(string(v.Status)), mdText(v.Sentence))
	fmt.Fprintf(&b, "%s\n", mdText(r.Summary.Line()))

	if ps := mergedProblems(r); len(ps) > 0 {
		b.WriteString("\n### Problems\n\n")
		for _, p := range ps {
			at := "`" + p.ID + "`"
			if p.Address != "" && len(r.Addresses) > 1 {
				at += ", " + mdText(p.Address)
			}
			fmt.Fprintf(&b, "- %s **%s** (%s): %s\n", statusEmoji[p.Status], mdText(p.Title), at, mdText(p.Detail))
			if p.Remediation != "" {
				fmt.Fprintf(&b, "  - **Fix:** %s\n", mdText(p.Remediation))
			}
		}
	}

	b.WriteString("\n### Facts\n\n| | |\n|---|---|\n")
	for _, f := range facts(r) {
		fmt.Fprintf(&b, "| %s | %s |\n", mdText(f.label), mdText(f.value))
	}

	b.WriteString("\n### Checks\n\n| Category | Result |\n|---|---|\n")
	for _, g := range byCategory(r.Checks) {
		fmt.Fprintf(&b, "| %s %s | %s |\n", statusEmoji[worstOf(g.results)], mdText(g.title), mdText(countLine(g.results)))
	}

	for _, g := range servedChains(r) {
		title := fmt.Sprintf("Chain (%d %s, leaf first", len(g.certs), pluralWord(len(g.certs), "certificate"))
		if len(r.Addresses) > 1 {
			title += "; served by " + strings.Join(g.addrs, ", ")
		}
		fmt.Fprintf(&b, "\n### %s)\n\n", mdText(title))
		b.WriteString("| # | Subject | Issuer | Expires | Key | Signature |\n|---|---|---|---|---|---|\n")
		for _, c := range g.certs {
			if c.ParseError != "" {
				fmt.Fprintf(&b, "| %d | unparseable: %s | | | | |\n", c.Index, mdText(c.ParseError))
				continue
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %s |\n", c.Index, mdText(certName(c.Subject, c.SANs)),
				mdText(certName(c.Issuer, nil)), mdText(expires(c)), mdText(c.Key), mdText(c.SignatureAlgorithm))
		}
		var pems strings.Builder
		for _, c := range g.certs {
			if c.PEM != "" {
				pems.WriteString(strings.TrimRight(c.PEM, "\n") + "\n")
			}
		}
		if pems.Len() > 0 {
			details(&b, "Certificates (PEM, as served)", "", pems.String())
		}
	}

	var js bytes.Buffer
	if err := JSON(&js, r); err != nil {
		return err
	}
	details(&b, "Full report (JSON)", "json", js.String())
	_, err := w.Write(b.Bytes())
	return err
}

var statusEmoji = map[report.Status]string{
	report.Pass: "✅",
	report.Warn: "⚠️",
	report.Fail: "❌",
	report.Info: "ℹ️",
	report.Skip: "⏭️",
}

// details writes a folded block holding body as a fenced code block; the
// fence is longer than any run of backticks in body, so body cannot end it.
func details(b *bytes.Buffer, summary, lang, body string) {
	fence := "```"
	for strings.Contains(body, fence) {
		fence += "`"
	}
	fmt.Fprintf(b, "\n<details><summary>%s</summary>\n\n%s%s\n%s\n%s\n\n</details>\n", mdText(summary), fence, lang,
		strings.TrimRight(body, "\n"), fence)
}

// mdText makes text that may hold what a server sent safe inside a line of
// Markdown, in a paragraph, a list item or a table cell: control characters
// are escaped as for the terminal (escape.Line: one line, no bidi
// controls), then every character that Markdown or HTML give a meaning
// inline is backslash-escaped: no emphasis, code span, link, image, raw
// HTML, entity or table cell boundary can come from it.
func mdText(s string) string {
	s = escape.Line(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		if strings.ContainsRune(mdSpecial, r) || r == ':' && strings.HasPrefix(s[i+1:], "//") ||
			r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mdSpecial are the characters with an inline meaning in GitHub and GitLab
// Markdown: escape, code span, emphasis, link and image brackets, HTML and
// autolink angle brackets, table cells, strikethrough, entities and inline
// maths; and the ':' of "://", '@' and the dot of "www." that GitHub's
// autolink extension would turn into links. Text never starts a line here (it
// follows a list marker, a label or a cell boundary), so block markers (#,
// -, 1.) need no escape.
const mdSpecial = "\\`*_[]<>|~&!$@"
