// Package wacheck runs one probe end to end: network I/O (package probe),
// subjects (package subject), judgement (package checks) and the report
// (package assemble).
package wacheck

import (
	"context"
	"sync"
	"time"

	"github.com/wacheck/wacheck/pkg/assemble"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/trust"
)

// Config is one probe's configuration.
type Config struct {
	// Probe holds the target and the network settings; its Client is
	// filled from Profile.
	Probe probe.Options
	// Profile is the sender whose client the probe acts as and whose rules
	// the checks judge by; the default profile when nil.
	Profile *profile.Profile
	// Roots is the pool chains are verified against; Mozilla's by default.
	Roots      *trust.Store
	Thresholds checks.Thresholds
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// Probe probes the target as the profile's client and judges what it saw.
// It returns nil only when ctx ended (the run was interrupted) while the
// judging was still going after JudgeGrace.
func Probe(ctx context.Context, cfg Config) *report.Report {
	cfg = cfg.withDefaults()
	roots := rootsBeside(cfg.Roots)
	start := time.Now() // the wall clock: the judging ends by the same --timeout
	ev := probe.Run(ctx, cfg.Probe)
	return Judge(ctx, func() *report.Report {
		return assemble.Probe(ev, checks.Context{
			Profile:    cfg.Profile,
			Roots:      roots(),
			Thresholds: cfg.Thresholds,
			Now:        ev.StartedAt,
			Deadline:   start.Add(ev.Timeout),
		})
	})
}

// rootsBeside returns roots, or, when it is nil, Mozilla's, whose parsing
// (a few milliseconds) starts now and runs beside the probe's network phase:
// only the judging waits for it.
func rootsBeside(roots *trust.Store) func() *trust.Store {
	if roots != nil {
		return func() *trust.Store { return roots }
	}
	loaded := make(chan *trust.Store, 1)
	go func() { loaded <- trust.Mozilla() }()
	return sync.OnceValue(func() *trust.Store { return <-loaded })
}

// withDefaults fills in what cfg leaves out but the roots (rootsBeside), and
// the probe's clock and client from it.
func (cfg Config) withDefaults() Config {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Thresholds == (checks.Thresholds{}) {
		cfg.Thresholds = checks.DefaultThresholds()
	}
	if cfg.Profile == nil {
		cfg.Profile = profile.MustLookup(profile.Default)
	}
	cfg.Probe.Now = cfg.Now
	cfg.Probe.Client = probe.ClientFromProfile(cfg.Profile)
	return cfg
}

// JudgeGrace is how long Judge waits for the judging to finish once ctx has
// ended (Ctrl-C): the checks bound their own work, so it normally has.
const JudgeGrace = 700 * time.Millisecond

// Judge runs judge (the checks and the report built on them) and returns
// its report. When ctx ends first (the run was interrupted) it waits at most
// JudgeGrace more and then returns nil: the judging goes on in the
// background, but the caller is free to stop at once.
func Judge(ctx context.Context, judge func() *report.Report) *report.Report {
	done := make(chan *report.Report, 1)
	go func() { done <- judge() }()
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
	}
	t := time.NewTimer(JudgeGrace)
	defer t.Stop()
	select {
	case r := <-done:
		return r
	case <-t.C:
		return nil
	}
}
