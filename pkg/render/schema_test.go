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

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/pkg/report"
)

const schemaPath = "../../docs/schema/report.v1.json"

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

func TestJSONMatchesSchema(t *testing.T) {
	sch := compileSchema(t)
	for _, s := range samples() {
		if err := validate(t, sch, renderJSON(t, s.r)); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
	}
	// A report as a fresh builder holds it, every list nil and every
	// pointer unset, must validate too.
	if err := validate(t, sch, renderJSON(t, &report.Report{SchemaVersion: report.SchemaVersion, Target: report.Target{Port: 443}})); err != nil {
		t.Errorf("empty report: %v", err)
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
		{"null list", func(m map[string]any) { m["certificates"] = nil }},
		{"unknown field", func(m map[string]any) { m["verdict"] = "ok" }},
		{"time not RFC 3339", func(m map[string]any) { m["started_at"] = "1 March 2025" }},
		{"negative duration", func(m map[string]any) { m["timings_ms"].(map[string]any)["connect"] = -1.0 }},
		{"bad check id", func(m map[string]any) { check(m)["id"] = "resolve" }},
		{"other schema version", func(m map[string]any) { m["schema_version"] = 2.0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(renderJSON(t, healthy()), &m); err != nil {
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

// TestSchemaMatchesReportType walks report.Report by reflection beside the
// schema, so that a field added to, removed from or changed in pkg/report
// fails here until docs/schema/report.v1.json (and docs/json.md) follow:
// same property names, required exactly when not omitempty, nullable exactly
// when a pointer, and the JSON type of the Go type.
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
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
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
// constants in pkg/report, which reflection cannot see.
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
