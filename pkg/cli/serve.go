package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/exporter"
)

// ServeOptions holds the serve command's flags and dependencies.
type ServeOptions struct {
	IO     *IOStreams
	Config *exporter.Config
	// Grace bounds the graceful shutdown on SIGINT or SIGTERM.
	Grace time.Duration
	// Ready, when set, is told the address the server listens on (tests).
	Ready func(addr string)
}

// serveGrace is how long in-flight scrapes get to finish on shutdown.
const serveGrace = 5 * time.Second

type serveFlags struct {
	listen, config, caFile, trustStore, webConfig string
	concurrency                                   int
	minInterval                                   time.Duration
}

func newServeCmd(ios *IOStreams, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{IO: ios, Grace: serveGrace}
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Prometheus exporter that probes targets on request (/probe)",
		Long: `Run a Prometheus exporter in the blackbox_exporter style.

Prometheus scrapes /probe?target=HOST[:PORT]&module=MODULE; wacheck probes the
target as the module says and answers with the probe's metrics
(docs/metrics.md). /metrics has the exporter's own metrics, / lists the
recent probes.

Every sender (wacheck senders) is a built-in module of its name; --config
adds modules from a YAML file. --ca-file and --trust are the root store of
the modules that name none. At most --concurrency probes run at once; a
target probed with a module again within --min-interval gets the last
probe's result. SIGINT or SIGTERM stops the server gracefully.

The server answers anyone who reaches it, and probes any host and port it
is asked to: listen on an address only your Prometheus reaches, or give
--web-config, a web config file in the format of Prometheus's exporters
(exporter-toolkit): tls_server_config serves HTTPS (and can require client
certificates), basic_auth_users asks every request for a user and password
(bcrypt hashes: htpasswd -nBC 10 "" | tr -d ':\n').`,
		Example: `  wacheck serve
  wacheck serve --listen 127.0.0.1:9116 --config wacheck.yml
  curl 'http://localhost:9116/probe?target=api.example.com&module=meta'
  wacheck serve --web-config web.yml
  curl --cacert ca.pem -u prometheus 'https://localhost:9116/probe?target=api.example.com'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.complete(f); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runServe(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", exporter.DefaultListen, "address to listen on (HOST:PORT)")
	fl.StringVar(&f.config, "config", "", "YAML file of modules (docs/cli.md#wacheck-serve)")
	fl.StringVar(&f.webConfig, "web-config", "", "web config file (exporter-toolkit format): serve HTTPS (tls_server_config) and ask for a password (basic_auth_users)")
	fl.StringVar(&f.caFile, "ca-file", "", "verify against the roots in this PEM file instead of Mozilla's (modules that name no trust)")
	fl.StringVar(&f.trustStore, "trust", "mozilla", "root store of modules that name none: mozilla (bundled) or system (the OS root files)")
	fl.IntVar(&f.concurrency, "concurrency", exporter.DefaultConcurrency, "most probes running at once; more wait until their scrape's deadline")
	fl.DurationVar(&f.minInterval, "min-interval", exporter.DefaultMinInterval, "least time between two probes of a target with a module; scrapes within it get the last result (0: probe every scrape)")
	_ = cmd.RegisterFlagCompletionFunc("trust", cobra.FixedCompletions([]string{"mozilla", "system"}, cobra.ShellCompDirectiveNoFileComp))
	// Not the root's exit codes: serve has no findings to exit on.
	cmd.SetUsageTemplate(cmd.UsageTemplate() + "\n" + serveExitCodesHelp + "\n")
	return cmd
}

const serveExitCodesHelp = `Exit codes:
  0    stopped by SIGINT (Ctrl-C) or SIGTERM, after the scrapes in flight (at most 5s)
  1    the --listen address cannot be listened on (in use, not this host's)
  2    usage error: unknown flag, invalid flag value, config or web config file`

// complete validates the flags and reads the config file.
func (o *ServeOptions) complete(f serveFlags) error {
	_, port, err := net.SplitHostPort(f.listen)
	if err != nil {
		return usageErrorf("give HOST:PORT or :PORT, e.g. --listen 127.0.0.1:9116", "invalid --listen %q", f.listen)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return usageErrorf("give HOST:PORT or :PORT, e.g. --listen 127.0.0.1:9116", "invalid --listen %q: bad port", f.listen)
	}
	if f.concurrency < 1 || f.concurrency > exporter.MaxConcurrency {
		return usageErrorf(fmt.Sprintf("e.g. --concurrency 8 (at most %d)", exporter.MaxConcurrency),
			"--concurrency must be from 1 to %d, got %d", exporter.MaxConcurrency, f.concurrency)
	}
	if f.minInterval < 0 || f.minInterval > exporter.MaxMinInterval {
		return usageErrorf("e.g. --min-interval 10s, or 0 to probe on every scrape",
			"--min-interval must be from 0 to %s, got %s", exporter.MaxMinInterval, f.minInterval)
	}
	roots, err := loadRoots(f.caFile, f.trustStore)
	if err != nil {
		return err
	}
	cfg := exporter.DefaultConfig()
	if f.config != "" {
		if cfg, err = exporter.LoadConfig(f.config); err != nil {
			return usageErrorf("see docs/cli.md#wacheck-serve for the config file's keys", "%v", err)
		}
	}
	if f.webConfig != "" {
		web, err := exporter.LoadWebConfig(f.webConfig)
		if err != nil {
			hint := "see docs/cli.md#web-config for the web config file's keys"
			var we *exporter.ConfigError
			if errors.As(err, &we) && we.Hint != "" {
				hint = we.Hint
			}
			return usageErrorf(hint, "%v", err)
		}
		cfg.Web = web
	}
	cfg.Listen = f.listen
	cfg.Roots = roots
	cfg.Concurrency = f.concurrency
	cfg.MinInterval = f.minInterval
	cfg.Version = version()
	cfg.Log = o.IO.ErrOut
	o.Config = cfg
	return nil
}

func runServe(ctx context.Context, o *ServeOptions) error {
	srv, err := exporter.New(*o.Config)
	if err != nil {
		return usageErrorf("see docs/cli.md#wacheck-serve", "serve: %v", err)
	}
	ln, err := net.Listen("tcp", o.Config.Listen)
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("serve: listen on %s: %w", o.Config.Listen, err),
			Hint: "another process may hold the port: give another with --listen"}
	}
	addr := ln.Addr().String()
	fmt.Fprintf(o.IO.ErrOut, "wacheck: serving on %s://%s (/probe?target=HOST&module=MODULE, /metrics)\n", o.Config.Scheme(), addr)
	if o.Ready != nil {
		o.Ready(addr)
	}
	if err := srv.ListenAndServe(ctx, ln, o.Grace); err != nil && !errors.Is(err, context.Canceled) {
		return &RuntimeError{Err: fmt.Errorf("serve: %w", err)}
	}
	return nil
}
