package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"sync"
	"time"
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
// chose (when set) is told what the server chose in each, as soon as its
// certificates arrive.
func keyTypeHandshakes(ctx context.Context, opts Options, b *budget, addr string, chose func(tls.ConnectionState)) []KeyTypeHandshake {
	types, suites := keyTypeSuites(opts.Client)
	if len(types) < 2 {
		return nil
	}
	out := make([]KeyTypeHandshake, len(types))
	var wg sync.WaitGroup
	for i, t := range types {
		wg.Go(func() {
			a := connectAndShakeWith(ctx, opts, b, addr, opts.Target.SNI, false, nil, func(cfg *tls.Config) {
				cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
				cfg.CipherSuites = suites[t]
			}, chose)
			a.done()
			out[i] = KeyTypeHandshake{KeyType: t, Handshake: a.hs}
			if a.hs == nil {
				out[i].Handshake = &Handshake{ServerName: opts.Target.SNI, Err: a.err}
			}
		})
	}
	wg.Wait()
	return out
}

// ticketWait bounds the wait for a TLS 1.3 server's NewSessionTicket after
// the handshake (servers send it at once, after the client's Finished).
const ticketWait = time.Second

// resume makes two connections: a full handshake, reading (in TLS 1.3)
// until the server's session ticket arrives, then one offering to resume
// that session. Nil when the server asks for a client certificate (the
// first connection cannot then be read).
func resume(ctx context.Context, opts Options, b *budget, addr string) *Resumption {
	cache := &watchedCache{ClientSessionCache: tls.NewLRUClientSessionCache(4), put: make(chan struct{}, 1)}
	withCache := func(cfg *tls.Config) { cfg.ClientSessionCache = cache }
	first := connectAndShakeWith(ctx, opts, b, addr, opts.Target.SNI, true, nil, withCache, nil)
	r := &Resumption{}
	switch {
	case first.err != nil:
		first.done()
		r.Err = first.err
		return r
	case first.hs.Err != nil:
		first.done()
		r.Err = first.hs.Err
		return r
	case first.hs.ClientCertRequested:
		first.done()
		return nil
	case len(first.hs.Certificates) == 0:
		first.done()
		r.Err = &NetError{Kind: ErrNotAttempted, Msg: "not tried: the server sent no certificate"}
		return r
	}
	r.Version = first.hs.Version
	if leaf, err := x509.ParseCertificate(first.hs.Certificates[0]); err == nil && opts.Now().After(leaf.NotAfter) {
		// Go's client never offers a session whose certificate has
		// expired (whatever InsecureSkipVerify says).
		first.done()
		r.Err = &NetError{Kind: ErrNotAttempted, Msg: "not tried: the certificate has expired, and Go's client " +
			"does not resume a session whose certificate has expired"}
		return r
	}
	if first.conn != nil && r.Version == tls.VersionTLS13 {
		awaitTicket(ctx, first.conn, cache.put)
	}
	first.done()
	r.Ticket = cache.stored()
	second := connectAndShakeWith(ctx, opts, b, addr, opts.Target.SNI, false, nil, withCache, nil)
	second.done()
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

// watchedCache is a session cache that says when a session was stored.
type watchedCache struct {
	tls.ClientSessionCache
	put chan struct{}
	mu  sync.Mutex
	n   int
}

func (c *watchedCache) Put(key string, cs *tls.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs == nil {
		return
	}
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	select {
	case c.put <- struct{}{}:
	default:
	}
}

func (c *watchedCache) stored() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n > 0
}
