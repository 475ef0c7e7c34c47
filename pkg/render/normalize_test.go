package render

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/wacheck/wacheck/pkg/report"
)

// roundTripNormalize is what normalize did before it copied with
// reflection: a JSON round trip, then every nil slice made empty.
func roundTripNormalize(t *testing.T, r *report.Report) *report.Report {
	t.Helper()
	c := clone(t, r) // the JSON round trip
	fillNilSlices(reflect.ValueOf(c).Elem())
	c.Status = overall(r)
	return c
}

// fillNilSlices replaces every nil slice reachable from v with an empty one.
func fillNilSlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			fillNilSlices(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fillNilSlices(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			if v.CanSet() {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			fillNilSlices(v.Index(i))
		}
	}
}

func indented(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNormalizeMatchesRoundTrip: on every sample report (real probes of
// loopback servers), and on one with nil slices at every depth, normalize
// encodes byte for byte as the JSON round trip did, and leaves its input
// as it was.
func TestNormalizeMatchesRoundTrip(t *testing.T) {
	reps := map[string]*report.Report{}
	for _, s := range samples(t) {
		reps[s.name] = s.r
	}
	bare := sampleNamed(t, "healthy")
	bare.Status = ""
	bare.Checks = nil
	if bare.Agreement != nil {
		bare.Agreement.Working = nil
	}
	for i, a := range bare.Addresses {
		if a.Leaf != nil {
			a.Leaf.SANs = nil // behind a pointer in a slice element
		}
		if e := a.Enumeration; e != nil {
			e.Groups = nil
			for j := range e.Protocols {
				e.Protocols[j].Ciphers = nil
			}
		}
		bare.Addresses[i] = a
	}
	reps["nil-slices"] = bare
	reps["empty"] = &report.Report{}
	for name, r := range reps {
		before := indented(t, r)
		want := indented(t, roundTripNormalize(t, r))
		got := indented(t, normalize(r))
		if !bytes.Equal(got, want) {
			t.Errorf("%s: normalize encodes differently from the round trip:\n%s\nwant\n%s", name, got, want)
		}
		if after := indented(t, r); !bytes.Equal(after, before) {
			t.Errorf("%s: normalize changed its input", name)
		}
		if name == "empty" && !bytes.Contains(got, []byte(`"checks": []`)) {
			t.Errorf("empty report: want \"checks\": [], got\n%s", got)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	var t testing.T
	r := sampleNamed(&t, "load-balancer")
	for b.Loop() {
		normalize(r)
	}
}

// TestPrepare: the formats that write JSON warm encoding/json up with an
// empty report, which encodes without error (a type encoding/json cannot
// encode would make the warm-up silently useless); the others have nothing
// to warm. Prepare and a write at once race on nothing (go test -race).
func TestPrepare(t *testing.T) {
	if err := encodeEmpty(); err != nil {
		t.Fatalf("encoding an empty report: %v", err)
	}
	for _, name := range Names() {
		f, _ := Lookup(name)
		if want := name == "json" || name == "jsonl"; (f.warm != nil) != want {
			t.Errorf("%s: warm-up set = %v, want %v", name, f.warm != nil, want)
		}
		f.Prepare()
		var buf bytes.Buffer
		if err := f.Write(&buf, sampleNamed(t, "healthy"), Options{FailOn: "fail"}); err != nil || buf.Len() == 0 {
			t.Errorf("%s: writing beside Prepare: %v, %d bytes", name, err, buf.Len())
		}
	}
}
