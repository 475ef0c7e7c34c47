package cli

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/tlshello"
	"github.com/wacheck/wacheck/pkg/tlsnames"
)

// SendersOptions holds the senders command's flags and dependencies.
type SendersOptions struct {
	IO     *IOStreams
	Format string
	// Sender is the profile to show in full; "" lists them all.
	Sender string
}

func newSendersCmd(ios *IOStreams, runF func(*SendersOptions) error) *cobra.Command {
	opts := &SendersOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "senders [SENDER]",
		Short: "List the webhook senders wacheck can act as, or show one in full",
		Long: `List the webhook sender profiles (--sender NAME of wacheck probe), or show one:
what its TLS client offers, its client certificate, its deadlines and ports,
and for every fact whether the sender documents it (with the source) or it is
wacheck's strict assumption. docs/senders.md has the same facts.`,
		Example: `  wacheck senders
  wacheck senders meta
  wacheck senders meta --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("give at most one sender, e.g. wacheck senders meta",
					"senders takes at most one sender, got %d", len(args))
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return profile.Keys(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Sender = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runSenders(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runSenders(o *SendersOptions) error {
	if o.Format != "text" && o.Format != "json" {
		return usageErrorf("use --format text or --format json", "invalid --format %q", o.Format)
	}
	var p *profile.Profile
	if o.Sender != "" {
		var ok bool
		if p, ok = profile.Lookup(o.Sender); !ok {
			return usageErrorf("known senders: "+strings.Join(senderNames(), ", "), "unknown sender %q", o.Sender)
		}
	}
	var err error
	switch {
	case o.Format == "json" && p == nil:
		err = writeJSON(o.IO.Out, sendersListJSON())
	case o.Format == "json":
		err = writeJSON(o.IO.Out, senderJSONOf(p))
	case p == nil:
		err = writeSendersList(o.IO.Out)
	default:
		err = writeSender(o.IO.Out, p)
	}
	if err != nil {
		return &RuntimeError{Err: fmt.Errorf("writing the senders: %w", err)}
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeSendersList prints one line per profile, the default first.
func writeSendersList(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SENDER\tDOCUMENTED\tSOURCES\tNAME")
	for _, p := range profile.All() {
		name := p.Name
		if p.Key == profile.Default {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%d of %d facts\t%s\t%s\n", p.Key, p.Documented(), len(p.Facts), sourceHosts(p), name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\n'wacheck senders SENDER' shows one in full; 'wacheck probe --sender SENDER' acts as it.")
	return err
}

// sourceHosts names the sites a profile's facts come from, "none" when
// every fact is an assumption of wacheck's own.
func sourceHosts(p *profile.Profile) string {
	var hosts []string
	for _, src := range p.Sources() {
		h := src
		if u, err := url.Parse(src); err == nil && u.Host != "" {
			h = strings.TrimPrefix(u.Host, "www.")
		}
		if !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return "none"
	}
	return strings.Join(hosts, ", ")
}

// section prints labelled rows, the label column as wide as the section's
// longest label; a value of several lines continues under the first. A note
// follows the rows.
type section struct {
	title string
	rows  [][2]string
	note  string
}

func (s *section) add(label string, values ...string) {
	s.rows = append(s.rows, [2]string{label, strings.Join(values, "\n")})
}

func writeSections(w io.Writer, sections []section) error {
	var b strings.Builder
	for i, s := range sections {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s.title + "\n")
		width := 0
		for _, r := range s.rows {
			width = max(width, len(r[0]))
		}
		for _, r := range s.rows {
			for j, line := range strings.Split(r[1], "\n") {
				label := ""
				if j == 0 {
					label = r[0]
				}
				fmt.Fprintf(&b, "  %-*s  %s\n", width, label, line)
			}
		}
		if s.note != "" {
			b.WriteString("  " + s.note + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSender prints one profile in full.
func writeSender(w io.Writer, p *profile.Profile) error {
	head := p.Key + ": " + p.Name
	if p.Key == profile.Default {
		head += " (default)"
	}
	cl := section{title: "TLS client (what wacheck's handshake offers as this sender)"}
	cl.add("versions", versionRange(p.MinVersion, p.MaxVersion))
	if p.MinVersion <= tls.VersionTLS12 {
		cl.add("TLS 1.2 suites", numbered(suiteNames(p.Suites12))...)
	}
	if p.MaxVersion >= tls.VersionTLS13 {
		cl.add("TLS 1.3 suites", strings.Join(suiteNames(p.Suites13), ", "))
	}
	cl.add("groups", strings.Join(groupNames(p.Groups), ", "))
	if ks := p.KeyShares(); len(ks) > 0 {
		cl.add("key shares", strings.Join(groupNames(ks), " and ")+" (TLS 1.3 ClientHello)")
	}
	cl.add("signature algs", wrapList(sigAlgNames(p.SignatureAlgorithms), 4)...)
	cl.add("ALPN", strings.Join(p.ALPN, ", "))
	cl.add("SNI", yesNo(p.SendsSNI, "sent (never for an IP address)", "not sent"))
	cl.add("AIA fetching", yesNo(p.FetchesAIA, "yes: fetches missing intermediates", "no: the server must send its intermediates"))
	cl.note = "(Suites in Go's order on a CPU with AES-GCM hardware; ChaCha20 comes first without it.)"

	cc := section{title: "Client certificate (mTLS, when the server asks for one)"}
	if c := p.ClientCert; c == nil {
		cc.add("certificate", "none: it cannot pass a server that requires one")
	} else {
		cc.add("subject CN", c.CommonName)
		cc.add("issued by", c.IssuerLabel)
		if len(c.IssuerDNs) > 0 {
			cc.add("CA name", c.IssuerDNs...)
		} else {
			file := c.IssuerFile
			if file == "" {
				file = "CA.pem"
			}
			cc.add("CA name", "not published: wacheck probe --client-ca "+file+" compares a server's acceptable CAs with it exactly")
		}
		if c.IssuerFile != "" {
			cc.add("CA file", c.IssuerFile)
		} else {
			cc.add("CA file", "not published")
		}
		cc.add("published at", c.IssuerURL)
		var retired []string
		for _, r := range c.Retired {
			retired = append(retired, r.Label+", not used since "+r.Until.Format(time.DateOnly))
		}
		if len(retired) > 0 {
			cc.add("retired CAs", retired...)
		}
	}

	lim := section{title: "Deadlines and ports"}
	lim.add("connect", duration(p.Deadlines.Connect))
	lim.add("handshake", duration(p.Deadlines.Handshake))
	lim.add("response", duration(p.Deadlines.Response))
	lim.add("ports", ports(p.Ports))

	facts := section{title: "Facts (documented by the sender, with the source, or wacheck's assumption)"}
	for _, f := range p.Facts {
		facts.add(f.Topic, f.Value, "  "+factStatus(f))
	}
	if _, err := fmt.Fprintf(w, "%s\n\n", head); err != nil {
		return err
	}
	return writeSections(w, []section{cl, cc, lim, facts})
}

// factStatus says where a fact comes from.
func factStatus(f profile.Fact) string {
	switch {
	case f.Documented:
		return "documented (" + f.Source + ")"
	case f.Source != "":
		return "assumption (after " + f.Source + ")"
	}
	return "assumption"
}

func versionRange(minV, maxV uint16) string {
	if minV == maxV {
		return tlsnames.Version(minV) + " only"
	}
	return tlsnames.Version(minV) + " to " + tlsnames.Version(maxV)
}

func numbered(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%d. %s", i+1, s)
	}
	return out
}

// wrapList puts n items on a line.
func wrapList(items []string, n int) []string {
	var lines []string
	for i := 0; i < len(items); i += n {
		lines = append(lines, strings.Join(items[i:min(i+n, len(items))], ", "))
	}
	return lines
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func duration(d time.Duration) string {
	if d == 0 {
		return "not known"
	}
	return d.String()
}

func ports(ps []int) string {
	if len(ps) == 0 {
		return "any"
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}

func suiteNames(ids []uint16) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tlshello.SuiteName(id)
	}
	return out
}

func groupNames(ids []tls.CurveID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tlsnames.Group(uint16(id))
	}
	return out
}

// sigAlgIANA are the IANA (and OpenSSL) names of the signature schemes Go
// knows; Go's own String() is "PSSWithSHA256".
var sigAlgIANA = map[tls.SignatureScheme]string{
	tls.PSSWithSHA256:          "rsa_pss_rsae_sha256",
	tls.PSSWithSHA384:          "rsa_pss_rsae_sha384",
	tls.PSSWithSHA512:          "rsa_pss_rsae_sha512",
	tls.PKCS1WithSHA256:        "rsa_pkcs1_sha256",
	tls.PKCS1WithSHA384:        "rsa_pkcs1_sha384",
	tls.PKCS1WithSHA512:        "rsa_pkcs1_sha512",
	tls.PKCS1WithSHA1:          "rsa_pkcs1_sha1",
	tls.ECDSAWithP256AndSHA256: "ecdsa_secp256r1_sha256",
	tls.ECDSAWithP384AndSHA384: "ecdsa_secp384r1_sha384",
	tls.ECDSAWithP521AndSHA512: "ecdsa_secp521r1_sha512",
	tls.ECDSAWithSHA1:          "ecdsa_sha1",
	tls.Ed25519:                "ed25519",
}

func sigAlgNames(ss []tls.SignatureScheme) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		if n, ok := sigAlgIANA[s]; ok {
			out[i] = n
		} else {
			out[i] = fmt.Sprintf("0x%04X", uint16(s))
		}
	}
	return out
}

// The JSON forms. Field names are part of the output's contract.
type senderSummaryJSON struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Default bool   `json:"default"`
	// Documented and Facts count the profile's facts; Sources are their
	// distinct sources.
	Documented int      `json:"documented"`
	Facts      int      `json:"facts"`
	Sources    []string `json:"sources"`
}

func summaryOf(p *profile.Profile) senderSummaryJSON {
	src := p.Sources()
	if src == nil {
		src = []string{}
	}
	return senderSummaryJSON{Key: p.Key, Name: p.Name, Default: p.Key == profile.Default, Documented: p.Documented(),
		Facts: len(p.Facts), Sources: src}
}

type sendersListJSONT struct {
	Default string              `json:"default"`
	Senders []senderSummaryJSON `json:"senders"`
}

type suiteJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type tlsClientJSON struct {
	MinVersion          string      `json:"min_version"`
	MaxVersion          string      `json:"max_version"`
	Suites12            []suiteJSON `json:"tls12_suites"`
	Suites13            []suiteJSON `json:"tls13_suites"`
	Groups              []string    `json:"groups"`
	KeyShares           []string    `json:"key_shares"`
	SignatureAlgorithms []string    `json:"signature_algorithms"`
	ALPN                []string    `json:"alpn"`
	SNI                 bool        `json:"sni"`
	AIAFetching         bool        `json:"aia_fetching"`
}

type retiredCAJSON struct {
	Name  string `json:"name"`
	Until string `json:"until"`
}

type clientCertJSON struct {
	CommonName string          `json:"common_name"`
	Issuer     string          `json:"issuer"`
	IssuerFile string          `json:"issuer_file"`
	IssuerURL  string          `json:"issuer_url"`
	Retired    []retiredCAJSON `json:"retired_issuers"`
}

type deadlinesJSON struct {
	ConnectMS   int64 `json:"connect_ms,omitempty"`
	HandshakeMS int64 `json:"handshake_ms,omitempty"`
	ResponseMS  int64 `json:"response_ms,omitempty"`
}

type factJSON struct {
	Topic      string `json:"topic"`
	Value      string `json:"value"`
	Documented bool   `json:"documented"`
	Source     string `json:"source,omitempty"`
}

type senderJSON struct {
	senderSummaryJSON
	Client     tlsClientJSON   `json:"tls_client"`
	ClientCert *clientCertJSON `json:"client_certificate"`
	Deadlines  deadlinesJSON   `json:"deadlines"`
	// Ports is empty when the sender delivers to any port.
	Ports []int      `json:"ports"`
	Facts []factJSON `json:"facts"`
}

func sendersListJSON() sendersListJSONT {
	out := sendersListJSONT{Default: profile.Default, Senders: []senderSummaryJSON{}}
	for _, p := range profile.All() {
		out.Senders = append(out.Senders, summaryOf(p))
	}
	return out
}

func suitesJSON(ids []uint16) []suiteJSON {
	out := []suiteJSON{}
	for _, id := range ids {
		out = append(out, suiteJSON{ID: fmt.Sprintf("0x%04X", id), Name: tlshello.SuiteName(id)})
	}
	return out
}

func senderJSONOf(p *profile.Profile) senderJSON {
	out := senderJSON{
		senderSummaryJSON: summaryOf(p),
		Client: tlsClientJSON{
			MinVersion:          tlsnames.Version(p.MinVersion),
			MaxVersion:          tlsnames.Version(p.MaxVersion),
			Suites12:            suitesJSON(p.Suites12),
			Suites13:            suitesJSON(p.Suites13),
			Groups:              groupNames(p.Groups),
			KeyShares:           groupNames(p.KeyShares()),
			SignatureAlgorithms: sigAlgNames(p.SignatureAlgorithms),
			ALPN:                append([]string{}, p.ALPN...),
			SNI:                 p.SendsSNI,
			AIAFetching:         p.FetchesAIA,
		},
		Deadlines: deadlinesJSON{
			ConnectMS:   p.Deadlines.Connect.Milliseconds(),
			HandshakeMS: p.Deadlines.Handshake.Milliseconds(),
			ResponseMS:  p.Deadlines.Response.Milliseconds(),
		},
		Ports: append([]int{}, p.Ports...),
		Facts: []factJSON{},
	}
	if c := p.ClientCert; c != nil {
		cj := &clientCertJSON{CommonName: c.CommonName, Issuer: c.IssuerLabel, IssuerFile: c.IssuerFile,
			IssuerURL: c.IssuerURL, Retired: []retiredCAJSON{}}
		for _, r := range c.Retired {
			cj.Retired = append(cj.Retired, retiredCAJSON{Name: r.Label, Until: r.Until.Format(time.DateOnly)})
		}
		out.ClientCert = cj
	}
	for _, f := range p.Facts {
		out.Facts = append(out.Facts, factJSON{Topic: f.Topic, Value: f.Value, Documented: f.Documented, Source: f.Source})
	}
	return out
}
