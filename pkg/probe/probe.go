// Package probe does all of wacheck's network I/O: it resolves the target,
// connects and performs a TLS handshake as a strict webhook sender would, and
// records what it saw as Evidence. It never decides pass or fail.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// DefaultTimeout bounds a whole probe unless the caller says otherwise.
const DefaultTimeout = 10 * time.Second

// Resolver looks up a host's addresses. *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a TCP connection. (*net.Dialer).DialContext satisfies it.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Options configure one probe.
type Options struct {
	Target target.Target
	// Timeout bounds the whole probe (DNS, connect, handshake).
	Timeout time.Duration
	// Pinned maps "host:port" to addresses to use instead of DNS (curl's
	// --resolve).
	Pinned map[string][]netip.Addr
	// Resolver defaults to net.DefaultResolver.
	Resolver Resolver
	// ResolverName names the resolver in the evidence ("system" by default).
	ResolverName string
	// Dial defaults to a net.Dialer.
	Dial DialFunc
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// ALPN is offered in the ClientHello; defaults to h2 and http/1.1.
	ALPN []string
	// Only, when valid, limits the probe to this one address (--address).
	Only netip.Addr
	// Samples is how many connect + handshake rounds to time per address;
	// 1 (the default) is the evidence handshake alone.
	Samples int
	// NoSNICompare skips the extra handshake without SNI that tells
	// whether the server needs SNI.
	NoSNICompare bool
	// NoExtraHandshakes skips the handshakes per key type and the
	// session-resumption pair.
	NoExtraHandshakes bool
	// Enumerate scans every protocol version, cipher suite and group the
	// server accepts, with hand-built ClientHellos (package tlshello).
	Enumerate bool
	// Concurrency bounds the connections the whole probe has open at
	// once, across every address and phase; default 8.
	Concurrency int
	// Budget, when set, is a connection budget shared with other probes
	// (a run of many targets): it replaces Concurrency's.
	Budget *Budget
	// Client is the TLS client the handshakes act as: a sender profile's
	// (ClientFromProfile). The zero value is Go's defaults at TLS 1.2+.
	Client Client
}

// Client is what a sender's TLS client offers, as Go can express it.
type Client struct {
	MinVersion, MaxVersion uint16
	// CipherSuites are the TLS 1.2 suites, in order (Go orders them by
	// its own rules and always offers all TLS 1.3 suites).
	CipherSuites []uint16
	// CurvePreferences are the groups offered. Go filters its own ordered
	// list by them (their order here is ignored) and sends key shares for
	// its first choice, plus X25519 beside a hybrid post-quantum group.
	CurvePreferences []tls.CurveID
	ALPN             []string
	// NoSNI is true for a sender that sends no SNI.
	NoSNI bool
}

// ClientFromProfile is the TLS client of a sender profile.
func ClientFromProfile(p *profile.Profile) Client {
	return Client{
		MinVersion:       p.MinVersion,
		MaxVersion:       p.MaxVersion,
		CipherSuites:     p.Suites12,
		CurvePreferences: p.Groups,
		ALPN:             p.ALPN,
		NoSNI:            !p.SendsSNI,
	}
}

// DefaultConcurrency is the polite default for Options.Concurrency.
const DefaultConcurrency = 8

// MaxFullAddresses is how many of a name's addresses are probed in full
// (the strict handshake, the handshake without SNI, the enumeration, the
// timing rounds, the URL request); the others get the strict handshake
// only, which is what tells whether a sender gets through. Both address
// families are among those probed in full when the name has both.
const MaxFullAddresses = 16

// scanConnTimeout bounds one enumeration connection (dial, hello, reply).
const scanConnTimeout = 5 * time.Second

// DefaultALPN is what webhook senders typically offer.
var DefaultALPN = []string{"h2", "http/1.1"}

// Prepare starts building, in a goroutine, what the enumeration starts
// from (tlshello.Prepare). A program that knows early it will probe with
// the enumeration (a command line just parsed) calls it then, so that this
// work runs beside its own; Run calls it otherwise.
func Prepare() {
	tlshello.Prepare()
}

// Run probes opts.Target and returns what it observed. It returns an error
// only when the options are unusable; network failures are evidence.
func Run(ctx context.Context, opts Options) *Evidence {
	if opts.Enumerate {
		Prepare() // beside resolving and the first handshake, if not done yet
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.ResolverName == "" {
		opts.ResolverName = "system"
	}
	if opts.Dial == nil {
		// No TCP keep-alive: every connection is over within a few round
		// trips, and setting it up costs three system calls a connection,
		// on the way from one enumeration hello to the next.
		opts.Dial = (&net.Dialer{KeepAlive: -1}).DialContext
	}
	if opts.ALPN == nil {
		opts.ALPN = opts.Client.ALPN
	}
	if opts.ALPN == nil {
		opts.ALPN = DefaultALPN
	}
	if opts.Client.NoSNI {
		opts.Target.SNI = ""
	}
	if opts.Samples < 1 {
		opts.Samples = 1
	}
	if opts.Concurrency < 1 {
		opts.Concurrency = DefaultConcurrency
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	ev := &Evidence{Target: opts.Target, StartedAt: opts.Now(), Timeout: opts.Timeout, Samples: opts.Samples,
		MaxFull: MaxFullAddresses}
	ev.DNS = resolve(ctx, opts)
	addrs := ev.DNS.Addresses
	if opts.Only.IsValid() {
		// --address: probe that one, whether or not DNS returned it.
		addrs = []string{opts.Only.Unmap().String()}
		ev.Only = addrs[0]
	}
	// Every address a sender may be handed, concurrently: one bad node
	// behind a load balancer or an AAAA that goes nowhere fails only some
	// deliveries. Every connection draws on one budget of Concurrency.
	b := newBudget(opts.Concurrency, len(addrs), opts.Budget)
	full := fullAddresses(addrs, MaxFullAddresses)
	ev.Endpoints = make([]Endpoint, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Go(func() { ev.Endpoints[i] = probeAddress(ctx, opts, b, a, full[i]) })
	}
	wg.Wait()
	ev.EndedAt = opts.Now()
	return ev
}

// fullAddresses marks which addresses are probed in full: the first max,
// in DNS order, but with the first address of a family none of those has
// in place of the last, so that IPv4 and IPv6 are both probed in full.
func fullAddresses(addrs []string, max int) []bool {
	full := make([]bool, len(addrs))
	for i := range min(max, len(addrs)) {
		full[i] = true
	}
	if len(addrs) <= max || max < 2 {
		return full
	}
	has := map[bool]bool{}
	for i := range max {
		has[isV6(addrs[i])] = true
	}
	for i := max; i < len(addrs); i++ {
		if v6 := isV6(addrs[i]); !has[v6] {
			full[max-1], full[i] = false, true
			break
		}
	}
	return full
}

func isV6(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6() && !a.Is4In6()
}

func resolve(ctx context.Context, opts Options) DNS {
	t := opts.Target
	d := DNS{Resolver: opts.ResolverName}
	if addr, err := netip.ParseAddr(t.Host); err == nil {
		d.Pinned = true
		d.Resolver = "literal"
		d.Addresses = []string{addr.String()}
		return d
	}
	if pins, ok := opts.Pinned[net.JoinHostPort(t.Host, strconv.Itoa(t.Port))]; ok {
		d.Pinned = true
		d.Resolver = "--resolve"
		for _, a := range pins {
			d.Addresses = append(d.Addresses, a.String())
		}
		return d
	}
	if sr, ok := opts.Resolver.(*ServerResolver); ok {
		// --resolver: that server alone, each query type timed.
		d = sr.lookup(ctx, t.Host, "ip", opts.Now)
		if opts.ResolverName != "" {
			d.Resolver = opts.ResolverName
		}
		return d
	}
	r, watch := watched(opts.Resolver)
	d.Start = opts.Now()
	addrs, err := r.LookupNetIP(ctx, "ip", t.Host)
	d.End = opts.Now()
	if err != nil {
		d.Err = garbageDNS(classifyDNS(ctx, err), err, watch)
		return d
	}
	seen := map[string]bool{}
	for _, a := range addrs {
		s := a.Unmap().String()
		if !seen[s] {
			seen[s] = true
			d.Addresses = append(d.Addresses, s)
		}
	}
	if len(d.Addresses) == 0 {
		d.Err = &NetError{Kind: ErrNoAddress, Msg: "no A or AAAA records"}
	}
	return d
}

// probeAddress records everything about one address: the strict
// handshake and, when the address is probed in full, the enumeration beside
// it; once the strict handshake is done, beside them the URL target's
// request (on the strict handshake's own connection), the handshake without
// SNI, the handshakes per key type and the resumption; then the timing
// rounds.
//
// The enumeration is speculative: it starts with the strict handshake (once
// every address's strict handshake has its slot), not after it, which saves
// the strict handshake's round trip. It needs one thing from it: whether the
// server speaks TLS well enough to enumerate (Handshake.Scannable). When the
// strict handshake says no, the enumeration is stopped and what it found is
// dropped, so the report is what it was when the enumeration waited.
//
// What the server chose in the strict handshake, the handshakes per key
// type and the resumed handshake goes to the enumeration too
// (tlshello.Options.Handshakes), as soon as the certificates arrive: the
// strict handshake's TLS 1.3 ServerHello answers the enumeration's first
// TLS 1.3 hello, which is then not sent, the resumed handshake's its test
// of P-256 (Options.Promised), and the suites the others got need no hello
// of the enumeration's own.
//
// The handshakes nothing waits for (without SNI, the resumed one, the key
// type the strict handshake's certificate is not of) take the slots the
// enumeration leaves (the budget's class idle).
func probeAddress(ctx context.Context, opts Options, b *budget, addr string, full bool) Endpoint {
	ep := Endpoint{Address: addr, HandshakeOnly: !full}
	wantGET := full && opts.Target.Path != ""
	var scanning sync.WaitGroup
	scanCtx, stopScan := context.WithCancel(ctx)
	defer stopScan()
	// The resumed handshake offers P-256 first, and the enumeration leaves
	// that group to it (tlshello.Options.Promised).
	resuming := full && !opts.NoExtraHandshakes
	groups := nistFirst(opts.Client, resuming && opts.Enumerate)
	var beside *besideScan
	if full && opts.Enumerate {
		beside = newBesideScan()
		scanning.Go(func() {
			b.enumerate(scanCtx, func() { ep.Scan, ep.ScanErr = scan(scanCtx, opts, b, addr, beside.ch, groups) })
		})
	}
	defer beside.close() // on every path; closed sooner once nothing more comes
	// The strict handshake's connection is the resumption's first: its
	// client keeps the session, and the connection stays open until the
	// server's ticket comes (or the request on it is over).
	var sessions *watchedCache
	strict := shake{sni: opts.Target.SNI, class: high, keep: wantGET, served: b.firstServed, chose: tell(beside.first)}
	if resuming {
		sessions = newWatchedCache()
		strict.keep = true
		strict.tune = sessions.use
	}
	a := connectAndShake(ctx, opts, b, addr, strict)
	beside.first(tls.ConnectionState{}) // when no certificates came: the scan's TLS 1.3 hello goes now
	ep.ConnectStart, ep.ConnectEnd, ep.ConnectErr, ep.Handshake = a.start, a.end, a.err, a.hs
	if ep.ConnectErr != nil || !ep.Handshake.Scannable() {
		// No enumeration after this: undo its start.
		stopScan()
		scanning.Wait()
		ep.Scan, ep.ScanErr = nil, nil
	}
	if ep.ConnectErr != nil || !full {
		a.done()
		return ep
	}
	// The enumeration, the other handshakes and the request run at once;
	// the timing rounds come after, so that those do not slow them.
	var wg sync.WaitGroup
	strictDone := make(chan struct{}) // closed once the strict handshake's connection is
	switch {
	case a.conn != nil && wantGET:
		// The request goes on the connection the strict handshake opened:
		// what a sender gets through is what is asked, whatever another
		// handshake would have met.
		wg.Go(func() {
			defer close(strictDone)
			defer a.done()
			ep.HTTP = requestOn(ctx, opts, a.conn)
		})
	case a.conn != nil:
		wg.Go(func() {
			defer close(strictDone)
			defer a.done()
			if ep.Handshake.Version == tls.VersionTLS13 {
				awaitTicket(ctx, a.conn, sessions.put)
			}
		})
	case wantGET && ep.Handshake.Err == nil:
		// The server asked for a client certificate: that connection
		// carried the question of whether it is required. A new one
		// carries the request.
		a.done()
		close(strictDone)
		wg.Go(func() { ep.HTTP = httpRequest(ctx, opts, b, addr) })
	default:
		a.done()
		close(strictDone)
	}
	if resuming && ep.Handshake.Err == nil {
		// One handshake per key type the sender can negotiate (a server
		// may serve an ECDSA and an RSA chain side by side), and one
		// resuming the strict handshake's session.
		var scanned func() *tlshello.Result
		if beside != nil {
			scanned = func() *tlshello.Result {
				scanning.Wait()
				if ep.ScanErr != nil {
					return nil
				}
				return ep.Scan
			}
		}
		// What these get goes to the enumeration until both are done (the
		// other key type's handshake waits for the enumeration's end).
		var feeding sync.WaitGroup
		feeding.Add(2)
		go func() {
			feeding.Wait()
			beside.close()
		}()
		wg.Go(func() {
			ep.KeyTypes = keyTypeHandshakes(ctx, opts, b, addr, ep.Handshake, scanned, beside.more, feeding.Done)
		})
		wg.Go(func() {
			defer feeding.Done()
			ep.Resumption = resume(ctx, opts, b, addr, ep.Handshake, sessions, strictDone, groups, beside.more)
		})
	} else {
		beside.close()
	}
	if opts.Target.SNI != "" && !opts.NoSNICompare {
		wg.Go(func() {
			n := connectAndShake(ctx, opts, b, addr, shake{class: idle})
			n.done()
			switch {
			case n.err == nil && n.hs != nil:
				ep.NoSNI = n.hs
			case n.err != nil:
				ep.NoSNIErr = n.err
			}
		})
	}
	wg.Wait()
	scanning.Wait()
	for i := 1; i < opts.Samples && expired(ctx) == nil; i++ {
		var s Sample
		r := connectAndShake(ctx, opts, b, addr, shake{sni: opts.Target.SNI, class: high})
		r.done()
		if r.err != nil && r.err.Kind == ErrNotAttempted {
			break // the time ran out waiting for a slot: no round was made
		}
		s.ConnectStart, s.ConnectEnd, s.Err = r.start, r.end, r.err
		if r.hs != nil {
			s.HandshakeStart, s.HandshakeEnd = r.hs.Start, r.hs.End
			s.Err = r.hs.Err
		}
		ep.Samples = append(ep.Samples, s)
	}
	return ep
}

// Scannable reports whether enumerating could tell anything: the server
// speaks TLS (or refuses it with an alert), rather than staying silent,
// answering too slowly or speaking something else.
func (hs *Handshake) Scannable() bool {
	return hs.NotScannable() == ""
}

// NotScannable says why there is no enumeration after this handshake, ""
// when there is one.
func (hs *Handshake) NotScannable() string {
	if hs.Err == nil {
		return ""
	}
	switch hs.Err.Kind {
	case ErrTimeout:
		if hs.BytesRead > 0 {
			return "no enumeration: the server answers the ClientHello too slowly to enumerate"
		}
		return "no enumeration: the server did not answer the ClientHello"
	case ErrPlainHTTP:
		return "no enumeration: the server does not speak TLS on this port (it answers with plain HTTP)"
	case ErrNotTLS:
		return "no enumeration: the server does not speak TLS on this port"
	case ErrCanceled:
		return "no enumeration: the probe was interrupted"
	}
	return ""
}

// besideScan carries what the probe's own handshakes got to the
// enumeration (tlshello.Options.Handshakes): first the strict handshake's
// (its zero value when it got no certificates), then those of the
// handshakes per key type and of the resumed handshake. A nil *besideScan
// (no enumeration) takes nothing.
type besideScan struct {
	ch     chan tlshello.Handshake
	once   sync.Once
	mu     sync.Mutex
	closed bool
}

// besideRoom is the channel's room: the strict handshake's value, one per
// key type and two from the resumed handshake (tried again without its
// groups when it failed with them), so that no send ever waits for the
// scan.
const besideRoom = 5

func newBesideScan() *besideScan {
	return &besideScan{ch: make(chan tlshello.Handshake, besideRoom)}
}

// first sends the strict handshake's choice; only its first call counts.
func (s *besideScan) first(cs tls.ConnectionState) {
	if s == nil {
		return
	}
	s.once.Do(func() { s.send(cs) })
}

// more sends another handshake's choice (the handshakes per key type start
// after the strict one has ended, so after its value).
func (s *besideScan) more(cs tls.ConnectionState) {
	if s == nil || cs.Version == 0 {
		return
	}
	s.send(cs)
}

func (s *besideScan) send(cs tls.ConnectionState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- tlshello.Handshake{Version: cs.Version, CipherSuite: cs.CipherSuite, Group: uint16(cs.CurveID)}:
	default: // full: the scan does without it
	}
}

// close says no more will come; it may be called any number of times.
func (s *besideScan) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// scan enumerates what addr accepts, drawing its connections from the
// budget; beside brings what the probe's own handshakes got.
func scan(ctx context.Context, opts Options, b *budget, addr string, beside <-chan tlshello.Handshake,
	promised []tls.CurveID) (*tlshello.Result, *NetError) {
	res, err := tlshello.Scan(ctx, net.JoinHostPort(addr, strconv.Itoa(opts.Target.Port)), tlshello.Options{
		ServerName:  opts.Target.SNI,
		Concurrency: opts.Concurrency,
		Timeout:     scanConnTimeout,
		Dial:        b.dial(opts.Dial, low),
		Handshakes:  beside,
		Promised:    firstGroup(promised),
		Wants:       b.slots.want,
	})
	if err != nil {
		return res, classify(ctx, err)
	}
	return res, nil
}

// attempt is one connect + handshake: its times, its outcome, and, when
// asked to keep it, the connection, still open.
type attempt struct {
	start, end time.Time
	err        *NetError // the TCP connect's
	hs         *Handshake
	// conn is the connection after a handshake that completed without a
	// client-certificate request, when kept; nil otherwise.
	conn *tls.Conn
	// done closes the connection (when there is one) and gives its slot
	// back; it must be called once.
	done func()
}

// shake says how connectAndShake makes its connection and handshake.
type shake struct {
	sni   string // sent as SNI; none when empty
	class int    // the budget's class of the connection's slot: high or idle
	// keep leaves the connection of a handshake that completed (and did not
	// serve a client-certificate question) open, in attempt.conn.
	keep bool
	// served, when set, is called once the slot is taken, or waiting for
	// one ended.
	served func()
	// tune, when set, changes the client's configuration.
	tune func(*tls.Config)
	// chose, when set, is told the connection's state as soon as the
	// server's certificates arrive (see handshakeWith); errStop from it
	// ends the handshake there.
	chose func(tls.ConnectionState) error
}

// tell is a shake's chose that only tells f.
func tell(f func(tls.ConnectionState)) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		f(cs)
		return nil
	}
}

// errStop, from a shake's chose, ends a handshake once the certificates
// have arrived: the handshake has told what it was made for.
var errStop = errors.New("stopped once the certificates arrived")

// connectAndShake opens one TCP connection to addr and performs one TLS
// handshake on it, as sh says. It takes its slot of the budget before the
// connect is timed.
func connectAndShake(ctx context.Context, opts Options, b *budget, addr string, sh shake) attempt {
	release, waited, err := b.acquire(ctx, sh.class)
	if sh.served != nil {
		sh.served()
	}
	if err != nil {
		now := opts.Now()
		ne := classify(ctx, err)
		switch {
		case ne.Kind != ErrTimeout:
		case waited:
			ne = &NetError{Kind: ErrNotAttempted, Msg: fmt.Sprintf("no connection was attempted: the %d "+
				"connection slots (--concurrency) were held by other connections until the time limit", b.slots.Size())}
		default:
			ne = &NetError{Kind: ErrNotAttempted, Msg: "no connection was attempted: the time limit was reached first"}
		}
		return attempt{start: now, end: now, err: ne, done: func() {}}
	}
	hostport := net.JoinHostPort(addr, strconv.Itoa(opts.Target.Port))
	a := attempt{done: release}
	// A connection that got its slot only a moment before the time limit,
	// after other connections held every slot, cannot tell a slow server
	// from a late start: its timeout is "not attempted", never the
	// server's fault.
	late := ""
	if dl, ok := ctx.Deadline(); ok && waited {
		if left := time.Until(dl); left < lateSlot {
			late = fmt.Sprintf("it got a connection slot only %d ms before the time limit (the %d connection slots "+
				"(--concurrency) were held by other connections until then), too late to tell", left.Milliseconds(),
				b.slots.Size())
		}
	}
	a.start = opts.Now()
	conn, err := opts.Dial(ctx, "tcp", hostport)
	a.end = opts.Now()
	if err != nil {
		a.err = classify(ctx, err)
		if late != "" && a.err.Kind == ErrTimeout {
			a.err = &NetError{Kind: ErrNotAttempted, Msg: late}
		}
		return a
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var tc *tls.Conn
	a.hs, tc = handshakeWith(ctx, opts, conn, sh.sni, sh.tune, sh.chose)
	if late != "" && a.hs.Err != nil && a.hs.Err.Kind == ErrTimeout {
		a.hs.Err = &NetError{Kind: ErrNotAttempted, Msg: late}
	}
	if sh.keep && a.hs.Err == nil && !a.hs.Stopped && !a.hs.ClientCertRequested {
		a.conn = tc
		a.done = sync.OnceFunc(func() {
			tc.Close()
			release()
		})
		return a
	}
	conn.Close()
	a.done = release
	return a
}

// lateSlot is how close to the time limit a connection that waited for its
// slot may start and still judge the server by a timeout.
const lateSlot = time.Second

// clientConfig is the strict sender's TLS configuration.
func clientConfig(opts Options, sni string) *tls.Config {
	c := opts.Client
	minV := c.MinVersion
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	return &tls.Config{
		ServerName:       sni,
		MinVersion:       minV,
		MaxVersion:       c.MaxVersion,
		CipherSuites:     c.CipherSuites,
		CurvePreferences: c.CurvePreferences,
		NextProtos:       opts.ALPN,
		// The chain is verified later, by package checks, against an
		// explicit root pool: never here, and never by the OS verifier,
		// which fetches missing intermediates on macOS and Windows.
		InsecureSkipVerify: true,
	}
}

// handshakeWith performs a handshake on conn as the strict sender, sending
// sni, and records it; it returns the TLS connection too, for a request to
// follow. tune (when set) changes the client's configuration first, and
// chose (when set) is told, when the server's certificates arrive, the
// connection's state then: the version and suite the server chose (and in
// TLS 1.3 the group), from a ServerHello Go's client has checked. When
// chose returns errStop the connection is closed there, without an alert,
// and the handshake is recorded as Stopped.
func handshakeWith(ctx context.Context, opts Options, conn net.Conn, sni string, tune func(*tls.Config),
	chose func(tls.ConnectionState) error) (*Handshake, *tls.Conn) {
	hs := &Handshake{ServerName: sni, OfferedALPN: opts.ALPN}
	counted := &flightConn{Conn: conn}
	cfg := clientConfig(opts, sni)
	if tune != nil {
		tune(cfg)
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		// Record the certificates as soon as they arrive, so that a
		// handshake failing later still leaves them as evidence.
		hs.Certificates = rawCerts(cs.PeerCertificates)
		hs.OCSPStaple = cs.OCSPResponse
		if chose == nil {
			return nil
		}
		err := chose(cs)
		if errors.Is(err, errStop) {
			conn.Close() // the alert Go's client sends then goes nowhere
		}
		return err
	}
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		hs.ClientCertRequested = true
		hs.AcceptableCAs = cri.AcceptableCAs
		// Send no certificate: a sender without the right one would not
		// either.
		return &tls.Certificate{}, nil
	}
	tc := tls.Client(counted, cfg)
	hs.Start = opts.Now()
	err := tc.HandshakeContext(ctx)
	hs.End = opts.Now()
	hs.BytesRead = counted.read()
	counted.record(hs)
	cs := tc.ConnectionState()
	if cs.Version != 0 {
		hs.Version = cs.Version
		hs.CipherSuite = cs.CipherSuite
		hs.CurveID = uint16(cs.CurveID)
		hs.ALPN = cs.NegotiatedProtocol
		hs.Resumed = cs.DidResume
	}
	if len(cs.PeerCertificates) > 0 {
		hs.Certificates = rawCerts(cs.PeerCertificates)
		hs.OCSPStaple = cs.OCSPResponse
	}
	switch {
	case errors.Is(err, errStop):
		hs.Stopped = true
	case err != nil:
		hs.Err = classify(ctx, err)
	case hs.ClientCertRequested:
		hs.ClientCertRejected = awaitClientCertVerdict(ctx, opts, tc)
	}
	return hs, tc
}

// clientCertWait bounds the wait for a server's verdict on the (absent)
// client certificate after the handshake.
const clientCertWait = 2 * time.Second

// awaitClientCertVerdict asks, after a handshake in which the server asked
// for a client certificate, whether it will serve a client without one. In
// TLS 1.3 the client finishes its handshake before the server has checked
// the certificate, so a server that requires one says so only now, with an
// alert (certificate_required: Apache, HAProxy); nginx (ssl_verify_client
// on) completes the handshake and answers the first request with 400 "No
// required SSL certificate was sent". One GET / on the connection shows both.
func awaitClientCertVerdict(ctx context.Context, opts Options, tc *tls.Conn) *NetError {
	ctx, cancel := context.WithTimeout(ctx, clientCertWait)
	defer cancel()
	if dl, ok := ctx.Deadline(); ok {
		_ = tc.SetDeadline(dl)
	}
	tr := oneConnTransport(tc)
	defer tr.CloseIdleConnections()
	req, err := newGet(ctx, opts.Target, "/")
	if err != nil {
		return nil
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		ne := classify(ctx, err)
		switch {
		case ne.Kind == ErrTimeout || ne.Kind == ErrCanceled:
			return nil // no verdict in time: the certificate is optional
		case ne.Alert == 0 && strings.Contains(err.Error(), "certificate required"):
			// The HTTP/2 client reports the alert in words only.
			ne.Kind, ne.Alert = ErrAlert, 116
		case strings.Contains(err.Error(), "malformed HTTP"):
			// An answer that is not HTTP (a malformed status line) says
			// nothing about the certificate.
			return nil
		}
		// An alert, a reset or a hang-up in answer to the first request
		// on a connection without a client certificate is the server
		// refusing it.
		return ne
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode == http.StatusBadRequest && bytes.Contains(bytes.ToLower(body), []byte("ssl certificate")) {
		return &NetError{Kind: ErrHTTPRefused, Msg: "HTTP 400: No required SSL certificate was sent"}
	}
	return nil
}

func rawCerts(certs []*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}

// errDeadline reports whether ctx ran out of time, as opposed to being canceled.
func errDeadline(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded)
}
