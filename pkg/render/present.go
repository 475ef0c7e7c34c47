package render

// The presentation rules every renderer shares: the order and titles of the
// check categories, how a certificate and a chain are named, how the
// per-address results of one check merge, and the verdict a report opens
// with. A renderer decides layout only; what is shown, and in which order,
// is decided here once.

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
)

// categoryOrder is the order sections appear in; other categories follow in
// alphabetical order.
var categoryOrder = []string{"dns", "connect", "tls", "protocol", "cipher", "timing", "chain", "cert", "key", "ocsp", "http", "mtls", "webhook"}

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
	"webhook":  "Webhook delivery",
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

// mergeAgreeing folds the per-address results of one check into one line
// when every address has the same status and fix: "(all 3 addresses)", or
// "(16 of 40 addresses)" when the others got the handshake only, with the
// first address's detail when the details differ. Where the addresses
// disagree each keeps its own line, so the one that differs stands out.
func mergeAgreeing(results []report.Result, handshakeOnly, addresses int) []report.Result {
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
		if handshakeOnly > 0 && len(rs) < addresses {
			m.Address = fmt.Sprintf("%d of %d addresses", len(rs), addresses)
		}
		if !same {
			m.Detail = rs[0].Address + ": " + rs[0].Detail
		}
		out = append(out, m)
	}
	return out
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
	return fmt.Sprintf("%s (%dd)", date, c.DaysLeft)
}

func pluralWord(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
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

// categoryTitleOf is the heading of a check category.
func categoryTitleOf(cat string) string {
	if t, ok := categoryTitle[cat]; ok {
		return t
	}
	return cat
}

// categoryRank orders categories: those of categoryOrder first, in that
// order, the others after them in alphabetical order.
func categoryRank(cat string) int {
	if i := slices.Index(categoryOrder, cat); i >= 0 {
		return i
	}
	return len(categoryOrder)
}

// byCategory groups results by category, in category order; the results
// keep their order within a category.
func byCategory(results []report.Result) []categoryGroup {
	index := map[string]int{}
	var out []categoryGroup
	for _, r := range results {
		c := r.Category()
		i, ok := index[c]
		if !ok {
			i = len(out)
			index[c] = i
			out = append(out, categoryGroup{cat: c, title: categoryTitleOf(c)})
		}
		out[i].results = append(out[i].results, r)
	}
	slices.SortStableFunc(out, func(a, b categoryGroup) int {
		if ra, rb := categoryRank(a.cat), categoryRank(b.cat); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.cat, b.cat)
	})
	return out
}

type categoryGroup struct {
	cat, title string
	results    []report.Result
}

// sortProblems puts failures before warnings, then orders by category and
// by cause within a category; results of one check keep their order.
func sortProblems(ps []report.Result) {
	slices.SortStableFunc(ps, func(a, b report.Result) int {
		if d := b.Status.Severity() - a.Status.Severity(); d != 0 {
			return d
		}
		if d := categoryRank(a.Category()) - categoryRank(b.Category()); d != 0 {
			return d
		}
		if d := strings.Compare(a.Category(), b.Category()); d != 0 {
			return d
		}
		return causeRank(a.ID) - causeRank(b.ID)
	})
}

// causes say, inside a sentence, what a failing or warning check found, in
// the order a reader should take them within a category: a refused
// connection before the disagreement it causes. A check missing here is
// named by its title, after those listed.
var causes = []struct{ id, words string }{
	{"dns.resolve", "the name does not resolve"},
	{"dns.time", "DNS answers slowly"},
	{"dns.cname", "the name goes through a long CNAME chain"},
	{"dns.ttl", "the DNS answer's TTL is very low"},
	{"connect.tcp", "the TCP connection fails"},
	{"connect.port", "the port is not the standard HTTPS port"},
	{"connect.ipv6", "an IPv6 address does not answer"},
	{"connect.agree", "the addresses do not serve alike"},
	{"tls.handshake", "the TLS handshake fails"},
	{"tls.negotiated", "the negotiated protocol is not acceptable"},
	{"tls.sni", "SNI is not handled as senders need"},
	{"tls.resumption", "TLS sessions are not resumed"},
	{"tls.hrr", "the server needs a HelloRetryRequest for the sender's key shares"},
	{"tls.flight", "the server's first flight overflows the initial congestion window"},
	{"tls.pq", "the server does not accept post-quantum key exchange"},
	{"protocol.modern", "neither TLS 1.2 nor TLS 1.3 is offered"},
	{"protocol.tls13", "TLS 1.3 is not offered"},
	{"protocol.legacy", "old protocol versions are accepted"},
	{"cipher.sender", "no cipher suite is in common with the sender"},
	{"cipher.insecure", "insecure cipher suites are accepted"},
	{"cipher.weak", "weak cipher suites are accepted"},
	{"cipher.order", "the server does not enforce its cipher order"},
	{"cipher.dh", "DHE uses a weak DH prime"},
	{"timing.connect", "the TCP connect is slow"},
	{"timing.handshake", "the TLS handshake is slow"},
	{"chain.complete", "the chain is incomplete"},
	{"chain.trusted", "the chain does not end at a trusted root"},
	{"chain.distrust", "the certificate is from a CA the root programs distrust"},
	{"chain.order", "the chain is served out of order"},
	{"chain.extra", "unneeded certificates are served"},
	{"chain.size", "the certificate message is too large to read"},
	{"cert.validity", "a certificate is not yet valid"},
	{"cert.expiry", "a certificate is expired or expiring"},
	{"cert.lifetime", "the certificate lasts longer than public certificates may"},
	{"cert.hostname", "the certificate does not match the name"},
	{"cert.key", "the certificate's key is not accepted"},
	{"cert.signature", "a certificate's signature algorithm is not accepted"},
	{"ocsp.stapled", "no OCSP response is stapled"},
	{"ocsp.status", "the stapled OCSP status is not good"},
	{"ocsp.valid", "the stapled OCSP response is not valid"},
	{"http.alpn", "HTTP/2 is not offered"},
	{"http.response", "the webhook URL does not answer as expected"},
	{"mtls.request", "the server asks for a client certificate"},
	{"key.match", "the private key does not belong to the leaf"},
	{"webhook.verify", "the verification request is not answered with the challenge"},
	{"webhook.verify_rejects", "a wrong verify token is accepted"},
	{"webhook.delivery", "a signed delivery is not accepted in time"},
	{"webhook.signature", "forged or unsigned deliveries are accepted"},
	{"webhook.raw_body", "the signature is not checked over the raw body"},
	{"webhook.body_size", "the largest payload is refused"},
	{"webhook.latency", "deliveries are answered slowly"},
}

// causeRank orders the checks of one category for problems and the verdict.
func causeRank(id string) int {
	for i, c := range causes {
		if c.id == id {
			return i
		}
	}
	return len(causes)
}

// cause is what a check found, in words: "the chain is incomplete".
func cause(res report.Result) string {
	for _, c := range causes {
		if c.id == res.ID {
			return c.words
		}
	}
	return fmt.Sprintf("%q is not met", res.Title)
}

// senderShort is the sender's name inside a sentence: "Meta".
func senderShort(r *report.Report) string {
	if p, ok := profile.Lookup(r.Sender.Key); ok && p.Short != "" {
		return p.Short
	}
	if r.Sender.Name != "" {
		name, _, _ := strings.Cut(r.Sender.Name, " (")
		return name
	}
	return "The sender"
}

// verdict is the sentence a report opens with: the overall status, whether
// the sender can deliver and, when not everything passed, the worst
// problem's cause and check id ("Meta cannot deliver: the chain is
// incomplete (chain.complete)"), with how many more problems there are.
type verdictLine struct {
	Status report.Status
	// Sentence is the verdict without its status word.
	Sentence string
	// Worst is the worst problem, nil when every check passed.
	Worst *report.Result
}

func verdict(r *report.Report) verdictLine {
	st := overall(r)
	v := verdictLine{Status: st}
	who := senderShort(r)
	// The problems as the reader sees them listed: the agreeing results of
	// several addresses are one problem.
	ps := mergedProblems(r)
	if len(ps) == 0 {
		v.Sentence = who + " can deliver: every check passed"
		if r.Kind == "cert" {
			v.Sentence = "The certificates are fit for " + who + ": every check passed"
		}
		return v
	}
	w := ps[0]
	v.Worst = &w
	at := w.ID
	if w.Address != "" && len(r.Addresses) > 1 {
		at += ", " + w.Address
	}
	s := cause(w) + " (" + at + ")"
	switch {
	case st == report.Fail && r.Kind == "cert":
		s = "The certificates will fail with " + who + ": " + s
	case st == report.Fail:
		s = who + " cannot deliver: " + s
	case r.Kind == "cert":
		s = "The certificates are fit for " + who + ", but " + s
	default:
		s = who + " can deliver, but " + s
	}
	fails, warns := 0, 0
	for _, p := range ps[1:] {
		switch p.Status {
		case report.Fail:
			fails++
		case report.Warn:
			warns++
		}
	}
	var more []string
	if fails > 0 {
		more = append(more, plural(fails, "more failure", "more failures"))
	}
	switch {
	case warns > 0 && w.Status == report.Warn:
		more = append(more, plural(warns, "more warning", "more warnings"))
	case warns > 0:
		more = append(more, plural(warns, "warning", "warnings"))
	}
	if len(more) > 0 {
		s += "; " + strings.Join(more, " and ")
	}
	v.Sentence = s
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// plural is "1 warning" or "3 warnings".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(n) + " " + many
}

// formatCount writes n with thousands separators: 9,996.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// cutList keeps the first max items of list and says how many it left out:
// "a, b, c and 9,996 more".
func cutList(list []string, max int) string {
	if len(list) <= max || max <= 0 {
		return strings.Join(list, ", ")
	}
	return strings.Join(list[:max], ", ") + " and " + formatCount(len(list)-max) + " more"
}

// phase is one bar of the timing waterfall.
type phase struct {
	Name       string
	StartMS    float64
	DurationMS float64
}

// waterfall is what a sender waits for at one address: DNS, then the TCP
// connect, the TLS handshake and, for a URL target, the request until its
// first byte, one after the other as a sender's connection makes them. addr
// names the address, "" when only one was probed; total is their sum. ok is
// false when no phase has a time.
func waterfall(r *report.Report) (phases []phase, addr string, total float64, ok bool) {
	var at *report.Address
	for i := range r.Addresses {
		a := &r.Addresses[i]
		if a.TimingsMS.TLS != nil {
			at = a
			break
		}
	}
	if at == nil {
		for i := range r.Addresses {
			if r.Addresses[i].TimingsMS.Connect != nil {
				at = &r.Addresses[i]
				break
			}
		}
	}
	t := 0.0
	add := func(name string, d *float64) {
		if d == nil {
			return
		}
		phases = append(phases, phase{Name: name, StartMS: t, DurationMS: *d})
		t += *d
	}
	if r.DNS != nil && !r.DNS.Pinned {
		add("DNS lookup", r.DNS.DurationMS)
	}
	if at != nil {
		add("TCP connect", at.TimingsMS.Connect)
		add("TLS handshake", at.TimingsMS.TLS)
		if at.HTTP != nil {
			ttfb := at.TimingsMS.TTFB
			if ttfb == nil {
				ttfb = at.HTTP.TTFBMS
			}
			add("Request to first byte", ttfb)
		}
		if len(r.Addresses) > 1 {
			addr = at.Address
		}
	}
	return phases, addr, t, at != nil
}

// fact is one line of the facts about a run, for a table.
type fact struct{ label, value string }

// facts are what a reader of a ticket needs besides the checks: target,
// addresses, sender, TLS, chain, timings, tool and time.
func facts(r *report.Report) []fact {
	var out []fact
	add := func(label, value string) {
		if value != "" {
			out = append(out, fact{label, value})
		}
	}
	if r.Kind == "cert" && r.Files != nil {
		add("Files", strings.Join(r.Files.Paths, ", "))
		add("Name", r.Files.Name)
	} else {
		target := hostPort(r.Target) + r.Target.Path
		if r.Target.SNI != "" {
			target += " (SNI " + r.Target.SNI + ")"
		} else if r.Target.Host != "" {
			target += " (no SNI sent)"
		}
		add("Target", target)
		if r.Kind != "cert" {
			add(addressLabel(r), addressLine(r))
		}
	}
	add("Sender", r.Sender.Name)
	var tls []string
	for _, a := range r.Addresses {
		if a.TLS != nil && a.TLS.Version != "" {
			l := tlsLine(a.TLS)
			if len(r.Addresses) > 1 {
				l += " (" + a.Address + ")"
			}
			tls = append(tls, l)
		}
	}
	add("TLS", strings.Join(tls, "; "))
	add("Chain", chainSummary(r))
	if phases, addr, total, ok := waterfall(r); ok {
		var parts []string
		for _, p := range phases {
			parts = append(parts, p.Name+" "+ms(p.DurationMS)+" ms")
		}
		s := strings.Join(parts, ", ") + "; a sender waits " + ms(total) + " ms"
		if addr != "" {
			s += " at " + addr
		}
		add("Timings", s)
	}
	if r.DurationMS > 0 && r.Kind != "cert" {
		add("Run time", "wacheck ran "+ms(r.DurationMS)+" ms (its own work, not what a sender waits)")
	}
	tool := r.Tool.Name
	if tool == "" {
		tool = "wacheck"
	}
	add("Tool", strings.TrimSpace(tool+" "+r.Tool.Version))
	if !r.StartedAt.IsZero() {
		add("Time", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	return out
}

// chainSummary says in one line what was served: how many certificates,
// whether the chain verified and to which root, per distinct chain.
func chainSummary(r *report.Report) string {
	var parts []string
	one := func(certs []report.Cert, ch *report.Chain) string {
		s := plural(len(certs), "certificate", "certificates")
		if len(certs) > 0 {
			s += ", leaf " + certName(certs[0].Subject, certs[0].SANs) + " expires " + expires(certs[0])
		}
		switch {
		case ch == nil:
		case ch.Verified && len(ch.Path) > 0:
			s += "; verified to " + certName(ch.Path[len(ch.Path)-1], nil) + " (" + ch.Roots + ")"
		case ch.Error != "":
			s += "; not verified: " + ch.Error
		}
		return s
	}
	if r.Files != nil {
		return one(r.Files.Certificates, r.Files.Chain)
	}
	groups := servedChains(r)
	for _, g := range groups {
		s := one(g.certs, g.chain)
		if len(groups) > 1 {
			s += " (" + strings.Join(g.addrs, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// servedChain is a distinct chain, its analysis and where it was served.
type servedChain struct {
	certs []report.Cert
	chain *report.Chain
	addrs []string
}

// servedChains lists the distinct chains served (or the files' chain).
func servedChains(r *report.Report) []servedChain {
	if r.Files != nil {
		if len(r.Files.Certificates) == 0 {
			return nil
		}
		return []servedChain{{certs: r.Files.Certificates, chain: r.Files.Chain}}
	}
	var out []servedChain
	for _, g := range chainGroups(r) {
		sc := servedChain{certs: g.certs, addrs: g.addrs}
		for _, a := range r.Addresses {
			if a.Address == g.addrs[0] {
				sc.chain = a.Chain
			}
		}
		out = append(out, sc)
	}
	return out
}

// mergedProblems are the failing and warning checks as a reader takes
// them: the agreeing results of several addresses merged into one, sorted
// as problems are.
func mergedProblems(r *report.Report) []report.Result {
	var ps []report.Result
	for _, g := range byCategory(r.Checks) {
		rs := g.results
		if len(r.Addresses) > 1 {
			rs = mergeAgreeing(rs, 0, len(r.Addresses))
		}
		for _, res := range rs {
			if res.Status.Severity() > 0 {
				ps = append(ps, res)
			}
		}
	}
	sortProblems(ps)
	return ps
}

// worstOf is the status a category shows: its worst, a pass over info and
// skips.
func worstOf(results []report.Result) report.Status {
	worst := report.Skip
	for _, res := range results {
		if rankStatus(res.Status) > rankStatus(worst) {
			worst = res.Status
		}
	}
	return worst
}

// countLine is "1 failed, 2 passed, 1 skipped".
func countLine(results []report.Result) string {
	counts := map[report.Status]int{}
	for _, res := range results {
		counts[res.Status]++
	}
	var parts []string
	for _, s := range []struct {
		st   report.Status
		word string
	}{{report.Fail, "failed"}, {report.Warn, "warned"}, {report.Pass, "passed"}, {report.Info, "info"}, {report.Skip, "skipped"}} {
		if n := counts[s.st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s.word))
		}
	}
	return strings.Join(parts, ", ")
}

// rankStatus orders statuses for a category's mark: a failure shows before
// a warning, a warning before a pass, a pass before info and skip, unless
// every check was skipped.
func rankStatus(s report.Status) int {
	switch s {
	case report.Fail:
		return 4
	case report.Warn:
		return 3
	case report.Pass:
		return 2
	case report.Info:
		return 1
	}
	return 0
}

// CategoryTitle is the heading of a check category ("Certificate chain"
// for chain), as every renderer and `wacheck checks` show it.
func CategoryTitle(cat string) string { return categoryTitleOf(cat) }

// CategoryRank orders categories as reports list them.
func CategoryRank(cat string) int { return categoryRank(cat) }
