package cli

import (
	"io"
	"os"

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
}

// System returns the process's real streams.
func System() *IOStreams {
	return &IOStreams{
		In:         os.Stdin,
		Out:        os.Stdout,
		ErrOut:     os.Stderr,
		OutTTY:     isatty.IsTerminal(os.Stdout.Fd()) || isatty.IsCygwinTerminal(os.Stdout.Fd()),
		NoColorEnv: os.Getenv("NO_COLOR") != "",
	}
}

// ColorEnabled decides colour once: on for a terminal, unless NO_COLOR or
// --no-color says otherwise.
func (s *IOStreams) ColorEnabled(noColorFlag bool) bool {
	return s.OutTTY && !s.NoColorEnv && !noColorFlag
}
