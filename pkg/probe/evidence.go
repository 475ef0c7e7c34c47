package probe

import (
	"time"

	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// Evidence is everything one probe observed, recorded as raw facts: times
// at which each phase started and ended, bytes as served, and the errors met.
// It holds no judgement; package checks turns it into results.
type Evidence struct {
	Target    target.Target
	StartedAt time.Time
	EndedAt   time.Time
	// Timeout is the budget the whole probe ran under.
	Timeout time.Duration

	DNS DNS
	// Endpoints holds one entry per address probed, in DNS order.
	Endpoints []Endpoint
	// Samples is how many connect + handshake rounds were asked for per
	// address (the evidence handshake counts as the first).
	Samples int
	// Only is the address --address limited the probe to, "" otherwise.
	Only string
	// MaxFull is how many addresses are probed in full; the others
	// (Endpoint.HandshakeOnly) get the strict handshake only.
	MaxFull int
}

// DNS records the name resolution.
type DNS struct {
	// Pinned is true when the address came from --resolve or the target is
	// an IP literal: no DNS query was made.
	Pinned bool
	// Resolver names who was asked ("system" or an address).
	Resolver  string
	Start     time.Time
	End       time.Time
	Addresses []string
	Err       *NetError

	// Queries are the A and AAAA queries, each timed, when one DNS server
	// was asked (--resolver); nil with the system resolver, which answers
	// both at once (and from /etc/hosts first).
	Queries []DNSQuery
	// CNAMEs is the CNAME chain from the name to the one holding the
	// addresses, without the name itself (--resolver only).
	CNAMEs []string
	// MinTTL is the lowest TTL, in seconds, of the records answered
	// (CNAMEs and addresses); nil when unknown.
	MinTTL *uint32
}

// DNSQuery is one query to the --resolver server, for one record type.
type DNSQuery struct {
	Type       string // "A" or "AAAA"
	Start, End time.Time
	// Rcode is the answer's rcode ("NOERROR", "NXDOMAIN", "SERVFAIL",
	// "REFUSED", ...); "" when no answer came.
	Rcode string
	// Truncated is true when the UDP answer was truncated and the query
	// was asked again over TCP.
	Truncated bool
	Addresses []string
	CNAMEs    []string
	MinTTL    *uint32
	Err       *NetError
}

// Endpoint records the connection to one address.
type Endpoint struct {
	Address string // IP address, no port
	// HandshakeOnly is true when the name has more than MaxFull addresses
	// and this one got the strict handshake only: no handshake without
	// SNI, no enumeration, no timing rounds, no request.
	HandshakeOnly bool

	ConnectStart time.Time
	ConnectEnd   time.Time
	ConnectErr   *NetError

	// Handshake is nil when no TLS handshake was attempted (the TCP
	// connection failed).
	Handshake *Handshake

	// NoSNI is a second handshake sent without SNI, to tell whether the
	// server needs SNI; nil when not made (no SNI to compare, or the
	// connection failed).
	NoSNI *Handshake
	// NoSNIErr says why the handshake without SNI was not made when one was
	// asked for (no slot in time, the connection failed); nil otherwise.
	NoSNIErr *NetError

	// Samples are the further timing rounds (--samples N gives N-1).
	Samples []Sample

	// KeyTypes are handshakes offering the suites of one key type only
	// (TLS 1.2: Go cannot restrict TLS 1.3 signature algorithms), one per
	// key type the sender's client offers, made when the strict handshake
	// completed: a server with an ECDSA and an RSA certificate serves each
	// its own chain. Nil when not made.
	KeyTypes []KeyTypeHandshake

	// Resumption is a connection resuming the session of a first one;
	// nil when not tried (the strict handshake failed, or the address got
	// the strict handshake only).
	Resumption *Resumption

	// HTTP is one request to the URL target's path, nil when not made.
	HTTP *HTTPExchange

	// Scan is what the enumeration found (protocol versions, cipher
	// suites, groups), nil when it did not run; ScanErr says why it
	// stopped early (the time budget ran out), with Scan partial.
	Scan    *tlshello.Result
	ScanErr *NetError
}

// Sample is one timed connect + handshake round.
type Sample struct {
	ConnectStart, ConnectEnd     time.Time
	HandshakeStart, HandshakeEnd time.Time // zero when no handshake ran
	Err                          *NetError
}

// HTTPExchange is one HTTPS request to the target's path.
type HTTPExchange struct {
	Method string
	Path   string
	Proto  string
	// Start is when the request was sent on an established connection;
	// FirstByte when the first response byte arrived.
	Start      time.Time
	FirstByte  time.Time
	StatusCode int
	Err        *NetError
}

// Handshake records one TLS handshake as a strict client: SNI set, TLS 1.2
// minimum, no verification during the handshake (wacheck verifies the chain
// itself, later, against an explicit root pool), no AIA fetching.
type Handshake struct {
	ServerName string // the SNI sent; empty when none was
	Start      time.Time
	End        time.Time
	Err        *NetError
	// BytesRead is how many bytes the server sent before the handshake
	// ended: a handshake that timed out after some is a server answering
	// too slowly, not one that does not answer.
	BytesRead int
	// FlightBytes is the size on the wire of the server's first flight
	// (after a HelloRetryRequest, of the flight after it): the bytes read
	// between the client's last ClientHello and its second flight. Zero
	// when the client did not get as far as its second flight.
	FlightBytes int
	// HelloRetry is true when the server answered the first ClientHello
	// with a HelloRetryRequest, HelloRetryGroup the group it asked for (0
	// for a cookie only). HelloRetryKnown is false when the server's first
	// reply could not be read as a ServerHello (an alert, a reset).
	HelloRetry      bool
	HelloRetryGroup uint16
	HelloRetryKnown bool

	// What was negotiated. Zero when the handshake failed before it.
	Version     uint16
	CipherSuite uint16
	CurveID     uint16
	ALPN        string
	// Resumed is true when the handshake resumed an earlier session.
	Resumed bool
	// Stopped is true when the client ended the handshake itself once the
	// certificates had arrived, having learnt what it was made for: a
	// handshake per key type whose chain is the strict handshake's (Err is
	// then nil, and the handshake did not complete).
	Stopped bool
	// OfferedALPN is what the client offered.
	OfferedALPN []string

	// Certificates are the DER certificates exactly as served, in order.
	Certificates [][]byte
	// OCSPStaple is the stapled OCSP response, nil when none was stapled.
	OCSPStaple []byte

	// ClientCertRequested is true when the server sent a CertificateRequest.
	ClientCertRequested bool
	// AcceptableCAs are the DER-encoded distinguished names the server
	// listed in its CertificateRequest.
	AcceptableCAs [][]byte
	// ClientCertRejected is the error the server answered with after a
	// handshake completed without a client certificate (in TLS 1.3 a
	// server that requires one says so only then); nil when it did not.
	ClientCertRejected *NetError
}

// ErrorKind classifies a network error in words a user can act on.
type ErrorKind string

// Error kinds recorded in evidence.
const (
	ErrNXDomain    ErrorKind = "nxdomain"     // the name does not exist
	ErrNoAddress   ErrorKind = "no_address"   // the name exists but has no A/AAAA
	ErrDNSTimeout  ErrorKind = "dns_timeout"  // no DNS answer in time
	ErrServFail    ErrorKind = "servfail"     // the DNS server answered SERVFAIL
	ErrDNS         ErrorKind = "dns"          // another resolver failure
	ErrDNSGarbage  ErrorKind = "dns_garbage"  // the DNS server answered with what is not a DNS answer
	ErrRefused     ErrorKind = "refused"      // TCP RST to the SYN
	ErrUnreachable ErrorKind = "unreachable"  // no route, host or network unreachable
	ErrTimeout     ErrorKind = "timeout"      // no answer within the deadline
	ErrReset       ErrorKind = "reset"        // connection reset by the peer
	ErrClosed      ErrorKind = "closed"       // the peer closed the connection (EOF)
	ErrPlainHTTP   ErrorKind = "plain_http"   // the server answered with plain HTTP
	ErrNotTLS      ErrorKind = "not_tls"      // the server answered with something not TLS
	ErrAlert       ErrorKind = "alert"        // the server sent a TLS alert
	ErrNoCommon    ErrorKind = "no_common"    // no TLS 1.2+ version or cipher in common
	ErrProtocol    ErrorKind = "protocol"     // a TLS protocol error on the client's side
	ErrHTTPRefused ErrorKind = "http_refused" // the server refused the request over HTTP (nginx mTLS)
	ErrOther       ErrorKind = "other"        // anything else
	ErrCanceled    ErrorKind = "canceled"     // the probe was interrupted
	// ErrNotAttempted: no connection was made, for want of a free slot of
	// the connection budget before the time limit.
	ErrNotAttempted ErrorKind = "not_attempted"
)

// NetError is an error met during a phase, classified.
type NetError struct {
	Kind ErrorKind
	// Alert is the TLS alert number when Kind is ErrAlert or ErrNoCommon
	// and the server sent one.
	Alert int
	// Msg is the underlying error's text.
	Msg string
}

func (e *NetError) Error() string { return e.Msg }

// ClientCertRequired reports whether the server asked for a client
// certificate and refused the connection without one: the handshake failed,
// or (TLS 1.3, nginx) the server refused right after it.
func (hs *Handshake) ClientCertRequired() bool {
	return hs.ClientCertRequested && (hs.Err != nil || hs.ClientCertRejected != nil)
}

// KeyTypeHandshake is one handshake offering only the TLS 1.2 suites of
// one certificate key type.
type KeyTypeHandshake struct {
	// KeyType is "ECDSA" or "RSA".
	KeyType   string
	Handshake *Handshake
	// Skipped says why the handshake was not made (Handshake is then
	// nil): the enumeration showed it would fail.
	Skipped string
}

// Resumption records two connections: the strict handshake's, kept open
// until the server's session ticket came, then one offering to resume that
// session (a TLS 1.2 session ticket or a TLS 1.3 PSK; Go's client does not
// resume by session ID).
type Resumption struct {
	// Version is the version the first (the strict) handshake negotiated.
	Version uint16
	// Ticket is true when the server issued a session ticket (TLS 1.2) or
	// a NewSessionTicket (TLS 1.3) on the first connection.
	Ticket bool
	// Resumed is true when the second handshake resumed the session.
	Resumed bool
	// Start and End time the second handshake.
	Start, End time.Time
	// Err is the first error met, nil when both handshakes completed.
	Err *NetError
}
