package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wacheck/wacheck/pkg/tlshello"
)

// keyTypeSuites splits the TLS 1.2 suites the client offers by the key
// type of the certificate they need, in the order "ECDSA", "RSA"; a key
// type without a suite is left out.
func keyTypeSuites(c Client) (types []string, suites map[string][]uint16) {
	if c.MinVersion > tls.VersionTLS12 || (c.MaxVersion != 0 && c.MaxVersion < tls.VersionTLS12) {
		return nil, nil
	}
	offered := c.CipherSuites
	if offered == nil {
		for _, s := range tls.CipherSuites() {
			offered = append(offered, s.ID)
		}
	}
	suites = map[string][]uint16{}
	for _, id := range offered {
		name := tls.CipherSuiteName(id)
		switch {
		case strings.Contains(name, "_ECDSA_"):
			suites["ECDSA"] = append(suites["ECDSA"], id)
		case strings.HasPrefix(name, "TLS_ECDHE_RSA_"), strings.HasPrefix(name, "TLS_RSA_"):
			suites["RSA"] = append(suites["RSA"], id)
		}
	}
	for _, t := range []string{"ECDSA", "RSA"} {
		if len(suites[t]) > 0 {
			types = append(types, t)
		}
	}
	return types, suites
}

// keyTypeHandshakes makes one TLS 1.2 handshake per certificate key type
// the client offers suites for, offering only those suites, when it
// offers more than one key type. Go's client cannot restrict the TLS 1.3
// signature algorithms it offers, so TLS 1.3 cannot ask for one key type.
//
// Such a handshake matters for the chain it gets: one that gets the strict
// handshake's chain (strict's) is stopped as soon as the certificates
// arrive (Handshake.Stopped), so that it holds its connection for one
// round trip, not two. The one for the strict handshake's key type is made
// at once (its suite is the enumeration's to take); the other, which gets
// a chain of its own only from a server with certificates of both types,
// takes a slot the enumeration leaves free (class idle).
//
// When the address is enumerated (scanned is not nil: it waits for the
// enumeration and returns what it found), the other waits for its end, and
// is not made when the enumeration shows that the server accepts none of
// its suites in TLS 1.2: it would fail, and a failed handshake per key type
// tells nothing the report uses.
//
// chose (when set) is told what the server chose in each, as soon as its
// certificates arrive; fed is called once the handshakes made at once are
// done (the others tell chose after the enumeration's end).
func keyTypeHandshakes(ctx context.Context, opts Options, b *budget, addr string, strict *Handshake,
	scanned func() *tlshello.Result, chose func(tls.ConnectionState), fed func()) []KeyTypeHandshake {
	fed = sync.OnceFunc(fed)
	defer fed()
	types, suites := keyTypeSuites(opts.Client)
	if len(types) < 2 {
		return nil
	}
	strictType := leafKeyType(strict.Certificates)
	out := make([]KeyTypeHandshake, len(types))
	var wg, feeders sync.WaitGroup
	for i, t := range types {
		class := idle
		if t == strictType {
			class = high
			feeders.Add(1)
		}
		wg.Go(func() {
			if class == high {
				defer feeders.Done()
			}
			if class == idle && scanned != nil {
				if why := refusedAll(scanned(), suites[t]); why != "" {
					out[i] = KeyTypeHandshake{KeyType: t, Skipped: why}
					return
				}
				class = high // the enumeration is over: nothing to leave slots to
			}
			a := connectAndShake(ctx, opts, b, addr, shake{sni: opts.Target.SNI, class: class,
				tune: func(cfg *tls.Config) {
					cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
					cfg.CipherSuites = suites[t]
				},
				chose: func(cs tls.ConnectionState) error {
					if chose != nil {
						chose(cs)
					}
					if sameChain(cs.PeerCertificates, strict.Certificates) {
						return errStop
					}
					return nil
				}})
			a.done()
			out[i] = KeyTypeHandshake{KeyType: t, Handshake: a.hs}
			if a.hs == nil {
				out[i].Handshake = &Handshake{ServerName: opts.Target.SNI, Err: a.err}
			}
		})
	}
	go func() {
		feeders.Wait()
		fed()
	}()
	wg.Wait()
	return out
}

// nistFirst is what a resumed handshake offers so that its answer settles
// one of the enumeration's TLS 1.3 groups: the NIST curves the client
// offers, P-256 (which RFC 8446 makes mandatory) first. Nil when not
// wanted, or when the client offers none of them or not TLS 1.3.
func nistFirst(c Client, want bool) []tls.CurveID {
	if !want || c.MaxVersion != 0 && c.MaxVersion < tls.VersionTLS13 {
		return nil
	}
	var out []tls.CurveID
	for _, g := range []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.CurveP521} {
		if c.CurvePreferences == nil || slices.Contains(c.CurvePreferences, g) {
			out = append(out, g)
		}
	}
	return out
}

// firstGroup is the group whose key share a client offering groups (in
// Go's order, as nistFirst lists them) sends: the one it promises the
// enumeration.
func firstGroup(groups []tls.CurveID) []uint16 {
	if len(groups) == 0 {
		return nil
	}
	return []uint16{uint16(groups[0])}
}

// refusedAll says how the enumeration's result shows that the server
// accepts none of suites in TLS 1.2, "" when it does not show it (no
// result, TLS 1.2 not told, or not told in full).
func refusedAll(res *tlshello.Result, suites []uint16) string {
	if res == nil {
		return ""
	}
	for _, p := range res.Protocols {
		switch {
		case p.Version != tls.VersionTLS12 || p.Offered == nil || len(p.Errors) > 0:
			continue
		case !*p.Offered:
			return "not made: the enumeration found TLS 1.2 not offered"
		}
		for _, c := range p.Ciphers {
			if slices.Contains(suites, c.ID) {
				return ""
			}
		}
		return "not made: the enumeration found none of these suites accepted in TLS 1.2"
	}
	return ""
}

// leafKeyType is "ECDSA" or "RSA", the key type of the first of certs, ""
// when it is neither or cannot be read.
func leafKeyType(certs [][]byte) string {
	if len(certs) == 0 {
		return ""
	}
	leaf, err := x509.ParseCertificate(certs[0])
	if err != nil {
		return ""
	}
	switch leaf.PublicKeyAlgorithm {
	case x509.ECDSA:
		return "ECDSA"
	case x509.RSA:
		return "RSA"
	}
	return ""
}

// sameChain reports whether got is the chain raw holds, certificate for
// certificate.
func sameChain(got []*x509.Certificate, raw [][]byte) bool {
	return len(raw) > 0 && slices.EqualFunc(got, raw, func(c *x509.Certificate, r []byte) bool {
		return bytes.Equal(c.Raw, r)
	})
}

// ticketWait bounds the wait for a TLS 1.3 server's NewSessionTicket after
// the handshake (servers send it at once, after the client's Finished).
const ticketWait = time.Second

// resume offers, on a second connection, to resume the session the strict
// handshake (strict) got: its client kept it in sessions, and strictDone
// is closed once its connection is (the ticket awaited, or the request on
// it over). Nil when the server asked for a client certificate (the first
// connection could not then be read). The second connection nothing waits
// for: it takes a slot the enumeration leaves free (class idle).
//
// With groups (nistFirst), a TLS 1.3 second handshake offers those only,
// the first with its key share, and chose (when set) is told what the
// server chose: the enumeration leaves that group to it. When that
// handshake fails it is made again as the strict client makes it, and
// that one is recorded: a resumption is never judged by a group the
// strict client would not have offered alone.
func resume(ctx context.Context, opts Options, b *budget, addr string, strict *Handshake, sessions *watchedCache,
	strictDone <-chan struct{}, groups []tls.CurveID, chose func(tls.ConnectionState)) *Resumption {
	r := &Resumption{}
	switch {
	case strict.ClientCertRequested:
		return nil
	case len(strict.Certificates) == 0:
		r.Err = &NetError{Kind: ErrNotAttempted, Msg: "not tried: the server sent no certificate"}
		return r
	}
	r.Version = strict.Version
	if leaf, err := x509.ParseCertificate(strict.Certificates[0]); err == nil && opts.Now().After(leaf.NotAfter) {
		// Go's client never offers a session whose certificate has
		// expired (whatever InsecureSkipVerify says).
		r.Err = &NetError{Kind: ErrNotAttempted, Msg: "not tried: the certificate has expired, and Go's client " +
			"does not resume a session whose certificate has expired"}
		return r
	}
	select {
	case <-sessions.put:
	case <-strictDone:
	}
	r.Ticket = sessions.any()
	sh := shake{sni: opts.Target.SNI, class: idle, tune: sessions.use}
	if chose != nil {
		sh.chose = tell(chose)
	}
	plain := sh
	tuned := groups != nil && strict.Version == tls.VersionTLS13
	if tuned {
		sh.tune = func(cfg *tls.Config) {
			sessions.use(cfg)
			cfg.CurvePreferences = groups
		}
	}
	second := connectAndShake(ctx, opts, b, addr, sh)
	second.done()
	if tuned && second.err == nil && second.hs.Err != nil {
		second = connectAndShake(ctx, opts, b, addr, plain)
		second.done()
	}
	switch {
	case second.err != nil:
		r.Err = second.err
	case second.hs.Err != nil:
		r.Err = second.hs.Err
	}
	if second.hs != nil {
		r.Start, r.End, r.Resumed = second.hs.Start, second.hs.End, second.hs.Resumed
	}
	return r
}

// awaitTicket reads from a TLS 1.3 connection (Go's client handles the
// server's NewSessionTicket only when reading) until a session is stored,
// ticketWait passes or the connection ends.
func awaitTicket(ctx context.Context, tc *tls.Conn, put <-chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, ticketWait)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		_ = tc.SetReadDeadline(dl)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-put:
		case <-ctx.Done():
		case <-stop:
			return
		}
		_ = tc.SetReadDeadline(time.Now())
	}()
	var buf [1]byte
	for {
		if _, err := tc.Read(buf[:]); err != nil {
			return
		}
	}
}

// watchedCache is a session cache that says when a session was stored:
// put is closed then.
type watchedCache struct {
	tls.ClientSessionCache
	put    chan struct{}
	stored func() // closes put, once
}

func newWatchedCache() *watchedCache {
	c := &watchedCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), put: make(chan struct{})}
	c.stored = sync.OnceFunc(func() { close(c.put) })
	return c
}

// use makes a client keep its sessions in c (a shake's tune).
func (c *watchedCache) use(cfg *tls.Config) { cfg.ClientSessionCache = c }

// Put stores cs; a nil cs, which Go's client puts after a handshake
// offering the session failed, is ignored: resume tries the session again
// when the handshake failed for the groups it offered.
func (c *watchedCache) Put(key string, cs *tls.ClientSessionState) {
	if cs == nil {
		return
	}
	c.ClientSessionCache.Put(key, cs)
	c.stored()
}

// any reports whether a session was stored.
func (c *watchedCache) any() bool {
	select {
	case <-c.put:
		return true
	default:
		return false
	}
}
