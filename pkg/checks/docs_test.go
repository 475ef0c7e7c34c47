package checks

import (
	"os"
	"strings"
	"testing"
)

// TestEveryCheckIsDocumented keeps docs/checks.md, docs/json.md and the
// README in step with the checks.
func TestEveryCheckIsDocumented(t *testing.T) {
	for _, file := range []string{"../../docs/checks.md", "../../README.md", "../../docs/json.md"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range All() {
			if !strings.Contains(string(raw), "`"+d.ID+"`") {
				t.Errorf("%s does not mention %s", file, d.ID)
			}
		}
	}
}
