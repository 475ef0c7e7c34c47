// Package render turns a report into what a person or a program reads: a
// checklist for the terminal (Text) and the JSON contract pasted into support
// tickets (JSON, documented in docs/json.md and docs/schema/report.v2.json).
//
// Renderers never decide anything about the environment: whether to colour
// is the caller's choice, passed in TextOptions.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"unicode"
	"unicode/utf8"

	"github.com/wacheck/wacheck/pkg/report"
)

// JSON writes r as indented JSON followed by a newline.
//
// Lists are always arrays, never null: a list the probe left nil (no
// certificates after a refused connection, say) is written as []. r itself is
// not modified.
func JSON(w io.Writer, r *report.Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// Details and remediations quote config such as "<VirtualHost>"; keep
	// them readable rather than \u003c-escaped.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(normalize(r)); err != nil {
		return err
	}
	_, err := w.Write(escapeInvisible(buf.Bytes()))
	return err
}

// escapeInvisible writes DEL, C1 controls and bidirectional controls, which
// encoding/json leaves as they are, as \u escapes. Outside strings JSON is
// ASCII, so they can only be inside one; escaped they decode to the same
// text but can neither drive the terminal the JSON is printed on nor
// reorder what is read in a ticket. (encoding/json already escapes C0
// controls, U+2028 and U+2029, and replaces bytes that are not UTF-8.)
func escapeInvisible(b []byte) []byte {
	var out []byte // nil until something needs escaping
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.Is(unicode.Bidi_Control, r) {
			if out == nil {
				out = append(make([]byte, 0, len(b)+32), b[:i]...)
			}
			out = fmt.Appendf(out, `\u%04x`, r)
		} else if out != nil {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	if out == nil {
		return b
	}
	return out
}

// normalize returns a copy of r in which every nil slice is empty, so that
// the JSON has [] where the schema promises an array, and the overall status
// is set even when no check was added. The copy is deep where it matters (see
// withEmptySlices), so r is never modified.
func normalize(r *report.Report) *report.Report {
	c := withEmptySlices(reflect.ValueOf(*r)).Interface().(report.Report)
	c.Status = overall(r)
	return &c
}

// warmJSON has encoding/json build its encoders for every type a report
// holds (it builds them all, through pointers, slices and maps, on the
// first encoding of a Report): 1.5–4 ms in a new process, which the first
// report written then does without.
func warmJSON() {
	_ = encodeEmpty()
}

func encodeEmpty() error {
	return json.NewEncoder(io.Discard).Encode(normalize(&report.Report{}))
}

// marshalerType is json.Marshaler's: values that encode themselves are
// copied as they are.
var marshalerType = reflect.TypeFor[json.Marshaler]()

// withEmptySlices returns a copy of v in which every nil slice reachable
// through exported struct fields, pointers and slice elements is an empty
// one. What it does not descend into (maps, interfaces, values that encode
// themselves) is shared with v, never written. It does what a JSON round
// trip followed by filling the nil slices did, without parsing (the round
// trip took 4–5 ms of a probe's run, most of it encoding/json building its
// decoders).
func withEmptySlices(v reflect.Value) reflect.Value {
	t := v.Type()
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(withEmptySlices(v.Elem()))
		return p
	case reflect.Struct:
		c := reflect.New(t).Elem()
		c.Set(v)
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				c.Field(i).Set(withEmptySlices(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return reflect.MakeSlice(t, 0, 0)
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(withEmptySlices(v.Index(i)))
		}
		return c
	}
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// overall is the report's overall status, derived from the checks when the
// builder left it unset.
func overall(r *report.Report) report.Status {
	if r.Status != "" {
		return r.Status
	}
	return r.Worst().Overall()
}
