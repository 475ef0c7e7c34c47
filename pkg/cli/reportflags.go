package cli

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/render"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/trust"
)

// The checks of the flags every judging command shares (probe, cert): the
// report's format, the exit level, the sender, the expiry threshold and the
// root store. One wording and one exit code for each mistake, whichever
// command it was made with.

func checkFormat(format string) error {
	if _, ok := render.Lookup(format); ok {
		return nil
	}
	return usageErrorf("use --format "+render.NameList(), "invalid --format %q", format)
}

func checkColor(mode string) error {
	switch mode {
	case ColorAuto, ColorAlways, ColorNever:
		return nil
	}
	return usageErrorf("use --color auto, always or never", "invalid --color %q", mode)
}

// OutputFile is one --output FORMAT=FILE: a report written to a file
// besides the one on stdout.
type OutputFile struct {
	Format string
	Path   string
}

// parseOutputs validates the --output values: each FORMAT=FILE, with a
// known format and one file named once.
func parseOutputs(values []string) ([]OutputFile, error) {
	var out []OutputFile
	seen := map[string]bool{}
	for _, v := range values {
		format, path, ok := strings.Cut(v, "=")
		if !ok || path == "" {
			return nil, usageErrorf("give FORMAT=FILE, e.g. --output junit=wacheck.xml --output json=wacheck.json",
				"invalid --output %q", v)
		}
		if _, known := render.Lookup(format); !known {
			return nil, usageErrorf("formats: "+render.NameList(), "invalid --output %q: unknown format %q", v, format)
		}
		if seen[path] {
			return nil, usageErrorf("give each --output its own file", "--output names %s twice", path)
		}
		seen[path] = true
		out = append(out, OutputFile{Format: format, Path: path})
	}
	return out, nil
}

// reportFlagHelp are the help texts of the flags every command that
// renders a report shares.
var (
	formatHelp = "output format on stdout: " + render.NameList()
	outputHelp = "also write the report as FORMAT to FILE (FORMAT=FILE, repeatable), e.g. junit=wacheck.xml"
	colorHelp  = "colour the text report: auto (a terminal, unless NO_COLOR is set), always or never"
)

// reportOutput is how a command writes its report: the format on stdout,
// colour and verbosity, and the files of --output.
type reportOutput struct {
	Format  string
	Color   string
	NoColor bool
	Verbose bool
	FailOn  string
	Outputs []OutputFile
}

// prepare has the formats asked for build, beside the caller's work, what
// they need before they have a report (render.Format.Prepare).
func (ro reportOutput) prepare() {
	names := []string{ro.Format}
	for _, o := range ro.Outputs {
		names = append(names, o.Format)
	}
	for _, name := range names {
		if f, ok := render.Lookup(name); ok {
			f.Prepare() // twice for a format asked twice: the second finds it done
		}
	}
}

// write renders rep to stdout in the format asked for, fitted to the
// terminal and coloured as decided here, once, and then to each --output
// file (never coloured, 80 columns). A file is written whole or not at all
// changed: the report is rendered in memory first.
func (ro reportOutput) write(ios *IOStreams, rep *report.Report) error {
	f, ok := render.Lookup(ro.Format)
	if !ok {
		f, _ = render.Lookup("text")
	}
	opts := render.Options{Verbose: ro.Verbose, FailOn: ro.FailOn}
	if f.Terminal {
		opts.Color = ios.ColorFor(ro.Color, ro.NoColor)
		opts.Width = ios.Width()
	}
	if err := f.Write(ios.Out, rep, opts); err != nil {
		return &RuntimeError{Err: fmt.Errorf("writing the report: %w", err)}
	}
	for _, of := range ro.Outputs {
		ff, _ := render.Lookup(of.Format)
		var buf bytes.Buffer
		if err := ff.Write(&buf, rep, render.Options{Verbose: ro.Verbose, FailOn: ro.FailOn}); err != nil {
			return &RuntimeError{Err: fmt.Errorf("writing the %s report: %w", of.Format, err)}
		}
		if err := os.WriteFile(of.Path, buf.Bytes(), 0o644); err != nil {
			return &RuntimeError{Err: fmt.Errorf("writing the %s report: %w", of.Format, err)}
		}
	}
	return nil
}

func checkFailOn(level string) error {
	switch level {
	case "fail", "warn", "never":
		return nil
	}
	return usageErrorf("use --fail-on fail, warn or never", "invalid --fail-on %q", level)
}

func checkSender(key string) error {
	if _, ok := profile.Lookup(key); !ok {
		return usageErrorf("known senders: "+strings.Join(senderNames(), ", "), "unknown --sender %q", key)
	}
	return nil
}

// expiryWarn is --expiry-warn DAYS as a duration.
func expiryWarn(days int) (time.Duration, error) {
	if days < 0 {
		return 0, usageErrorf("e.g. --expiry-warn 30", "--expiry-warn must not be negative")
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// loadRoots is the root store --ca-file and --trust select. --ca-file is
// read only when it is a regular file of at most trust.MaxBundleSize: a
// device, a named pipe or a directory is refused at once.
func loadRoots(caFile, trustStore string) (*trust.Store, error) {
	switch {
	case caFile != "" && trustStore != "mozilla":
		return nil, usageErrorf("--ca-file replaces the root store; drop --trust", "--ca-file and --trust cannot be combined")
	case caFile != "":
		s, err := trust.FromFile(caFile)
		if err != nil {
			return nil, usageErrorf("give a PEM file of CA certificates, as for curl --cacert", "--ca-file: %v", err)
		}
		return s, nil
	case trustStore == "mozilla":
		return trust.Mozilla(), nil
	case trustStore == "system":
		s, err := trust.System()
		if err != nil {
			return nil, usageErrorf("use --trust mozilla or --ca-file", "--trust system: %v", err)
		}
		return s, nil
	}
	return nil, usageErrorf("use --trust mozilla or --trust system", "invalid --trust %q", trustStore)
}

// noteRoots says on stderr, and in the report's settings, how many damaged
// certificates of the OS root files were left out (--trust system).
func noteRoots(ios *IOStreams, roots *trust.Store, rep *report.Report) {
	if roots == nil || roots.Skipped == 0 {
		return
	}
	rep.Settings.RootsSkipped = roots.Skipped
	fmt.Fprintf(ios.ErrOut, "wacheck: note: --trust system: %d damaged %s in the OS root files skipped; the other %d loaded\n",
		roots.Skipped, plural(roots.Skipped, "certificate", "certificates"), roots.Count)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// judgedBy are the settings behind a verdict that the command, not the
// probe, knows: they go into the report's settings (docs/json.md), so that
// a report says everything its verdict depends on besides the server.
type judgedBy struct {
	Thresholds checks.Thresholds
	Resolve    []string
	SNI        string
	Roots      *trust.Store
	Sender     string
}

// fillSettings writes j, the tool's version, the Go release and the OS
// into rep's settings.
func fillSettings(rep *report.Report, j judgedBy) {
	st := &rep.Settings
	th := j.Thresholds
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	st.Thresholds = &report.Thresholds{
		DNSWarnMS: msOf(th.DNSWarn), DNSFailMS: msOf(th.DNSFail), ConnectWarnMS: msOf(th.ConnectWarn),
		HandshakeWarnMS: msOf(th.HandshakeWarn), HandshakeFailMS: msOf(th.HandshakeFail),
		ExpiryWarnDays: th.ExpiryWarn.Hours() / 24,
	}
	st.Resolve = j.Resolve
	st.SNI = j.SNI
	if r := j.Roots; r != nil {
		st.RootsCount = r.Count
		switch {
		case r.Name == "mozilla":
			st.Trust = "mozilla"
			st.RootsBundle = moduleVersion("golang.org/x/crypto/x509roots/fallback")
		case r.Name == "system":
			st.Trust = "system"
		case strings.HasPrefix(r.Name, "file:"):
			st.Trust = "file"
		}
	}
	st.Sender = j.Sender
	st.ToolVersion = rep.Tool.Version
	st.GoVersion = runtime.Version()
	st.OS = runtime.GOOS + "/" + runtime.GOARCH
}

// moduleVersion is the version of the module path built into the binary,
// "" when it is not known.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
