// Package checks judges a probe's evidence. Every check is a pure function
// of the evidence, the thresholds and the clock: no I/O, no time.Now().
package checks

import (
	"fmt"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
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
	}
}

// Input is what the checks judge.
type Input struct {
	Evidence   *probe.Evidence
	Roots      *trust.Store
	Thresholds Thresholds
	// Now is the time certificates and OCSP responses are judged at.
	Now time.Time
	// Sender names the webhook sender whose TLS client cipher.sender
	// compares with, a key of tlshello.Senders; "meta" by default.
	Sender string
}

// Definition describes a check for documentation and listing.
type Definition struct {
	ID    string
	Title string
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

type targetCheck struct {
	Definition
	run func(in *Input) verdict
}

type endpointCheck struct {
	Definition
	run func(in *Input, s *endpointState) verdict
}

// targetChecks judge the name as a whole; endpointChecks each address.
var targetChecks = []targetCheck{
	{Definition{"dns.resolve", "DNS resolves the name"}, dnsResolve},
	{Definition{"dns.time", "DNS answers quickly"}, dnsTime},
	{Definition{"connect.port", "Standard HTTPS port"}, connectPort},
	{Definition{"connect.ipv6", "IPv6 addresses answer"}, connectIPv6},
	{Definition{"connect.agree", "Every address serves alike"}, addressesAgree},
}

var endpointChecks = []endpointCheck{
	{Definition{"connect.tcp", "TCP connection"}, connectTCP},
	{Definition{"timing.connect", "TCP connect time"}, timingConnect},
	{Definition{"tls.handshake", "TLS handshake completes"}, tlsHandshake},
	{Definition{"timing.handshake", "TLS handshake time"}, timingHandshake},
	{Definition{"tls.negotiated", "Negotiated protocol"}, tlsNegotiated},
	{Definition{"tls.sni", "SNI handling"}, tlsSNI},
	{Definition{"protocol.modern", "TLS 1.2 or 1.3 offered"}, protocolModern},
	{Definition{"protocol.tls13", "TLS 1.3 offered"}, protocolTLS13},
	{Definition{"protocol.legacy", "Old protocols refused"}, protocolLegacy},
	{Definition{"cipher.sender", "Cipher suite in common with the sender"}, cipherSender},
	{Definition{"cipher.insecure", "No insecure cipher suites"}, cipherInsecure},
	{Definition{"cipher.weak", "No weak cipher suites"}, cipherWeak},
	{Definition{"cipher.order", "Server enforces its cipher order"}, cipherOrder},
	{Definition{"chain.complete", "Certificate chain is complete"}, chainComplete},
	{Definition{"chain.trusted", "Chain ends at a trusted root"}, chainTrusted},
	{Definition{"chain.order", "Chain is served in order"}, chainOrder},
	{Definition{"chain.extra", "No unneeded certificates served"}, chainExtra},
	{Definition{"cert.expiry", "Certificates are not expiring"}, certExpiry},
	{Definition{"cert.validity", "Certificates are already valid"}, certValidity},
	{Definition{"cert.hostname", "Certificate matches the name"}, certHostname},
	{Definition{"cert.key", "Certificate key strength"}, certKey},
	{Definition{"cert.signature", "Certificate signature algorithms"}, certSignature},
	{Definition{"ocsp.stapled", "OCSP response stapled"}, ocspStapled},
	{Definition{"ocsp.status", "Stapled OCSP status"}, ocspStatus},
	{Definition{"ocsp.valid", "Stapled OCSP response is valid"}, ocspValid},
	{Definition{"http.alpn", "HTTP/2 offered through ALPN"}, httpALPN},
	{Definition{"http.response", "Webhook URL answers"}, httpResponse},
	{Definition{"mtls.request", "Client certificate request"}, mtlsRequest},
}

// All lists every check in evaluation order.
func All() []Definition {
	var out []Definition
	for _, c := range targetChecks {
		out = append(out, c.Definition)
	}
	for _, c := range endpointChecks {
		out = append(out, c.Definition)
	}
	return out
}

// Evaluate runs every check over the evidence and returns the results in a
// stable order: name checks first, then each address's checks.
func Evaluate(in Input) []report.Result {
	results, _ := evaluateAll(&in)
	return results
}

// evaluateAll runs every check and also returns each endpoint's analysis (the
// parsed chain and staple), which the report's facts reuse.
func evaluateAll(in *Input) ([]report.Result, []*endpointState) {
	var out []report.Result
	for _, c := range targetChecks {
		out = append(out, result(c.Definition, c.run(in), ""))
	}
	states := make([]*endpointState, len(in.Evidence.Endpoints))
	for i := range in.Evidence.Endpoints {
		s := newEndpointState(in, &in.Evidence.Endpoints[i])
		states[i] = s
		for _, c := range endpointChecks {
			r := result(c.Definition, c.run(in, s), s.ep.Address)
			if s.fromScan && r.Status != report.Skip && (r.Category() == "chain" || r.Category() == "cert") {
				r.Detail += fromScanNote
			}
			out = append(out, r)
		}
	}
	if len(in.Evidence.Endpoints) == 0 {
		// No address to probe: say so once per check rather than hiding them.
		why := "no address to connect to: " + dnsFailureWords(in.Evidence.DNS)
		for _, c := range endpointChecks {
			out = append(out, result(c.Definition, skip("%s", why), ""))
		}
	}
	return out, states
}

func result(d Definition, v verdict, addr string) report.Result {
	return report.Result{
		ID:          d.ID,
		Status:      v.status,
		Title:       d.Title,
		Detail:      v.detail,
		Remediation: v.remediation,
		Address:     addr,
	}
}

func newEndpointState(in *Input, ep *probe.Endpoint) *endpointState {
	s := &endpointState{ep: ep, hs: ep.Handshake}
	switch {
	case s.hs != nil && len(s.hs.Certificates) > 0:
		s.chain = analyzeChain(s.hs.Certificates, in.Roots, in.Now)
		s.ocsp = analyzeOCSP(s.hs.OCSPStaple, s.chain)
	case ep.Scan != nil && len(ep.Scan.Certificates) > 0:
		// The strict handshake failed (a server with only DHE, CAMELLIA
		// ... suites), but the enumeration read the certificates of a
		// TLS 1.0-1.2 reply: judge them rather than skip.
		s.chain = analyzeChain(ep.Scan.Certificates, in.Roots, in.Now)
		s.fromScan = true
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
