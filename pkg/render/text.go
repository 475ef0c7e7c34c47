package render

import (
	"bytes"
	"fmt"
	"io"

	"slices"
	"strconv"
	"strings"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/pkg/report"
)

// TextOptions controls the text renderer.
type TextOptions struct {
	// Color turns on ANSI colour. The caller decides it (terminal, NO_COLOR,
	// --no-color); with Color false the output holds no escape codes at all.
	Color bool
	// Verbose prints every passing check's full detail and, under the chain
	// table, each certificate's full names, SANs, validity, serial and
	// fingerprint, and the accepted cipher suites of each version.
	// Otherwise the passing checks of a category collapse into one line.
	Verbose bool
	// Width is the terminal's width in columns, decided by the caller (the
	// real terminal's, or 80 when it is unknown or the output is piped);
	// 0 means DefaultWidth. Every line is wrapped to it, tables included.
	Width int
}

// DefaultWidth is the layout width when the caller knows none.
const DefaultWidth = 80

// minWidth is the narrowest layout: below it the tables cannot fit.
const minWidth = 60

// maxListed bounds how many items of a long list (SANs, cipher suites,
// acceptable CAs) are printed before "and 9,996 more".
const maxListed = 12

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

// Text writes r as a report for a person at a terminal: the verdict first
// (what the sender will make of the endpoint and the worst problem's
// cause), then each failing and warning check with its fix, then the other
// checks (one line per category unless verbose), the facts (target,
// addresses, what TLS negotiated, the chain as served) and the timing
// waterfall, and the verdict again last.
func Text(w io.Writer, r *report.Report, opts TextOptions) error {
	wd := opts.Width
	if wd <= 0 {
		wd = DefaultWidth
	}
	t := &textWriter{p: newPalette(opts.Color), verbose: opts.Verbose, multiAddress: len(r.Addresses) > 1,
		width: max(wd, minWidth)}
	t.verdict(r)
	t.problems(r)
	if t.verbose {
		t.checks(r)
	} else {
		t.collapsed(r)
	}
	t.header(r)
	t.negotiated(r)
	t.protocols(r)
	t.chain(r)
	t.webhook(r)
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
	width   int
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
	t.wrapped("", "", s, t.p.bold)
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
	t.line("")
	t.line(t.p.bold.Sprint(name) + " — " + clean(input))

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
	if n := r.Settings.FullAddresses; n > 0 && n < len(r.Addresses) {
		t.field("Scope", fmt.Sprintf("%d of the %d addresses probed in full; the other %d got the strict handshake "+
			"only (no enumeration, no timing rounds, no request), within one budget of %d connections at once",
			n, len(r.Addresses), len(r.Addresses)-n, r.Settings.Concurrency))
	}
	if r.Sender.Name != "" {
		t.field("Sender", r.Sender.Name)
	}
	if !r.StartedAt.IsZero() {
		t.field("Started", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
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

func (t *textWriter) checks(r *report.Report) {
	checks, folded := foldDeadAddresses(r, t.multiAddress && !t.verbose)
	checks, onlyAddrs, onlySkips := foldHandshakeOnly(r, checks, t.multiAddress && !t.verbose)
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
			// With addresses probed by handshake only, say how many of
			// them a merged line stands for.
			results = mergeAgreeing(results, onlyAddrs, len(r.Addresses))
		}
		if !t.verbose && len(results) > 1 && allSkippedAlike(results) {
			// One line says it: "- 4 checks skipped (chain.complete, ...) — why".
			ids := make([]string, len(results))
			for i, res := range results {
				ids[i] = res.ID
			}
			t.result(report.Result{Status: report.Skip, Detail: results[0].Detail,
				Title: fmt.Sprintf("%d checks skipped (%s)", len(results), strings.Join(ids, ", "))}, false)
			continue
		}
		for _, res := range results {
			if !t.multiAddress {
				res.Address = ""
			}
			t.result(res, false)
		}
		if cat == "connect" {
			if onlySkips > 0 {
				t.result(report.Result{Status: report.Skip, Address: fmt.Sprintf("%d addresses", onlyAddrs),
					Title:  fmt.Sprintf("%d more checks skipped", onlySkips),
					Detail: "those addresses got the strict handshake only (see Scope)"}, false)
			}
			for _, f := range folded {
				t.result(report.Result{Status: report.Skip, Address: f.address,
					Title:  fmt.Sprintf("%d more checks skipped", f.n),
					Detail: "they judge what the failed " + f.phase + " never reached"}, false)
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

// foldHandshakeOnly takes out the skips of the addresses that got the
// strict handshake only (a name with more addresses than are probed in
// full), which would otherwise add a skip line per address to most
// sections; it returns how many addresses and skips it took out.
func foldHandshakeOnly(r *report.Report, checks []report.Result, fold bool) ([]report.Result, int, int) {
	only := map[string]bool{}
	for _, a := range r.Addresses {
		if a.HandshakeOnly {
			only[a.Address] = true
		}
	}
	if !fold || len(only) == 0 {
		return checks, 0, 0
	}
	var out []report.Result
	n := 0
	for _, c := range checks {
		if only[c.Address] && c.Status == report.Skip {
			n++
			continue
		}
		out = append(out, c)
	}
	return out, len(only), n
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

func (t *textWriter) result(res report.Result, withFix bool) {
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
	if withFix && res.Remediation != "" && res.Status.Severity() > 0 {
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
// style, when set, colours the text but not the prefix. The text may hold
// what a server sent: it is cleaned for the terminal, so a line break in it
// is shown as \n and never starts a line.
func (t *textWriter) wrapped(first, indent, text string, style *color.Color) {
	prefix := first
	room := t.width - len(indent)
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
// kept (text that went through clean has none); a line that starts with
// white space is not re-flowed.
func wrap(text string, room int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		para = strings.TrimRight(para, " \t")
		if para == "" || para[0] == ' ' || para[0] == '\t' {
			out = append(out, para)
			continue
		}
		cur := ""
		var words []string
		for _, word := range strings.Fields(para) {
			words = append(words, splitLong(word, room)...)
		}
		for _, word := range words {
			switch {
			case cur == "":
				cur = word
			case cols(cur)+1+cols(word) <= room || startsOwnLine(word):
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

// splitLong cuts a word longer than room columns (a cipher list, a URL)
// into pieces that fit, after a ':', ',', '/' or ';' where it can, so that
// no line runs past the width.
func splitLong(word string, room int) []string {
	if room < 1 || cols(word) <= room {
		return []string{word}
	}
	var out []string
	r := []rune(word)
	for len(r) > room {
		cut := room
		for i := room; i > room/2; i-- {
			if strings.ContainsRune(":,/;", r[i-1]) {
				cut = i
				break
			}
		}
		out = append(out, string(r[:cut]))
		r = r[cut:]
	}
	return append(out, string(r))
}

// startsOwnLine reports whether word, at the start of a line, would look
// like one of wacheck's own lines: a check's mark or a fix. Text a server
// sent can be padded so that wrapping puts such a word first on a line
// ("    fix: nothing to do" under a check); wrap keeps it on the line before
// instead, a little over the width.
func startsOwnLine(word string) bool {
	switch word {
	case "fix:", "hint:", "✓", "✗", "!", "i", "-":
		return true
	}
	return false
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
	if t.verbose {
		t.keyTypeChains(r)
	}
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
			rows = append(rows, []string{"unparseable: " + c.ParseError, "", ""})
			continue
		}
		rows = append(rows, []string{
			certName(c.Subject, c.SANs),
			certName(c.Issuer, nil),
			expires(c),
		})
	}
	// Subject and issuer share what the other columns leave of the width;
	// the key and signature algorithm are in the verbose details (and
	// judged by cert.key and cert.signature).
	t.table([]string{"Subject", "Issuer", "Expires"}, rows, []int{0, 1}, nil)
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
		f("names", cutList(c.SANs, maxListed))
		f("valid", c.NotBefore.UTC().Format("2006-01-02 15:04")+" to "+c.NotAfter.UTC().Format("2006-01-02 15:04 UTC"))
		var flags []string
		if c.IsCA {
			flags = append(flags, "CA")
		}
		if c.SelfSigned {
			flags = append(flags, "self-signed")
		}
		f("flags", strings.Join(flags, ", "))
		f("key", c.Key)
		f("signature", c.SignatureAlgorithm)
		f("serial", c.Serial)
		f("sha256", c.SHA256)
		f("ocsp", strings.Join(c.OCSPServers, ", "))
		f("ca issuers", strings.Join(c.IssuingCertURLs, ", "))
	}
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
		t.field("TLS", l)
	}
	if ca == nil {
		return
	}
	if len(ca.AcceptableCAs) == 0 {
		t.field("Client CA", "a client certificate is requested, no acceptable CAs listed")
		return
	}
	t.field("Client CA", "a client certificate is requested; acceptable CAs:")
	for i, name := range ca.AcceptableCAs {
		if i == maxListed && len(ca.AcceptableCAs) > maxListed+1 {
			t.line(indent + "and " + formatCount(len(ca.AcceptableCAs)-i) + " more")
			break
		}
		t.wrapped(indent, indent+"  ", name, nil)
	}
}

// protocols shows what the enumeration found: one row per version, then
// the accepted suites of each offered version with their grades.
func (t *textWriter) protocols(r *report.Report) {
	for _, g := range enumerationGroups(r) {
		if t.verbose {
			t.enumeration(g)
			continue
		}
		t.protocolLine(g, len(r.Addresses) > 1)
	}
}

// protocolLine says in one line what the enumeration found: each version
// offered with its suites' grades, and the versions refused.
func (t *textWriter) protocolLine(g enumGroup, named bool) {
	var offered, refused, unknown []string
	for _, p := range g.e.Protocols {
		switch {
		case p.Offered == nil:
			unknown = append(unknown, p.Version)
		case !*p.Offered:
			refused = append(refused, p.Version)
		default:
			grades := map[string]int{}
			for _, c := range p.Ciphers {
				grades[c.Grade]++
			}
			s := fmt.Sprintf("%s (%s", p.Version, plural(len(p.Ciphers), "suite", "suites"))
			if n := grades["weak"]; n > 0 {
				s += fmt.Sprintf(", %d weak", n)
			}
			if n := grades["insecure"]; n > 0 {
				s += fmt.Sprintf(", %d insecure", n)
			}
			offered = append(offered, s+")")
		}
	}
	var parts []string
	if len(offered) > 0 {
		parts = append(parts, strings.Join(offered, ", "))
	}
	if len(refused) > 0 {
		parts = append(parts, strings.Join(refused, ", ")+" refused")
	}
	if len(unknown) > 0 {
		parts = append(parts, strings.Join(unknown, ", ")+" unknown")
	}
	s := strings.Join(parts, "; ")
	if named {
		s += " (" + strings.Join(g.addrs, ", ") + ")"
	}
	if g.e.Error != "" {
		s += "; stopped early: " + g.e.Error
	}
	t.field("Protocols", s)
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
		for i, c := range p.Ciphers {
			if i == maxListed && len(p.Ciphers) > maxListed+1 {
				rows = append(rows, []string{"and " + formatCount(len(p.Ciphers)-i) + " more", "", ""})
				break
			}
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
			if len(chainID) > 12 {
				chainID = chainID[:12]
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
	avail := t.width - len(tableIndent)
	// The flex columns wrap first, cut inside a word only when it is very
	// long; if the table is still too wide, every column wraps.
	if tableWidth(natural) > avail && len(flex) > 0 {
		shrinkColumns(header, rows, natural, flex, avail, 12, 30)
	}
	if tableWidth(natural) > avail {
		all := make([]int, ncol)
		for i := range all {
			all[i] = i
		}
		shrinkColumns(header, rows, natural, all, avail, 3, 0)
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

// tableWidth is a table's width: each column costs its content plus a
// space either side and a rule, and there is one more rule.
func tableWidth(natural []int) int {
	total := 1
	for _, n := range natural {
		total += n + 3
	}
	return total
}

// shrinkColumns wraps the columns listed so that the table fits in avail:
// the narrow ones keep their width and the rest share what is left, each
// at least minShare wide (and, when wordCap is set, as wide as its longest
// word up to wordCap) and never narrower than its header's longest word.
func shrinkColumns(header []string, rows [][]string, natural, which []int, avail, minShare, wordCap int) {
	ncol := len(natural)
	fixed := tableWidth(natural) - 1 - 3*ncol
	for _, i := range which {
		fixed -= natural[i]
	}
	room := avail - 1 - 3*ncol - fixed
	order := slices.Clone(which)
	slices.SortFunc(order, func(a, b int) int { return natural[a] - natural[b] })
	for k, i := range order {
		share := max(room/(len(order)-k), minShare, longestWord([][]string{header}, i))
		if wordCap > 0 {
			share = max(share, min(longestWord(rows, i), wordCap))
		}
		if natural[i] > share {
			for _, row := range rows {
				row[i] = strings.Join(wrapHard(row[i], share), "\n")
			}
			header[i] = strings.Join(wrap(header[i], share), "\n")
			natural[i] = share
		}
		room -= natural[i]
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

// clean makes text that may hold what a server sent (names, alerts, URLs,
// check details) safe to print on a terminal: every control character,
// line breaks and tabs included, C1 and bidirectional controls and bytes
// that are not UTF-8 are shown escaped (\n, \x1b, \u202e), so that they
// can neither drive the terminal, nor reorder what is read, nor start a
// line of their own that looks like wacheck's ("✓ all checks passed",
// "fix: nothing to do").
func clean(s string) string {
	return escape.Line(s)
}
