package wacheck

import (
	"context"
	"io"

	"github.com/wacheck/wacheck/pkg/assemble"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/trust"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// WebhookConfig is one webhook run's configuration: a probe's, and what
// the exchange needs.
type WebhookConfig struct {
	Config
	// VerifyToken is the verify token; "" sends a random one.
	VerifyToken string
	// Secret signs the deliveries (the App Secret); required with Deliver.
	Secret []byte
	// Deliver sends the signed deliveries; Deliveries is how many of them
	// are timed.
	Deliver    bool
	Deliveries int
	// Dropped are the verification parameters the caller took out of the
	// URL (webhook.StripParams), for the report.
	Dropped []string
	// Rand is the source of challenges and random tokens; crypto/rand when
	// nil.
	Rand io.Reader
}

// Webhook probes the target as Probe does and then makes the webhook
// exchange with the first address that completed the sender's handshake,
// all inside cfg.Probe.Timeout, and judges both: a probe report plus the
// webhook checks and the exchange. Like Probe it returns nil only when ctx
// ended while the judging was still going.
func Webhook(ctx context.Context, cfg WebhookConfig) *report.Report {
	cfg.Config = cfg.withDefaults()
	if cfg.Roots == nil {
		cfg.Roots = trust.Mozilla() // the exchange verifies with them too
	}
	if cfg.Probe.Timeout <= 0 {
		cfg.Probe.Timeout = probe.DefaultTimeout
	}
	// One deadline for the probe and the exchange.
	run, cancel := context.WithTimeout(ctx, cfg.Probe.Timeout)
	defer cancel()
	ev := probe.Run(run, cfg.Probe)

	var ex *webhook.Exchange
	addr := subject.DeliveryAddress(ev)
	if ok, _ := subject.WebhookSupported(cfg.Profile); ok && addr != "" {
		deadline := cfg.Profile.Deadlines.Response
		if deadline <= 0 {
			deadline = webhook.DefaultDeadline
		}
		opts := cfg.Probe
		opts.Target = ev.Target // as the probe used it (the sender's SNI rule applied)
		ex = webhook.Run(run, webhook.Options{
			Probe:       opts,
			Address:     addr,
			Roots:       cfg.Roots,
			Protocol:    cfg.Profile.Webhook,
			Deadline:    deadline,
			VerifyToken: cfg.VerifyToken,
			Secret:      cfg.Secret,
			Deliver:     cfg.Deliver,
			Deliveries:  cfg.Deliveries,
			Rand:        cfg.Rand,
		})
	}
	return Judge(ctx, func() *report.Report {
		return assemble.Webhook(ev, ex, cfg.Dropped, checks.Context{
			Profile:    cfg.Profile,
			Roots:      cfg.Roots,
			Thresholds: cfg.Thresholds,
			Now:        ev.StartedAt,
		})
	})
}
