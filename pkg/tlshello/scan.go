package tlshello

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"syscall"
	"time"
)

// Options tune a Scan. The zero value is usable.
type Options struct {
	ServerName  string        // sent as SNI; empty (or an IP address) sends none
	Concurrency int           // most connections open at once; default 8
	Timeout     time.Duration // per connection: dial, hello and first flight; default 5s
	// Dial opens connections; default a net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Handshakes, when not nil, brings what handshakes made beside the scan to the same
	// server by another client (pkg/probe's strict sender, its handshakes per key type)
	// got: each is a ServerHello the scan need not get again. The first value is the
	// strict handshake's, and the scan's TLS 1.3 part waits for it (or the close) instead
	// of sending a first hello of its own: a TLS 1.3 one is that hello's answer, anything
	// else (a zero Handshake, another version) sends the hello then. The other parts do
	// not wait. Later values add the suite (and group) chosen to what the scan found, in
	// TLS 1.3 and, for a server that follows the client's order, in TLS 1.0 to 1.2 (for
	// one that imposes its own, the scan's peeling gives the order, and the suite is left
	// to it). Values that come after the scan has ended are ignored: the sender must not
	// block (a channel with room for every value), and closes the channel when done.
	Handshakes <-chan Handshake
	// Promised are TLS 1.3 groups that a handshake made beside the scan is to offer first
	// (with its key share), whose answer comes on Handshakes: the scan does not test them
	// itself unless Handshakes is closed before they are settled, or they are all it has
	// left and no answer came within Timeout. Ignored without
	// Handshakes; of P-256, P-384 and P-521, the first promised only (the scan needs two of
	// them to find the order of the TLS 1.3 suites).
	Promised []uint16
	// Wants, when set, is told how the number of hellos the scan needs in flight changes:
	// +1 when it chooses one, -1 once it has taken the hello's answer into account (so a
	// hello whose connection has closed still counts until the scan has chosen what to send
	// next). Eager hellos, chosen only because a connection would stay idle otherwise, are
	// not counted. A dialer sharing its connections with
	// other work learns from it which of its free connections the scan will take back. The
	// changes sum to zero when Scan returns.
	Wants func(delta int)
}

// Handshake is what the server chose in a handshake made beside a scan, read from a
// ServerHello that kept the rules of the protocol (a TLS client checked it): the version,
// the cipher suite and, when known, the group. The zero value says there was none.
type Handshake struct {
	Version, CipherSuite, Group uint16
}

// Result is what a Scan found.
type Result struct {
	Protocols   []Protocol // SSLv3, TLS 1.0, 1.1, 1.2 and 1.3, in that order
	Groups      []string   // key-exchange groups accepted in any version, e.g. "x25519"
	Connections int        // TCP connections opened
	Duration    time.Duration
	// Certificates are the DER certificates a TLS 1.0 to 1.2 ServerHello flight carried, as
	// served, from the first probe that read that far; nil when none did. They let the
	// certificates be judged when no full handshake is possible.
	Certificates [][]byte
}

// Protocol is what a Scan found about one protocol version.
//
// Offered is a fact only when the server said so: true when it answered a hello for this
// version with a well-formed ServerHello (or HelloRetryRequest) choosing something offered;
// false when it refused the version itself (a protocol_version alert, or a ServerHello for a
// lower version) or refused, with an alert, every suite of the version. Anything else — a
// reset, a hang-up, a timeout, bytes that are not TLS, an SSLv2 reply, a reply that breaks
// the protocol (a suite, version or compression method that was not offered, a
// HelloRetryRequest for a group whose key share was sent, ...), or a scan cut short before
// every suite got an answer — leaves Offered nil ("could not tell") with the Reason.
type Protocol struct {
	Version uint16
	Name    string // as crypto/tls.VersionName: "SSLv3", "TLS 1.0", ... "TLS 1.3"
	Offered *bool  // nil: could not tell
	// Reason says why the version is not offered or could not be told: the alert the server
	// sent ("protocol_version alert"), "connection reset", "timeout", "protocol violation:
	// ...", "scan stopped: ...".
	Reason string
	// Ciphers are the accepted suites: in the server's order of preference when ServerOrder is
	// true and that order could be derived (see Errors), else in code-point order.
	Ciphers []Cipher
	// ServerOrder tells, up to TLS 1.2, whether the server picks the suite by its own order
	// rather than the client's; nil when not known (TLS 1.3, fewer than two suites, or unclear).
	ServerOrder *bool
	// Groups are the groups accepted in this version. They are probed in TLS 1.3 and in the
	// highest version offered up to TLS 1.2 (ECDHE curves and RFC 7919 DHE groups), so they
	// are empty for the other versions.
	Groups []string
	// DHBits is the size of the smallest DH prime seen in DHE suites authenticated by the
	// certificate (in anonymous ones when there are no others), whether or not it is an RFC
	// 7919 group; 0 when not probed (as for Groups) or no DHE suite is accepted.
	DHBits int
	// Errors lists probes that got no usable answer; when not empty, Ciphers, ServerOrder or
	// Groups may be incomplete.
	Errors []string
}

// Cipher is an accepted cipher suite.
type Cipher struct {
	ID          uint16
	Name        string // IANA name
	OpenSSLName string // empty when OpenSSL has none
	Grade       Grade
}

const (
	defaultConcurrency = 8
	defaultTimeout     = 5 * time.Second
	// maxChunk caps the suites in one hello: some servers fail on more than about 128
	// (the renegotiation SCSV makes 128).
	maxChunk = 127
)

// Scan finds the protocol versions, cipher suites and groups that the TLS server at addr
// ("host:port") accepts, with hand-built ClientHellos, one per connection.
//
// Each version starts with one hello offering its likeliest suites. The same suites offered
// again in the opposite order tell whether the server picks by its own preference or by the
// client's. A server that follows the client's order chooses the first suite of a list that
// it accepts, so every answer also shows the suites listed before it refused: the suites
// still unknown are dealt into several hellos at once, and each answer settles a run of
// them. A server that imposes its own order is peeled instead: each list is offered again
// without the suite chosen until the server refuses it, which gives the server's order too.
// Groups are found the same way: ECDHE answers name a curve from the list offered (rotated
// from hello to hello), TLS 1.3 hellos without a key share get a HelloRetryRequest naming a
// group, and lists of the groups still unknown settle the rest. A scheduler keeps at most
// Concurrency connections open, giving the next one to the version with the most left to
// find.
//
// A version whose first probe gets no usable answer (timeout, garbage, a protocol
// violation) is reported as "could not tell" without further probes. Scan returns an error
// only when no connection could be opened at all, or when ctx ends; then the result holds
// what was found so far, and what was not settled is "could not tell".
func Scan(ctx context.Context, addr string, opts Options) (*Result, error) {
	start := time.Now()
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("scan %s: %w", addr, err)
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaultConcurrency
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Dial == nil {
		opts.Dial = (&net.Dialer{}).DialContext
	}
	s := &scanner{addr: addr, opts: opts, suiteSeen: map[uint16][]versionState{},
		kindSeen: make([][len(legacyVersions)][2]int, versionTables()[VersionTLS12].kinds.n)}

	var legacy []*suitePlanner
	for _, v := range legacyVersions {
		legacy = append(legacy, newSuitePlanner(s, v))
	}
	for i, p := range legacy {
		p.higher = legacy[i+1:]
	}
	tls13 := newTLS13Planner(s)
	if opts.Handshakes != nil {
		tls13.awaiting = true
		// At most one of the order-finding tests' groups: two are needed.
		spec := false
		for _, g := range opts.Promised {
			if slices.Contains(specGroups, g) {
				if spec {
					continue
				}
				spec = true
			}
			tls13.promised = append(tls13.promised, g)
		}
	}
	planners := []planner{legacy[3], tls13, legacy[2], legacy[1], legacy[0]}
	s.run(ctx, planners, opts.Handshakes, tls13, func(h Handshake) {
		tls13.beside(h)
		for _, p := range legacy {
			if p.v == h.Version {
				p.beside(h.CipherSuite)
			}
		}
	})

	res := &Result{Connections: int(s.conns.Load())}
	if c := s.certs.Load(); c != nil {
		res.Certificates = *c
	}
	stopped := ""
	if err := ctxErr(ctx); err != nil {
		stopped = "scan stopped: " + err.Error()
	}
	accepted := map[uint16]bool{}
	for _, p := range legacy {
		res.Protocols = append(res.Protocols, p.protocol(stopped))
		for _, g := range p.reportedGroups() {
			accepted[g] = true
		}
	}
	res.Protocols = append(res.Protocols, tls13.protocol(stopped))
	for _, g := range tls13.groups.accepted() {
		accepted[g] = true
	}
	for _, g := range slices.SortedFunc(maps.Keys(accepted), func(a, b uint16) int {
		return groupOrder[a] - groupOrder[b]
	}) {
		res.Groups = append(res.Groups, GroupName(g))
	}
	res.Duration = time.Since(start)

	if err := ctxErr(ctx); err != nil {
		return res, fmt.Errorf("scan %s: %w", addr, err)
	}
	if res.Connections == 0 {
		if p := s.dialErr.Load(); p != nil {
			err := *p
			return res, fmt.Errorf("scan %s: %w", addr, err)
		}
	}
	return res, nil
}

// ctxErr is ctx.Err(), but also reports a deadline that has passed when ctx's timer has not
// fired yet: connection deadlines set from ctx's can expire a moment before it.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

type scanner struct {
	addr    string
	opts    Options
	conns   atomic.Int64
	dialErr atomic.Pointer[error]    // first dial error (a Pointer: errors of different types, which atomic.Value refuses to swap)
	certs   atomic.Pointer[[][]byte] // the first certificates a flight carried
	// leafAuth is the key type of the first leaf certificate a flight carried, "RSA" or
	// "ECDSA": suites authenticated by the other kind are then unlikely.
	leafAuth atomic.Value
	// kxStalled is set once a server stalled after a ServerHello: the probes that only
	// want the suite then stop at the ServerHello.
	kxStalled atomic.Bool
	// suiteSeen records, per suite, the versions up to TLS 1.2 that accepted or refused
	// it. Only the scheduler's goroutine uses it.
	suiteSeen map[uint16][]versionState
	// kindSeen counts, per kind of suite (its number in the versions' kindTable) and
	// version (versionSlot), the suites accepted and settled.
	kindSeen [][len(legacyVersions)][2]int
	// recorded counts the changes to suiteSeen and kindSeen (suitePlanner.hintGen).
	recorded uint64
}

type versionState struct {
	v  uint16
	st itemState
}

// A planner decides the probes of one part of a scan. The scheduler calls its methods from
// one goroutine only, so planners need no locks.
type planner interface {
	// next returns the probe the planner wants sent now, or nil when it has none (yet).
	// With eager, connections would otherwise stay idle: the planner may take a probe
	// that is less likely to find something, to save a round trip.
	next(eager bool) *probe
	// priority ranks the planners competing for a free connection: higher first.
	priority() float64
	// done hands the planner the outcome of one of its probes.
	done(p *probe, o outcome)
}

// probe is one hello to send, and what its planner needs to remember about it.
type probe struct {
	owner planner
	hello ClientHello
	// keyExchange reads a TLS 1.0 to 1.2 flight up to the ServerKeyExchange.
	keyExchange bool
	kind        probeKind
	list        []uint16 // the suites or groups probed, in the order sent
	chain       *chain   // the chain the probe peels, if any
	tag         int      // what the probe is for, within its kind
	// eager: picked only because a connection would stay idle otherwise.
	eager bool
}

type probeKind int

const (
	probeVersion probeKind = iota // the first hello of a version
	probeReverse                  // the first hello's suites in the opposite order
	probeSuites                   // a list of suites still unknown
	probeOrder                    // finding the server's order
	probeCurves                   // a list of curves (TLS 1.0 to 1.2)
	probeFFDHE                    // a list of RFC 7919 groups (TLS 1.0 to 1.2)
	probeCurve                    // one curve (TLS 1.0 to 1.2), when the curve order is the server's
	probeGroups                   // a list of TLS 1.3 groups
)

// run sends the planners' probes, at most Concurrency at once, until none wants more. The
// values from beside go to take as they come; while tls13 waits for beside (its first value,
// or the answer to a promised group, or the close), run waits for it even when nothing is in
// flight, for a promised group at most Options.Timeout.
func (s *scanner) run(ctx context.Context, planners []planner, beside <-chan Handshake, tls13 *tls13Planner,
	take func(Handshake)) {
	type result struct {
		p *probe
		o outcome
	}
	results := make(chan result)
	inflight, sent := 0, 0
	wants := 0 // the change in the hellos needed in flight, not told yet (Options.Wants)
	tellWants := func() {
		if wants != 0 && s.opts.Wants != nil {
			s.opts.Wants(wants)
		}
		wants = 0
	}
	var promiseWait *time.Timer // started when only promised groups are left to wait for
	for {
		for inflight < s.opts.Concurrency && ctxErr(ctx) == nil && sent < maxProbes {
			p := pick(planners, false)
			if p == nil {
				if p = pick(planners, true); p != nil {
					p.eager = true
				}
			}
			if p == nil {
				break
			}
			if !p.eager {
				// Told before the hello's dial; what the answers taken off owe is told
				// only after the hellos chosen from them.
				if wants++; wants > 0 {
					tellWants()
				}
			}
			inflight++
			sent++
			go func() {
				start := time.Now()
				o := s.send(ctx, p)
				if traceProbe != nil {
					traceProbe(p, o, start)
				}
				results <- result{p, o}
			}()
		}
		tellWants()
		if inflight == 0 && (!tls13.waiting() || ctxErr(ctx) != nil) {
			return
		}
		var stop <-chan struct{}
		if inflight == 0 {
			stop = ctx.Done() // waiting for beside alone
			if !tls13.awaiting && promiseWait == nil {
				// Only promised groups are left: their answer gets as long as a
				// hello's would (a handshake that stalls must not hold the scan).
				promiseWait = time.NewTimer(s.opts.Timeout)
				defer promiseWait.Stop()
			}
		}
		var unpromise <-chan time.Time
		if promiseWait != nil {
			unpromise = promiseWait.C
		}
		select {
		case r := <-results:
			// The answers of hellos sent together come together: take every one
			// there is before choosing the next hellos, which then know more, and
			// are chosen from estimates computed once (finder.estimates) rather
			// than again after each answer.
			for ok := true; ok; {
				inflight--
				if !r.p.eager {
					wants--
				}
				r.p.owner.done(r.p, r.o)
				select {
				case r, ok = <-results:
				default:
					ok = false
				}
			}
		case h, ok := <-beside:
			if !ok {
				beside = nil
				take(h)
				tls13.release()
				continue
			}
			take(h)
		case <-unpromise:
			tls13.release()
		case <-stop:
		}
	}
}

// maxProbes bounds the hellos of one scan, whatever the server answers. Every answer settles
// at least one suite or group, so a scan needs at most about as many hellos as there are
// suites and groups to find; the bound only guards against a planner's mistake.
const maxProbes = 3000

// traceProbe, when set (by tests), sees every probe and its outcome.
var traceProbe func(p *probe, o outcome, start time.Time)

// pick asks the planners, highest priority first, for a probe.
func pick(planners []planner, eager bool) *probe {
	type ranked struct {
		pl planner
		pr float64
	}
	order := make([]ranked, 0, len(planners))
	for _, pl := range planners {
		if pr := pl.priority(); pr > 0 {
			order = append(order, ranked{pl, pr})
		}
	}
	slices.SortStableFunc(order, func(a, b ranked) int { return cmp.Compare(b.pr, a.pr) })
	for _, r := range order {
		if p := r.pl.next(eager); p != nil {
			p.owner = r.pl
			return p
		}
	}
	return nil
}

// send sends one probe on a new connection and judges the answer.
func (s *scanner) send(ctx context.Context, p *probe) outcome {
	h := p.hello
	h.ServerName = s.opts.ServerName
	sent := h.build()
	reply, err := s.exchange(ctx, sent.records, p.keyExchange && (p.kind != probeSuites && p.kind != probeVersion &&
		p.kind != probeReverse || !s.kxStalled.Load()))
	if len(reply.Certificates) > 0 && s.certs.CompareAndSwap(nil, &reply.Certificates) {
		if leaf, err := x509.ParseCertificate(reply.Certificates[0]); err == nil {
			switch leaf.PublicKeyAlgorithm {
			case x509.RSA:
				s.leafAuth.Store("RSA")
			case x509.ECDSA:
				s.leafAuth.Store("ECDSA")
			}
		}
	}
	o := judge(ctx, h, sent, reply, err)
	if o.verdict == accepted && errors.Is(err, os.ErrDeadlineExceeded) && ctxErr(ctx) == nil {
		s.kxStalled.Store(true)
	}
	return o
}

func (s *scanner) exchange(ctx context.Context, hello []byte, keyExchange bool) (Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	conn, err := s.opts.Dial(ctx, "tcp", s.addr)
	if err != nil {
		s.dialErr.CompareAndSwap(nil, &err)
		return Reply{}, &dialError{err}
	}
	s.conns.Add(1)
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	// Wake blocked reads when ctx is cancelled before the deadline.
	defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })()
	start := time.Now()
	if _, err := conn.Write(hello); err != nil {
		return Reply{}, err
	}
	// The rest of the flight follows the ServerHello at once: a server that stalls after
	// it gets a few round trips, not the whole timeout (the ServerHello is the answer; what
	// follows only names the group).
	return readFlight(conn, keyExchange, false, func() {
		rest := max(minFlightRest, 4*time.Since(start))
		if d, ok := ctx.Deadline(); !ok || time.Now().Add(rest).Before(d) {
			conn.SetReadDeadline(time.Now().Add(rest))
		}
	})
}

// minFlightRest is the least time given to the rest of a flight after its ServerHello.
const minFlightRest = 500 * time.Millisecond

type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// verdict is what one probe says about the hello it sent.
type verdict int

const (
	accepted verdict = iota // a ServerHello for the version asked, breaking no rule
	refused                 // an alert, or a ServerHello for a lower version
	unknown                 // no usable answer: a reset, a timeout, garbage, a protocol violation
)

// outcome is the evidence from one probe.
type outcome struct {
	verdict verdict
	hello   *ServerHello
	kx      *KeyExchange
	kxErr   string // accepted, but what followed the ServerHello could not be read
	// reason explains a refusal or an unknown outcome.
	reason string
	// wrongVersion marks a refusal of the version itself: a protocol_version alert, or a
	// ServerHello for a lower version.
	wrongVersion bool
}

// judge turns a reply into an outcome. Only a well-formed ServerHello for the version asked
// that keeps the rules of the protocol counts as acceptance; a reply that breaks them says
// nothing about what the server accepts.
func judge(ctx context.Context, h ClientHello, sent builtHello, reply Reply, err error) outcome {
	if sh := reply.ServerHello; sh != nil {
		if v := violation(h, sent, sh, reply.KeyExchange); v != "" {
			return outcome{verdict: unknown, reason: "protocol violation: " + v}
		}
		if sh.Version < h.Version {
			return outcome{verdict: refused, wrongVersion: true, reason: "server answered with " + versionName(sh.Version)}
		}
		o := outcome{verdict: accepted, hello: sh, kx: reply.KeyExchange}
		if err != nil {
			o.kxErr = err.Error()
		}
		return o
	}
	if a := reply.Alert; a != nil {
		return outcome{verdict: refused, reason: a.String(), wrongVersion: a.Description == 70}
	}
	var dial *dialError
	var netErr net.Error
	switch {
	case ctxErr(ctx) != nil:
		// Whatever failed (a dial too) failed because the scan was stopped.
		return outcome{verdict: unknown, reason: "scan stopped: " + ctxErr(ctx).Error()}
	case errors.As(err, &dial):
		return outcome{verdict: unknown, reason: err.Error()}
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return outcome{verdict: unknown, reason: "timeout"}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return outcome{verdict: unknown, reason: "connection reset"}
	case errors.Is(err, ErrNoReply):
		return outcome{verdict: unknown, reason: "connection closed without a reply"}
	case errors.Is(err, ErrSSLv2):
		return outcome{verdict: unknown, reason: "server answered with SSLv2"}
	}
	return outcome{verdict: unknown, reason: err.Error()}
}

// violation returns what in sh (and the key exchange that followed it) breaks the rules of
// the protocol for the hello sent, or "".
func violation(h ClientHello, sent builtHello, sh *ServerHello, kx *KeyExchange) string {
	switch {
	case sh.LegacyVersion < VersionSSL30:
		return fmt.Sprintf("server answered with version 0x%04X", sh.LegacyVersion)
	case h.Version < VersionTLS13 && sh.SupportedVersion != 0:
		return fmt.Sprintf("server answered a %s hello with supported_versions, which was not offered", versionName(h.Version))
	case sh.SupportedVersion != 0 && sh.SupportedVersion != VersionTLS13:
		return fmt.Sprintf("supported_versions names %s, which was not offered", versionName(sh.SupportedVersion))
	case sh.LegacyVersion > VersionTLS12 && sh.SupportedVersion == 0:
		return fmt.Sprintf("ServerHello legacy_version %s without supported_versions", versionName(sh.LegacyVersion))
	case sh.Version > h.Version:
		return fmt.Sprintf("server answered a %s hello with %s", versionName(h.Version), versionName(sh.Version))
	case !slices.Contains(h.CipherSuites, sh.CipherSuite):
		return fmt.Sprintf("server chose %s, which was not offered", SuiteName(sh.CipherSuite))
	case sh.Compression != 0:
		return fmt.Sprintf("server chose compression method %d, which was not offered", sh.Compression)
	}
	if sh.Version == VersionTLS13 {
		switch {
		case sh.LegacyVersion != VersionTLS12:
			return fmt.Sprintf("TLS 1.3 ServerHello with legacy_version 0x%04X", sh.LegacyVersion)
		case !bytes.Equal(sh.SessionID, sent.sessionID):
			return "the server did not echo the session ID"
		case sh.HelloRetry && sh.Group != 0 && slices.Contains(sent.keyShares, sh.Group):
			return fmt.Sprintf("HelloRetryRequest asks for %s, whose key share was sent", GroupName(sh.Group))
		case sh.HelloRetry && sh.Group != 0 && !slices.Contains(sent.groups, sh.Group):
			return fmt.Sprintf("HelloRetryRequest asks for %s, which was not offered", GroupName(sh.Group))
		case !sh.HelloRetry && sh.Group == 0:
			return "TLS 1.3 ServerHello without a key share"
		case !sh.HelloRetry && !slices.Contains(sent.keyShares, sh.Group):
			return fmt.Sprintf("ServerHello key share for %s, for which none was sent", GroupName(sh.Group))
		}
		return ""
	}
	if kx != nil && kx.Group != 0 && sent.groups != nil && !slices.Contains(sent.groups, kx.Group) {
		if s, ok := LookupSuite(sh.CipherSuite); ok {
			if ec, _ := s.ephemeral(); ec {
				return fmt.Sprintf("ServerKeyExchange uses %s, which was not offered", GroupName(kx.Group))
			}
		}
	}
	return ""
}

func versionName(v uint16) string {
	return tls.VersionName(v)
}
