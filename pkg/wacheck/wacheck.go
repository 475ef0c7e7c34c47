// Package wacheck runs one probe end to end: network I/O (package probe),
// judgement (package checks), and the report (package report).
package wacheck

import (
	"context"
	"time"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/trust"
)

// Config is one probe's configuration.
type Config struct {
	// Probe holds the target and the network settings.
	Probe probe.Options
	// Roots is the pool chains are verified against; Mozilla's by default.
	Roots      *trust.Store
	Thresholds checks.Thresholds
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Sender is the webhook sender the cipher checks compare with.
	Sender string
}

// Probe probes the target and judges what it saw.
func Probe(ctx context.Context, cfg Config) *report.Report {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Roots == nil {
		cfg.Roots = trust.Mozilla()
	}
	if cfg.Thresholds == (checks.Thresholds{}) {
		cfg.Thresholds = checks.DefaultThresholds()
	}
	cfg.Probe.Now = cfg.Now
	ev := probe.Run(ctx, cfg.Probe)
	return checks.Report(checks.Input{
		Evidence:   ev,
		Roots:      cfg.Roots,
		Thresholds: cfg.Thresholds,
		Now:        ev.StartedAt,
		Sender:     cfg.Sender,
	})
}
