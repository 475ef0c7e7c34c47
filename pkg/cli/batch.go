package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
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
// is the worst target's.
func (b *batchRun) run(ctx context.Context) error {
	o := b.o
	shared := probe.NewBudget(o.Concurrency)
	reps := make([]*report.Report, len(b.targets))
	bar := b.progress()
	sem := make(chan struct{}, b.parallel)
	var wg sync.WaitGroup
	for i, t := range b.targets {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			cfg := t.config()
			cfg.Probe.Budget = shared
			reps[i] = wacheck.Probe(ctx, cfg)
			if bar != nil {
				_ = bar.Add(1)
			}
		})
	}
	wg.Wait()
	if bar != nil {
		_ = bar.Finish()
	}
	what := fmt.Sprintf("probe of %d targets", len(b.targets))
	var done []*report.Report
	for i, rep := range reps {
		if rep == nil {
			continue
		}
		t := b.targets[i]
		rep.Tool = report.Tool{Name: "wacheck", Version: version()}
		rep.Settings.FailOn = o.FailOn
		rep.Settings.Enumerate = o.Enumerate
		rep.Settings.Concurrency = o.Concurrency
		fillSettings(rep, judgedBy{Thresholds: t.Thresholds, Resolve: t.Resolve, SNI: t.SNI, Roots: t.Roots, Sender: t.Sender})
		done = append(done, rep)
	}
	if len(done) == 0 {
		return &InterruptedError{What: what, Cause: context.Cause(ctx), NoReport: true}
	}
	noteRoots(o.IO, o.Roots, done[0])
	for _, rep := range done {
		rep.Settings.RootsSkipped = done[0].Settings.RootsSkipped
	}
	if err := b.write(done); err != nil {
		return err
	}
	if err := interrupted(ctx, what); err != nil {
		return err
	}
	for _, rep := range done {
		if failsAt(rep, o.FailOn) {
			return ErrFindings
		}
	}
	return nil
}

// write renders the reports to stdout and to each --output file, as
// reportOutput.write does for one.
func (b *batchRun) write(reps []*report.Report) error {
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
