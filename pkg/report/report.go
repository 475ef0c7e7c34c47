// Package report holds the one result type of a probe: the checks' verdicts
// and the facts a support engineer needs to diagnose from it alone.
package report

import (
	"fmt"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON contract (docs/json.md).
const SchemaVersion = 1

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
}

// Category is the part of the ID before the dot ("chain" for chain.complete).
func (r Result) Category() string {
	c, _, _ := strings.Cut(r.ID, ".")
	return c
}

// Report is the result of one probe.
type Report struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          Tool        `json:"tool"`
	Target        Target      `json:"target"`
	Status        Status      `json:"status"`
	StartedAt     time.Time   `json:"started_at"`
	DurationMS    float64     `json:"duration_ms"`
	Checks        []Result    `json:"checks"`
	Summary       Summary     `json:"summary"`
	DNS           DNS         `json:"dns"`
	TimingsMS     Timings     `json:"timings_ms"`
	Addresses     []Address   `json:"addresses"`
	TLS           *TLS        `json:"tls"`
	Certificates  []Cert      `json:"certificates"`
	Chain         *Chain      `json:"chain"`
	OCSP          *OCSP       `json:"ocsp"`
	ClientAuth    *ClientAuth `json:"client_auth"`
	// Protocols and Groups are what the enumeration found (of the first
	// address enumerated); Scan says how it went.
	Protocols []Protocol `json:"protocols"`
	Groups    []string   `json:"groups"`
	Scan      *Scan      `json:"scan"`
	Settings  Settings   `json:"settings"`
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

// Scan describes the enumeration run.
type Scan struct {
	Address     string  `json:"address"`
	Connections int     `json:"connections"`
	DurationMS  float64 `json:"duration_ms"`
	Error       string  `json:"error,omitempty"`
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
}

// Timings are the phase durations of the probed address in milliseconds;
// null where the phase did not complete.
type Timings struct {
	DNS     *float64 `json:"dns"`
	Connect *float64 `json:"connect"`
	TLS     *float64 `json:"tls"`
	Total   float64  `json:"total"`
}

// Address is the outcome of connecting to one address.
type Address struct {
	Address          string   `json:"address"`
	ConnectMS        *float64 `json:"connect_ms"`
	TLSMS            *float64 `json:"tls_ms"`
	Error            string   `json:"error,omitempty"`
	ErrorKind        string   `json:"error_kind,omitempty"`
	HandshakeAttempt bool     `json:"handshake_attempted"`
	// TLSVersion and Cipher are what this address negotiated.
	TLSVersion string `json:"tls_version,omitempty"`
	Cipher     string `json:"cipher,omitempty"`
	// ChainSHA256 are the SHA-256 fingerprints of the certificates this
	// address served, in order: compare them across addresses.
	ChainSHA256 []string `json:"chain_sha256"`
	// Leaf summarises the leaf this address served, so that an address
	// serving another certificate can be told apart; null when none.
	Leaf *Leaf `json:"leaf"`
	// Samples summarise --samples rounds per phase; null with one round.
	Samples *Samples `json:"samples"`
	// NoSNI is the handshake made without SNI; null when none was made.
	NoSNI *NoSNI `json:"no_sni"`
	// HTTP is the request to a URL target's path; null when none was made.
	HTTP *HTTP `json:"http"`
}

// Leaf summarises one address's leaf certificate; the full certificates of
// the first address are in Report.Certificates.
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
	// Source says where the certificates came from: "handshake", or
	// "enumeration" when the strict handshake failed and a TLS 1.0-1.2
	// reply read by the enumeration carried them.
	Source string `json:"source"`
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
	// Concurrency bounds the enumeration's connections.
	Concurrency int `json:"concurrency"`
	// Sender is the webhook sender compared with ("meta").
	Sender string `json:"sender"`
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
