package tlshello

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
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
}

// Result is what a Scan found.
type Result struct {
	Protocols   []Protocol // SSLv3, TLS 1.0, 1.1, 1.2 and 1.3, in that order
	Groups      []string   // key-exchange groups accepted in any version, e.g. "x25519"
	Connections int        // TCP connections opened
	Duration    time.Duration
	// Certificates are the DER certificates a TLS 1.0 to 1.2 ServerHello flight carried, as
	// served, from the first probe that read that far (the group probes do); nil when none
	// did. They let the certificates be judged when no full handshake is possible.
	Certificates [][]byte
}

// Protocol is what a Scan found about one protocol version.
type Protocol struct {
	Version uint16
	Name    string // as crypto/tls.VersionName: "SSLv3", "TLS 1.0", ... "TLS 1.3"
	Offered *bool  // nil: could not tell
	// Reason says why the version is not offered or could not be told: the alert the server
	// sent ("protocol_version alert"), "connection reset", "timeout", ...
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
	// DHBits is the size of the smallest DH prime seen in DHE suites, whether or not it is an
	// RFC 7919 group; 0 when not probed (as for Groups) or no DHE suite is accepted.
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
	// maxChunk caps the suites in one hello: some servers fail on more than about 128.
	maxChunk = 64
	// minChunks splits even a short suite list, so that it is peeled in fewer rounds.
	minChunks = 3
)

// Scan finds the protocol versions, cipher suites and groups that the TLS server at addr
// ("host:port") accepts, with hand-built ClientHellos, one per connection.
//
// Every version is probed at once. A version's suites are split into chunks of at most 64,
// probed concurrently; each chunk is offered again without the suite the server chose until
// the server refuses it. Where the server imposes its own preference (TLS 1.0 to 1.2), its
// order is derived by offering the heads of the chunks' lists. Groups are probed one per hello.
//
// A version whose first probe gets no usable answer (timeout, garbage) is reported as "could
// not tell" without further probes. Scan returns an error only when no connection could be
// opened at all, or when ctx ends; then the result holds what was found so far.
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
	s := &scanner{addr: addr, opts: opts, sem: make(chan struct{}, opts.Concurrency)}

	// Every version at once; each goes on to its server order (TLS 1.0 to 1.2) or its groups
	// (TLS 1.3) as soon as its suites are known.
	versions := []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13}
	found := make([]*versionScan, len(versions))
	var wg sync.WaitGroup
	for i, v := range versions {
		wg.Go(func() {
			f := s.scanVersion(ctx, v)
			found[i] = f
			switch {
			case !f.offered():
			case v <= VersionTLS12:
				s.serverOrder(ctx, f)
			default:
				s.groups13(ctx, f)
			}
		})
	}
	wg.Wait()
	// Groups up to TLS 1.2, in the highest of those versions offered.
	for _, f := range slices.Backward(found) {
		if f.version <= VersionTLS12 && f.offered() {
			s.groups12(ctx, f)
			break
		}
	}

	res := &Result{Connections: int(s.conns.Load())}
	if c := s.certs.Load(); c != nil {
		res.Certificates = *c
	}
	accepted := map[uint16]bool{}
	for _, f := range found {
		res.Protocols = append(res.Protocols, f.protocol())
		for _, g := range f.groups {
			accepted[g] = true
		}
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
		if err, _ := s.dialErr.Load().(error); err != nil {
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
	sem     chan struct{} // one token per open connection
	conns   atomic.Int64
	dialErr atomic.Value             // first dial error
	certs   atomic.Pointer[[][]byte] // the first certificates a flight carried
}

// verdict is what one probe says about the hello it sent.
type verdict int

const (
	accepted verdict = iota // a ServerHello for the version asked, choosing a suite offered
	refused                 // an alert, a reset, a hang-up, a ServerHello for another version
	unknown                 // no usable answer
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
	// ServerHello or SSLv2 reply for another version.
	wrongVersion bool
}

// probe sends one hello on a new connection and judges the answer.
func (s *scanner) probe(ctx context.Context, h ClientHello, keyExchange bool) outcome {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return outcome{verdict: unknown, reason: "scan stopped: " + ctx.Err().Error()}
	}
	defer func() { <-s.sem }()
	reply, err := s.exchange(ctx, h, keyExchange)
	if len(reply.Certificates) > 0 {
		s.certs.CompareAndSwap(nil, &reply.Certificates)
	}
	return judge(ctx, h, reply, err)
}

func (s *scanner) exchange(ctx context.Context, h ClientHello, keyExchange bool) (Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	conn, err := s.opts.Dial(ctx, "tcp", s.addr)
	if err != nil {
		s.dialErr.CompareAndSwap(nil, err)
		return Reply{}, &dialError{err}
	}
	s.conns.Add(1)
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	// Wake blocked reads when ctx is cancelled before the deadline.
	defer context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })()
	if _, err := conn.Write(BuildClientHello(h)); err != nil {
		return Reply{}, err
	}
	return ReadServerFlight(conn, keyExchange)
}

type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// judge turns a reply into an outcome. Only a well-formed ServerHello for the version asked,
// choosing a suite that was offered, counts as acceptance.
func judge(ctx context.Context, h ClientHello, reply Reply, err error) outcome {
	if sh := reply.ServerHello; sh != nil {
		if sh.Version != h.Version {
			return outcome{verdict: refused, wrongVersion: true,
				reason: "server answered with " + versionName(sh.Version)}
		}
		if !slices.Contains(h.CipherSuites, sh.CipherSuite) {
			return outcome{verdict: unknown,
				reason: fmt.Sprintf("server chose %s, which was not offered", SuiteName(sh.CipherSuite))}
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
	case errors.As(err, &dial):
		return outcome{verdict: unknown, reason: err.Error()}
	case ctxErr(ctx) != nil:
		return outcome{verdict: unknown, reason: "scan stopped: " + ctxErr(ctx).Error()}
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return outcome{verdict: unknown, reason: "timeout"}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return outcome{verdict: refused, reason: "connection reset"}
	case errors.Is(err, ErrNoReply):
		return outcome{verdict: refused, reason: "connection closed without a reply"}
	case errors.Is(err, ErrSSLv2):
		return outcome{verdict: refused, reason: "server answered with SSLv2", wrongVersion: true}
	}
	return outcome{verdict: unknown, reason: err.Error()}
}

func versionName(v uint16) string {
	return tls.VersionName(v)
}

// versionScan collects what is found about one version while a Scan runs.
type versionScan struct {
	version uint16
	chunks  []chunkResult
	first   outcome // the first probe, when it alone settled the version

	order       []uint16 // accepted suites in server order, when known
	serverOrder *bool
	groups      []uint16
	dhBits      int
	mu          sync.Mutex // guards errors: order and group probes run at once
	errors      []string
}

// chunkResult is one chunk of suites, peeled.
type chunkResult struct {
	accepted []uint16 // in the order the server chose them
	end      outcome  // the probe that ended the peeling; zero if every suite was accepted
}

func (f *versionScan) offered() bool {
	for _, c := range f.chunks {
		if len(c.accepted) > 0 {
			return true
		}
	}
	return false
}

func (f *versionScan) accepted() []uint16 {
	var ids []uint16
	for _, c := range f.chunks {
		ids = append(ids, c.accepted...)
	}
	return ids
}

func (f *versionScan) addError(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

// scanVersion finds whether version v is offered and which suites it accepts. The first chunk
// is probed alone: a server refusing the version says so there, saving the other probes.
func (s *scanner) scanVersion(ctx context.Context, v uint16) *versionScan {
	f := &versionScan{version: v}
	suites := suitesFor(v)
	chunks := deal(suites, max(minChunks, (len(suites)+maxChunk-1)/maxChunk))
	first := s.probe(ctx, s.hello(v, chunks[0]), false)
	if first.wrongVersion || first.verdict == unknown {
		f.first = first
		return f
	}
	f.chunks = make([]chunkResult, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Go(func() {
			if i == 0 {
				f.chunks[i] = s.peel(ctx, v, c, &first)
			} else {
				f.chunks[i] = s.peel(ctx, v, c, nil)
			}
		})
	}
	wg.Wait()
	for _, c := range f.chunks {
		if c.end.verdict == unknown {
			f.addError("some suites could not be tested: %s", c.end.reason)
		}
	}
	return f
}

// deal splits suites into n chunks round-robin, so that neighbouring code points (often the
// suites a server enables together) land in different chunks and are peeled in parallel.
func deal(suites []uint16, n int) [][]uint16 {
	n = max(1, min(n, len(suites)))
	chunks := make([][]uint16, n)
	for i, s := range suites {
		chunks[i%n] = append(chunks[i%n], s)
	}
	return chunks
}

// peel offers set, removes the suite the server chose, and offers the rest again until the
// server refuses or nothing is left. first, if set, is the outcome of offering set already.
func (s *scanner) peel(ctx context.Context, v uint16, set []uint16, first *outcome) chunkResult {
	var res chunkResult
	rest := slices.Clone(set)
	for len(rest) > 0 {
		var o outcome
		if first != nil {
			o, first = *first, nil
		} else {
			o = s.probe(ctx, s.hello(v, rest), false)
		}
		if o.verdict != accepted {
			res.end = o
			return res
		}
		chosen := o.hello.CipherSuite
		res.accepted = append(res.accepted, chosen)
		rest = slices.DeleteFunc(rest, func(id uint16) bool { return id == chosen })
	}
	return res
}

func (s *scanner) hello(v uint16, suites []uint16) ClientHello {
	return ClientHello{Version: v, CipherSuites: suites, ServerName: s.opts.ServerName, KeyShare: true}
}

// serverOrder finds whether the server imposes its preference and, if so, its full order.
// It offers the accepted suites in two opposite orders: the same choice both times means the
// server's order. Each chunk was peeled in the server's order already, so the full order is a
// merge of the chunks' lists, one probe of their heads per step.
func isChaCha(id uint16) bool  { return strings.Contains(SuiteName(id), "CHACHA20") }
func notChaCha(id uint16) bool { return !isChaCha(id) }

func (s *scanner) serverOrder(ctx context.Context, f *versionScan) {
	all := f.accepted()
	if len(all) < 2 {
		return
	}
	// A server that enforces its order may still honour a client that puts
	// ChaCha20 first (OpenSSL's PRIORITIZE_CHACHA, on in HAProxy and many
	// others): test the order on the other suites when there are two.
	fwd := all[:min(len(all), maxChunk)]
	if rest := slices.DeleteFunc(slices.Clone(fwd), isChaCha); len(rest) >= 2 {
		fwd = rest
	}
	rev := slices.Clone(fwd)
	slices.Reverse(rev)
	var a, b outcome
	var wg sync.WaitGroup
	wg.Go(func() { a = s.probe(ctx, s.hello(f.version, fwd), false) })
	wg.Go(func() { b = s.probe(ctx, s.hello(f.version, rev), false) })
	wg.Wait()
	for _, o := range []outcome{a, b} {
		if o.verdict != accepted {
			f.addError("server order: %s", o.reason)
			return
		}
	}
	ca, cb := a.hello.CipherSuite, b.hello.CipherSuite
	switch {
	case ca == fwd[0] && cb == rev[0]:
		f.serverOrder = new(false)
		return
	case ca != cb:
		f.addError("server order: chose %s and %s from the same suites", SuiteName(ca), SuiteName(cb))
		return
	}
	f.serverOrder = new(true)

	var lists [][]uint16
	for _, c := range f.chunks {
		if len(c.accepted) > 0 {
			lists = append(lists, slices.Clone(c.accepted))
		}
	}
	var order []uint16
	top, known := ca, len(fwd) == len(all) // the next suite in the server's order, if known
	for {
		lists = slices.DeleteFunc(lists, func(l []uint16) bool { return len(l) == 0 })
		if len(lists) == 1 {
			order = append(order, lists[0]...)
			break
		}
		if len(lists) == 0 {
			break
		}
		var heads []uint16
		for _, l := range lists {
			heads = append(heads, l[0])
		}
		if !known {
			// ChaCha20 suites last, so that a server prioritising ChaCha20
			// for clients that prefer it still shows its own order.
			offer := append(slices.DeleteFunc(slices.Clone(heads), isChaCha), slices.DeleteFunc(slices.Clone(heads), notChaCha)...)
			o := s.probe(ctx, s.hello(f.version, offer), false)
			if o.verdict != accepted {
				f.addError("server order incomplete: %s", o.reason)
				return
			}
			top = o.hello.CipherSuite
		}
		i := slices.Index(heads, top)
		if i < 0 {
			f.addError("server order incomplete: %s chosen out of order", SuiteName(top))
			return
		}
		order = append(order, top)
		lists[i] = lists[i][1:]
		known = false
	}
	f.order = order
}

// groups13 offers TLS 1.3 hellos with one group each. A ServerHello or HelloRetryRequest
// naming that group means the server accepts it.
func (s *scanner) groups13(ctx context.Context, f *versionScan) {
	suites := f.accepted()
	for i, o := range s.probeGroups(ctx, f, tls13Groups, func(g uint16) []ClientHello {
		h := s.hello(f.version, suites)
		h.Groups = []uint16{g}
		return []ClientHello{h}
	}) {
		if o.verdict == accepted && o.hello.Group == tls13Groups[i] {
			f.groups = append(f.groups, tls13Groups[i])
		}
	}
}

// certCurves are the curves an ECDSA certificate is likely to be on.
var certCurves = []uint16{GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}

// groups12 offers TLS 1.0 to 1.2 hellos with the accepted ECDHE suites and one curve each, and
// with the accepted DHE suites and one RFC 7919 group each, and reads the group the
// ServerKeyExchange uses. A server that ignores the group offered does not count as accepting
// it: most DHE servers use their own prime whatever the client lists.
//
// Up to TLS 1.2 the curve list also covers the certificate: a server with only ECDSA suites
// may refuse a hello that does not list its certificate's curve. Such a refusal is retried with
// the usual certificate curves after the one probed, so a server that ranks one of them above
// the probed curve hides the latter.
func (s *scanner) groups12(ctx context.Context, f *versionScan) {
	var ecdsa, ec, ff []uint16
	for _, id := range f.accepted() {
		suite, _ := LookupSuite(id)
		switch isEC, isFF := suite.ephemeral(); {
		case isEC && suite.Auth == "ECDSA":
			ecdsa = append(ecdsa, id)
		case isEC:
			ec = append(ec, id)
		case isFF:
			ff = append(ff, id)
		}
	}
	var groups []uint16
	if len(ec)+len(ecdsa) > 0 {
		groups = append(groups, ecGroups...)
	}
	if len(ff) > 0 {
		groups = append(groups, ffdheGroups...)
	}
	hello := func(suites, groups []uint16) ClientHello {
		h := s.hello(f.version, suites[:min(len(suites), maxChunk)])
		h.Groups = groups
		return h
	}
	for i, o := range s.probeGroups(ctx, f, groups, func(g uint16) []ClientHello {
		switch {
		case slices.Contains(ffdheGroups, g):
			return []ClientHello{hello(ff, []uint16{g})}
		case len(ec) > 0:
			return []ClientHello{hello(ec, []uint16{g})}
		}
		others := slices.DeleteFunc(slices.Clone(certCurves), func(c uint16) bool { return c == g })
		return []ClientHello{hello(ecdsa, []uint16{g}), hello(ecdsa, append([]uint16{g}, others...))}
	}) {
		if o.verdict != accepted || o.kx == nil {
			continue
		}
		if o.kx.Group == groups[i] {
			f.groups = append(f.groups, groups[i])
		}
		if o.kx.DHBits > 0 && (f.dhBits == 0 || o.kx.DHBits < f.dhBits) {
			f.dhBits = o.kx.DHBits
		}
	}
}

// probeGroups probes each group with the hellos hellos returns for it, trying the next one
// only when the server refused the previous one, and returns each group's last outcome. It
// notes the probes that got no usable answer.
func (s *scanner) probeGroups(ctx context.Context, f *versionScan, groups []uint16,
	hellos func(uint16) []ClientHello) []outcome {
	outcomes := make([]outcome, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Go(func() {
			var o outcome
			for _, h := range hellos(g) {
				if o = s.probe(ctx, h, f.version <= VersionTLS12); o.verdict != refused {
					break
				}
			}
			switch {
			case o.verdict == unknown:
				f.addError("group %s: %s", GroupName(g), o.reason)
			case o.verdict == accepted && o.kxErr != "":
				f.addError("group %s: %s", GroupName(g), o.kxErr)
			}
			outcomes[i] = o
		})
	}
	wg.Wait()
	return outcomes
}

// protocol turns the evidence about a version into its report.
func (f *versionScan) protocol() Protocol {
	p := Protocol{Version: f.version, Name: versionName(f.version), ServerOrder: f.serverOrder}
	p.Offered, p.Reason = f.verdict()
	ids := f.order
	if ids == nil {
		ids = f.accepted()
		slices.Sort(ids)
	}
	for _, id := range ids {
		suite, _ := LookupSuite(id)
		p.Ciphers = append(p.Ciphers, Cipher{ID: id, Name: suite.Name, OpenSSLName: suite.OpenSSLName, Grade: suite.Grade})
	}
	for _, g := range f.groups {
		p.Groups = append(p.Groups, GroupName(g))
	}
	p.DHBits = f.dhBits
	p.Errors = slices.Sorted(slices.Values(f.errors))
	return p
}

// verdict decides whether the version is offered: yes if any chunk got a ServerHello for it;
// no if the server refused the version itself, or refused every chunk; else could not tell.
func (f *versionScan) verdict() (*bool, string) {
	if f.chunks == nil {
		if f.first.verdict == unknown {
			return nil, f.first.reason
		}
		return new(false), f.first.reason
	}
	if f.offered() {
		return new(true), ""
	}
	for _, c := range f.chunks {
		if c.end.wrongVersion {
			return new(false), c.end.reason
		}
	}
	for _, c := range f.chunks {
		if c.end.verdict == unknown {
			return nil, c.end.reason
		}
	}
	return new(false), f.chunks[0].end.reason
}
