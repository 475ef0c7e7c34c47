package webhook

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/wacheck/wacheck/pkg/profile"
)

// Escape writes bytes a server sent as printable ASCII: printable ASCII as
// it is, a backslash as \\, \n, \r and \t as such, every other character
// as \u00e4 (or \U0001f44b) and every byte that is not UTF-8 as \xff. What
// it returns can go to a terminal, a ticket or a Markdown table without
// driving or reordering anything, and reads back unambiguously.
func Escape(b []byte) string {
	var sb strings.Builder
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteString(`\t`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		case c < utf8.RuneSelf:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				fmt.Fprintf(&sb, `\x%02x`, c)
				i++
				continue
			}
			if r > 0xffff {
				fmt.Fprintf(&sb, `\U%08x`, r)
			} else {
				fmt.Fprintf(&sb, `\u%04x`, r)
			}
			i += size
			continue
		}
		i++
	}
	return sb.String()
}

// StripParams removes the verification parameters (hub.mode,
// hub.verify_token, hub.challenge and PHP's hub_* spellings) from a path
// and query, and returns what remains and the names removed. wacheck sends
// its own; a verify token left in a URL must not reach the report.
func StripParams(pathQuery string, v profile.Verification) (string, []string) {
	path, query, ok := strings.Cut(pathQuery, "?")
	if !ok {
		return pathQuery, nil
	}
	drop := map[string]bool{}
	for _, n := range []string{v.ModeParam, v.TokenParam, v.ChallengeParam} {
		if n != "" {
			drop[n] = true
			drop[strings.ReplaceAll(n, ".", "_")] = true
		}
	}
	var kept, dropped []string
	for _, kv := range strings.Split(query, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if name, err := url.QueryUnescape(k); err == nil && drop[name] {
			dropped = append(dropped, name)
			continue
		}
		if kv != "" {
			kept = append(kept, kv)
		}
	}
	if len(kept) == 0 {
		return path, dropped
	}
	return path + "?" + strings.Join(kept, "&"), dropped
}

// RedactParam replaces the value of the query parameter name (and its PHP
// spelling) in s, a URL or path as typed, with Redacted.
func RedactParam(s, name string) string {
	head, query, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	query, frag, hasFrag := strings.Cut(query, "#")
	names := map[string]bool{name: true, strings.ReplaceAll(name, ".", "_"): true}
	parts := strings.Split(query, "&")
	for i, kv := range parts {
		k, _, _ := strings.Cut(kv, "=")
		if n, err := url.QueryUnescape(k); err == nil && names[n] {
			parts[i] = k + "=" + Redacted
		}
	}
	out := head + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
