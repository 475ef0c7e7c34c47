package cli

import (
	"io"
	"os"
	"strconv"

	"github.com/mattn/go-isatty"
)

// IOStreams are the command's standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY is true when Out is a terminal.
	OutTTY bool
	// NoColorEnv is true when NO_COLOR is set to a non-empty value.
	NoColorEnv bool
	// OutWidth is the width of the terminal Out is, in columns; 0 when it
	// is not a terminal or the width is unknown.
	OutWidth int
}

// System returns the process's real streams.
func System() *IOStreams {
	tty := isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd())
	s := &IOStreams{
		In:         os.Stdin,
		Out:        os.Stdout,
		ErrOut:     os.Stderr,
		OutTTY:     tty,
		NoColorEnv: os.Getenv("NO_COLOR") != "",
	}
	if tty {
		s.OutWidth = terminalWidth(os.Stdout)
		// COLUMNS, when set, is what the user's shell says the width is.
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
			s.OutWidth = n
		}
	}
	return s
}

// Colour modes (--color).
const (
	ColorAuto   = "auto"
	ColorAlways = "always"
	ColorNever  = "never"
)

// ColorEnabled decides colour once: on for a terminal, unless NO_COLOR or
// --no-color says otherwise.
func (s *IOStreams) ColorEnabled(noColorFlag bool) bool {
	return s.ColorFor(ColorAuto, noColorFlag)
}

// ColorFor decides colour once for --color mode: always and never are what
// they say (for CI logs that render ANSI colour); auto is on for a
// terminal unless NO_COLOR is set. --no-color turns it off in every mode.
func (s *IOStreams) ColorFor(mode string, noColorFlag bool) bool {
	switch {
	case noColorFlag || mode == ColorNever:
		return false
	case mode == ColorAlways:
		return true
	}
	return s.OutTTY && !s.NoColorEnv
}

// Width is the width to lay the text report out in: the terminal's, or
// 80 columns when Out is not a terminal or its width is unknown.
func (s *IOStreams) Width() int {
	if s.OutTTY && s.OutWidth > 0 {
		return s.OutWidth
	}
	return 80
}
