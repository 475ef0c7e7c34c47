package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/pkg/checks"
)

// TestChecksListsEveryCheck: `wacheck checks` names every registered
// check once, in text and in JSON.
func TestChecksListsEveryCheck(t *testing.T) {
	ios, out, _ := streams(false, false)
	cmd := NewRootCmd(ios)
	cmd.SetArgs([]string{"checks"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, d := range checks.All() {
		if n := strings.Count(out.String(), "  "+d.ID+" "); n != 1 {
			t.Errorf("%s listed %d times in\n%s", d.ID, n, out.String())
		}
	}
	if !strings.Contains(out.String(), "Certificate chain\n") {
		t.Errorf("no category headings:\n%s", out.String())
	}

	ios, out, _ = streams(false, false)
	cmd = NewRootCmd(ios)
	cmd.SetArgs([]string{"checks", "--format", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var list []checkEntry
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(checks.All()) || list[0].Category != "dns" {
		t.Errorf("%d checks listed, first %+v", len(list), list[0])
	}
}
