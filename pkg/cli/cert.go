package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/assemble"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/render"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
	"github.com/wacheck/wacheck/pkg/wacheck"
)

// CertOptions holds the cert command's flags and dependencies.
type CertOptions struct {
	IO *IOStreams
	// Now is the clock certificates are judged at; nil means time.Now.
	Now func() time.Time
	// HTTPClient fetches intermediates (--fetch-intermediates); nil means
	// subject.FetchClient(). Nothing else touches the network.
	HTTPClient *http.Client

	// Files are the certificate files, in the order given.
	Files []string
	// Name is the host name the leaf must cover (--name), "" for none.
	Name string
	// Key is a PEM private key said to belong to the leaf (--key).
	Key string
	// Staple is an OCSP response file (--staple).
	Staple string
	// Bundle is a file of candidate intermediates for --fix (--bundle).
	Bundle string
	// Fetch fetches a missing issuer through AIA (--fetch-intermediates).
	Fetch bool
	// Fix writes the corrected chain instead of a report (--fix), to
	// Output, or to stdout when Output is "".
	Fix    bool
	Output string

	Roots      *trust.Store
	Sender     string
	Format     string
	FailOn     string
	NoColor    bool
	Verbose    bool
	Thresholds checks.Thresholds
	// Color is --color; Outputs the report files of --output FORMAT=FILE
	// (without --fix).
	Color   string
	Outputs []OutputFile
}

// maxFetchHops bounds --fetch-intermediates: a leaf rarely sits more than
// two intermediates below a root.
const maxFetchHops = 4

// certFlags are the raw flag values before validation.
type certFlags struct {
	caFile        string
	trustStore    string
	expiryWarnDay int
	// expiryWarnGiven is true when --expiry-warn was given: its value is
	// then used as is, not lowered for short-lived certificates.
	expiryWarnGiven bool
	// outputs are the --output values: one file with --fix, FORMAT=FILE
	// reports without.
	outputs []string
}

func newCertCmd(ios *IOStreams, runF func(context.Context, *CertOptions) error) *cobra.Command {
	opts := &CertOptions{IO: ios, Thresholds: checks.DefaultThresholds()}
	var f certFlags
	cmd := &cobra.Command{
		Use:   "cert FILE...",
		Short: "Judge certificate files offline, as a strict webhook sender would judge them served",
		Long: `Judge certificate files offline with the chain and certificate checks of
wacheck probe, or write the chain a server should serve (--fix).

FILE is PEM (any number of certificates) or DER. One file is judged exactly as
given, as a server serves its chain file; with several files the leaf is put
first and the others keep their order. Nothing is fetched from the network
unless --fetch-intermediates is given.`,
		Example: `  wacheck cert /etc/letsencrypt/live/api.example.com/fullchain.pem --name api.example.com
  wacheck cert fullchain.pem --key privkey.pem --staple staple.der
  wacheck cert cert.pem --bundle chain.pem --fix -o fullchain.pem
  wacheck cert cert.pem --fetch-intermediates --fix > fullchain.pem`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give the certificate files, e.g. wacheck cert fullchain.pem --name api.example.com",
					"cert takes one or more certificate files")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.expiryWarnGiven = cmd.Flags().Changed("expiry-warn")
			if err := opts.complete(cmd, args, f); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCert(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "host name the leaf must cover (cert.hostname; skipped without it)")
	fl.StringVar(&opts.Key, "key", "", "PEM private key to check against the leaf (key.match)")
	fl.StringVar(&opts.Staple, "staple", "", "OCSP response the server staples, DER or PEM (ocsp.*)")
	fl.BoolVar(&opts.Fix, "fix", false, "write the chain to serve (leaf, then each intermediate; no root) instead of a report")
	fl.StringArrayVarP(&f.outputs, "output", "o", nil, "also write the report as FORMAT to FILE (FORMAT=FILE, repeatable); with --fix, the file to write the chain to instead of stdout")
	fl.StringVar(&opts.Bundle, "bundle", "", "with --fix, a PEM or DER file of intermediates to complete the chain from")
	fl.BoolVar(&opts.Fetch, "fetch-intermediates", false, "fetch a missing intermediate from the CA Issuers URL (AIA, http://) of the top certificate")
	fl.StringVar(&f.caFile, "ca-file", "", "verify against the roots in this PEM file instead of Mozilla's")
	fl.StringVar(&f.trustStore, "trust", "mozilla", "root store: mozilla (bundled) or system (the OS root files)")
	fl.StringVar(&opts.Sender, "sender", profile.Default, "webhook sender whose rules to judge by: "+strings.Join(senderNames(), ", ")+" (wacheck senders)")
	fl.StringVar(&opts.Format, "format", "text", formatHelp)
	fl.StringVar(&opts.Color, "color", ColorAuto, colorHelp)
	fl.StringVar(&opts.FailOn, "fail-on", "fail", "exit 1 when a check is at or above this level: fail, warn or never")
	fl.IntVar(&f.expiryWarnDay, "expiry-warn", 30, "warn when a certificate expires within this many days; left out: 30, or a third of its lifetime when that is less")
	fl.BoolVar(&opts.NoColor, "no-color", false, "disable colour, as --color never (also NO_COLOR=1)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "show every check's detail and every certificate's fields")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(render.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("color", cobra.FixedCompletions([]string{ColorAuto, ColorAlways, ColorNever}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"fail", "warn", "never"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("trust", cobra.FixedCompletions([]string{"mozilla", "system"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// complete validates the flags and fills in opts.
func (o *CertOptions) complete(cmd *cobra.Command, args []string, f certFlags) error {
	o.Files = args
	var err error
	if err = checkFormat(o.Format); err != nil {
		return err
	}
	if err = checkColor(o.Color); err != nil {
		return err
	}
	if err = checkFailOn(o.FailOn); err != nil {
		return err
	}
	if err = checkSender(o.Sender); err != nil {
		return err
	}
	if o.Thresholds.ExpiryWarn, err = expiryWarn(f.expiryWarnDay); err != nil {
		return err
	}
	o.Thresholds.ExpiryWarnRelative = !f.expiryWarnGiven
	if o.Roots, err = loadRoots(f.caFile, f.trustStore); err != nil {
		return err
	}
	if o.Name != "" {
		if o.Name, err = hostName(o.Name); err != nil {
			return err
		}
	}
	if o.Fix {
		// A report's flags with --fix would be silently ignored.
		for _, name := range []string{"name", "key", "staple", "format", "fail-on", "verbose", "color"} {
			if cmd.Flags().Changed(name) {
				return usageErrorf("judge the fixed chain afterwards: wacheck cert fullchain.pem --"+name+" ...",
					"--fix writes a chain, not a report: --%s cannot be combined with it", name)
			}
		}
		if len(f.outputs) > 1 {
			return usageErrorf("give one file: --fix -o fullchain.pem", "--fix writes one chain: --output given %d times", len(f.outputs))
		}
		if len(f.outputs) == 1 {
			o.Output = f.outputs[0]
		}
	} else {
		if o.Outputs, err = parseOutputs(f.outputs); err != nil {
			if len(f.outputs) > 0 && !strings.Contains(f.outputs[0], "=") {
				return usageErrorf("a plain file is for --fix; for a report give FORMAT=FILE, e.g. --output json=report.json",
					"invalid --output %q", f.outputs[0])
			}
			return err
		}
		for _, name := range []string{"bundle"} {
			if cmd.Flags().Changed(name) {
				return usageErrorf("add --fix to write the corrected chain", "--%s is used with --fix only", name)
			}
		}
	}
	return nil
}

// hostName validates --name: a DNS name or an IP address, as a target's
// host (IDN names become A-labels), without port or path.
func hostName(s string) (string, error) {
	_, _, portErr := net.SplitHostPort(s)
	t, err := target.Parse(s, "")
	if err != nil || portErr == nil || strings.Contains(s, "://") {
		return "", usageErrorf("give the host name senders connect to, e.g. --name api.example.com",
			"invalid --name %q", s)
	}
	return t.VerifyName(), nil
}

func (o *CertOptions) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

func (o *CertOptions) httpClient() *http.Client {
	if o.HTTPClient == nil {
		return subject.FetchClient()
	}
	return o.HTTPClient
}

func runCert(ctx context.Context, o *CertOptions) error {
	if o.Fix {
		return runFix(ctx, o)
	}
	started := o.now()
	set, err := subject.FromFiles(subject.CertFiles{Certs: o.Files, Name: o.Name, Staple: o.Staple, Key: o.Key})
	if err != nil {
		return fileError(err)
	}
	// The fetched certificates are reported, not judged as part of the
	// files: a sender does not fetch them, so chain.complete still fails.
	var fetched []report.Fetched
	if o.Fetch {
		certs := make([]*x509.Certificate, len(set.Chain.Certs))
		for i, der := range set.Chain.Certs {
			certs[i], _ = x509.ParseCertificate(der) // FromFiles parsed them all
		}
		_, fetched = fetchIssuers(ctx, o, certs[0], certs[1:])
	}
	c := checks.Context{Profile: profile.MustLookup(o.Sender), Roots: o.Roots, Thresholds: o.Thresholds, Now: started}
	rep := wacheck.Judge(ctx, func() *report.Report {
		return assemble.Files(set, assemble.FilesInfo{Input: strings.Join(o.Files, " "), Paths: o.Files,
			Staple: o.Staple, Key: o.Key, Fetched: fetched}, c, started, o.now())
	})
	if rep == nil {
		return &InterruptedError{What: "cert", Cause: context.Cause(ctx), NoReport: true}
	}
	rep.Tool = report.Tool{Name: "wacheck", Version: version()}
	rep.Settings.FailOn = o.FailOn
	fillSettings(rep, judgedBy{Thresholds: o.Thresholds, Roots: o.Roots, Sender: o.Sender})
	noteRoots(o.IO, o.Roots, rep)

	ro := reportOutput{Format: o.Format, Color: o.Color, NoColor: o.NoColor, Verbose: o.Verbose, FailOn: o.FailOn, Outputs: o.Outputs}
	if err := ro.write(o.IO, rep); err != nil {
		return err
	}
	if err := interrupted(ctx, "cert"); err != nil {
		return err
	}
	if failsAt(rep, o.FailOn) {
		return ErrFindings
	}
	return nil
}

// fileError maps a file the adapter could not use to an exit: a file that
// is missing or is not what it should be is a usage error (2), one that
// cannot be read a runtime error (1).
func fileError(err error) error {
	var fe *subject.FileError
	if !errors.As(err, &fe) {
		return &RuntimeError{Err: fmt.Errorf("cert: %w", err)}
	}
	if errors.Is(err, fs.ErrPermission) {
		return &RuntimeError{Err: fmt.Errorf("cert %w", fe), Hint: fe.Hint}
	}
	return &UsageError{Err: fmt.Errorf("cert %w", fe), Hint: fe.Hint}
}

// fetchIssuers fetches, while the leaf's path through candidates does not
// reach a root, the issuer of the path's top certificate from its CA
// Issuers URLs, at most maxFetchHops times. It returns the issuers fetched,
// with where from, and a record of every URL tried.
func fetchIssuers(ctx context.Context, o *CertOptions, leaf *x509.Certificate, candidates []*x509.Certificate) ([]origin, []report.Fetched) {
	var added []origin
	var log []report.Fetched
	client := o.httpClient()
	p := checks.BuildPath(leaf, candidates, o.Roots)
	for hop := 0; hop < maxFetchHops && !p.Complete() && !p.SelfSigned; hop++ {
		top := p.Top()
		var issuer *x509.Certificate
		var from string
		for _, u := range top.IssuingCertificateURL {
			certs, err := subject.FetchIssuer(ctx, client, u)
			if err != nil {
				log = append(log, report.Fetched{URL: u, Error: err.Error()})
				continue
			}
			for _, c := range certs {
				if checks.IssuedBy(top, c) {
					issuer = c
					break
				}
			}
			if issuer == nil {
				log = append(log, report.Fetched{URL: u, Error: "the certificate there did not issue " + top.Subject.String()})
				continue
			}
			log = append(log, report.Fetched{URL: u, Subject: issuer.Subject.String()})
			from = "fetched from " + u
			break
		}
		if issuer == nil {
			break
		}
		added = append(added, origin{issuer, from})
		candidates = append(candidates, issuer)
		next := checks.BuildPath(leaf, candidates, o.Roots)
		if len(next.Certs) == len(p.Certs) && !next.Complete() {
			break // no progress: the fetched issuer was given already
		}
		p = next
	}
	return added, log
}

// origin is where a certificate of the fixed chain came from.
type origin struct {
	cert *x509.Certificate
	from string
}

// runFix writes the chain a server should serve: the leaf, then each
// issuer in order up to (not including) a root, from the files, --bundle
// and what --fetch-intermediates fetched. It writes nothing when the chain
// cannot be completed.
func runFix(ctx context.Context, o *CertOptions) error {
	given, err := subject.ReadCertFiles(o.Files)
	if err != nil {
		return fileError(err)
	}
	var bundle []subject.FileCert
	if o.Bundle != "" {
		if bundle, err = subject.ReadCerts(o.Bundle); err != nil {
			return fileError(err)
		}
	}
	parsed := make([]*x509.Certificate, len(given))
	for i, g := range given {
		parsed[i] = g.Cert
	}
	files := strings.Join(o.Files, " ")
	li := subject.LeafIndex(parsed)
	switch {
	case li >= 0:
	case checks.IsSelfSigned(parsed[0]):
		li = 0 // a self-signed server certificate marked CA (openssl req -x509)
	default:
		return usageErrorf("give the server's own certificate too, e.g. wacheck cert cert.pem chain.pem --fix",
			"cert %s: no leaf certificate: every certificate given is a CA's", files)
	}
	leaf := given[li].Cert
	var pool []origin
	for i, g := range given {
		if i != li {
			pool = append(pool, origin{g.Cert, "from " + g.File})
		}
	}
	for _, b := range bundle {
		pool = append(pool, origin{b.Cert, "from --bundle " + b.File})
	}
	candidates := func() []*x509.Certificate {
		out := make([]*x509.Certificate, len(pool))
		for i, c := range pool {
			out[i] = c.cert
		}
		return out
	}
	p := checks.BuildPath(leaf, candidates(), o.Roots)
	var fetchLog []report.Fetched
	if o.Fetch && !p.Complete() && !p.SelfSigned {
		var added []origin
		added, fetchLog = fetchIssuers(ctx, o, leaf, candidates())
		pool = append(pool, added...)
		p = checks.BuildPath(leaf, candidates(), o.Roots)
	}
	switch {
	case p.SelfSigned:
		return &RuntimeError{Err: fmt.Errorf("cert %s: %s is self-signed: there is no chain to fix", files, certName(leaf)),
			Hint: "senders reject self-signed certificates: get one from a public CA, e.g. certbot certonly -d NAME"}
	case !p.Complete():
		return incompleteError(files, p.Top(), o, fetchLog)
	}

	var out bytes.Buffer
	for _, c := range p.Certs {
		_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	dest := "stdout"
	if o.Output == "" {
		if _, err := o.IO.Out.Write(out.Bytes()); err != nil {
			return &RuntimeError{Err: fmt.Errorf("cert: writing the chain: %w", err)}
		}
	} else {
		dest = o.Output
		if err := os.WriteFile(o.Output, out.Bytes(), 0o644); err != nil {
			return &RuntimeError{Err: fmt.Errorf("cert: writing the chain: %w", err)}
		}
	}
	fixSummary(o, p, pool, given, li, dest)
	return nil
}

// incompleteError says which issuer is missing and where to get it.
func incompleteError(files string, top *x509.Certificate, o *CertOptions, fetchLog []report.Fetched) error {
	where := "in neither the files nor --bundle"
	if o.Bundle == "" {
		where = "not in the files"
	}
	msg := fmt.Sprintf("cert %s: cannot complete the chain: the certificate of %s, which issued %s, is %s",
		files, terminalSafe(top.Issuer.String()), certName(top), where)
	for _, l := range fetchLog {
		if l.Error != "" {
			msg += fmt.Sprintf("; fetching %s failed: %s", terminalSafe(l.URL), terminalSafe(l.Error))
		}
	}
	hint := "pass your CA's intermediate with --bundle FILE"
	switch {
	case len(top.IssuingCertificateURL) == 0:
		hint += fmt.Sprintf(" (%s names no CA Issuers URL to fetch it from)", certName(top))
	case !o.Fetch:
		hint += ", or add --fetch-intermediates to fetch it from " + terminalSafe(strings.Join(top.IssuingCertificateURL, ", "))
	}
	return &RuntimeError{Err: errors.New(msg), Hint: hint}
}

// fixSummary tells on stderr what --fix wrote and what it left out.
func fixSummary(o *CertOptions, p checks.Path, pool []origin, given []subject.FileCert, li int, dest string) {
	leaf := given[li]
	w := o.IO.ErrOut
	fmt.Fprintf(w, "wrote %d certificate(s) to %s, leaf first:\n", len(p.Certs), dest)
	fmt.Fprintf(w, "  %s (leaf, from %s)\n", certName(leaf.Cert), leaf.File)
	for _, c := range p.Certs[1:] {
		from := ""
		for _, po := range pool {
			if po.cert.Equal(c) {
				from = po.from
				break
			}
		}
		fmt.Fprintf(w, "  %s (%s)\n", certName(c), from)
	}
	var left []string
	seen := map[string]bool{string(leaf.Cert.Raw): true}
	for i, g := range given {
		if i == li {
			continue
		}
		dup := seen[string(g.Cert.Raw)]
		seen[string(g.Cert.Raw)] = true
		var why string
		switch {
		case dup:
			why = "a duplicate"
		case onPath(p, g.Cert):
			continue
		case checks.IsSelfSigned(g.Cert):
			why = "a root: senders use their own copy"
		default:
			why = "not on the leaf's issuing path"
		}
		left = append(left, fmt.Sprintf("%s (%s, %s)", certName(g.Cert), g.File, why))
	}
	if len(left) > 0 {
		fmt.Fprintf(w, "left out: %s\n", strings.Join(left, "; "))
	}
	if p.Root != nil {
		fmt.Fprintf(w, "note: the chain ends at %s, which is not in the %s root store: senders will not trust it\n",
			certName(p.Root), o.Roots.Name)
	}
}

func onPath(p checks.Path, c *x509.Certificate) bool {
	for _, o := range p.Certs {
		if o.Equal(c) {
			return true
		}
	}
	return false
}

// certName is a certificate's short name for messages: its CN, else its
// subject, escaped for the terminal.
func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return terminalSafe("CN=" + c.Subject.CommonName)
	}
	return terminalSafe(c.Subject.String())
}

// terminalSafe escapes what a certificate or a server put in a string
// (control characters, bidi overrides) before it reaches a terminal.
func terminalSafe(s string) string {
	q := strconv.QuoteToGraphic(s)
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
}

// saveServedChain writes the chain the first address served (probe
// --save-chain), PEM in served order.
func saveServedChain(rep *report.Report, path string) error {
	for _, a := range rep.Addresses {
		if len(a.Certificates) == 0 {
			continue
		}
		var out strings.Builder
		for _, c := range a.Certificates {
			out.WriteString(c.PEM)
		}
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			return &RuntimeError{Err: fmt.Errorf("--save-chain: %w", err)}
		}
		return nil
	}
	return &RuntimeError{Err: fmt.Errorf("--save-chain %s: no address served a certificate chain; nothing written", path),
		Hint: "the report above says why the handshake failed"}
}
