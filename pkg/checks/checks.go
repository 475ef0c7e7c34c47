// Package checks judges subjects (package subject): a chain, a handshake, an
// enumeration, an HTTP exchange, a DNS answer. Every check is a pure function
// of one Set of subjects and a Context (the sender's profile, the roots, the
// thresholds and the clock): no I/O, no time.Now().
package checks

import (
	"fmt"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/trust"
)

// Thresholds are the limits the timing and expiry checks judge against.
type Thresholds struct {
	DNSWarn       time.Duration
	DNSFail       time.Duration
	ConnectWarn   time.Duration
	HandshakeWarn time.Duration
	HandshakeFail time.Duration
	// ExpiryWarn is how close to expiry a certificate gets a warning.
	ExpiryWarn time.Duration
	// ExpiryWarnRelative lowers ExpiryWarn to a third of a certificate's
	// lifetime when that is less (a short-lived certificate is renewed
	// later); true by default, false when the user gave --expiry-warn.
	ExpiryWarnRelative bool
}

// DefaultThresholds are the defaults of the probe command's flags.
func DefaultThresholds() Thresholds {
	return Thresholds{
		DNSWarn:       500 * time.Millisecond,
		DNSFail:       2 * time.Second,
		ConnectWarn:   500 * time.Millisecond,
		HandshakeWarn: 500 * time.Millisecond,
		HandshakeFail: 2 * time.Second,
		ExpiryWarn:    30 * 24 * time.Hour,
		// A third of the lifetime, at most 30 days.
		ExpiryWarnRelative: true,
	}
}

// Context is what every check judges against besides its subjects.
type Context struct {
	// Profile is the sender whose client and rules are judged against;
	// the default profile when nil.
	Profile *profile.Profile
	// Roots is the pool chains are verified against.
	Roots      *trust.Store
	Thresholds Thresholds
	// Now is the time certificates and OCSP responses are judged at.
	Now time.Time
	// Deadline is the wall-clock time by which judging ends (the probe's
	// --timeout): chain analyses stop where they are and say what they cut
	// (report.Cut). Run always allows MinJudgeBudget, and
	// DefaultJudgeBudget when Deadline is zero.
	Deadline time.Time
}

// Definition describes a check for documentation and listing.
type Definition struct {
	ID    string
	Title string
	// Needs is the kind of subject the check judges.
	Needs subject.Kind
}

// check is a Definition and its judgement.
type check struct {
	Definition
	run func(c *Context, s *State) verdict
}

// registry lists every check in evaluation order. Adding a check is one
// function and one line here (and its explanation, pkg/explain/checks/ID.md,
// from which `make docs` writes docs/checks.md).
var registry = []check{
	{Definition{"dns.resolve", "DNS resolves the name", subject.KindDNS}, dnsResolve},
	{Definition{"dns.time", "DNS answers quickly", subject.KindDNS}, dnsTime},
	{Definition{"dns.cname", "CNAME chain is short", subject.KindDNS}, dnsCNAME},
	{Definition{"dns.ttl", "DNS answers are cached long enough", subject.KindDNS}, dnsTTL},
	{Definition{"connect.port", "Standard HTTPS port", subject.KindName}, connectPort},
	{Definition{"connect.ipv6", "IPv6 addresses answer", subject.KindAddresses}, connectIPv6},
	{Definition{"connect.agree", "Every address serves alike", subject.KindAddresses}, addressesAgree},
	{Definition{"connect.tcp", "TCP connection", subject.KindConn}, connectTCP},
	{Definition{"timing.connect", "TCP connect time", subject.KindConn}, timingConnect},
	{Definition{"tls.handshake", "TLS handshake completes", subject.KindHandshake}, tlsHandshake},
	{Definition{"timing.handshake", "TLS handshake time", subject.KindHandshake}, timingHandshake},
	{Definition{"tls.negotiated", "Negotiated protocol", subject.KindHandshake}, tlsNegotiated},
	{Definition{"tls.pq", "Post-quantum key exchange accepted", subject.KindHandshake}, tlsPQ},
	{Definition{"tls.sni", "SNI handling", subject.KindHandshake}, tlsSNI},
	{Definition{"tls.resumption", "Sessions can be resumed", subject.KindHandshake}, tlsResumption},
	{Definition{"tls.hrr", "No HelloRetryRequest for the sender's key shares", subject.KindHandshake}, tlsHRR},
	{Definition{"tls.flight", "First flight fits the initial congestion window", subject.KindHandshake}, tlsFlight},
	{Definition{"protocol.modern", "TLS 1.2 or 1.3 offered", subject.KindScan}, protocolModern},
	{Definition{"protocol.tls13", "TLS 1.3 offered", subject.KindScan}, protocolTLS13},
	{Definition{"protocol.legacy", "Old protocols refused", subject.KindScan}, protocolLegacy},
	{Definition{"cipher.sender", "Cipher suite in common with the sender", subject.KindScan}, cipherSender},
	{Definition{"cipher.insecure", "No insecure cipher suites", subject.KindScan}, cipherInsecure},
	{Definition{"cipher.weak", "No weak cipher suites", subject.KindScan}, cipherWeak},
	{Definition{"cipher.order", "Server enforces its cipher order", subject.KindScan}, cipherOrder},
	{Definition{"cipher.dh", "DHE uses a strong DH prime", subject.KindScan}, cipherDH},
	{Definition{"chain.complete", "Certificate chain is complete", subject.KindChain}, chainComplete},
	{Definition{"chain.trusted", "Chain ends at a trusted root", subject.KindChain}, chainTrusted},
	{Definition{"chain.distrust", "No CA distrusted by the root programs", subject.KindChain}, chainDistrust},
	{Definition{"chain.order", "Chain is served in order", subject.KindChain}, chainOrder},
	{Definition{"chain.extra", "No unneeded certificates served", subject.KindChain}, chainExtra},
	{Definition{"chain.size", "Certificate message small enough to read", subject.KindChain}, chainSize},
	{Definition{"cert.expiry", "Certificates are not expiring", subject.KindChain}, certExpiry},
	{Definition{"cert.lifetime", "Certificate lifetime within the public limit", subject.KindChain}, certLifetime},
	{Definition{"cert.validity", "Certificates are already valid", subject.KindChain}, certValidity},
	{Definition{"cert.hostname", "Certificate matches the name", subject.KindChain}, certHostname},
	{Definition{"cert.key", "Certificate key strength", subject.KindChain}, certKey},
	{Definition{"cert.signature", "Certificate signature algorithms", subject.KindChain}, certSignature},
	{Definition{"key.match", "Private key belongs to the leaf", subject.KindKey}, keyMatch},
	{Definition{"ocsp.stapled", "OCSP response stapled", subject.KindStaple}, ocspStapled},
	{Definition{"ocsp.status", "Stapled OCSP status", subject.KindStaple}, ocspStatus},
	{Definition{"ocsp.valid", "Stapled OCSP response is valid", subject.KindStaple}, ocspValid},
	{Definition{"http.alpn", "HTTP/2 offered through ALPN", subject.KindHandshake}, httpALPN},
	{Definition{"http.response", "Webhook URL answers", subject.KindHTTP}, httpResponse},
	{Definition{"mtls.request", "Client certificate request", subject.KindHandshake}, mtlsRequest},
	{Definition{"webhook.verify", "Verification handshake answered as the sender expects", subject.KindWebhook}, webhookVerify},
	{Definition{"webhook.verify_rejects", "Forged verification request refused", subject.KindWebhook}, webhookVerifyRejects},
	{Definition{"webhook.delivery", "Signed delivery accepted in time", subject.KindWebhook}, webhookDelivery},
	{Definition{"webhook.signature", "Forged and unsigned deliveries refused", subject.KindWebhook}, webhookSignature},
	{Definition{"webhook.raw_body", "Signature checked over the raw body", subject.KindWebhook}, webhookRawBody},
	{Definition{"webhook.body_size", "Largest payload accepted", subject.KindWebhook}, webhookBodySize},
	{Definition{"webhook.latency", "Deliveries answered quickly", subject.KindWebhook}, webhookLatency},
}

// All lists every check in evaluation order.
func All() []Definition {
	out := make([]Definition, len(registry))
	for i, c := range registry {
		out[i] = c.Definition
	}
	return out
}

// State is one Set of subjects as the checks see it, with the chain and
// staple analysed once for all the checks that read them.
type State struct {
	*subject.Set
	chain *chainAnalysis
	ocsp  *ocspAnalysis
}

// Outcome is what Run found: the results, and per Set the analysis of its
// chain and staple (nil where it had none), for the report's facts.
type Outcome struct {
	Results  []report.Result
	Analyses []*Analysis
}

// Run judges every Set with every check whose subject kind the Set's source
// deals in, in a stable order: Set by Set, checks in registry order. A check
// whose subject is missing yields one skip with the Set's reason.
func Run(c Context, sets []*subject.Set) *Outcome {
	if c.Profile == nil {
		c.Profile = profile.MustLookup(profile.Default)
	}
	out := &Outcome{Results: []report.Result{}, Analyses: make([]*Analysis, len(sets))}
	deadline := judgeDeadline(c.Deadline, time.Now())
	analysed := map[string]*State{} // one analysis per distinct chain and staple
	for i, set := range sets {
		st := newState(&c, set, deadline, analysed)
		if st.chain != nil {
			out.Analyses[i] = &Analysis{chain: st.chain, ocsp: st.ocsp}
		}
		for _, ch := range registry {
			var v verdict
			switch {
			case set.Has(ch.Needs):
				v = ch.run(&c, st)
			case set.Why(ch.Needs) != "":
				v = skip("%s", set.Why(ch.Needs))
			default:
				continue
			}
			r := result(ch.Definition, v, set.Address)
			if set.Chain != nil && set.Chain.Source == "enumeration" && r.Status != report.Skip &&
				(r.Category() == "chain" || r.Category() == "cert") {
				r.Detail += fromScanNote
			}
			if set.Chain != nil && (set.Chain.KeyType != "" || set.Chain.Alongside != nil) &&
				(r.Category() == "chain" || r.Category() == "cert" || r.Category() == "ocsp") {
				r.KeyType = set.Chain.KeyType
				r.Detail = keyTypeNote(set.Chain, st) + r.Detail
				if set.Chain.KeyType != "" && r.Status == report.Fail {
					// The sender's own handshake got the other chain: it can
					// deliver, so this chain's failure is a risk, not a fact.
					r.Status = report.Warn
					r.Detail += otherChainNote(c.Profile, set.Chain.KeyType)
				}
			}
			out.Results = append(out.Results, r)
		}
	}
	return out
}

// Input is a probe's evidence and what to judge it against: Evaluate's
// shorthand for subject.FromProbe and Run.
type Input struct {
	Evidence   *probe.Evidence
	Roots      *trust.Store
	Thresholds Thresholds
	Now        time.Time
	// Sender is a profile key; the default profile when "".
	Sender string
}

// Evaluate judges a probe's evidence.
func Evaluate(in Input) []report.Result {
	return Run(in.Context(), subject.FromProbe(in.Evidence)).Results
}

// Context is the judging context of in.
func (in Input) Context() Context {
	return Context{Profile: profile.MustLookup(in.Sender), Roots: in.Roots, Thresholds: in.Thresholds, Now: in.Now}
}

type verdict struct {
	status      report.Status
	detail      string
	remediation string
}

func pass(format string, a ...any) verdict {
	return verdict{status: report.Pass, detail: fmt.Sprintf(format, a...)}
}
func info(format string, a ...any) verdict {
	return verdict{status: report.Info, detail: fmt.Sprintf(format, a...)}
}
func skip(format string, a ...any) verdict {
	return verdict{status: report.Skip, detail: fmt.Sprintf(format, a...)}
}

func warn(fix, format string, a ...any) verdict {
	return verdict{status: report.Warn, detail: fmt.Sprintf(format, a...), remediation: fix}
}

func fail(fix, format string, a ...any) verdict {
	return verdict{status: report.Fail, detail: fmt.Sprintf(format, a...), remediation: fix}
}

func result(d Definition, v verdict, addr string) report.Result {
	v = v.escaped()
	return report.Result{
		ID:          d.ID,
		Status:      v.status,
		Title:       d.Title,
		Detail:      v.detail,
		Remediation: v.remediation,
		Address:     addr,
	}
}

func newState(c *Context, set *subject.Set, deadline time.Time, analysed map[string]*State) *State {
	s := &State{Set: set}
	if set.Chain != nil && len(set.Chain.Certs) > 0 {
		key := analysisKey(set)
		if prev, ok := analysed[key]; ok {
			s.chain, s.ocsp = prev.chain, prev.ocsp
			return s
		}
		s.chain = analyzeChain(set.Chain.Certs, c.Roots, c.Now, newWork(deadline))
		if set.Staple != nil && s.chain.leaf != nil {
			s.ocsp = analyzeOCSP(set.Staple.Raw, s.chain, c.Now)
		}
		analysed[key] = s
	}
	return s
}

// fromScanNote is added to the details of the checks that judged the
// certificates the enumeration read.
const fromScanNote = " (certificates as served in the enumeration's TLS 1.0-1.2 reply: the strict handshake failed)"

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}
