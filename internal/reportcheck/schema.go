package reportcheck

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// reportSchemaID is report.v2.json's $id, by which batch.v2.json refers to
// it.
const reportSchemaID = "https://raw.githubusercontent.com/wacheck/wacheck/main/docs/schema/report.v2.json"

// BatchSchema compiles docs/schema/batch.v2.json (schemaDir is docs/schema
// relative to the test), with report.v2.json, which its reports refer to
// by $id, read from the same folder; formats are asserted with
// assertFormat.
func BatchSchema(schemaDir string, assertFormat bool) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	if assertFormat {
		c.AssertFormat()
	}
	f, err := os.Open(filepath.Join(schemaDir, "report.v2.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("report.v2.json: %w", err)
	}
	if err := c.AddResource(reportSchemaID, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(filepath.Join(schemaDir, "batch.v2.json"))
	if err != nil {
		return nil, fmt.Errorf("compile batch.v2.json: %w", err)
	}
	return sch, nil
}
