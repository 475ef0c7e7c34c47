package cli

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes, documented in --help and docs/cli.md.
const (
	ExitOK       = 0 // nothing at or above the --fail-on level
	ExitFindings = 1 // a check at or above --fail-on, or the probe could not run
	ExitUsage    = 2 // a usage error: bad flag, bad target
)

// ErrFindings means the report has been printed and a check reached the
// --fail-on level: exit 1 and print nothing more.
var ErrFindings = errors.New("findings at or above the --fail-on level")

// UsageError is a mistake in what the user typed; Hint says what to do.
type UsageError struct {
	Err  error
	Hint string
}

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(hint, format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...), Hint: hint}
}

// RuntimeError is a failure that is not the user's typing (a file that
// cannot be read); it exits 1.
type RuntimeError struct {
	Err  error
	Hint string
}

func (e *RuntimeError) Error() string { return e.Err.Error() }
func (e *RuntimeError) Unwrap() error { return e.Err }

// exitCode maps an error to the process's exit code and prints it, once.
// This is the one place that does either.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, ErrFindings) {
		return ExitFindings
	}
	var rt *RuntimeError
	if errors.As(err, &rt) {
		printError(stderr, rt.Err, rt.Hint)
		return ExitFindings
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		printError(stderr, ue.Err, ue.Hint)
		return ExitUsage
	}
	// Anything else comes from cobra's parsing: unknown command, flag or
	// argument count.
	printError(stderr, err, "run 'wacheck --help' for usage")
	return ExitUsage
}

func printError(w io.Writer, err error, hint string) {
	fmt.Fprintf(w, "wacheck: %v\n", err)
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", hint)
	}
}
