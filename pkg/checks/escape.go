package checks

import "github.com/wacheck/wacheck/internal/escape"

// A check's detail and remediation are one paragraph of text, and often
// quote what a server sent: a subject, a SAN, a URL, an alert, a
// client-CA name, an HTTP error. Anything in them that could drive a
// terminal or start a line of its own (a newline followed by "✓ all checks
// passed" or "fix: nothing to do") is written visibly instead (\n, \x1b,
// \u202e), for every check in one place: result() passes both through
// escaped. So JSON carries the same safe text as the terminal, and a check
// quoting a new server field cannot forget it. A check that wants a value
// escaped where it builds other text (a list it joins) uses serverValue.

// serverValue is a server-controlled value, escaped to one printable line.
func serverValue(s string) string { return escape.Line(s) }

// escaped is v with its detail and remediation escaped.
func (v verdict) escaped() verdict {
	v.detail = escape.Line(v.detail)
	v.remediation = escape.Line(v.remediation)
	return v
}
