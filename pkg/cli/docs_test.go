package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestEveryFlagIsDocumented: docs/cli.md shows every command's help, so
// each flag a command takes (hidden ones aside) is named there, in the
// form its --help prints it.
func TestEveryFlagIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	root := NewRootCmd(System())
	for _, cmd := range root.Commands() {
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if !strings.Contains(string(doc), "--"+f.Name+" ") && !strings.Contains(string(doc), "--"+f.Name+"\n") &&
				!strings.Contains(string(doc), "`--"+f.Name+"`") {
				t.Errorf("wacheck %s --%s is not in docs/cli.md", cmd.Name(), f.Name)
			}
		})
	}
}
