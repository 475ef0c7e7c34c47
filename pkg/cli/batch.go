package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/wacheck/wacheck/internal/readfile"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/render"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/wacheck"
)

// A run of many targets: wacheck probe a.example b.example, or --targets
// FILE. Every target is probed as a single one would be, --parallel at a
// time, and every connection of every target draws on one budget of
// --concurrency (probe.Budget).

// maxTargets bounds the targets of one run; maxTargetsFile the size of
// --targets FILE.
const (
	maxTargets     = 10000
	maxTargetsFile = 4 << 20
	maxParallel    = 64
)

// batchFlags are the flags only a run of many targets uses.
type batchFlags struct {
	targets     string
	parallel    int
	summaryOnly bool
}

func (bf *batchFlags) addFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&bf.targets, "targets", "", "probe the targets in FILE, one a line (# comments; per-line --sni, --resolve, --address)")
	fl.IntVar(&bf.parallel, "parallel", 8, "most targets probed at once (their connections share one --concurrency budget)")
	fl.BoolVar(&bf.summaryOnly, "summary-only", false, "with many targets, print only the summary table (text and markdown)")
}

// batchRun is a run of many targets: one ProbeOptions per target.
type batchRun struct {
	o           *ProbeOptions
	targets     []*ProbeOptions
	parallel    int
	summaryOnly bool
}

// completeBatch validates a run of many targets: the shared flags once,
// then each target with its own flags.
func (o *ProbeOptions) completeBatch(args []string, f probeFlags, bf batchFlags) (*batchRun, error) {
	if err := o.completeShared(f); err != nil {
		return nil, err
	}
	if o.SaveChain != "" {
		return nil, usageErrorf("probe one target to save its chain", "--save-chain takes one target")
	}
	if bf.parallel < 1 || bf.parallel > maxParallel {
		return nil, usageErrorf(fmt.Sprintf("e.g. --parallel 8 (at most %d)", maxParallel),
			"--parallel must be from 1 to %d, got %d", maxParallel, bf.parallel)
	}
	b := &batchRun{o: o, parallel: bf.parallel, summaryOnly: bf.summaryOnly}
	for _, a := range args {
		t, err := target.Parse(a, f.sni)
		if err != nil {
			return nil, &UsageError{Err: err, Hint: err.(*target.Error).Hint}
		}
		one := *o
		if err := one.completeTarget(t, f, false); err != nil {
			return nil, err
		}
		b.targets = append(b.targets, &one)
	}
	if bf.targets != "" {
		data, err := readfile.Regular(bf.targets, maxTargetsFile)
		if err != nil {
			if errors.Is(err, readfile.ErrTooLarge) {
				return nil, usageErrorf("split the file", "--targets %s: larger than %s", bf.targets, readfile.Size(maxTargetsFile))
			}
			return nil, usageErrorf("give a text file of targets, one a line", "--targets %s: %v", bf.targets, readfile.Words(err))
		}
		for i, line := range strings.Split(string(data), "\n") {
			one, err := o.targetLine(line, f)
			if err != nil {
				var ue *UsageError
				if errors.As(err, &ue) {
					return nil, &UsageError{Err: fmt.Errorf("--targets %s:%d: %w", bf.targets, i+1, ue.Err), Hint: ue.Hint}
				}
				return nil, usageErrorf("one target a line, then its flags", "--targets %s:%d: %v", bf.targets, i+1, err)
			}
			if one == nil {
				continue
			}
			if len(b.targets) >= maxTargets {
				return nil, usageErrorf("split the targets into several runs",
					"--targets %s: more than %d targets", bf.targets, maxTargets)
			}
			b.targets = append(b.targets, one)
		}
	}
	if len(b.targets) == 0 {
		return nil, usageErrorf("give one target a line, e.g. api.example.com --sni api.example.com", "--targets %s names no target", bf.targets)
	}
	if len(b.targets) > maxTargets {
		return nil, usageErrorf("split the targets into several runs", "more than %d targets", maxTargets)
	}
	return b, nil
}

// targetLine parses one line of --targets FILE: "" and comments are nil.
// A line is a target and its own flags (--sni, --resolve, --address); the
// command line's stand for those it does not give, and its --resolve pins
// apply too.
func (o *ProbeOptions) targetLine(line string, f probeFlags) (*ProbeOptions, error) {
	if i := strings.Index(line, "#"); i >= 0 && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
		line = line[:i]
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return nil, nil
	}
	fs := pflag.NewFlagSet("targets", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sni := fs.String("sni", f.sni, "")
	resolve := fs.StringArray("resolve", nil, "")
	address := fs.String("address", f.address, "")
	if err := fs.Parse(fields); err != nil {
		return nil, usageErrorf("a line takes only --sni, --resolve and --address", "%v", err)
	}
	if fs.NArg() != 1 {
		return nil, usageErrorf("one target a line, then its flags", "%d targets on one line", fs.NArg())
	}
	t, err := target.Parse(fs.Arg(0), *sni)
	if err != nil {
		return nil, &UsageError{Err: err, Hint: err.(*target.Error).Hint}
	}
	lf := f
	lf.sni, lf.address = *sni, *address
	lf.resolve = append(append([]string(nil), f.resolve...), *resolve...)
	one := *o
	if err := one.completeTarget(t, lf, len(f.resolve) == 0); err != nil {
		return nil, err
	}
	return &one, nil
}

// run probes every target and writes the reports; the exit code's error
// is the worst target's. With jsonl on stdout, each target's line is
// written as soon as it and every target before it are done (stream);
// every other format, and each --output file, is written whole at the end.
func (b *batchRun) run(ctx context.Context) error {
	o := b.o
	n := len(b.targets)
	// The probes stop when the run is interrupted, or when stdout can no
	// longer be written.
	probeCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var st *render.JSONLStream
	if b.streams() {
		noted := false
		st = render.NewJSONLStream(o.IO.Out, n, func(rep *report.Report) {
			if !noted {
				noted = true
				noteRoots(o.IO, o.Roots, rep)
			}
		})
	}
	// reps keeps every report for a format written at the end; a stream
	// without --output files keeps none.
	keep := st == nil || len(o.Outputs) > 0
	var reps []*report.Report
	if keep {
		reps = make([]*report.Report, n)
	}
	var anyReport, anyFails atomic.Bool
	shared := probe.NewBudget(o.Concurrency)
	bar := b.progress()
	sem := make(chan struct{}, b.parallel)
	var wg sync.WaitGroup
	// The targets start in the file's order, as slots free up, so a line
	// waits only for targets already being probed.
	for i, t := range b.targets {
		select {
		case sem <- struct{}{}:
		case <-probeCtx.Done():
		}
		if probeCtx.Err() != nil {
			// Interrupted: the targets not started have no report.
			if st != nil {
				for j := i; j < n; j++ {
					_ = st.Done(j, nil)
				}
			}
			break
		}
		wg.Go(func() {
			var rep *report.Report
			defer func() {
				<-sem
				if st != nil {
					// Every target is done once, with or without a
					// report, so that the lines after it are written.
					if err := st.Done(i, rep); err != nil {
						stop(err)
					}
				}
			}()
			cfg := t.config()
			cfg.Probe.Budget = shared
			rep = wacheck.Probe(probeCtx, cfg)
			if bar != nil {
				_ = bar.Add(1)
			}
			if rep == nil {
				return
			}
			b.fill(t, rep)
			anyReport.Store(true)
			if failsAt(rep, o.FailOn) {
				anyFails.Store(true)
			}
			if keep {
				reps[i] = rep
			}
		})
	}
	wg.Wait()
	if bar != nil {
		_ = bar.Finish()
	}
	what := fmt.Sprintf("probe of %d targets", n)
	if !anyReport.Load() {
		return &InterruptedError{What: what, Cause: context.Cause(ctx), NoReport: true}
	}
	done := slices.DeleteFunc(reps, func(r *report.Report) bool { return r == nil }) // none kept: nil
	if st != nil {
		if err := st.Err(); err != nil {
			return &RuntimeError{Err: fmt.Errorf("writing the report: %w", err)}
		}
	} else {
		noteRoots(o.IO, o.Roots, done[0])
		if err := b.writeStdout(done); err != nil {
			return err
		}
	}
	if err := b.writeOutputs(done); err != nil {
		return err
	}
	if err := interrupted(ctx, what); err != nil {
		return err
	}
	if anyFails.Load() {
		return ErrFindings
	}
	return nil
}

// streams reports whether stdout's reports are written as the targets
// finish: JSON Lines, one report a line, can be.
func (b *batchRun) streams() bool { return b.o.Format == "jsonl" }

// fill writes into rep's settings what the command knows, as finish does
// for one target. RootsSkipped comes from the one trust store every target
// is judged against, so every report has it, the first one written too.
func (b *batchRun) fill(t *ProbeOptions, rep *report.Report) {
	o := b.o
	rep.Tool = report.Tool{Name: "wacheck", Version: version()}
	rep.Settings.FailOn = o.FailOn
	rep.Settings.Enumerate = o.Enumerate
	rep.Settings.Concurrency = o.Concurrency
	fillSettings(rep, judgedBy{Thresholds: t.Thresholds, Resolve: t.Resolve, SNI: t.SNI, Roots: t.Roots, Sender: t.Sender})
	if o.Roots != nil {
		rep.Settings.RootsSkipped = o.Roots.Skipped
	}
}

// writeStdout renders the reports to stdout, as reportOutput.write does
// for one.
func (b *batchRun) writeStdout(reps []*report.Report) error {
	o := b.o
	f, ok := render.Lookup(o.Format)
	if !ok {
		f, _ = render.Lookup("text")
	}
	opts := render.BatchOptions{Options: render.Options{Verbose: o.Verbose, FailOn: o.FailOn}, SummaryOnly: b.summaryOnly}
	if f.Terminal {
		opts.Color = o.IO.ColorFor(o.Color, o.NoColor)
		opts.Width = o.IO.Width()
	}
	if err := render.WriteBatch(o.IO.Out, f.Name, reps, opts); err != nil {
		return &RuntimeError{Err: fmt.Errorf("writing the report: %w", err)}
	}
	return nil
}

// writeOutputs writes each --output file whole, at the end of the run
// (jsonl too): a file is written whole or not at all.
func (b *batchRun) writeOutputs(reps []*report.Report) error {
	o := b.o
	for _, of := range o.Outputs {
		var buf bytes.Buffer
		fo := render.BatchOptions{Options: render.Options{Verbose: o.Verbose, FailOn: o.FailOn}, SummaryOnly: b.summaryOnly}
		if err := render.WriteBatch(&buf, of.Format, reps, fo); err != nil {
			return &RuntimeError{Err: fmt.Errorf("writing the %s report: %w", of.Format, err)}
		}
		if err := os.WriteFile(of.Path, buf.Bytes(), 0o644); err != nil {
			return &RuntimeError{Err: fmt.Errorf("writing the %s report: %w", of.Format, err)}
		}
	}
	return nil
}

// progress is a progress bar on stderr when stderr is a terminal, nil
// otherwise: the reports on stdout never carry it.
func (b *batchRun) progress() *progressbar.ProgressBar {
	f, ok := b.o.IO.ErrOut.(*os.File)
	if !ok || !(isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(len(b.targets),
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("probing"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}
