// Package wacheck runs one probe end to end: network I/O (package probe),
// subjects (package subject), judgement (package checks) and the report
// (package assemble).
package wacheck

import (
	"context"
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
	if cfg.Profile == nil {
		cfg.Profile = profile.MustLookup(profile.Default)
	}
	cfg.Probe.Now = cfg.Now
	cfg.Probe.Client = probe.ClientFromProfile(cfg.Profile)
	ev := probe.Run(ctx, cfg.Probe)
	return assemble.Probe(ev, checks.Context{
		Profile:    cfg.Profile,
		Roots:      cfg.Roots,
		Thresholds: cfg.Thresholds,
		Now:        ev.StartedAt,
	})
}
