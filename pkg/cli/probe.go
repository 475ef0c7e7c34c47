package cli

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/render"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
	"github.com/wacheck/wacheck/pkg/wacheck"
)

// ProbeOptions holds the probe command's flags and dependencies.
type ProbeOptions struct {
	IO *IOStreams
	// Now, Dial and Resolver are the clock and network; nil means real.
	Now      func() time.Time
	Dial     probe.DialFunc
	Resolver probe.Resolver

	Target     target.Target
	Format     string
	FailOn     string
	Timeout    time.Duration
	Roots      *trust.Store
	Pinned     map[string][]netip.Addr
	Thresholds checks.Thresholds
	NoColor    bool
	Verbose    bool
	// Only limits the probe to one address (--address).
	Only netip.Addr
	// Samples is the connect + handshake rounds per address (--samples).
	Samples int
	// ResolverAddr is the DNS server to ask (--resolver), "" for the system's.
	ResolverAddr string
	// Enumerate scans every protocol and cipher suite (--enumerate).
	Enumerate bool
	// Concurrency bounds the enumeration's connections (--concurrency).
	Concurrency int
	// Sender is the webhook sender the cipher checks compare with (--sender).
	Sender string
	// SaveChain is a file to write the chain served to (--save-chain), "" for none.
	SaveChain string
}

// maxConcurrency bounds --concurrency: a probe, not a load test.
const maxConcurrency = 64

// maxSamples bounds --samples: enough for a p95, polite to the server.
const maxSamples = 100

// probeFlags are the raw flag values before validation.
type probeFlags struct {
	sni           string
	caFile        string
	trustStore    string
	resolve       []string
	expiryWarnDay int
	address       string
	resolver      string
}

func newProbeCmd(ios *IOStreams, runF func(context.Context, *ProbeOptions) error) *cobra.Command {
	opts := &ProbeOptions{IO: ios, Thresholds: checks.DefaultThresholds()}
	var f probeFlags
	cmd := &cobra.Command{
		Use:   "probe TARGET",
		Short: "Probe an HTTPS endpoint as a strict webhook sender would",
		Long: `Probe TARGET as a strict webhook sender would and print a checklist.

TARGET is a host name, host:port, [IPv6]:port, an IP address (add --sni NAME;
an IP is never sent as SNI) or an https:// URL. The port defaults to 443.`,
		Example: `  wacheck probe api.example.com
  wacheck probe api.example.com --fail-on warn
  wacheck probe https://api.example.com/webhook --format json > ticket.json
  wacheck probe api.example.com --ca-file staging-root.pem --resolve api.example.com:443:10.1.2.3`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("give exactly one target, e.g. wacheck probe api.example.com",
					"probe takes one target, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.complete(args[0], f); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runProbe(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Format, "format", "text", "output format: text or json")
	fl.StringVar(&opts.FailOn, "fail-on", "fail", "exit 1 when a check is at or above this level: fail, warn or never")
	fl.DurationVar(&opts.Timeout, "timeout", probe.DefaultTimeout, "time limit for the whole probe")
	fl.StringVar(&f.sni, "sni", "", "server name to send (needed when TARGET is an IP address)")
	fl.StringVar(&f.caFile, "ca-file", "", "verify against the roots in this PEM file instead of Mozilla's")
	fl.StringVar(&f.trustStore, "trust", "mozilla", "root store: mozilla (bundled) or system (the OS root files)")
	fl.StringArrayVar(&f.resolve, "resolve", nil, "use ADDR for HOST:PORT instead of DNS (HOST:PORT:ADDR[,ADDR...], repeatable)")
	fl.StringVar(&f.address, "address", "", "probe only this IP address of the name")
	fl.IntVar(&opts.Samples, "samples", 1, "connect + handshake rounds per address; timing checks judge the p95")
	fl.StringVar(&f.resolver, "resolver", "", "ask this DNS server (IP[:PORT]) instead of the system resolver")
	fl.BoolVar(&opts.Enumerate, "enumerate", true, "enumerate every protocol version and cipher suite the server accepts")
	fl.IntVar(&opts.Concurrency, "concurrency", probe.DefaultConcurrency, "most connections the enumeration opens at once")
	fl.StringVar(&opts.SaveChain, "save-chain", "", "write the chain the first address served to this file (PEM, in served order)")
	fl.StringVar(&opts.Sender, "sender", profile.Default, "webhook sender whose client to act as and judge by: "+strings.Join(senderNames(), ", ")+" (wacheck senders)")
	fl.BoolVar(&opts.NoColor, "no-color", false, "disable colour (also NO_COLOR=1)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "show the details of passing checks too")
	th := &opts.Thresholds
	fl.DurationVar(&th.DNSWarn, "dns-warn", th.DNSWarn, "warn when DNS takes this long")
	fl.DurationVar(&th.DNSFail, "dns-fail", th.DNSFail, "fail when DNS takes this long")
	fl.DurationVar(&th.ConnectWarn, "connect-warn", th.ConnectWarn, "warn when the TCP connect takes this long")
	fl.DurationVar(&th.HandshakeWarn, "handshake-warn", th.HandshakeWarn, "warn when the TLS handshake takes this long")
	fl.DurationVar(&th.HandshakeFail, "handshake-fail", th.HandshakeFail, "fail when the TLS handshake takes this long")
	fl.IntVar(&f.expiryWarnDay, "expiry-warn", 30, "warn when a certificate expires within this many days")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"fail", "warn", "never"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("trust", cobra.FixedCompletions([]string{"mozilla", "system"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// complete validates the flags and fills in opts.
func (o *ProbeOptions) complete(arg string, f probeFlags) error {
	t, err := target.Parse(arg, f.sni)
	if err != nil {
		te := err.(*target.Error)
		return &UsageError{Err: err, Hint: te.Hint}
	}
	o.Target = t
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	if err := checkFailOn(o.FailOn); err != nil {
		return err
	}
	if o.Timeout <= 0 {
		return usageErrorf("e.g. --timeout 10s", "--timeout must be positive, got %s", o.Timeout)
	}
	th := o.Thresholds
	for _, d := range []time.Duration{th.DNSWarn, th.DNSFail, th.ConnectWarn, th.HandshakeWarn, th.HandshakeFail} {
		if d <= 0 {
			return usageErrorf("thresholds are durations such as 500ms or 2s", "timing thresholds must be positive")
		}
	}
	if o.Samples < 1 || o.Samples > maxSamples {
		return usageErrorf(fmt.Sprintf("e.g. --samples 20 (at most %d)", maxSamples), "--samples must be from 1 to %d, got %d", maxSamples, o.Samples)
	}
	if o.Concurrency < 1 || o.Concurrency > maxConcurrency {
		return usageErrorf(fmt.Sprintf("e.g. --concurrency 8 (at most %d)", maxConcurrency), "--concurrency must be from 1 to %d, got %d", maxConcurrency, o.Concurrency)
	}
	if err := checkSender(o.Sender); err != nil {
		return err
	}
	if f.address != "" {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(f.address, "["), "]"))
		if err != nil || a.Zone() != "" {
			return usageErrorf("give one IPv4 or IPv6 address, e.g. --address 203.0.113.10", "invalid --address %q", f.address)
		}
		o.Only = a.Unmap()
	}
	if f.resolver != "" {
		addr, err := parseResolver(f.resolver)
		if err != nil {
			return usageErrorf("give the DNS server as IP or IP:PORT, e.g. --resolver 1.1.1.1 or --resolver [2606:4700::1111]:53",
				"invalid --resolver %q: %v", f.resolver, err)
		}
		o.ResolverAddr = addr
	}
	if o.Thresholds.ExpiryWarn, err = expiryWarn(f.expiryWarnDay); err != nil {
		return err
	}
	if o.Roots, err = loadRoots(f.caFile, f.trustStore); err != nil {
		return err
	}

	o.Pinned = map[string][]netip.Addr{}
	for _, r := range f.resolve {
		key, addrs, err := parseResolve(r)
		if err != nil {
			return usageErrorf("the form is HOST:PORT:ADDR, e.g. --resolve api.example.com:443:10.1.2.3", "--resolve %q: %v", r, err)
		}
		o.Pinned[key] = append(o.Pinned[key], addrs...)
	}
	if len(o.Pinned) > 0 && !t.IsIP() {
		if _, ok := o.Pinned[t.HostPort()]; !ok {
			return usageErrorf("--resolve must name the target's host and port: "+t.HostPort(),
				"--resolve does not match the target %s", t.HostPort())
		}
	}
	return nil
}

// parseResolve parses curl's HOST:PORT:ADDR[,ADDR...]; ADDR may be [v6].
func parseResolve(s string) (string, []netip.Addr, error) {
	host, rest, ok := strings.Cut(s, ":")
	if !ok || host == "" {
		return "", nil, fmt.Errorf("missing host")
	}
	portStr, addrList, ok := strings.Cut(rest, ":")
	if !ok {
		return "", nil, fmt.Errorf("missing address")
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", nil, fmt.Errorf("invalid port %q", portStr)
	}
	var addrs []netip.Addr
	for _, a := range strings.Split(addrList, ",") {
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		ip, err := netip.ParseAddr(a)
		if err != nil || ip.Zone() != "" {
			return "", nil, fmt.Errorf("%q is not an IP address", a)
		}
		addrs = append(addrs, ip.Unmap())
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	return net.JoinHostPort(name, strconv.Itoa(port)), addrs, nil
}

func senderNames() []string {
	return profile.Keys()
}

// parseResolver parses IP or IP:PORT ([v6]:PORT) into host:port, port 53
// by default.
func parseResolver(s string) (string, error) {
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return net.JoinHostPort(a.String(), "53"), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Addr().Zone() != "" || ap.Port() == 0 {
		return "", fmt.Errorf("not an IP address or IP:PORT")
	}
	return ap.String(), nil
}

// dnsResolver is a resolver that asks only addr, over UDP and, when the
// answer is truncated, TCP (Go's resolver falls back by itself).
func dnsResolver(addr string) *net.Resolver {
	var d net.Dialer
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}
}

func runProbe(ctx context.Context, o *ProbeOptions) error {
	resolver, resolverName := o.Resolver, ""
	if o.ResolverAddr != "" {
		resolver, resolverName = dnsResolver(o.ResolverAddr), o.ResolverAddr
	}
	rep := wacheck.Probe(ctx, wacheck.Config{
		Probe: probe.Options{
			Target:       o.Target,
			Timeout:      o.Timeout,
			Pinned:       o.Pinned,
			Dial:         o.Dial,
			Resolver:     resolver,
			ResolverName: resolverName,
			Only:         o.Only,
			Samples:      o.Samples,
			Enumerate:    o.Enumerate,
			Concurrency:  o.Concurrency,
		},
		Profile:    profile.MustLookup(o.Sender),
		Roots:      o.Roots,
		Thresholds: o.Thresholds,
		Now:        o.Now,
	})
	rep.Tool = report.Tool{Name: "wacheck", Version: version()}
	rep.Settings.FailOn = o.FailOn
	rep.Settings.Enumerate = o.Enumerate
	rep.Settings.Concurrency = o.Concurrency

	var err error
	if o.Format == "json" {
		err = render.JSON(o.IO.Out, rep)
	} else {
		err = render.Text(o.IO.Out, rep, render.TextOptions{Color: o.IO.ColorEnabled(o.NoColor), Verbose: o.Verbose})
	}
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("writing the report: %w", err)}
	}
	if o.SaveChain != "" {
		if err := saveServedChain(rep, o.SaveChain); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return &RuntimeError{Err: fmt.Errorf("probe %s: interrupted", o.Target.HostPort())}
	}
	if failsAt(rep, o.FailOn) {
		return ErrFindings
	}
	return nil
}

// failsAt reports whether the report has a check at or above level.
func failsAt(rep *report.Report, level string) bool {
	switch level {
	case "never":
		return false
	case "warn":
		return rep.Worst().Severity() >= report.Warn.Severity()
	}
	return rep.Worst().Severity() >= report.Fail.Severity()
}
