// Package report holds the one result type of a probe: the checks' verdicts
// and the facts a support engineer needs to diagnose from it alone.
package report

import (
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON contract (docs/json.md).
const SchemaVersion = 2

// Status is a check's verdict.
type Status string

// Statuses, from best to worst. Info and skip count as pass.
const (
	Pass Status = "pass"
	Info Status = "info"
	Skip Status = "skip"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Severity orders statuses for --fail-on and the overall status: pass, info
// and skip are 0, warn 1, fail 2.
func (s Status) Severity() int {
	switch s {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// Overall maps a check status to the report's overall status (pass|warn|fail).
func (s Status) Overall() Status {
	switch s.Severity() {
	case 2:
		return Fail
	case 1:
		return Warn
	}
	return Pass
}

// Result is one check's verdict.
type Result struct {
	ID          string `json:"id"`
	Status      Status `json:"status"`
	Title       string `json:"title"`
	Detail      string `json:"detail"`
	Remediation string `json:"remediation,omitempty"`
	// Address is set when the result concerns one IP address.
	Address string `json:"address,omitempty"`
	// KeyType is set ("ECDSA", "RSA") when the result judges the second
	// chain an address serves to a client offering only that key type's
	// suites (addresses[].key_type_chains).
	KeyType string `json:"key_type,omitempty"`
}

// Category is the part of the ID before the dot ("chain" for chain.complete).
func (r Result) Category() string {
	c, _, _ := strings.Cut(r.ID, ".")
	return c
}

// Report is the result of one run: a probe of an endpoint, or certificate
// files judged offline.
type Report struct {
	SchemaVersion int  `json:"schema_version"`
	Tool          Tool `json:"tool"`
	// Kind is "probe" (an endpoint, with addresses) or "cert" (files).
	Kind      string    `json:"kind"`
	Target    Target    `json:"target"`
	Sender    Sender    `json:"sender"`
	Status    Status    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	// DurationMS is how long wacheck itself ran, not what a sender waits.
	DurationMS float64  `json:"duration_ms"`
	Checks     []Result `json:"checks"`
	Summary    Summary  `json:"summary"`
	// DNS, Agreement and Common are null for files.
	DNS       *DNS       `json:"dns"`
	Agreement *Agreement `json:"agreement"`
	Common    *Common    `json:"common"`
	// Addresses holds everything each address served, in DNS order.
	Addresses []Address `json:"addresses"`
	// Files is the certificate files judged; null for a probe.
	Files *Files `json:"files"`
	// Webhook is the webhook exchange (kind webhook); absent otherwise.
	Webhook  *Webhook `json:"webhook,omitempty"`
	Settings Settings `json:"settings"`
}

// Sender names the profile judged against.
type Sender struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// Agreement says which addresses agree: a load balancer with one bad node
// fails only the deliveries that land on it.
type Agreement struct {
	// Agree is true when every address completed the handshake and served
	// the same chain, TLS version, ALPN protocol and stapling.
	Agree bool `json:"agree"`
	// Working completed the strict handshake; Failing did not.
	Working []string  `json:"working"`
	Failing []Failing `json:"failing"`
	// Chains groups the addresses by the chain they served.
	Chains []ChainGroup `json:"chains"`
}

// Failing is an address a sender cannot get through to.
type Failing struct {
	Address   string `json:"address"`
	ErrorKind string `json:"error_kind"`
	Error     string `json:"error"`
}

// ChainGroup is one distinct chain and the addresses that serve it.
type ChainGroup struct {
	// ID is the chain's short fingerprint (Chain.ID).
	ID        string   `json:"id"`
	Addresses []string `json:"addresses"`
	// LeafSubject names the leaf, "" when it did not parse.
	LeafSubject string `json:"leaf_subject"`
}

// Common holds what is the same at every address that completed the
// handshake; a field is "" (Leaf null) where they differ or none did.
type Common struct {
	TLSVersion string `json:"tls_version"`
	Cipher     string `json:"cipher"`
	Group      string `json:"group"`
	ALPN       string `json:"alpn"`
	ChainID    string `json:"chain_id"`
	Leaf       *Leaf  `json:"leaf"`
}

// Served is a chain as served or given: its certificates, the chain's
// analysis and the stapled OCSP response.
type Served struct {
	// Certificates are the certificates in the order served, PEM included.
	Certificates []Cert `json:"certificates"`
	// Chain is null when no certificate was served.
	Chain *Chain `json:"chain"`
	// OCSP is null when there was no chain to staple on, or (files) no
	// --staple.
	OCSP *OCSP `json:"ocsp"`
}

// Files are certificate files judged offline (wacheck cert).
type Files struct {
	Paths []string `json:"paths"`
	// Name is the host name given with --name, "" when none.
	Name string `json:"name"`
	Served
	// Staple is the --staple file, "" when none.
	Staple string `json:"staple,omitempty"`
	// Key is the --key file, "" when none.
	Key string `json:"key,omitempty"`
	// Fetched lists what --fetch-intermediates fetched, and from where.
	Fetched []Fetched `json:"fetched"`
}

// Fetched is one AIA fetch.
type Fetched struct {
	URL     string `json:"url"`
	Subject string `json:"subject,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Enumeration is what the enumeration of one address found.
type Enumeration struct {
	Connections int     `json:"connections"`
	DurationMS  float64 `json:"duration_ms"`
	// Error says why it stopped early; the lists may then be partial.
	Error     string     `json:"error,omitempty"`
	Protocols []Protocol `json:"protocols"`
	Groups    []string   `json:"groups"`
}

// Protocol is one protocol version as enumerated.
type Protocol struct {
	// Version is in Go's tls.VersionName form: "SSLv3", "TLS 1.0" ... "TLS 1.3".
	Version string `json:"version"`
	// Offered is null when the enumeration could not tell.
	Offered *bool  `json:"offered"`
	Reason  string `json:"reason,omitempty"`
	// Ciphers are the accepted suites, in the server's order when
	// ServerOrder is true.
	Ciphers     []Cipher `json:"ciphers"`
	ServerOrder *bool    `json:"server_order"`
	// Groups are the key-exchange groups accepted in this version.
	Groups []string `json:"groups"`
	// DHBits is the smallest DHE prime seen, 0 when none.
	DHBits int `json:"dh_bits,omitempty"`
	// Errors are probes that got no usable answer: the lists may be
	// incomplete.
	Errors []string `json:"errors,omitempty"`
}

// Cipher is an accepted cipher suite.
type Cipher struct {
	Name        string `json:"name"`
	OpenSSLName string `json:"openssl_name"`
	// Grade is recommended, weak or insecure.
	Grade string `json:"grade"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Target is what was probed.
type Target struct {
	Input string `json:"input"`
	Host  string `json:"host"`
	Port  int    `json:"port"`
	SNI   string `json:"sni"`
	Path  string `json:"path,omitempty"`
}

// Summary counts results by status.
type Summary struct {
	Pass int `json:"pass"`
	Info int `json:"info"`
	Skip int `json:"skip"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
}

// DNS is the name resolution's outcome.
type DNS struct {
	Resolver   string   `json:"resolver"`
	Pinned     bool     `json:"pinned"`
	Addresses  []string `json:"addresses"`
	DurationMS *float64 `json:"duration_ms"`
	Error      string   `json:"error,omitempty"`
	// Queries, CNAMEChain and MinTTL are known when one DNS server was
	// asked (--resolver); absent with the system resolver.
	Queries    []DNSQuery `json:"queries,omitempty"`
	CNAMEChain []string   `json:"cname_chain,omitempty"`
	MinTTL     *int       `json:"min_ttl_s,omitempty"`
}

// DNSQuery is one query to the --resolver server.
type DNSQuery struct {
	Type       string   `json:"type"`
	DurationMS float64  `json:"duration_ms"`
	Rcode      string   `json:"rcode"`
	TCP        bool     `json:"tcp"`
	Addresses  []string `json:"addresses"`
	Error      string   `json:"error,omitempty"`
}

// Address is everything one address served and how it went.
type Address struct {
	Address string `json:"address"`
	// Error and ErrorKind say why a sender cannot get through (TCP or TLS).
	Error            string `json:"error,omitempty"`
	ErrorKind        string `json:"error_kind,omitempty"`
	HandshakeAttempt bool   `json:"handshake_attempted"`
	// HandshakeOnly is true when the name had more addresses than are
	// probed in full (Settings.FullAddresses) and this one got the strict
	// handshake only: no enumeration, no handshake without SNI, no timing
	// rounds, no request.
	HandshakeOnly bool `json:"handshake_only,omitempty"`
	// TimingsMS are this address's phase durations.
	TimingsMS AddressTimings `json:"timings_ms"`
	// Samples summarise --samples rounds per phase; null with one round.
	Samples *Samples `json:"samples"`
	// TLS is what the strict handshake negotiated; null when it did not get that far.
	TLS *TLS `json:"tls"`
	Served
	// Leaf summarises the leaf, so that an odd node is named at a glance.
	Leaf *Leaf `json:"leaf"`
	// ClientAuth is the server's CertificateRequest; null without a handshake.
	ClientAuth *ClientAuth `json:"client_auth"`
	// Enumeration is null when it did not run.
	Enumeration *Enumeration `json:"enumeration"`
	// NoSNI is the handshake made without SNI; null when none was made.
	NoSNI *NoSNI `json:"no_sni"`
	// HTTP is the request to a URL target's path; null when none was made.
	HTTP *HTTP `json:"http"`
	// KeyTypeChains are the other chains this address serves to a client
	// offering only one key type's TLS 1.2 suites (a server with an ECDSA
	// and an RSA certificate); absent when every such client got the
	// strict handshake's chain.
	KeyTypeChains []KeyTypeChain `json:"key_type_chains,omitempty"`
	// Resumption is whether a second connection resumed the session of a
	// first; null when not tried.
	Resumption *Resumption `json:"resumption,omitempty"`
}

// KeyTypeChain is a chain served to a client offering only one key type's
// suites.
type KeyTypeChain struct {
	// KeyType is "ECDSA" or "RSA".
	KeyType string `json:"key_type"`
	Cipher  string `json:"cipher"`
	Served
	Leaf *Leaf `json:"leaf"`
}

// Resumption is the session-resumption pair of connections.
type Resumption struct {
	// Version is the first handshake's TLS version.
	Version string `json:"version,omitempty"`
	// Ticket is true when the server issued a session ticket (TLS 1.2) or
	// a NewSessionTicket (TLS 1.3).
	Ticket  bool `json:"ticket"`
	Resumed bool `json:"resumed"`
	// TLSMS is the second (resuming) handshake's duration.
	TLSMS *float64 `json:"tls_ms"`
	Error string   `json:"error,omitempty"`
}

// AddressTimings are one address's phase durations in milliseconds, null
// where the phase did not complete.
type AddressTimings struct {
	Connect *float64 `json:"connect"`
	TLS     *float64 `json:"tls"`
	// TTFB is the URL request's time to first byte.
	TTFB *float64 `json:"ttfb"`
}

// Leaf summarises a leaf certificate.
type Leaf struct {
	Subject  string    `json:"subject"`
	Issuer   string    `json:"issuer"`
	NotAfter time.Time `json:"not_after"`
	DaysLeft int       `json:"days_left"`
	SANs     []string  `json:"sans"`
}

// Samples summarise repeated connect + handshake rounds to one address.
type Samples struct {
	Rounds  int         `json:"rounds"`
	Failed  int         `json:"failed"`
	Connect *PhaseStats `json:"connect"`
	TLS     *PhaseStats `json:"tls"`
}

// PhaseStats are one phase's durations over the rounds, in milliseconds.
type PhaseStats struct {
	N        int     `json:"n"`
	MinMS    float64 `json:"min_ms"`
	MedianMS float64 `json:"median_ms"`
	P95MS    float64 `json:"p95_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// NoSNI is what the server did for a ClientHello without SNI.
type NoSNI struct {
	// LeafSubject and LeafSHA256 name the certificate served; empty when
	// the handshake failed before one.
	LeafSubject string `json:"leaf_subject,omitempty"`
	LeafSHA256  string `json:"leaf_sha256,omitempty"`
	Error       string `json:"error,omitempty"`
}

// HTTP is one request to the target's URL path.
type HTTP struct {
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Proto      string   `json:"proto,omitempty"`
	StatusCode int      `json:"status_code,omitempty"`
	TTFBMS     *float64 `json:"ttfb_ms"`
	Error      string   `json:"error,omitempty"`
}

// TLS is what the handshake negotiated.
type TLS struct {
	Version     string   `json:"version"`
	Cipher      string   `json:"cipher"`
	Group       string   `json:"group"`
	ALPN        string   `json:"alpn"`
	OfferedALPN []string `json:"offered_alpn"`
	SNI         string   `json:"sni"`
	// HelloRetry is true when the server answered the first ClientHello
	// with a HelloRetryRequest, HelloRetryGroup the group it asked for.
	HelloRetry      bool   `json:"hello_retry,omitempty"`
	HelloRetryGroup string `json:"hello_retry_group,omitempty"`
	// FlightBytes is the size of the server's first flight on the wire;
	// 0 (absent) when not measured.
	FlightBytes int `json:"flight_bytes,omitempty"`
}

// Cert describes one certificate as served.
type Cert struct {
	Index              int       `json:"index"`
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	Serial             string    `json:"serial"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	DaysLeft           int       `json:"days_left"`
	SANs               []string  `json:"sans"`
	Key                string    `json:"key"`
	SignatureAlgorithm string    `json:"signature_algorithm"`
	IsCA               bool      `json:"is_ca"`
	SelfSigned         bool      `json:"self_signed"`
	OCSPServers        []string  `json:"ocsp_servers"`
	IssuingCertURLs    []string  `json:"issuing_certificate_urls"`
	SHA256             string    `json:"sha256"`
	PEM                string    `json:"pem"`
	ParseError         string    `json:"parse_error,omitempty"`
}

// Chain is the outcome of verifying the served certificates against the
// root pool without fetching anything.
type Chain struct {
	Verified bool `json:"verified"`
	// Path lists the subjects from the leaf to the trusted root of the
	// chain that verified, empty when none did.
	Path  []string `json:"path"`
	Error string   `json:"error,omitempty"`
	// Roots names the pool verified against.
	Roots string `json:"roots"`
	// Source says where the certificates came from: "handshake",
	// "enumeration" when the strict handshake failed and a TLS 1.0-1.2
	// reply read by the enumeration carried them, or "files".
	Source string `json:"source"`
	// SHA256 are the certificates' fingerprints in the order served;
	// ID is a short fingerprint of the whole chain, to compare addresses.
	SHA256 []string `json:"sha256"`
	ID     string   `json:"id"`
	// Cut lists the bounds wacheck's work on these certificates hit: what
	// it left unexamined. Absent when nothing was cut.
	Cut []Cut `json:"cut,omitempty"`
	// MessageBytes is the size of the Certificate message carrying these
	// certificates, estimated (checks.CertMessageSize).
	MessageBytes int `json:"message_bytes,omitempty"`
}

// Cut is a bound on wacheck's work on server input, and what it cut.
type Cut struct {
	// Limit names the bound: "certificates" (analysed per chain),
	// "signature_checks" (per chain analysis), "sans" (listed per
	// certificate) or "deadline" (the judging ran out of time).
	Limit string `json:"limit"`
	// Max is the bound; Total how many the server sent, when counted.
	Max    int    `json:"max,omitempty"`
	Total  int    `json:"total,omitempty"`
	Detail string `json:"detail"`
}

// OCSP describes the stapled OCSP response.
type OCSP struct {
	Stapled    bool       `json:"stapled"`
	Status     string     `json:"status,omitempty"`
	ThisUpdate *time.Time `json:"this_update,omitempty"`
	NextUpdate *time.Time `json:"next_update,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Serial     string     `json:"serial,omitempty"`
	Responder  string     `json:"responder,omitempty"`
	Verified   bool       `json:"verified"`
	Error      string     `json:"error,omitempty"`
	// ResponderURLs are the OCSP URLs named in the leaf.
	ResponderURLs []string `json:"responder_urls"`
	Size          int      `json:"size"`
}

// ClientAuth describes a CertificateRequest (mTLS).
type ClientAuth struct {
	Requested bool `json:"requested"`
	// Required is true when the server refused the connection without a
	// client certificate (during the handshake, or in TLS 1.3 right after).
	Required      bool     `json:"required"`
	AcceptableCAs []string `json:"acceptable_cas"`
}

// Settings are the thresholds and options the probe ran with.
type Settings struct {
	TimeoutMS float64 `json:"timeout_ms"`
	Roots     string  `json:"roots"`
	FailOn    string  `json:"fail_on,omitempty"`
	// Samples is the --samples rounds per address.
	Samples int `json:"samples"`
	// Address is the one address --address limited the probe to.
	Address string `json:"address,omitempty"`
	// Enumerate is false when --enumerate=false skipped the enumeration.
	Enumerate bool `json:"enumerate"`
	// Concurrency bounds the connections the probe has open at once,
	// across every address and phase.
	Concurrency int `json:"concurrency"`
	// RootsSkipped counts the damaged certificates of the OS root files
	// left out of the pool (--trust system).
	RootsSkipped int `json:"roots_skipped,omitempty"`
	// FullAddresses is how many addresses were probed in full when the
	// name had more (the rest got the strict handshake only); 0 when every
	// address was.
	FullAddresses int `json:"full_addresses,omitempty"`
	// Thresholds are the limits the timing and expiry checks judged by;
	// null when the command set none (a report from elsewhere).
	Thresholds *Thresholds `json:"thresholds,omitempty"`
	// Resolve are the --resolve pins as given (HOST:PORT:ADDR[,ADDR...]).
	Resolve []string `json:"resolve,omitempty"`
	// SNI is the --sni given, "" when the server name came from the target.
	SNI string `json:"sni,omitempty"`
	// Trust is the --trust store (mozilla or system), or "file" for
	// --ca-file; RootsBundle the version of the bundled Mozilla roots;
	// RootsCount how many roots the pool held.
	Trust       string `json:"trust,omitempty"`
	RootsBundle string `json:"roots_bundle,omitempty"`
	RootsCount  int    `json:"roots_count,omitempty"`
	// Sender is the --sender profile's key.
	Sender string `json:"sender,omitempty"`
	// ToolVersion, GoVersion and OS (GOOS/GOARCH) name the build that
	// judged, for a verdict that differs between machines.
	ToolVersion string `json:"tool_version,omitempty"`
	GoVersion   string `json:"go_version,omitempty"`
	OS          string `json:"os,omitempty"`
}

// Thresholds are the judging limits of a run, in milliseconds and days.
type Thresholds struct {
	DNSWarnMS       float64 `json:"dns_warn_ms"`
	DNSFailMS       float64 `json:"dns_fail_ms"`
	ConnectWarnMS   float64 `json:"connect_warn_ms"`
	HandshakeWarnMS float64 `json:"handshake_warn_ms"`
	HandshakeFailMS float64 `json:"handshake_fail_ms"`
	ExpiryWarnDays  float64 `json:"expiry_warn_days"`
}

// Add appends results and keeps the summary and overall status in step.
func (r *Report) Add(results ...Result) {
	for _, res := range results {
		r.Checks = append(r.Checks, res)
		switch res.Status {
		case Pass:
			r.Summary.Pass++
		case Info:
			r.Summary.Info++
		case Skip:
			r.Summary.Skip++
		case Warn:
			r.Summary.Warn++
		case Fail:
			r.Summary.Fail++
		}
		if res.Status.Severity() > r.Status.Severity() || r.Status == "" {
			r.Status = res.Status.Overall()
		}
	}
}

// Worst returns the most severe status among the checks.
func (r *Report) Worst() Status {
	worst := Pass
	for _, c := range r.Checks {
		if c.Status.Severity() > worst.Severity() {
			worst = c.Status
		}
	}
	return worst
}

// SummaryLine is the one-line summary: "14 passed, 1 warning, 1 failure".
func (s Summary) Line() string {
	parts := []string{fmt.Sprintf("%d passed", s.Pass)}
	if s.Warn > 0 {
		parts = append(parts, plural(s.Warn, "warning"))
	}
	if s.Fail > 0 {
		parts = append(parts, plural(s.Fail, "failure"))
	}
	if s.Info > 0 {
		parts = append(parts, fmt.Sprintf("%d info", s.Info))
	}
	if s.Skip > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", s.Skip))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Webhook is the webhook exchange of wacheck webhook: every request sent to
// the callback URL and what came back. No secret is in it: the verify
// token is REDACTED, a signature is described, not given.
type Webhook struct {
	// URL is the callback URL, without its query.
	URL string `json:"url"`
	// Address is the IP address the requests went to, "" when none was sent.
	Address string `json:"address"`
	// VerifyToken is "given" (by file or environment) or "random" (none
	// was given and a random one was sent).
	VerifyToken string `json:"verify_token"`
	// Deliver is true when the signed deliveries were asked for
	// (--deliver); Deliveries is --deliveries.
	Deliver    bool `json:"deliver"`
	Deliveries int  `json:"deliveries"`
	// Challenge is the verification request's challenge.
	Challenge string `json:"challenge"`
	// DeadlineMS bounds each request: the sender's response deadline.
	DeadlineMS float64 `json:"deadline_ms"`
	// Dropped are verification parameters taken out of the URL given
	// (wacheck sends its own).
	Dropped []string `json:"dropped_params"`
	// Error says why no request, or not every request, was sent.
	Error string `json:"error,omitempty"`
	// Requests in the order they were made.
	Requests []WebhookRequest `json:"requests"`
	// Latency summarises the timed deliveries; null when none was made.
	Latency *WebhookLatency `json:"latency"`
}

// WebhookRequest is one request of the exchange and its answer.
type WebhookRequest struct {
	// Role is verify, verify_wrong_token, verify_php_names, delivery,
	// forged_signature, unsigned, non_ascii, large or latency; for Twilio
	// also json_delivery, json_non_ascii and json_tampered_body.
	Role   string `json:"role"`
	Method string `json:"method"`
	// Path is the path and query sent, the verify token REDACTED.
	Path string `json:"path"`
	// Headers are those sent besides Host; a signature is described.
	Headers   []Header `json:"headers"`
	BodyBytes int      `json:"body_bytes"`
	// Concurrent is true for a timed delivery sent in a burst.
	Concurrent bool `json:"concurrent"`
	// Status is the answer's status code, 0 when none came.
	Status int    `json:"status"`
	Proto  string `json:"proto,omitempty"`
	// TTFBMS is the time from the request to the answer's first byte.
	TTFBMS *float64 `json:"ttfb_ms"`
	// Location is a redirect's target, escaped.
	Location    string `json:"location,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// BodyExcerpt is the first 256 bytes of the answer's body, escaped
	// (\n, \u00e4, \xff); BodyLength the bytes read, at most 65536,
	// BodyTruncated true when there were more.
	BodyExcerpt   string `json:"body_excerpt"`
	BodyLength    int    `json:"body_length"`
	BodyTruncated bool   `json:"body_truncated"`
	Error         string `json:"error,omitempty"`
	ErrorKind     string `json:"error_kind,omitempty"`
}

// Header is one HTTP header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// WebhookLatency summarises the timed deliveries, in milliseconds.
type WebhookLatency struct {
	N          int `json:"n"`
	Sequential int `json:"sequential"`
	Concurrent int `json:"concurrent"`
	// Failed got no 2xx answer in time; the figures below are of the others.
	Failed   int     `json:"failed"`
	MinMS    float64 `json:"min_ms"`
	MedianMS float64 `json:"median_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
	// Buckets count the answers by time to first byte: at most LeMS (and
	// more than the previous bucket's); LeMS null is "longer".
	Buckets []LatencyBucket `json:"buckets"`
	// GuidanceMedianMS and GuidanceSlowMS / GuidanceSlowShare are what the
	// timings were judged against (0 when the sender gives none), after
	// GuidanceSource.
	GuidanceMedianMS  float64 `json:"guidance_median_ms"`
	GuidanceSlowMS    float64 `json:"guidance_slow_ms"`
	GuidanceSlowShare float64 `json:"guidance_slow_share"`
	GuidanceSource    string  `json:"guidance_source"`
}

// LatencyBucket is one bar of the distribution.
type LatencyBucket struct {
	LeMS  *float64 `json:"le_ms"`
	Count int      `json:"count"`
}
