// Package subject holds what the checks judge. A subject is one thing a
// sender meets: the DNS answer, a TCP connection, the sender's handshake, the
// served chain with its staple and the name it must cover, the enumeration,
// an HTTP exchange. Adapters make subjects from a source: a probe's evidence
// (one Set per address, plus one for the name), certificate files, and later
// a webhook exchange. A Set says, for every kind its source deals in, either
// the subject or why there is none; the checks run for the kinds a Set
// provides and turn a missing subject into one skip with its reason.
package subject

import (
	"crypto"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// Kind names a kind of subject.
type Kind string

// The subject kinds. Name, DNS and Addresses concern the name as a whole;
// the others one address (or one set of files).
const (
	KindName      Kind = "name"      // the target: host, port, path
	KindDNS       Kind = "dns"       // the name's resolution
	KindAddresses Kind = "addresses" // how each address fared, to compare them
	KindConn      Kind = "tcp"       // one TCP connection (and its timing rounds)
	KindHandshake Kind = "handshake" // the sender's TLS handshake
	KindChain     Kind = "chain"     // the certificates as served or as given
	KindStaple    Kind = "staple"    // the stapled OCSP response (or its absence)
	KindScan      Kind = "scan"      // the enumeration of versions and suites
	KindHTTP      Kind = "http"      // one HTTP exchange
	KindKey       Kind = "key"       // a private key said to belong to the leaf
	KindWebhook   Kind = "webhook"   // the webhook exchange: verification and deliveries
)

// Set is the subjects of one source: the name, one address, or a set of
// certificate files. A nil subject with a Missing reason is judged as a skip;
// a nil subject without one is not judged at all (the source does not deal
// in it: files have no DNS).
type Set struct {
	// Address is the IP address the subjects concern; "" for the name
	// and for files.
	Address string

	Name      *Name
	DNS       *DNS
	Addresses []Outcome
	Conn      *Conn
	Handshake *Handshake
	Chain     *Chain
	Staple    *Staple
	Scan      *Scan
	HTTP      *HTTP
	Key       *Key
	Webhook   *Webhook

	// Missing says why a subject the source deals in is absent.
	Missing map[Kind]string
}

// Has reports whether the set holds a subject of kind k.
func (s *Set) Has(k Kind) bool {
	switch k {
	case KindName:
		return s.Name != nil
	case KindDNS:
		return s.DNS != nil
	case KindAddresses:
		return s.Addresses != nil
	case KindConn:
		return s.Conn != nil
	case KindHandshake:
		return s.Handshake != nil
	case KindChain:
		return s.Chain != nil
	case KindStaple:
		return s.Staple != nil
	case KindScan:
		return s.Scan != nil
	case KindHTTP:
		return s.HTTP != nil
	case KindKey:
		return s.Key != nil
	case KindWebhook:
		return s.Webhook != nil
	}
	return false
}

// Why is the reason a subject of kind k is missing, "" when the source does
// not deal in k.
func (s *Set) Why(k Kind) string {
	return s.Missing[k]
}

func (s *Set) miss(k Kind, why string) {
	if s.Missing == nil {
		s.Missing = map[Kind]string{}
	}
	s.Missing[k] = why
}

// Name is the target as the user gave it.
type Name struct {
	Target target.Target
	// Timeout is the budget the probe ran under, for messages.
	Timeout time.Duration
}

// DNS is the name's resolution.
type DNS = probe.DNS

// Outcome is how one address fared, for comparing addresses.
type Outcome struct {
	Address    string
	ConnectErr *probe.NetError
	Handshake  *probe.Handshake
}

// OK reports whether a sender gets through: connected and shook hands.
func (o Outcome) OK() bool {
	return o.ConnectErr == nil && o.Handshake != nil && o.Handshake.Err == nil
}

// Problem names what went wrong, "ok" when nothing did.
func (o Outcome) Problem() string {
	switch {
	case o.ConnectErr != nil:
		return "TCP " + string(o.ConnectErr.Kind)
	case o.Handshake == nil:
		return "no handshake"
	case o.Handshake.Err != nil:
		return "TLS " + string(o.Handshake.Err.Kind)
	}
	return "ok"
}

// Conn is the TCP connection to one address, with the further timing rounds.
type Conn struct {
	Address  string
	Port     int
	HostPort string // the target's host and port, for messages
	Start    time.Time
	End      time.Time
	Err      *probe.NetError
	// Samples are the further connect + handshake rounds.
	Samples []probe.Sample
	Timeout time.Duration
}

// Handshake is the sender's TLS handshake with one address.
type Handshake struct {
	*probe.Handshake
	Address string
	Port    int
	// NoSNI is the same handshake without SNI, nil when none was made.
	NoSNI *probe.Handshake
	// NoSNIErr says why no handshake without SNI was made, when one was
	// tried.
	NoSNIErr *probe.NetError
	// Samples are the further connect + handshake rounds.
	Samples []probe.Sample
	// Accepted is the enumeration's result, to say what the server does
	// accept when the handshake fails; nil when it did not run.
	Accepted *tlshello.Result
	Timeout  time.Duration
	// Resumption is the session-resumption pair of connections; nil with
	// NoResumption saying why when none was made.
	Resumption   *probe.Resumption
	NoResumption string
}

// Chain is a certificate chain as served (or as given in files), leaf first.
type Chain struct {
	Certs [][]byte
	// Name is the name the leaf must cover, "" when none is known.
	Name string
	// Source is "handshake", "enumeration" (the strict handshake failed
	// and the enumeration's TLS 1.0-1.2 reply carried them) or "files".
	Source string
	// Files are the files the certificates came from (Source "files").
	Files []string
	// KeyType is "ECDSA" or "RSA" for a second chain the same address
	// serves to a client that offers only that key type's suites (a
	// server with two certificates), "" for the chain of the strict
	// handshake or of files.
	KeyType string
	// CipherSuite is the suite the KeyType handshake negotiated.
	CipherSuite uint16
	// Alongside names the key types of the other chains the address
	// serves (their Sets have KeyType set), on the strict handshake's
	// chain; nil when it serves one chain.
	Alongside []string
}

// Staple is the OCSP response stapled (or given), Raw nil when none was.
type Staple struct {
	Raw []byte
}

// Scan is the enumeration of one address.
type Scan struct {
	*tlshello.Result
	// Err says why the enumeration stopped early, with Result partial.
	Err *probe.NetError
}

// HTTP is one HTTP exchange.
type HTTP struct {
	*probe.HTTPExchange
}

// Key is a private key's public half, said to belong to the chain's leaf.
type Key struct {
	Public crypto.PublicKey
	File   string
}
