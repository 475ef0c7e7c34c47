package render

import (
	"io"
	"strings"
	"time"

	"github.com/wacheck/wacheck/pkg/report"
)

// Options are what every renderer may be told by its caller. Renderers use
// what applies to them and decide nothing about the environment.
type Options struct {
	// Color, Width and Verbose are as in TextOptions.
	Color   bool
	Width   int
	Verbose bool
	// FailOn is the --fail-on level (fail, warn or never): a format that
	// passes or fails each check on its own (JUnit) maps the statuses by it.
	FailOn string
}

// Format is one output format: its name as --format and --output give it,
// and its renderer.
type Format struct {
	Name string
	// Summary says in a few words what the format is for, for --help.
	Summary string
	// Terminal is true for the format meant for a terminal: the only one
	// coloured and fitted to the terminal's width.
	Terminal bool
	Write    func(w io.Writer, r *report.Report, o Options) error
	// warm, when set, builds what Write will need whatever the report
	// says (see Prepare).
	warm func()
}

// Prepare has what the format's renderer needs whatever the report says
// built in the background, warmAfter from now, so that writing the report
// later takes less time: a caller that will spend a while waiting first
// (the probe's network phase) calls it then. The delay keeps the work off
// the caller's start, when every CPU counts (the probe's first hellos).
// Writing never needs it: it builds what is not ready yet itself.
func (f Format) Prepare() {
	if f.warm != nil {
		time.AfterFunc(warmAfter, f.warm)
	}
}

// warmAfter is how long Prepare waits: past a probe's first round trip at
// any distance worth saving milliseconds for.
const warmAfter = 30 * time.Millisecond

// formats is the registry: adding a format is one file with its renderer
// and one entry here.
var formats = []Format{
	{Name: "text", Summary: "a checklist for the terminal", Terminal: true,
		Write: func(w io.Writer, r *report.Report, o Options) error {
			return Text(w, r, TextOptions{Color: o.Color, Verbose: o.Verbose, Width: o.Width})
		}},
	{Name: "json", Summary: "the JSON contract (docs/json.md)",
		Write: func(w io.Writer, r *report.Report, _ Options) error { return JSON(w, r) }, warm: warmJSON},
	{Name: "jsonl", Summary: "JSON Lines: one compact report per line, one per target",
		Write: func(w io.Writer, r *report.Report, _ Options) error { return JSONLine(w, r) }, warm: warmJSON},
	{Name: "markdown", Summary: "a support ticket or pull-request comment",
		Write: Markdown},
	{Name: "junit", Summary: "JUnit XML for CI test reports",
		Write: JUnit},
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	for _, f := range formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Names lists the formats' names, in registry order.
func Names() []string {
	out := make([]string, len(formats))
	for i, f := range formats {
		out[i] = f.Name
	}
	return out
}

// NameList is Names for a help text: "text, json, markdown or junit".
func NameList() string {
	n := Names()
	if len(n) < 2 {
		return strings.Join(n, "")
	}
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}
