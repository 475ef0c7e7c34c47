package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/wacheck/wacheck/internal/escape"
)

// Exit codes, documented in --help and docs/cli.md.
const (
	ExitOK       = 0 // nothing at or above the --fail-on level
	ExitFindings = 1 // a check at or above --fail-on, or the probe could not run
	ExitUsage    = 2 // a usage error: bad flag, bad target
	// ExitInterrupted is 128 + the signal's number, as a shell reports a
	// process a signal ended: 130 for SIGINT (Ctrl-C), 143 for SIGTERM.
	ExitInterrupted = 130
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

// InterruptedError is a run a signal stopped, after its partial report was
// printed; What says what was being done ("probe api.example.com:443").
type InterruptedError struct {
	What string
	// Cause is the context's cause: an *Interrupted for a signal.
	Cause error
	// NoReport is true when the run was stopped while judging, before any
	// report could be printed.
	NoReport bool
}

func (e *InterruptedError) Error() string {
	msg := e.What + ": interrupted"
	var in *Interrupted
	if errors.As(e.Cause, &in) {
		msg += " (" + in.Signal.String() + ")"
	}
	if e.NoReport {
		return msg + " while judging what the server sent: no report"
	}
	return msg + ": the report above is partial"
}

// interrupted is the error of a run whose context ended before it did,
// nil when it did not.
func interrupted(ctx context.Context, what string) error {
	if ctx.Err() == nil {
		return nil
	}
	return &InterruptedError{What: what, Cause: context.Cause(ctx)}
}

// code is the exit code: 128 + the signal's number for a signal, else
// ExitInterrupted.
func (e *InterruptedError) code() int {
	var in *Interrupted
	if errors.As(e.Cause, &in) {
		if s, ok := in.Signal.(syscall.Signal); ok && s > 0 && s < 64 {
			return 128 + int(s)
		}
	}
	return ExitInterrupted
}

// exitCode maps an error to the process's exit code and prints it, once.
// This is the one place that does either.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, ErrFindings) {
		return ExitFindings
	}
	var ie *InterruptedError
	if errors.As(err, &ie) {
		printError(stderr, ie, "")
		return ie.code()
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

// printError writes the error and its hint, each on one line: what they
// quote (a file's certificate subject, a URL, a server's words) is escaped.
func printError(w io.Writer, err error, hint string) {
	fmt.Fprintf(w, "wacheck: %s\n", escape.Line(err.Error()))
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", escape.Line(hint))
	}
}
