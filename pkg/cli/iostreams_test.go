package cli

import (
	"testing"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/trust"
)

// TestColorFor: --color always and never are what they say, auto follows
// the terminal and NO_COLOR, and --no-color turns colour off in every mode.
func TestColorFor(t *testing.T) {
	for _, tt := range []struct {
		mode          string
		tty, env, flg bool
		want          bool
	}{
		{ColorAuto, true, false, false, true},
		{ColorAuto, true, true, false, false},
		{ColorAuto, false, false, false, false},
		{ColorAlways, false, false, false, true},
		{ColorAlways, true, true, false, true},
		{ColorAlways, true, false, true, false},
		{ColorNever, true, false, false, false},
		{"", true, false, false, true},
	} {
		ios, _, _ := streams(tt.tty, tt.env)
		if got := ios.ColorFor(tt.mode, tt.flg); got != tt.want {
			t.Errorf("--color %q tty=%v NO_COLOR=%v --no-color=%v: %v, want %v", tt.mode, tt.tty, tt.env, tt.flg, got, tt.want)
		}
	}
}

// TestWidth: the terminal's width when Out is one and it is known, else 80.
func TestWidth(t *testing.T) {
	for _, tt := range []struct {
		tty   bool
		width int
		want  int
	}{
		{true, 132, 132},
		{true, 0, 80},
		{false, 132, 80},
	} {
		ios, _, _ := streams(tt.tty, false)
		ios.OutWidth = tt.width
		if got := ios.Width(); got != tt.want {
			t.Errorf("tty=%v width=%d: %d, want %d", tt.tty, tt.width, got, tt.want)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	got, err := parseOutputs([]string{"json=a.json", "junit=out/b.xml", "markdown=c=d.md"})
	if err != nil {
		t.Fatal(err)
	}
	want := []OutputFile{{"json", "a.json"}, {"junit", "out/b.xml"}, {"markdown", "c=d.md"}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range [][]string{{"a.json"}, {"json="}, {"yaml=a"}, {"json=a", "text=a"}} {
		if _, err := parseOutputs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestFillSettings: the report's settings hold the thresholds, the trust
// store and the sender. (The bundle's version comes from the binary's build
// information, which a test binary lacks: cmd/wacheck's
// TestSettingsHoldEverything checks it.)
func TestFillSettings(t *testing.T) {
	rep := &report.Report{Tool: report.Tool{Version: "1.2.3"}}
	fillSettings(rep, judgedBy{Thresholds: checks.DefaultThresholds(), Roots: trust.Mozilla(), Sender: "meta"})
	s := rep.Settings
	if s.Trust != "mozilla" || s.RootsCount < 100 {
		t.Errorf("trust %q, %d roots", s.Trust, s.RootsCount)
	}
	if s.Thresholds == nil || s.Thresholds.ExpiryWarnDays != 30 || s.Thresholds.HandshakeFailMS != 2000 {
		t.Errorf("thresholds %+v", s.Thresholds)
	}
	if s.ToolVersion != "1.2.3" || s.Sender != "meta" {
		t.Errorf("%+v", s)
	}
}
