// Package profile holds webhook senders as data: what each sender's TLS
// client offers and expects, its client certificate, its deadlines and port
// rules, and the few texts that differ by sender. The probe builds its
// handshake from a profile and the checks judge against one; no check names a
// particular sender. docs/senders.md gives every fact's source.
package profile

import (
	"crypto/tls"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wacheck/wacheck/pkg/tlshello"
)

// Profile is one webhook sender's client.
type Profile struct {
	// Key is the name used on the command line (--sender meta).
	Key string
	// Name is for people: "Meta (WhatsApp Cloud API)".
	Name string
	// Short is the sender's name inside a sentence: "Meta".
	Short string

	// MinVersion and MaxVersion bound the TLS versions the client offers.
	MinVersion, MaxVersion uint16
	// Suites12 are the TLS 1.2 suites the client offers, in its order. Go
	// takes them as a set and orders them itself: AES-GCM first on a CPU
	// with AES-GCM hardware, ChaCha20-Poly1305 first otherwise.
	Suites12 []uint16
	// Suites13 are the TLS 1.3 suites it offers. Go always offers all three,
	// in the same hardware-dependent order (docs/senders.md).
	Suites13 []uint16
	// Groups are the key-exchange groups it offers, in Go's order (Go takes
	// them as a set and orders them itself, hybrid post-quantum groups
	// first). KeyShares says which it sends key shares for.
	Groups []tls.CurveID
	// SignatureAlgorithms are what it accepts from the server, in the order
	// sent. Go's client cannot restrict them; the value documents the sender.
	SignatureAlgorithms []tls.SignatureScheme
	// ALPN is offered in the ClientHello.
	ALPN []string
	// SendsSNI is true when the client sends the host name as SNI.
	SendsSNI bool
	// FetchesAIA is true when the client fetches missing intermediates.
	FetchesAIA bool

	// ClientCert is the certificate the sender presents when a server asks
	// for one (mTLS); nil when it has none.
	ClientCert *ClientCert

	// Deadlines are how long the sender waits; zero when not known.
	Deadlines Deadlines
	// Ports are the ports the sender delivers to; empty means any.
	Ports []int
	// SelfSignedRefused is the sender's own words on self-signed
	// certificates, "" when it says nothing.
	SelfSignedRefused string
	// Latency is the sender's response-time guidance, with its source, ""
	// when it gives none.
	Latency string
	// Retries says how long the sender retries failed deliveries, "" when
	// not documented.
	Retries string

	// Webhook is the sender's webhook protocol (verification, signature,
	// payloads); nil when it has none, and the webhook checks skip.
	Webhook *Webhook

	// Facts lists what the profile says, each documented (with its
	// source) or wacheck's strict assumption: `wacheck senders` prints
	// them, docs/senders.md has the same rows.
	Facts []Fact
}

// ClientCert is a sender's mTLS client certificate.
type ClientCert struct {
	// CommonName is the subject CN to check on the server.
	CommonName string
	// IssuerDNs are the exact distinguished names of the CAs its chain
	// goes through now (RFC 4514, as Go writes a name's RDN sequence), as
	// a server lists them in a CertificateRequest; empty when the sender
	// does not publish them. Only an exact name is ever compared: a CA
	// whose name merely contains the sender's is not the sender's.
	IssuerDNs []string
	// IssuerSource says where IssuerDNs come from when not from the
	// sender's documents: the --client-ca file, "" otherwise.
	IssuerSource string
	// IssuerLabel is the issuing CA for people.
	IssuerLabel string
	// IssuerFile is the name the sender publishes the CA certificate as.
	IssuerFile string
	// IssuerURL is where the sender publishes it.
	IssuerURL string
	// Retired lists CAs that issued it before and no longer do.
	Retired []RetiredCA
}

// RetiredCA is a CA a sender's client certificate used to chain to.
type RetiredCA struct {
	// DN is its exact distinguished name (RFC 4514).
	DN string
	// Until is when the last certificate it issued expired.
	Until time.Time
	Label string
}

// Deadlines are the sender's time limits.
type Deadlines struct {
	Connect   time.Duration
	Handshake time.Duration
	Response  time.Duration
}

// Fact is one row of what a profile says.
type Fact struct {
	Topic string
	Value string
	// Documented is true when the sender states it; false when it is
	// wacheck's strict assumption.
	Documented bool
	Source     string
}

// Sources lists the distinct sources of the profile's facts, in the order
// the facts cite them: the sender's own pages for documented facts, and
// the third parties an assumption follows.
func (p *Profile) Sources() []string {
	var out []string
	for _, f := range p.Facts {
		if f.Source != "" && !slices.Contains(out, f.Source) {
			out = append(out, f.Source)
		}
	}
	return out
}

// Documented counts the facts the sender documents.
func (p *Profile) Documented() int {
	n := 0
	for _, f := range p.Facts {
		if f.Documented {
			n++
		}
	}
	return n
}

// Offers reports whether the client offers suite in version.
func (p *Profile) Offers(version, suite uint16) bool {
	if version < p.MinVersion || version > p.MaxVersion {
		return false
	}
	if !slices.Contains(p.Suites12, suite) && !slices.Contains(p.Suites13, suite) {
		return false
	}
	st, ok := tlshello.LookupSuite(suite)
	return ok && st.MinVersion <= version && version <= st.MaxVersion
}

// hybridClassical is the classical group inside each hybrid post-quantum
// group, for which Go sends a second key share.
var hybridClassical = map[tls.CurveID]tls.CurveID{
	tls.X25519MLKEM768:     tls.X25519,
	tls.SecP256r1MLKEM768:  tls.CurveP256,
	tls.SecP384r1MLKEM1024: tls.CurveP384,
}

// KeyShares are the groups a TLS 1.3 ClientHello carries key shares for,
// as Go 1.26 builds it: the first group and, when that is a hybrid
// post-quantum group, its classical part too if Groups lists it (a server
// without the hybrid then needs no HelloRetryRequest).
func (p *Profile) KeyShares() []tls.CurveID {
	if len(p.Groups) == 0 || p.MaxVersion < tls.VersionTLS13 {
		return nil
	}
	out := []tls.CurveID{p.Groups[0]}
	if c, ok := hybridClassical[p.Groups[0]]; ok && slices.Contains(p.Groups, c) {
		out = append(out, c)
	}
	return out
}

// Suites is every suite the client offers, TLS 1.3 ones first.
func (p *Profile) Suites() []uint16 {
	return append(slices.Clone(p.Suites13), p.Suites12...)
}

// ClientCertAccepted says whether a CertificateRequest's acceptable-CA
// names (RFC 4514) would let the sender's client certificate through, and
// the name that decided it. Names are compared whole (SameDN), never by
// the words in them: a server that trusts "CN=Metadata Services Internal
// CA,O=Outbound Proxy Team" does not trust Meta's CA. When the sender's CA
// name is not known (IssuerDNs empty) the answer is Unknown unless every
// name listed is a retired CA.
func (p *Profile) ClientCertAccepted(cas []string) (Acceptance, string) {
	cc := p.ClientCert
	if cc == nil {
		return NoClientCert, ""
	}
	for _, dn := range cas {
		for _, want := range cc.IssuerDNs {
			if SameDN(dn, want) {
				return Accepted, dn
			}
		}
	}
	retired := 0
	for _, dn := range cas {
		for _, r := range cc.Retired {
			if SameDN(dn, r.DN) {
				retired++
				break
			}
		}
	}
	switch {
	case len(cas) > 0 && retired == len(cas):
		return RetiredOnly, ""
	case len(cc.IssuerDNs) == 0:
		return Unknown, ""
	}
	return NotListed, ""
}

// SameDN reports whether two distinguished names in RFC 4514 form are the
// same name: the same attributes in the same order with the same values,
// compared as X.509 name matching does (RFC 5280 7.1, OpenSSL's canonical
// form): without regard to case, and with runs of white space as one.
func SameDN(a, b string) bool {
	return canonicalDN(a) == canonicalDN(b)
}

func canonicalDN(dn string) string {
	return strings.Join(strings.Fields(strings.ToLower(dn)), " ")
}

// Acceptance is the outcome of ClientCertAccepted.
type Acceptance int

// Outcomes of ClientCertAccepted.
const (
	// NotListed: the sender's CA name is known and not among those listed.
	NotListed Acceptance = iota
	// Accepted: a name listed is exactly the sender's CA's.
	Accepted
	// RetiredOnly: every name listed is a CA that no longer issues the
	// sender's certificate.
	RetiredOnly
	// NoClientCert: the sender has no client certificate.
	NoClientCert
	// Unknown: the sender does not publish its CA's exact name, so the
	// names listed cannot be compared (give the CA's file: --client-ca).
	Unknown
)

// Default is the profile used without --sender.
const Default = "meta"

// Lookup returns the profile named key, a fresh value the caller may change.
func Lookup(key string) (*Profile, bool) {
	i, ok := keyIndex()[key]
	if !ok {
		return nil, false
	}
	return builders[i](), true
}

// MustLookup returns the profile named key, or the default one.
func MustLookup(key string) *Profile {
	if p, ok := Lookup(key); ok {
		return p
	}
	p, _ := Lookup(Default)
	return p
}

// Keys lists the profiles' keys, sorted.
func Keys() []string {
	return slices.Sorted(maps.Keys(keyIndex()))
}

// All lists every profile, the default first. Each call returns fresh
// values, so a caller may change what it gets.
func All() []*Profile {
	out := make([]*Profile, len(builders))
	for i, b := range builders {
		out[i] = b()
	}
	return out
}

// builders build the profiles, the default first.
var builders = []func() *Profile{meta, generic, stripe, github, slack, shopify, line, twitch, zoom, discord,
	twilio, msgraph}

// keyIndex maps each profile's key to its builder: Lookup builds one
// profile, not all (command-line help and flag checks look senders up on
// every start).
var keyIndex = sync.OnceValue(func() map[string]int {
	m := make(map[string]int, len(builders))
	for i, b := range builders {
		m[b().Key] = i
	}
	return m
})
