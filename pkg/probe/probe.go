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
	// Enumerate scans every protocol version, cipher suite and group the
	// server accepts, with hand-built ClientHellos (package tlshello).
	Enumerate bool
	// Concurrency bounds the connections the enumeration opens at once,
	// shared by all addresses; default 8.
	Concurrency int
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

// scanConnTimeout bounds one enumeration connection (dial, hello, reply).
const scanConnTimeout = 5 * time.Second

// DefaultALPN is what webhook senders typically offer.
var DefaultALPN = []string{"h2", "http/1.1"}

// Run probes opts.Target and returns what it observed. It returns an error
// only when the options are unusable; network failures are evidence.
func Run(ctx context.Context, opts Options) *Evidence {
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
		opts.Dial = (&net.Dialer{}).DialContext
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

	ev := &Evidence{Target: opts.Target, StartedAt: opts.Now(), Timeout: opts.Timeout, Samples: opts.Samples}
	ev.DNS = resolve(ctx, opts)
	addrs := ev.DNS.Addresses
	if opts.Only.IsValid() {
		// --address: probe that one, whether or not DNS returned it.
		addrs = []string{opts.Only.Unmap().String()}
		ev.Only = addrs[0]
	}
	// Every address a sender may be handed, concurrently: one bad node
	// behind a load balancer or an AAAA that goes nowhere fails only some
	// deliveries.
	ev.Endpoints = make([]Endpoint, len(addrs))
	// The enumeration's connections are shared out between addresses so
	// that the server sees no more than Concurrency at once.
	perAddress := max(1, opts.Concurrency/max(1, len(addrs)))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev.Endpoints[i] = probeAddress(ctx, opts, a, perAddress)
		}()
	}
	wg.Wait()
	ev.EndedAt = opts.Now()
	return ev
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
	d.Start = opts.Now()
	addrs, err := opts.Resolver.LookupNetIP(ctx, "ip", t.Host)
	d.End = opts.Now()
	if err != nil {
		d.Err = classifyDNS(ctx, err)
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

// probeAddress records everything about one address: the evidence
// handshake, the handshake without SNI, the timing samples and, for a URL
// target, one HTTP request.
func probeAddress(ctx context.Context, opts Options, addr string, concurrency int) Endpoint {
	ep := Endpoint{Address: addr}
	ep.ConnectStart, ep.ConnectEnd, ep.ConnectErr, ep.Handshake = connectAndShake(ctx, opts, addr, opts.Target.SNI)
	if ep.ConnectErr != nil {
		return ep
	}
	// The enumeration runs beside the single connections below; the timing
	// samples come after both, so that it does not slow them.
	var wg sync.WaitGroup
	if opts.Enumerate && ep.Handshake.Scannable() {
		wg.Go(func() { ep.Scan, ep.ScanErr = scan(ctx, opts, addr, concurrency) })
	}
	if opts.Target.SNI != "" && !opts.NoSNICompare && ctx.Err() == nil {
		_, _, cerr, hs := connectAndShake(ctx, opts, addr, "")
		if cerr == nil {
			ep.NoSNI = hs
		}
	}
	if opts.Target.Path != "" && ep.Handshake.Err == nil && ctx.Err() == nil {
		ep.HTTP = httpRequest(ctx, opts, addr)
	}
	wg.Wait()
	for i := 1; i < opts.Samples && ctx.Err() == nil; i++ {
		var s Sample
		var hs *Handshake
		s.ConnectStart, s.ConnectEnd, s.Err, hs = connectAndShake(ctx, opts, addr, opts.Target.SNI)
		if hs != nil {
			s.HandshakeStart, s.HandshakeEnd = hs.Start, hs.End
			s.Err = hs.Err
		}
		ep.Samples = append(ep.Samples, s)
	}
	return ep
}

// Scannable reports whether enumerating could tell anything: the server
// speaks TLS (or refuses it with an alert), rather than staying silent or
// speaking something else.
func (hs *Handshake) Scannable() bool {
	if hs.Err == nil {
		return true
	}
	switch hs.Err.Kind {
	case ErrTimeout, ErrPlainHTTP, ErrNotTLS, ErrCanceled:
		return false
	}
	return true
}

// scan enumerates what addr accepts.
func scan(ctx context.Context, opts Options, addr string, concurrency int) (*tlshello.Result, *NetError) {
	res, err := tlshello.Scan(ctx, net.JoinHostPort(addr, strconv.Itoa(opts.Target.Port)), tlshello.Options{
		ServerName:  opts.Target.SNI,
		Concurrency: concurrency,
		Timeout:     scanConnTimeout,
		Dial:        opts.Dial,
	})
	if err != nil {
		return res, classify(ctx, err)
	}
	return res, nil
}

// connectAndShake opens one TCP connection to addr and performs one TLS
// handshake on it, sending sni (none when empty).
func connectAndShake(ctx context.Context, opts Options, addr, sni string) (start, end time.Time, cerr *NetError, hs *Handshake) {
	hostport := net.JoinHostPort(addr, strconv.Itoa(opts.Target.Port))
	start = opts.Now()
	conn, err := opts.Dial(ctx, "tcp", hostport)
	end = opts.Now()
	if err != nil {
		return start, end, classify(ctx, err), nil
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	return start, end, nil, handshake(ctx, opts, conn, sni)
}

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

func handshake(ctx context.Context, opts Options, conn net.Conn, sni string) *Handshake {
	hs := &Handshake{ServerName: sni, OfferedALPN: opts.ALPN}
	cfg := clientConfig(opts, sni)
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		// Record the certificates as soon as they arrive, so that a
		// handshake failing later still leaves them as evidence.
		hs.Certificates = rawCerts(cs.PeerCertificates)
		hs.OCSPStaple = cs.OCSPResponse
		return nil
	}
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		hs.ClientCertRequested = true
		hs.AcceptableCAs = cri.AcceptableCAs
		// Send no certificate: a sender without the right one would not
		// either.
		return &tls.Certificate{}, nil
	}
	tc := tls.Client(conn, cfg)
	hs.Start = opts.Now()
	err := tc.HandshakeContext(ctx)
	hs.End = opts.Now()
	cs := tc.ConnectionState()
	if cs.Version != 0 {
		hs.Version = cs.Version
		hs.CipherSuite = cs.CipherSuite
		hs.CurveID = uint16(cs.CurveID)
		hs.ALPN = cs.NegotiatedProtocol
	}
	if len(cs.PeerCertificates) > 0 {
		hs.Certificates = rawCerts(cs.PeerCertificates)
		hs.OCSPStaple = cs.OCSPResponse
	}
	if err != nil {
		hs.Err = classify(ctx, err)
	} else if hs.ClientCertRequested {
		hs.ClientCertRejected = awaitClientCertVerdict(ctx, opts, tc)
	}
	return hs
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
	used := false
	tr := &http.Transport{
		DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			if used {
				return nil, errors.New("one connection only")
			}
			used = true
			return tc, nil
		},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
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
		}
		// Any other failure of the first request on a connection without
		// a client certificate is the server refusing it.
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
