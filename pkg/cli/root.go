// Package cli wires wacheck's commands: it parses flags, calls the library,
// renders, and maps the outcome to an exit code in one place.
package cli

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/probe"
)

// Version is set at build time with -ldflags "-X .../pkg/cli.Version=v1.2.3".
var Version = ""

// version returns the build's version: the ldflags one, else the module's.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

const exitCodesHelp = `Exit codes:
  0    no check at or above the --fail-on level (default: fail)
  1    a check at or above the --fail-on level, or the probe could not run
  2    usage error: unknown flag or command, invalid target or flag value
  130  interrupted by Ctrl-C (SIGINT), 143 by SIGTERM: the partial report was printed`

// NewRootCmd builds the wacheck command tree on the given streams.
func NewRootCmd(ios *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "wacheck",
		Short: "Check that a strict webhook sender can deliver to your HTTPS endpoint",
		Long: `wacheck probes an HTTPS webhook endpoint the way a strict sender such as Meta's
WhatsApp Cloud API does (SNI, TLS 1.2+, no fetching of missing intermediates, an
explicit root store) and says what would make deliveries fail, and how to fix it.`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetIn(ios.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: err, Hint: "run '" + c.CommandPath() + " --help' for usage"}
	})
	root.AddCommand(newProbeCmd(ios, nil))
	root.AddCommand(newCertCmd(ios, nil))
	root.AddCommand(newSendersCmd(ios, nil))
	root.AddCommand(newWebhookCmd(ios, os.Getenv, nil))
	root.AddCommand(newSignCmd(ios, os.Getenv, nil))
	root.AddCommand(newChecksCmd(ios))
	root.AddCommand(newExplainCmd(ios))
	root.AddCommand(newServeCmd(ios, nil))
	root.AddCommand(newVersionCmd(ios))
	root.SetUsageTemplate(root.UsageTemplate() + "\n" + exitCodesHelp + "\n")
	return root
}

// Main runs wacheck with args and returns the process's exit code.
func Main(args []string, ios *IOStreams) int {
	if len(args) > 0 && args[0] == "probe" {
		// The enumeration's tables (1-3 ms) build on the other CPU while
		// the command line is parsed and the files read, so that they are
		// ready when the probe's first hellos are planned (probe.Run
		// asks again, a no-op by then, for probes started otherwise).
		probe.Prepare()
	}
	ctx, stop := interruptible(context.Background())
	defer stop()
	root := NewRootCmd(ios)
	root.SetArgs(args)
	_, err := root.ExecuteContextC(ctx)
	return exitCode(err, ios.ErrOut)
}

// Interrupted is the cause of a run's context when a signal stopped it.
type Interrupted struct {
	Signal os.Signal
}

func (e *Interrupted) Error() string { return e.Signal.String() }

// interruptible returns a context that SIGINT (Ctrl-C) or SIGTERM cancels,
// with an *Interrupted as its cause. Every phase of a run (DNS, the
// connections, the enumeration, the judging) ends on it, so that the
// partial report is printed within a second. After the first signal the
// default handling is back: a second Ctrl-C ends the process at once.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(&Interrupted{Signal: s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

func newVersionCmd(ios *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print wacheck's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := ios.Out.Write([]byte("wacheck " + version() + "\n"))
			return err
		},
	}
}
