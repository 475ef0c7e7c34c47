package render

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/wacheck/wacheck/pkg/report"
)

// TextOptions controls the text renderer.
type TextOptions struct {
	// Color turns on ANSI colour. The caller decides it (terminal, NO_COLOR,
	// --no-color); with Color false the output holds no escape codes at all.
	Color bool
	// Verbose prints every passing check's full detail and, under the chain
	// table, each certificate's full names, SANs, validity, serial and
	// fingerprint. Otherwise a passing check shows the first sentence of its
	// detail; warnings, failures, info and skips always show all of it.
	Verbose bool
}

// width is the terminal width the layout is made for.
const width = 100

// categoryOrder is the order sections appear in; other categories follow in
// alphabetical order.
var categoryOrder = []string{"dns", "connect", "tls", "protocol", "cipher", "timing", "chain", "cert", "key", "ocsp", "http", "mtls"}

var categoryTitle = map[string]string{
	"dns":      "DNS",
	"connect":  "Connection",
	"tls":      "TLS",
	"protocol": "Protocol versions",
	"cipher":   "Cipher suites",
	"timing":   "Timing",
	"chain":    "Certificate chain",
	"cert":     "Certificate",
	"ocsp":     "OCSP stapling",
	"http":     "HTTP",
	"mtls":     "Client certificates (mTLS)",
	"key":      "Private key",
}

var marks = map[report.Status]string{
	report.Pass: "✓",
	report.Warn: "!",
	report.Fail: "✗",
	report.Info: "i",
	report.Skip: "-",
}

// palette holds one colour object per role, each enabled or disabled on its
// own so the package-wide color.NoColor is never consulted or changed.
type palette struct {
	on                                 bool
	pass, warn, fail, info, skip, bold *color.Color
}

func newPalette(on bool) palette {
	p := palette{on: on}
	p.pass = p.make(color.FgGreen)
	p.warn = p.make(color.FgYellow)
	p.fail = p.make(color.FgRed)
	p.info = p.make(color.FgCyan)
	p.skip = p.make(color.Faint)
	p.bold = p.make(color.Bold)
	return p
}

// make returns a colour object with attrs, switched on or off as the whole
// palette is.
func (p palette) make(attrs ...color.Attribute) *color.Color {
	c := color.New(attrs...)
	if p.on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return c
}

func (p palette) status(s report.Status) *color.Color {
	switch s {
	case report.Pass:
		return p.pass
	case report.Warn:
		return p.warn
	case report.Fail:
		return p.fail
	case report.Info:
		return p.info
	}
	return p.skip
}

// Text writes r as a checklist for a person at a terminal: a header naming
// what was probed, the checks grouped by category with a fix under every
// warning and failure, the certificate chain as served, what TLS negotiated,
// the timings, and a one-line summary last.
func Text(w io.Writer, r *report.Report, opts TextOptions) error {
	t := &textWriter{p: newPalette(opts.Color), verbose: opts.Verbose, multiAddress: len(r.Addresses) > 1}
	t.header(r)
	t.checks(r)
	t.chain(r)
	t.negotiated(r)
	t.protocols(r)
	t.timings(r)
	t.summary(r)
	if t.err != nil {
		return t.err
	}
	_, err := w.Write(t.buf.Bytes())
	return err
}

// textWriter builds the whole output in memory, so that the caller's writer
// gets one write and the report is never half printed.
type textWriter struct {
	buf     bytes.Buffer
	p       palette
	verbose bool
	// multiAddress is true when more than one address was probed: only
	// then do check lines name the address they concern.
	multiAddress bool
	err          error // first table error
}

func (t *textWriter) line(s string) {
	t.buf.WriteString(s)
	t.buf.WriteByte('\n')
}

func (t *textWriter) heading(s string) {
	t.line("")
	t.line(t.p.bold.Sprint(s))
}

func (t *textWriter) header(r *report.Report) {
	name := r.Tool.Name
	if name == "" {
		name = "wacheck"
	}
	if r.Tool.Version != "" {
		name += " " + r.Tool.Version
	}
	input := r.Target.Input
	if input == "" {
		input = hostPort(r.Target)
	}
	t.line(t.p.bold.Sprint(name) + " — " + clean(input))
	t.line("")

	if r.Kind == "cert" {
		t.filesHeader(r)
		return
	}
	target := hostPort(r.Target) + r.Target.Path
	if r.Target.SNI != "" {
		target += " (SNI " + r.Target.SNI + ")"
	} else {
		target += " (no SNI sent)"
	}
	t.field("Target", target)
	t.field(addressLabel(r), addressLine(r))
	if r.Sender.Name != "" {
		t.field("Sender", r.Sender.Name)
	}
	if !r.StartedAt.IsZero() {
		started := r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
		t.field("Started", started+", wacheck ran "+ms(r.DurationMS)+" ms")
	}
}

// filesHeader names the certificate files judged.
func (t *textWriter) filesHeader(r *report.Report) {
	f := r.Files
	if f == nil {
		return
	}
	t.field(pluralWord(len(f.Paths), "File"), strings.Join(f.Paths, ", "))
	name := f.Name
	if name == "" {
		name = "none given (--name)"
	}
	t.field("Name", name)
	if f.Key != "" {
		t.field("Key", f.Key)
	}
	if f.Staple != "" {
		t.field("Staple", f.Staple)
	}
	for _, fe := range f.Fetched {
		v := fe.URL
		if fe.Error != "" {
			v += " (failed: " + fe.Error + ")"
		} else if fe.Subject != "" {
			v += " (" + fe.Subject + ")"
		}
		t.field("Fetched", v)
	}
	if r.Sender.Name != "" {
		t.field("Sender", r.Sender.Name)
	}
}

// field prints an aligned "  Label     value" header line, wrapping the value.
func (t *textWriter) field(label, value string) {
	prefix := fmt.Sprintf("  %-9s ", label)
	t.wrapped(prefix, strings.Repeat(" ", len(prefix)), value, nil)
}

func hostPort(tg report.Target) string {
	if tg.Host == "" {
		return tg.Input
	}
	return net.JoinHostPort(tg.Host, strconv.Itoa(tg.Port))
}

func addressLabel(r *report.Report) string {
	if len(r.Addresses) > 1 {
		return "Addresses"
	}
	return "Address"
}

// addressLine names the addresses probed and how each connection ended, and
// any address resolved but not probed.
func addressLine(r *report.Report) string {
	var parts []string
	probed := map[string]bool{}
	for _, a := range r.Addresses {
		probed[a.Address] = true
		s := a.Address
		switch {
		case a.ErrorKind != "":
			s += " (" + strings.ReplaceAll(a.ErrorKind, "_", " ") + ")"
		case a.Error != "":
			s += " (error)"
		}
		parts = append(parts, s)
	}
	var rest []string
	var resolved []string
	if r.DNS != nil {
		resolved = r.DNS.Addresses
	}
	for _, a := range resolved {
		if !probed[a] {
			rest = append(rest, a)
		}
	}
	var s string
	switch {
	case len(parts) > 0:
		s = strings.Join(parts, ", ")
		if len(rest) > 0 {
			s += "; also resolved, not probed: " + strings.Join(rest, ", ")
		}
	case len(rest) > 0:
		s = "none probed; resolved " + strings.Join(rest, ", ")
	case r.DNS != nil && r.DNS.Error != "":
		s = "none: " + r.DNS.Error
	default:
		s = "none"
	}
	if r.DNS != nil && r.DNS.Pinned {
		s += " (pinned, no DNS query)"
	}
	return s
}

func (t *textWriter) checks(r *report.Report) {
	checks, folded := foldDeadAddresses(r, t.multiAddress && !t.verbose)
	groups := map[string][]report.Result{}
	for _, c := range checks {
		groups[c.Category()] = append(groups[c.Category()], c)
	}
	var others []string
	for cat := range groups {
		if !slices.Contains(categoryOrder, cat) {
			others = append(others, cat)
		}
	}
	slices.Sort(others)
	for _, cat := range append(slices.Clone(categoryOrder), others...) {
		results := groups[cat]
		if len(results) == 0 {
			continue
		}
		title, ok := categoryTitle[cat]
		if !ok {
			title = cat
		}
		t.heading(title)
		if t.multiAddress && !t.verbose {
			results = mergeAgreeing(results)
		}
		if !t.verbose && len(results) > 1 && allSkippedAlike(results) {
			// One line says it: "- 4 checks skipped (chain.complete, ...) — why".
			ids := make([]string, len(results))
			for i, res := range results {
				ids[i] = res.ID
			}
			t.result(report.Result{Status: report.Skip, Detail: results[0].Detail,
				Title: fmt.Sprintf("%d checks skipped (%s)", len(results), strings.Join(ids, ", "))})
			continue
		}
		for _, res := range results {
			if !t.multiAddress {
				res.Address = ""
			}
			t.result(res)
		}
		if cat == "connect" {
			for _, f := range folded {
				t.result(report.Result{Status: report.Skip, Address: f.address,
					Title:  fmt.Sprintf("%d more checks skipped", f.n),
					Detail: "they judge what the failed " + f.phase + " never reached"})
			}
		}
	}
}

// foldedAddress is an address whose skipped checks are said in one line.
type foldedAddress struct {
	address, phase string
	n              int
}

// foldDeadAddresses takes out the skips of the addresses a sender cannot
// get through to, when another address works: a refusing AAAA address
// would otherwise add a skip line to every section. The connect.* results
// of those addresses stay, and one line under Connection counts the rest.
func foldDeadAddresses(r *report.Report, fold bool) ([]report.Result, []foldedAddress) {
	if !fold {
		return r.Checks, nil
	}
	dead := map[string]string{}
	for _, a := range r.Addresses {
		switch {
		case a.ErrorKind != "" && a.TimingsMS.Connect == nil:
			dead[a.Address] = "TCP connection"
		case a.ErrorKind != "" && a.TLS == nil:
			dead[a.Address] = "TLS handshake"
		}
	}
	if len(dead) == 0 || len(dead) == len(r.Addresses) {
		return r.Checks, nil
	}
	counts := map[string]int{}
	var out []report.Result
	for _, c := range r.Checks {
		if _, ok := dead[c.Address]; ok && c.Status == report.Skip && c.Category() != "connect" {
			counts[c.Address]++
			continue
		}
		out = append(out, c)
	}
	var folded []foldedAddress
	for _, a := range r.Addresses {
		if n := counts[a.Address]; n > 0 {
			folded = append(folded, foldedAddress{address: a.Address, phase: dead[a.Address], n: n})
		}
	}
	return out, folded
}

// mergeAgreeing folds the per-address results of one check into one line
// when every address has the same status and fix: "(all 3 addresses)", with the
// first address's detail when the details differ. Where the addresses
// disagree each keeps its own line, so the one that differs stands out.
func mergeAgreeing(results []report.Result) []report.Result {
	byID := map[string][]report.Result{}
	var order []string
	for _, r := range results {
		if _, ok := byID[r.ID]; !ok {
			order = append(order, r.ID)
		}
		byID[r.ID] = append(byID[r.ID], r)
	}
	var out []report.Result
	for _, id := range order {
		rs := byID[id]
		if len(rs) < 2 || rs[0].Address == "" {
			out = append(out, rs...)
			continue
		}
		agree, same := true, true
		for _, r := range rs[1:] {
			agree = agree && r.Status == rs[0].Status && r.Remediation == rs[0].Remediation
			same = same && r.Detail == rs[0].Detail
		}
		if !agree {
			out = append(out, rs...)
			continue
		}
		m := rs[0]
		m.Address = fmt.Sprintf("all %d addresses", len(rs))
		if len(rs) == 2 {
			m.Address = "both addresses"
		}
		if !same {
			m.Detail = rs[0].Address + ": " + rs[0].Detail
		}
		out = append(out, m)
	}
	return out
}

// allSkippedAlike reports whether every result is a skip for the same reason.
func allSkippedAlike(results []report.Result) bool {
	for _, res := range results {
		if res.Status != report.Skip || res.Detail != results[0].Detail {
			return false
		}
	}
	return true
}

func (t *textWriter) result(res report.Result) {
	mark, ok := marks[res.Status]
	if !ok {
		mark = "?"
	}
	c := t.p.status(res.Status)
	text := res.Title
	if res.Address != "" {
		text += " (" + res.Address + ")"
	}
	if d := t.detail(res); d != "" {
		text += " — " + d
	}
	var style *color.Color
	if res.Status == report.Skip {
		style = t.p.skip
	}
	t.wrapped("  "+c.Sprint(mark)+" ", "    ", text, style)
	if res.Remediation != "" && res.Status.Severity() > 0 {
		t.wrapped("    "+c.Sprint("fix:")+" ", "         ", res.Remediation, nil)
	}
}

// detail is what a check line shows after its title: everything, except for
// a passing check outside verbose mode, which shows its first sentence.
func (t *textWriter) detail(res report.Result) string {
	d := strings.TrimSpace(res.Detail)
	if t.verbose || res.Status != report.Pass {
		return d
	}
	return firstSentence(d)
}

// firstSentence cuts s after the first ". " that is followed by a capital
// letter, or at the first line break, so that "TLS 1.2. Next" cuts but "e.g.
// nginx" does not.
func firstSentence(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' && s[i+2] >= 'A' && s[i+2] <= 'Z' {
			return s[:i+1]
		}
	}
	return s
}

// wrapped writes text word-wrapped to the layout width: the first line after
// first, the following lines after indent (which must be plain spaces).
// Lines of text that begin with white space (config snippets) are kept as
// they are. style, when set, colours the text but not the prefix. The text
// may hold what a server sent: it is cleaned for the terminal.
func (t *textWriter) wrapped(first, indent, text string, style *color.Color) {
	prefix := first
	room := width - len(indent)
	for _, l := range wrap(clean(text), room) {
		if style != nil {
			l = style.Sprint(l)
		}
		t.line(strings.TrimRight(prefix+l, " "))
		prefix = indent
	}
}

// wrap breaks text into lines of at most room columns at spaces. A word
// longer than room (a URL) gets a line of its own. Line breaks in text are
// kept; a line that starts with white space is not re-flowed.
func wrap(text string, room int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		para = strings.TrimRight(para, " \t")
		if para == "" || para[0] == ' ' || para[0] == '\t' {
			out = append(out, para)
			continue
		}
		cur := ""
		for _, word := range strings.Fields(para) {
			switch {
			case cur == "":
				cur = word
			case cols(cur)+1+cols(word) <= room:
				cur += " " + word
			default:
				out = append(out, cur)
				cur = word
			}
		}
		out = append(out, cur)
	}
	return out
}

// cols is the display width of s, taken as one column per rune: the text
// here is ASCII, marks and dashes.
func cols(s string) int {
	return len([]rune(s))
}

// ms formats a duration in milliseconds: one decimal below 10 ms, whole
// milliseconds above.
func ms(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func msPtr(v *float64) string {
	if v == nil {
		return "-"
	}
	return ms(*v)
}

// chain prints one table per distinct chain served (or given in files) and
// says which addresses serve it.
func (t *textWriter) chain(r *report.Report) {
	if f := r.Files; f != nil {
		t.chainTable(f.Certificates, "")
		return
	}
	for _, g := range chainGroups(r) {
		where := ""
		if t.multiAddress {
			where = "served by " + strings.Join(g.addrs, ", ")
			if len(g.addrs) == len(r.Addresses) && len(g.addrs) > 1 {
				where = fmt.Sprintf("served by all %d addresses", len(g.addrs))
			}
		}
		t.chainTable(g.certs, where)
	}
}

type chainGroup struct {
	certs []report.Cert
	addrs []string
}

// chainGroups lists the distinct chains the addresses served, in the order
// first seen, each with the addresses that served it.
func chainGroups(r *report.Report) []chainGroup {
	var out []chainGroup
	index := map[string]int{}
	for _, a := range r.Addresses {
		if len(a.Certificates) == 0 {
			continue
		}
		id := ""
		if a.Chain != nil {
			id = a.Chain.ID
		}
		if i, ok := index[id]; ok && id != "" {
			out[i].addrs = append(out[i].addrs, a.Address)
			continue
		}
		index[id] = len(out)
		out = append(out, chainGroup{certs: a.Certificates, addrs: []string{a.Address}})
	}
	return out
}

func (t *textWriter) chainTable(certs []report.Cert, where string) {
	if len(certs) == 0 {
		return
	}
	n := len(certs)
	title := fmt.Sprintf("Chain (%d %s, leaf first", n, pluralWord(n, "certificate"))
	if where != "" {
		title += "; " + where
	}
	t.heading(title + ")")
	rows := make([][]string, 0, n)
	for _, c := range certs {
		if c.ParseError != "" {
			rows = append(rows, []string{strconv.Itoa(c.Index), "unparseable: " + c.ParseError, "", "", "", ""})
			continue
		}
		rows = append(rows, []string{
			strconv.Itoa(c.Index),
			certName(c.Subject, c.SANs),
			certName(c.Issuer, nil),
			expires(c),
			c.Key,
			c.SignatureAlgorithm,
		})
	}
	// Subject and issuer share what the other columns leave of the width.
	t.table([]string{"#", "Subject", "Issuer", "Expires", "Key", "Signature"}, rows, []int{1, 2}, nil)
	if t.verbose {
		t.certDetails(certs)
	}
}

// certDetails lists what the table leaves out, for verbose mode: full names,
// SANs, validity, serial and fingerprint of each certificate.
func (t *textWriter) certDetails(certs []report.Cert) {
	const indent = "                 "
	for _, c := range certs {
		t.line("")
		t.line(fmt.Sprintf("  [%d]", c.Index))
		f := func(label, value string) {
			if value != "" {
				t.wrapped(fmt.Sprintf("      %-10s ", label), indent, value, nil)
			}
		}
		if c.ParseError != "" {
			f("error", c.ParseError)
			f("sha256", c.SHA256)
			continue
		}
		f("subject", c.Subject)
		f("issuer", c.Issuer)
		f("names", strings.Join(c.SANs, ", "))
		f("valid", c.NotBefore.UTC().Format("2006-01-02 15:04")+" to "+c.NotAfter.UTC().Format("2006-01-02 15:04 UTC"))
		var flags []string
		if c.IsCA {
			flags = append(flags, "CA")
		}
		if c.SelfSigned {
			flags = append(flags, "self-signed")
		}
		f("flags", strings.Join(flags, ", "))
		f("serial", c.Serial)
		f("sha256", c.SHA256)
		f("ocsp", strings.Join(c.OCSPServers, ", "))
		f("ca issuers", strings.Join(c.IssuingCertURLs, ", "))
	}
}

// certName is the name shown for a certificate in the table: its common
// name, or organisation, or first name when the subject is empty.
func certName(dn string, sans []string) string {
	if v := rdn(dn, "CN"); v != "" {
		return v
	}
	if v := rdn(dn, "O"); v != "" {
		return v
	}
	if dn == "" && len(sans) > 0 {
		return sans[0]
	}
	if dn == "" {
		return "(empty subject)"
	}
	return dn
}

// rdn returns the value of the attribute key in an RFC 2253 style
// distinguished name ("CN=R11,O=Let's Encrypt,C=US"), honouring escaped
// commas.
func rdn(dn, key string) string {
	var parts []string
	start := 0
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',', '+':
			parts = append(parts, dn[start:i])
			start = i + 1
		}
	}
	parts = append(parts, dn[start:])
	for _, p := range parts {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(k, key) {
			return strings.NewReplacer(`\,`, ",", `\+`, "+", `\\`, `\`, `\"`, `"`).Replace(v)
		}
	}
	return ""
}

func expires(c report.Cert) string {
	date := c.NotAfter.UTC().Format("2006-01-02")
	if c.DaysLeft < 0 {
		return fmt.Sprintf("%s (expired %dd ago)", date, -c.DaysLeft)
	}
	return fmt.Sprintf("%s (%dd left)", date, c.DaysLeft)
}

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// negotiated prints what each handshake agreed on (once when every address
// agreed) and, even when the handshake then failed, whether the server asked
// for a client certificate.
func (t *textWriter) negotiated(r *report.Report) {
	const indent = "            "
	var lines []string
	seen := map[string]bool{}
	var ca *report.ClientAuth
	for _, a := range r.Addresses {
		if ca == nil && a.ClientAuth != nil && a.ClientAuth.Requested {
			ca = a.ClientAuth
		}
		if a.TLS == nil || a.TLS.Version == "" {
			continue
		}
		l := tlsLine(a.TLS)
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 && ca == nil {
		return
	}
	t.line("")
	for _, l := range lines {
		// Name the addresses unless every address negotiated this.
		var at []string
		for _, a := range r.Addresses {
			if a.TLS != nil && a.TLS.Version != "" && tlsLine(a.TLS) == l {
				at = append(at, a.Address)
			}
		}
		if len(at) < len(r.Addresses) && t.multiAddress {
			l += " (" + strings.Join(at, ", ") + ")"
		}
		t.wrapped(t.p.bold.Sprint("Negotiated")+"  ", indent, l, nil)
	}
	if ca == nil {
		return
	}
	label := t.p.bold.Sprint("Client cert") + " "
	if len(ca.AcceptableCAs) == 0 {
		t.line(label + "requested, no acceptable CAs listed")
		return
	}
	t.line(label + "requested, acceptable CAs:")
	for _, name := range ca.AcceptableCAs {
		t.wrapped(indent, indent+"  ", name, nil)
	}
}

// tlsLine is "TLS 1.3, TLS_AES_128_GCM_SHA256, group X25519, ALPN h2".
func tlsLine(tl *report.TLS) string {
	parts := []string{tl.Version}
	if tl.Cipher != "" {
		parts = append(parts, tl.Cipher)
	}
	if tl.Group != "" {
		parts = append(parts, "group "+tl.Group)
	}
	switch {
	case tl.ALPN != "":
		parts = append(parts, "ALPN "+tl.ALPN)
	case len(tl.OfferedALPN) > 0:
		parts = append(parts, "ALPN none (offered "+strings.Join(tl.OfferedALPN, ", ")+")")
	default:
		parts = append(parts, "ALPN not offered")
	}
	return strings.Join(parts, ", ")
}

// timings shows each address's phase durations, with DNS once.
func (t *textWriter) timings(r *report.Report) {
	if r.Kind == "cert" || len(r.Addresses) == 0 && r.DNS == nil {
		return
	}
	var dns *float64
	if r.DNS != nil {
		dns = r.DNS.DurationMS
	}
	if len(r.Addresses) == 1 && r.Addresses[0].Samples == nil {
		a := r.Addresses[0]
		t.heading("Timings (ms)")
		header := []string{"DNS", "Connect", "TLS"}
		row := []string{msPtr(dns), msPtr(a.TimingsMS.Connect), msPtr(a.TimingsMS.TLS)}
		align := []tw.Align{tw.AlignRight, tw.AlignRight, tw.AlignRight}
		if a.HTTP != nil {
			header = append(header, "First byte")
			row = append(row, msPtr(a.TimingsMS.TTFB))
			align = append(align, tw.AlignRight)
		}
		t.table(header, [][]string{row}, nil, align)
		return
	}
	if dns != nil {
		t.heading("Timings (ms)")
		t.line("  DNS " + ms(*dns))
	}
	t.addressTable(r)
}

// protocols shows what the enumeration found: one row per version, then
// the accepted suites of each offered version with their grades.
func (t *textWriter) protocols(r *report.Report) {
	for _, g := range enumerationGroups(r) {
		t.enumeration(g)
	}
}

// enumGroup is one distinct enumeration result, the addresses that gave it,
// and the connections and time the enumerations of those addresses took
// together (they run at once: the time is the longest).
type enumGroup struct {
	e           *report.Enumeration
	addrs       []string
	connections int
	durationMS  float64
}

// enumerationGroups lists the distinct enumerations, each with the
// addresses that gave it: one table when every node is configured alike.
func enumerationGroups(r *report.Report) []enumGroup {
	var out []enumGroup
	index := map[string]int{}
	for _, a := range r.Addresses {
		if a.Enumeration == nil || len(a.Enumeration.Protocols) == 0 {
			continue
		}
		key := enumKey(a.Enumeration)
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, enumGroup{e: a.Enumeration})
		}
		g := &out[i]
		g.addrs = append(g.addrs, a.Address)
		g.connections += a.Enumeration.Connections
		g.durationMS = max(g.durationMS, a.Enumeration.DurationMS)
	}
	return out
}

// enumKey is what makes two enumerations alike: the versions, suites,
// orders and groups found.
func enumKey(e *report.Enumeration) string {
	var b strings.Builder
	for _, p := range e.Protocols {
		fmt.Fprintf(&b, "%s:%v:%v:%v:%q:%q:", p.Version, boolWord(p.Offered), boolWord(p.ServerOrder), p.Groups, p.Reason, p.Errors)
		for _, c := range p.Ciphers {
			b.WriteString(c.Name + ",")
		}
		b.WriteString(";")
	}
	fmt.Fprintf(&b, "%v:%q", e.Groups, e.Error)
	return b.String()
}

func boolWord(b *bool) string {
	if b == nil {
		return "?"
	}
	return strconv.FormatBool(*b)
}

func (t *textWriter) enumeration(g enumGroup) {
	e := g.e
	title := fmt.Sprintf("Protocols (enumerated on %s: %d connections, %s ms)", strings.Join(g.addrs, ", "),
		g.connections, ms(g.durationMS))
	t.heading(title)
	if e.Error != "" {
		t.wrapped("  stopped early: ", "    ", e.Error+"; the lists below may be incomplete", nil)
	}
	var rows [][]string
	for _, p := range e.Protocols {
		offered := "?"
		if p.Offered != nil {
			offered = map[bool]string{true: "yes", false: "no"}[*p.Offered]
		}
		grades := map[string]int{}
		for _, c := range p.Ciphers {
			grades[c.Grade]++
		}
		suites := "-"
		if len(p.Ciphers) > 0 {
			suites = fmt.Sprintf("%d (%d recommended, %d weak, %d insecure)", len(p.Ciphers),
				grades["recommended"], grades["weak"], grades["insecure"])
		}
		order := "-"
		if p.ServerOrder != nil {
			order = map[bool]string{true: "server", false: "client"}[*p.ServerOrder]
		}
		note := p.Reason
		if len(p.Groups) > 0 {
			note = strings.Join(p.Groups, " ")
		}
		rows = append(rows, []string{p.Version, offered, suites, order, note})
	}
	t.table([]string{"Version", "Offered", "Suites", "Order", "Groups / reason"}, rows, []int{4}, nil)
	for _, p := range e.Protocols {
		if len(p.Ciphers) == 0 {
			continue
		}
		order := "code point order"
		if p.ServerOrder != nil && *p.ServerOrder {
			order = "server's order"
		}
		t.heading(fmt.Sprintf("%s cipher suites (%s)", p.Version, order))
		var rows [][]string
		for _, c := range p.Ciphers {
			rows = append(rows, []string{c.Name, c.OpenSSLName, c.Grade})
		}
		t.table([]string{"IANA name", "OpenSSL name", "Grade"}, rows, nil, nil)
	}
	if len(e.Groups) > 0 {
		t.wrapped("  Groups  ", "          ", strings.Join(e.Groups, ", "), nil)
	}
}

// addressTable shows each address's timings (median / p95 with samples)
// and the short id of the chain it served, when more than one address was
// probed or rounds were repeated: the place to spot the one slow or odd node
// (a node serving the same leaf without its intermediate has another chain).
func (t *textWriter) addressTable(r *report.Report) {
	sampled := false
	for _, a := range r.Addresses {
		sampled = sampled || a.Samples != nil
	}
	if len(r.Addresses) < 2 && !sampled {
		return
	}
	header := []string{"Address", "Connect", "TLS", "Chain", "Result"}
	if sampled {
		header = []string{"Address", "Connect p50/p95", "TLS p50/p95", "Failed", "Chain", "Result"}
	}
	var rows [][]string
	for _, a := range r.Addresses {
		chainID := "-"
		if a.Chain != nil && a.Chain.ID != "" {
			chainID = a.Chain.ID
			if len(chainID) > 16 {
				chainID = chainID[:16] + "…"
			}
		}
		result := "ok"
		if a.ErrorKind != "" {
			result = a.ErrorKind
		}
		if !sampled {
			rows = append(rows, []string{a.Address, msPtr(a.TimingsMS.Connect), msPtr(a.TimingsMS.TLS), chainID, result})
			continue
		}
		conn, hs, failed := msPtr(a.TimingsMS.Connect), msPtr(a.TimingsMS.TLS), "0"
		if s := a.Samples; s != nil {
			conn, hs = stats(s.Connect), stats(s.TLS)
			failed = fmt.Sprintf("%d/%d", s.Failed, s.Rounds)
		}
		rows = append(rows, []string{a.Address, conn, hs, failed, chainID, result})
	}
	t.heading("Per address (ms)")
	t.table(header, rows, nil, nil)
}

func stats(p *report.PhaseStats) string {
	if p == nil {
		return "-"
	}
	return ms(p.MedianMS) + " / " + ms(p.P95MS)
}

func (t *textWriter) summary(r *report.Report) {
	st := overall(r)
	word := strings.ToUpper(string(st))
	t.line("")
	t.line(t.p.make(color.Bold, colorAttr(st)).Sprint(word) + "  " + r.Summary.Line())
}

func colorAttr(s report.Status) color.Attribute {
	switch s {
	case report.Fail:
		return color.FgRed
	case report.Warn:
		return color.FgYellow
	}
	return color.FgGreen
}

// oneLine keeps a table cell on one line until table wraps it.
var oneLine = strings.NewReplacer("\n", " ", "\t", " ")

// tableIndent lines tables up with the check lines above them.
const tableIndent = "  "

// table renders a light-ruled table in the layout width. The columns listed
// in flex share whatever width the others leave and are word-wrapped to fit;
// the others keep their natural width.
func (t *textWriter) table(header []string, rows [][]string, flex []int, align []tw.Align) {
	for _, row := range rows {
		for i := range row {
			row[i] = oneLine.Replace(clean(row[i]))
		}
	}
	ncol := len(header)
	natural := make([]int, ncol)
	for i, h := range header {
		natural[i] = cols(h)
	}
	for _, row := range rows {
		for i, cell := range row {
			natural[i] = max(natural[i], cols(cell))
		}
	}
	// Each column costs its content plus a space either side and a rule.
	total := 1
	for _, n := range natural {
		total += n + 3
	}
	avail := width - len(tableIndent)
	if total > avail && len(flex) > 0 {
		fixed := total - 1 - 3*ncol
		for _, i := range flex {
			fixed -= natural[i]
		}
		room := avail - 1 - 3*ncol - fixed
		// Narrow flex columns keep their width; the rest share what is left.
		order := slices.Clone(flex)
		slices.SortFunc(order, func(a, b int) int { return natural[a] - natural[b] })
		for k, i := range order {
			// Cut inside a word only when the word is very long.
			share := max(room/(len(order)-k), 12, min(longestWord(rows, i), 30))
			if natural[i] > share {
				for _, row := range rows {
					row[i] = strings.Join(wrapHard(row[i], share), "\n")
				}
				natural[i] = share
			}
			room -= natural[i]
		}
	}

	var out bytes.Buffer
	tb := tablewriter.NewTable(&out,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: align}),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tb.Header(toAny(header)...)
	for _, row := range rows {
		if err := tb.Append(toAny(row)...); err != nil && t.err == nil {
			t.err = fmt.Errorf("render table: %w", err)
		}
	}
	if err := tb.Render(); err != nil && t.err == nil {
		t.err = fmt.Errorf("render table: %w", err)
	}
	for _, l := range strings.SplitAfter(out.String(), "\n") {
		if l != "" {
			t.buf.WriteString(tableIndent + l)
		}
	}
}

func longestWord(rows [][]string, col int) int {
	n := 0
	for _, row := range rows {
		for _, w := range strings.Fields(row[col]) {
			n = max(n, cols(w))
		}
	}
	return n
}

// wrapHard wraps s at room columns, cutting words longer than room.
func wrapHard(s string, room int) []string {
	var out []string
	for _, l := range wrap(s, room) {
		r := []rune(l)
		for len(r) > room {
			out = append(out, string(r[:room]))
			r = r[room:]
		}
		out = append(out, string(r))
	}
	return out
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// clean makes text that may hold what a server sent (names, alerts, URLs)
// safe to print on a terminal: control characters other than line breaks
// and tabs, C1 controls, bidirectional controls and bytes that are not
// UTF-8 are shown escaped (\x1b, \u202e), so that they can neither drive
// the terminal nor reorder what is read.
func clean(s string) string {
	dirty := false
	for _, r := range s {
		if unsafeRune(r) {
			dirty = true
			break
		}
	}
	if !dirty {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r must not reach a terminal as it is;
// utf8.RuneError stands for a byte that is not UTF-8.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r >= 0x7f && r < 0xa0, r == utf8.RuneError, r == 0x2028 || r == 0x2029:
		return true
	}
	return unicode.Is(unicode.Bidi_Control, r)
}
