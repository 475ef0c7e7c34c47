package render

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/assemble"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/trust"
)

// schemaPath is the contract the JSON renderer writes. report.v1.json beside
// it is kept as history: nothing writes version 1 any more.
const schemaPath = "../../docs/schema/report.v2.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func renderJSON(t *testing.T, r *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestJSONMatchesSchema validates every JSON document the renderer writes
// for the samples, which come from real probes and real files, against
// docs/schema/report.v2.json.
func TestJSONMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	kinds := map[string]bool{}
	for _, s := range samples(t) {
		kinds[s.r.Kind] = true
		if err := validate(t, sch, renderJSON(t, s.r)); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
	}
	if !kinds["probe"] || !kinds["cert"] {
		t.Errorf("samples cover kinds %v, want probe and cert", kinds)
	}
	// Reports with every list nil and every optional pointer unset must
	// validate too: the renderer writes [] for nil.
	for name, r := range map[string]*report.Report{
		"probe": {SchemaVersion: report.SchemaVersion, Kind: "probe", Target: report.Target{Port: 443},
			DNS: &report.DNS{}, Agreement: &report.Agreement{}, Common: &report.Common{},
			Addresses: []report.Address{{Address: "192.0.2.1", Enumeration: &report.Enumeration{Protocols: []report.Protocol{{Version: "TLS 1.2"}}}}}},
		"cert": {SchemaVersion: report.SchemaVersion, Kind: "cert", Files: &report.Files{}},
	} {
		if err := validate(t, sch, renderJSON(t, r)); err != nil {
			t.Errorf("%s report with nil lists: %v", name, err)
		}
	}
}

// TestSchemaV1Kept keeps the version 1 schema, which documents what older
// releases wrote, a schema that compiles.
func TestSchemaV1Kept(t *testing.T) {
	c := jsonschema.NewCompiler()
	if _, err := c.Compile("../../docs/schema/report.v1.json"); err != nil {
		t.Error(err)
	}
}

// TestSchemaRejects proves the schema is not vacuous: each edit of a valid
// report breaks one rule.
func TestSchemaRejects(t *testing.T) {
	sch := compileSchema(t)
	for _, c := range []struct {
		name string
		edit func(m map[string]any)
	}{
		{"bad check status", func(m map[string]any) { check(m)["status"] = "passed" }},
		{"overall status info", func(m map[string]any) { m["status"] = "info" }},
		{"missing check detail", func(m map[string]any) { delete(check(m), "detail") }},
		{"null list", func(m map[string]any) { address(m)["certificates"] = nil }},
		{"unknown field", func(m map[string]any) { m["verdict"] = "ok" }},
		{"v1 field", func(m map[string]any) { m["tls"] = address(m)["tls"] }},
		{"unknown address field", func(m map[string]any) { address(m)["chain_sha256"] = []any{} }},
		{"time not RFC 3339", func(m map[string]any) { m["started_at"] = "1 March 2025" }},
		{"negative duration", func(m map[string]any) { address(m)["timings_ms"].(map[string]any)["connect"] = -1.0 }},
		{"bad check id", func(m map[string]any) { check(m)["id"] = "resolve" }},
		{"other schema version", func(m map[string]any) { m["schema_version"] = 1.0 }},
		{"unknown kind", func(m map[string]any) { m["kind"] = "scan" }},
		{"cert kind with DNS", func(m map[string]any) { m["kind"] = "cert" }},
		{"probe without agreement", func(m map[string]any) { m["agreement"] = nil }},
		{"unknown chain source", func(m map[string]any) { address(m)["chain"].(map[string]any)["source"] = "aia" }},
		{"chain fingerprint not hex", func(m map[string]any) { address(m)["chain"].(map[string]any)["sha256"] = []any{"abc"} }},
		{"long chain id", func(m map[string]any) {
			m["agreement"].(map[string]any)["chains"].([]any)[0].(map[string]any)["id"] = strings.Repeat("0", 64)
		}},
		{"served fields outside the address", func(m map[string]any) { m["certificates"] = []any{} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(renderJSON(t, sampleNamed(t, "healthy")), &m); err != nil {
				t.Fatal(err)
			}
			c.edit(m)
			doc, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, doc); err == nil {
				t.Error("schema accepted it")
			}
		})
	}
}

func check(m map[string]any) map[string]any {
	return m["checks"].([]any)[0].(map[string]any)
}

func address(m map[string]any) map[string]any {
	return m["addresses"].([]any)[0].(map[string]any)
}

// TestSchemaMatchesReportType walks report.Report by reflection beside the
// schema, so that a field added to, removed from or changed in pkg/report
// fails here until docs/schema/report.v2.json (and docs/json.md) follow:
// same property names, required exactly when not omitempty, nullable exactly
// when a pointer, and the JSON type of the Go type. The fields of an embedded
// struct (report.Served) are the object's own, as encoding/json writes them.
func TestSchemaMatchesReportType(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	w := schemaWalker{t: t, root: root}
	w.object("report", reflect.TypeFor[report.Report](), root)
}

type schemaWalker struct {
	t    *testing.T
	root map[string]any
}

// resolve follows a local $ref.
func (w schemaWalker) resolve(node map[string]any) map[string]any {
	for {
		ref, ok := node["$ref"].(string)
		if !ok {
			return node
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			w.t.Fatalf("unexpected $ref %s", ref)
		}
		node = w.root["$defs"].(map[string]any)[name].(map[string]any)
	}
}

// types lists the JSON types node allows, from type, const, enum and anyOf.
func (w schemaWalker) types(node map[string]any) []string {
	node = w.resolve(node)
	var out []string
	switch ty := node["type"].(type) {
	case string:
		out = append(out, ty)
	case []any:
		for _, v := range ty {
			out = append(out, v.(string))
		}
	}
	jsonType := func(v any) string {
		switch x := v.(type) {
		case string:
			return "string"
		case float64:
			if x == float64(int64(x)) {
				return "integer"
			}
			return "number"
		case nil:
			return "null"
		}
		return "?"
	}
	if v, ok := node["const"]; ok {
		out = append(out, jsonType(v))
	}
	if enum, ok := node["enum"].([]any); ok {
		for _, v := range enum {
			out = append(out, jsonType(v))
		}
	}
	if branches, ok := node["anyOf"].([]any); ok {
		for _, b := range branches {
			out = append(out, w.types(b.(map[string]any))...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// nonNull returns the branch of an anyOf that is not {"type": "null"}.
func (w schemaWalker) nonNull(node map[string]any) map[string]any {
	node = w.resolve(node)
	if branches, ok := node["anyOf"].([]any); ok {
		for _, b := range branches {
			bm := b.(map[string]any)
			if bm["type"] != "null" {
				return w.resolve(bm)
			}
		}
	}
	return node
}

func (w schemaWalker) object(path string, typ reflect.Type, node map[string]any) {
	node = w.nonNull(node)
	if node["additionalProperties"] != false {
		w.t.Errorf("%s: additionalProperties is not false", path)
	}
	props, _ := node["properties"].(map[string]any)
	var required []string
	for _, r := range node["required"].([]any) {
		required = append(required, r.(string))
	}
	seen := map[string]bool{}
	for _, f := range jsonFields(typ) {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		if seen[name] {
			w.t.Errorf("%s.%s: two fields of %s are written as %s", path, name, typ.Name(), name)
		}
		seen[name] = true
		fp := path + "." + name
		prop, ok := props[name].(map[string]any)
		if !ok {
			w.t.Errorf("%s: field %s.%s is not in the schema", fp, typ.Name(), f.Name)
			continue
		}
		omitempty := strings.Contains(opts, "omitempty")
		if slices.Contains(required, name) == omitempty {
			w.t.Errorf("%s: required is %v, omitempty is %v", fp, !omitempty, omitempty)
		}
		w.field(fp, f.Type, prop, omitempty)
	}
	for name := range props {
		if !seen[name] {
			w.t.Errorf("%s.%s: in the schema but not in %s", path, name, typ.Name())
		}
	}
}

// jsonFields lists the fields encoding/json writes for a struct, with the
// fields of an untagged embedded struct in its place.
func jsonFields(typ reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		out = append(out, f)
	}
	return out
}

func (w schemaWalker) field(path string, typ reflect.Type, node map[string]any, omitempty bool) {
	types := w.types(node)
	nullable := slices.Contains(types, "null")
	// An omitempty pointer is absent when nil, never null.
	wantNull := typ.Kind() == reflect.Pointer && !omitempty
	if nullable != wantNull {
		w.t.Errorf("%s: schema allows null %v, want %v (Go type %s)", path, nullable, wantNull, typ)
	}
	if typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := ""
	switch {
	case typ == reflect.TypeFor[time.Time]():
		want = "string"
		if w.nonNull(node)["format"] != "date-time" {
			w.t.Errorf("%s: time without format date-time", path)
		}
	case typ.Kind() == reflect.String:
		want = "string"
	case typ.Kind() == reflect.Bool:
		want = "boolean"
	case typ.Kind() == reflect.Int:
		want = "integer"
	case typ.Kind() == reflect.Float64:
		want = "number"
	case typ.Kind() == reflect.Slice:
		want = "array"
		items, _ := w.nonNull(node)["items"].(map[string]any)
		if items == nil {
			w.t.Errorf("%s: array without items", path)
			return
		}
		w.field(path+"[]", typ.Elem(), items, false)
	case typ.Kind() == reflect.Struct:
		want = "object"
		w.object(path, typ, node)
	default:
		w.t.Errorf("%s: Go type %s not handled by this test", path, typ)
		return
	}
	if !slices.Contains(types, want) || len(types) > 1+btoi(nullable) {
		w.t.Errorf("%s: schema types %v, want %s for Go type %s", path, types, want, typ)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestSchemaStatusEnums keeps the schema's status values in step with the
// constants in pkg/report, which reflection cannot see, and its kinds with
// the reports the builder makes.
func TestSchemaStatusEnums(t *testing.T) {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Properties struct {
			Status struct{ Enum []string } `json:"status"`
		} `json:"properties"`
		Defs struct {
			Status struct{ Enum []string } `json:"status"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var kinds struct {
		Properties struct {
			Kind struct{ Enum []string } `json:"kind"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &kinds); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kinds.Properties.Kind.Enum, ","); got != "probe,cert,webhook" {
		t.Errorf("kind enum %s, want probe,cert,webhook (the commands that write reports)", got)
	}
	all := []report.Status{report.Pass, report.Info, report.Skip, report.Warn, report.Fail}
	var checkWant, overallWant []string
	for _, s := range all {
		checkWant = append(checkWant, string(s))
		if !slices.Contains(overallWant, string(s.Overall())) {
			overallWant = append(overallWant, string(s.Overall()))
		}
	}
	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"check status", root.Defs.Status.Enum, checkWant},
		{"overall status", root.Properties.Status.Enum, overallWant},
	} {
		slices.Sort(c.got)
		slices.Sort(c.want)
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s enum %v, want %v", c.name, c.got, c.want)
		}
	}
}

const docPath = "../../docs/json.md"

// TestDocExampleMatchesSchema validates the example in docs/json.md.
func TestDocExampleMatchesSchema(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "\n```json\n")
	example, _, ok2 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 {
		t.Fatal("no ```json block in docs/json.md")
	}
	if err := validate(t, compileSchema(t), []byte(example)); err != nil {
		t.Error(err)
	}
}

// TestDocCoversSchema checks that docs/json.md documents every property of
// the schema, in backquotes.
func TestDocCoversSchema(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, node any)
	walk = func(path string, node any) {
		m, ok := node.(map[string]any)
		if !ok {
			return
		}
		if props, ok := m["properties"].(map[string]any); ok {
			for name, p := range props {
				if !strings.Contains(string(doc), "| `"+name+"` |") {
					t.Errorf("docs/json.md has no table row for %s.%s", path, name)
				}
				walk(path+"."+name, p)
			}
		}
	}
	walk("report", root)
	for name, def := range root["$defs"].(map[string]any) {
		walk(name, def)
	}
}

// TestJSONServerStrings shows that strings a server controls survive the
// JSON encoding: the document stays valid JSON in valid UTF-8 that the
// schema accepts, each string decodes to what was sent (bytes that are not
// UTF-8 become U+FFFD), and controls that could drive a terminal or reorder
// text are \u-escaped rather than written raw.
func TestJSONServerStrings(t *testing.T) {
	hostile := "evil\x1b[31m\u202egnp.exe\u2066\"q\"\\ </script>\x00\r\n\t\x7f\u0085\u2028\ufeff😀"
	// A real certificate whose names hold it, judged as files.
	root := testpki.NewRoot(t, testpki.CAOptions{Now: started, CommonName: hostile})
	leaf := root.Leaf(t, testpki.LeafOptions{Now: started, CommonName: hostile, DNSNames: []string{"hooks.example.com"},
		OCSPServer: []string{"http://ocsp.example/" + hostile}})
	set := &subject.Set{Chain: &subject.Chain{Certs: [][]byte{leaf.DER, root.DER}, Name: "hooks.example.com", Source: "files"}}
	files := assemble.Files(set, assemble.FilesInfo{Input: hostile, Paths: []string{hostile}},
		checks.Context{Profile: profile.MustLookup(profile.Default), Roots: trust.New("test roots", root.Cert),
			Thresholds: checks.DefaultThresholds(), Now: started}, started, started)
	if files.Files == nil || len(files.Files.Certificates) != 2 || !strings.Contains(files.Files.Certificates[0].Subject, "evil") {
		t.Fatalf("the hostile certificate was not described: %+v", files.Files)
	}

	// A probe's report, with what servers send in its free text fields,
	// and bytes that are not UTF-8.
	notUTF8 := "bad \xff\xfe\xc3 bytes"
	probe := sampleNamed(t, "one-refused")
	good := &probe.Addresses[1]
	good.ClientAuth = &report.ClientAuth{Requested: true, AcceptableCAs: []string{hostile, notUTF8}}
	good.NoSNI = &report.NoSNI{LeafSubject: hostile, Error: notUTF8}
	good.Certificates[0].SANs = append(good.Certificates[0].SANs, hostile)
	probe.Addresses[0].Error = "remote error: " + hostile
	probe.Add(report.Result{ID: "tls.handshake", Status: report.Fail, Title: "TLS", Detail: hostile + notUTF8, Remediation: hostile})

	sch := compileSchema(t)
	for name, r := range map[string]*report.Report{"files": files, "probe": probe} {
		doc := renderJSON(t, r)
		if !json.Valid(doc) || !utf8.Valid(doc) {
			t.Fatalf("%s: not valid JSON in UTF-8:\n%s", name, doc)
		}
		if err := validate(t, sch, doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, raw := range []string{"\x1b", "\x00", "\r", "\t", "\x7f", "\u0085", "\u202e", "\u2066", "\u2028"} {
			if bytes.Contains(doc, []byte(raw)) {
				t.Errorf("%s: %q written raw", name, raw)
			}
		}
		var back report.Report
		if err := json.Unmarshal(doc, &back); err != nil {
			t.Fatal(err)
		}
		// Every string comes back as it was, bytes that are not UTF-8
		// as U+FFFD.
		sent, got := allStrings(reflect.ValueOf(r), nil), allStrings(reflect.ValueOf(&back), nil)
		if len(sent) != len(got) {
			t.Fatalf("%s: %d strings sent, %d decoded", name, len(sent), len(got))
		}
		for i := range sent {
			if want := perByteUTF8(sent[i]); got[i] != want {
				t.Errorf("%s: decoded %q, want %q", name, got[i], want)
			}
		}
	}
	var back report.Report
	if err := json.Unmarshal(renderJSON(t, files), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Target.Input; got != hostile {
		t.Errorf("input decoded as %q, want %q", got, hostile)
	}
	if got := back.Files.Certificates[0].OCSPServers[0]; got != "http://ocsp.example/"+hostile {
		t.Errorf("OCSP URL decoded as %q", got)
	}
}

// perByteUTF8 is s with each byte that is not UTF-8 replaced by U+FFFD, as
// encoding/json writes it.
func perByteUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // a bad byte ranges as one utf8.RuneError
	}
	return b.String()
}

// allStrings appends every string reachable from v, in field order.
func allStrings(v reflect.Value, out []string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			out = allStrings(v.Elem(), out)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = allStrings(v.Field(i), out)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = allStrings(v.Index(i), out)
		}
	case reflect.String:
		out = append(out, v.String())
	}
	return out
}
