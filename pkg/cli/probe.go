package cli

import (
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
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
	"github.com/wacheck/wacheck/pkg/subject"
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
	// Color is --color (auto, always or never); Outputs the --output files.
	Color   string
	Outputs []OutputFile
	// Resolve and SNI are --resolve and --sni as given, for the report's
	// settings.
	Resolve []string
	SNI     string
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
	// ClientCAFile is the sender's client-certificate CA file
	// (--client-ca), "" for none; ClientCADNs are its certificates'
	// subjects (RFC 4514), what mtls.request compares exactly.
	ClientCAFile string
	ClientCADNs  []string
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
	// expiryWarnGiven is true when --expiry-warn was given: its value is
	// then used as is, not lowered for short-lived certificates.
	expiryWarnGiven bool
	address         string
	resolver        string
	clientCA        string
	outputs         []string
	// rootsBeside leaves Mozilla's roots (the default store) unloaded in
	// complete: runProbe's wacheck.Probe loads them beside the network.
	rootsBeside bool
}

func newProbeCmd(ios *IOStreams, runF func(context.Context, *ProbeOptions) error) *cobra.Command {
	opts := &ProbeOptions{IO: ios, Thresholds: checks.DefaultThresholds()}
	var f probeFlags
	var bf batchFlags
	cmd := &cobra.Command{
		Use:   "probe TARGET...",
		Short: "Probe an HTTPS endpoint as a strict webhook sender would",
		Long: `Probe TARGET as a strict webhook sender would and print a checklist.

TARGET is a host name, host:port, [IPv6]:port, an IP address (add --sni NAME;
an IP is never sent as SNI) or an https:// URL. The port defaults to 443.

Give several targets, or a file of them with --targets FILE (one a line,
# comments, per-line --sni, --resolve and --address), to probe them at
once: --parallel targets at a time, all within one --concurrency budget
of connections. Each target's report comes first, then a summary table,
worst first (--format jsonl: one report a line, in the file's order, each
written as soon as it and those before it are done); the exit code is the
worst target's.`,
		Example: `  wacheck probe api.example.com
  wacheck probe api.example.com --fail-on warn
  wacheck probe https://api.example.com/webhook --format json > ticket.json
  wacheck probe api.example.com --ca-file staging-root.pem --resolve api.example.com:443:10.1.2.3
  wacheck probe --targets endpoints.txt --summary-only --output junit=wacheck.xml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && bf.targets == "" {
				return usageErrorf("give a target, e.g. wacheck probe api.example.com, or a file of them with --targets FILE",
					"probe takes one target or more, got none")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.expiryWarnGiven = cmd.Flags().Changed("expiry-warn")
			if len(args) != 1 || bf.targets != "" {
				b, err := opts.completeBatch(args, f, bf)
				if err != nil {
					return err
				}
				return b.run(cmd.Context())
			}
			f.rootsBeside = runF == nil
			if err := opts.complete(args[0], f); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runProbe(cmd.Context(), opts)
		},
	}
	opts.addFlags(cmd, &f)
	bf.addFlags(cmd)
	return cmd
}

// addFlags defines the probe's flags on cmd, filling o and f: every command
// that probes (probe, webhook) takes them alike.
func (o *ProbeOptions) addFlags(cmd *cobra.Command, f *probeFlags) {
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "text", formatHelp)
	fl.StringArrayVar(&f.outputs, "output", nil, outputHelp)
	fl.StringVar(&o.Color, "color", ColorAuto, colorHelp)
	fl.StringVar(&o.FailOn, "fail-on", "fail", "exit 1 when a check is at or above this level: fail, warn or never")
	fl.DurationVar(&o.Timeout, "timeout", probe.DefaultTimeout, "time limit for the whole probe")
	fl.StringVar(&f.sni, "sni", "", "server name to send (needed when TARGET is an IP address)")
	fl.StringVar(&f.caFile, "ca-file", "", "verify against the roots in this PEM file instead of Mozilla's")
	fl.StringVar(&f.trustStore, "trust", "mozilla", "root store: mozilla (bundled) or system (the OS root files)")
	fl.StringArrayVar(&f.resolve, "resolve", nil, "use ADDR for HOST:PORT instead of DNS (HOST:PORT:ADDR[,ADDR...], repeatable)")
	fl.StringVar(&f.address, "address", "", "probe only this IP address of the name")
	fl.IntVar(&o.Samples, "samples", 1, "connect + handshake rounds per address; timing checks judge the p95")
	fl.StringVar(&f.resolver, "resolver", "", "ask this DNS server (IP[:PORT]) instead of the system resolver")
	fl.BoolVar(&o.Enumerate, "enumerate", true, "enumerate every protocol version and cipher suite the server accepts")
	fl.IntVar(&o.Concurrency, "concurrency", probe.DefaultConcurrency, "most connections open at once, across every address and phase")
	fl.StringVar(&o.SaveChain, "save-chain", "", "write the chain the first address served to this file (PEM, in served order)")
	fl.StringVar(&f.clientCA, "client-ca", "", "the sender's client-certificate CA (PEM or DER, e.g. meta-outbound-api-ca-2025-12.pem): mtls.request compares the server's acceptable CAs with its exact name")
	fl.StringVar(&o.Sender, "sender", profile.Default, "webhook sender whose client to act as and judge by: "+strings.Join(senderNames(), ", ")+" (wacheck senders)")
	fl.BoolVar(&o.NoColor, "no-color", false, "disable colour, as --color never (also NO_COLOR=1)")
	fl.BoolVarP(&o.Verbose, "verbose", "v", false, "show every check's detail and every certificate's fields")
	th := &o.Thresholds
	fl.DurationVar(&th.DNSWarn, "dns-warn", th.DNSWarn, "warn when DNS takes this long")
	fl.DurationVar(&th.DNSFail, "dns-fail", th.DNSFail, "fail when DNS takes this long")
	fl.DurationVar(&th.ConnectWarn, "connect-warn", th.ConnectWarn, "warn when the TCP connect takes this long")
	fl.DurationVar(&th.HandshakeWarn, "handshake-warn", th.HandshakeWarn, "warn when the TLS handshake takes this long")
	fl.DurationVar(&th.HandshakeFail, "handshake-fail", th.HandshakeFail, "fail when the TLS handshake takes this long")
	fl.IntVar(&f.expiryWarnDay, "expiry-warn", 30, "warn when a certificate expires within this many days; left out: 30, or a third of its lifetime when that is less")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(render.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{ColorAuto, ColorAlways, ColorNever}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"fail", "warn", "never"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("trust", cobra.FixedCompletions([]string{"mozilla", "system"}, cobra.ShellCompDirectiveNoFileComp))
}

// complete validates the flags and fills in opts.
func (o *ProbeOptions) complete(arg string, f probeFlags) error {
	t, err := target.Parse(arg, f.sni)
	if err != nil {
		te := err.(*target.Error)
		return &UsageError{Err: err, Hint: te.Hint}
	}
	if err := o.completeShared(f); err != nil {
		return err
	}
	return o.completeTarget(t, f, true)
}

// completeShared validates the flags every target of a run shares and
// fills them in.
func (o *ProbeOptions) completeShared(f probeFlags) error {
	var err error
	if err := checkFormat(o.Format); err != nil {
		return err
	}
	if err := checkColor(o.Color); err != nil {
		return err
	}
	if o.Outputs, err = parseOutputs(f.outputs); err != nil {
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
	o.Thresholds.ExpiryWarnRelative = !f.expiryWarnGiven
	if f.rootsBeside && f.caFile == "" && f.trustStore == "mozilla" {
		o.Roots = nil // Mozilla's, which runProbe loads beside the network
	} else if o.Roots, err = loadRoots(f.caFile, f.trustStore); err != nil {
		return err
	}
	if f.clientCA != "" {
		if o.ClientCADNs, err = clientCANames(f.clientCA, o.Sender); err != nil {
			return err
		}
		o.ClientCAFile = f.clientCA
	}

	return nil
}

// completeTarget fills in the target t and its own flags (--sni,
// --resolve, --address); strict says that every --resolve must name t.
func (o *ProbeOptions) completeTarget(t target.Target, f probeFlags, strict bool) error {
	o.Target = t
	o.Resolve, o.SNI = f.resolve, f.sni
	o.Only = netip.Addr{}
	if f.address != "" {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(f.address, "["), "]"))
		if err != nil || a.Zone() != "" {
			return usageErrorf("give one IPv4 or IPv6 address, e.g. --address 203.0.113.10", "invalid --address %q", f.address)
		}
		o.Only = a.Unmap()
	}
	o.Pinned = map[string][]netip.Addr{}
	for _, r := range f.resolve {
		key, addrs, err := parseResolve(r)
		if err != nil {
			return usageErrorf("the form is HOST:PORT:ADDR, e.g. --resolve api.example.com:443:10.1.2.3", "--resolve %q: %v", r, err)
		}
		o.Pinned[key] = append(o.Pinned[key], addrs...)
	}
	if strict && len(o.Pinned) > 0 && !t.IsIP() {
		if _, ok := o.Pinned[t.HostPort()]; !ok {
			return usageErrorf("--resolve must name the target's host and port: "+t.HostPort(),
				"--resolve does not match the target %s", t.HostPort())
		}
	}
	return nil
}

// profile is the sender's profile, with the client-certificate CA's exact
// names from --client-ca when given.
func (o *ProbeOptions) profile() *profile.Profile {
	p := profile.MustLookup(o.Sender)
	if len(o.ClientCADNs) > 0 && p.ClientCert != nil {
		p.ClientCert.IssuerDNs = o.ClientCADNs
		p.ClientCert.IssuerSource = o.ClientCAFile
	}
	return p
}

// clientCANames reads --client-ca: the CA certificates of the sender's
// client certificate, whose exact subjects a server must list. Only a
// regular file is read (as for wacheck cert), and only CA certificates are
// taken: the sender's own certificate is not what a server lists.
func clientCANames(path, sender string) ([]string, error) {
	p := profile.MustLookup(sender)
	if p.ClientCert == nil {
		return nil, usageErrorf("--client-ca is for a sender that presents a client certificate, such as --sender meta",
			"--client-ca: %s sends no client certificate", p.Name)
	}
	certs, err := subject.ReadCerts(path)
	if err != nil {
		var fe *subject.FileError
		if errors.As(err, &fe) {
			return nil, usageErrorf(fe.Hint, "--client-ca: %v", fe)
		}
		return nil, usageErrorf("give the CA certificate file, PEM or DER", "--client-ca: %v", err)
	}
	var names []string
	for _, c := range certs {
		if !c.Cert.IsCA {
			return nil, usageErrorf("give the CA's certificate ("+p.ClientCert.IssuerFile+", from "+p.ClientCert.IssuerURL+
				"), not a client certificate", "--client-ca: %s: %s is not a CA certificate", path, c.Cert.Subject)
		}
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(c.Cert.RawSubject, &seq); err != nil {
			return nil, usageErrorf("check it with openssl x509 -noout -subject -in "+path, "--client-ca: %s: %v", path, err)
		}
		names = append(names, seq.String())
	}
	return names, nil
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

// dnsResolver is a resolver that asks addr and only addr (no /etc/hosts),
// A and AAAA timed separately, over UDP and, when the answer is truncated,
// TCP.
func dnsResolver(addr string) *probe.ServerResolver {
	return &probe.ServerResolver{Addr: addr}
}

func runProbe(ctx context.Context, o *ProbeOptions) error {
	o.reportOutput().prepare()            // beside the network
	rep := wacheck.Probe(ctx, o.config()) // nil Roots: Mozilla's, loaded beside the network
	if o.Roots == nil {
		o.Roots = trust.Mozilla() // loaded by now
	}
	return o.finish(ctx, rep, "probe "+o.Target.HostPort())
}

// config is the library's configuration of the probe o asks for.
func (o *ProbeOptions) config() wacheck.Config {
	resolver, resolverName := o.Resolver, ""
	if o.ResolverAddr != "" {
		resolver, resolverName = dnsResolver(o.ResolverAddr), o.ResolverAddr
	}
	return wacheck.Config{
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
		Profile:    o.profile(),
		Roots:      o.Roots,
		Thresholds: o.Thresholds,
		Now:        o.Now,
	}
}

// reportOutput is how o's report is written.
func (o *ProbeOptions) reportOutput() reportOutput {
	return reportOutput{Format: o.Format, Color: o.Color, NoColor: o.NoColor, Verbose: o.Verbose, FailOn: o.FailOn, Outputs: o.Outputs}
}

// finish prints the report of a run (what names it in errors: "probe
// api.example.com:443") and says how it ends: the exit code's error.
func (o *ProbeOptions) finish(ctx context.Context, rep *report.Report, what string) error {
	if rep == nil {
		return &InterruptedError{What: what, Cause: context.Cause(ctx), NoReport: true}
	}
	rep.Tool = report.Tool{Name: "wacheck", Version: version()}
	rep.Settings.FailOn = o.FailOn
	rep.Settings.Enumerate = o.Enumerate
	rep.Settings.Concurrency = o.Concurrency
	fillSettings(rep, judgedBy{Thresholds: o.Thresholds, Resolve: o.Resolve, SNI: o.SNI, Roots: o.Roots, Sender: o.Sender})
	noteRoots(o.IO, o.Roots, rep)

	if err := o.reportOutput().write(o.IO, rep); err != nil {
		return err
	}
	if o.SaveChain != "" {
		if err := saveServedChain(rep, o.SaveChain); err != nil {
			return err
		}
	}
	if err := interrupted(ctx, what); err != nil {
		return err
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
