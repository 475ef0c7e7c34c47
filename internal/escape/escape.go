// Package escape writes text that may hold what a server sent (names, SANs,
// URLs, alerts, HTTP bodies) so that it can neither drive a terminal nor
// forge a line of a report: every control character is shown as an escape.
package escape

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s with what must not reach a reader as it is written
// visibly: line breaks and tabs as \n, \r and \t, other C0 controls, DEL
// and bytes that are not UTF-8 as \x1b, C1 controls, bidirectional controls
// and the Unicode line and paragraph separators as \u202e. What is left is
// one line of printable text. A string that needs nothing is returned as
// it is.
func Line(s string) string {
	if !needs(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case Unsafe(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needs(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || Unsafe(r) {
			return true
		}
		i += size
	}
	return false
}

// Unsafe reports whether r must not reach a reader as it is: a control
// character (C0, DEL, C1), a bidirectional control (U+202E reorders what
// follows it), or the line and paragraph separators U+2028 and U+2029.
func Unsafe(r rune) bool {
	switch {
	case r < 0x20 || r >= 0x7f && r < 0xa0, r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.Is(unicode.Bidi_Control, r)
}
