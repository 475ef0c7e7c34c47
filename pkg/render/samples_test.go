package render

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/assemble"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
)

// The sample reports are real: each comes from probing loopback servers with
// the probe, the checks and the builder wacheck itself runs (probe.Run, then
// assemble.Probe, as wacheck.Probe does), or from judging certificate files
// (assemble.Files). Only what would make the golden files change from run to
// run is fixed:
//
//   - the certificates are generated from a fixed random seed
//     (testing/cryptotest), so their fingerprints and PEM are the same on
//     every run of one Go release; a Go release that changes how crypto
//     uses randomness changes them, and -update refreshes them;
//   - the clock is fixed at started, and steadyTimes gives every phase the
//     probe completed a fixed duration before the checks judge it, so the
//     timing checks and the timings shown agree;
//   - the names resolve, through a stub resolver, to documentation
//     addresses (RFC 5737, RFC 3849) on the ports a sender would use, and
//     the probe's dialer routes each of those to a loopback server (or to a
//     closed loopback port), so the report never shows the ports the test
//     servers happened to get.

var (
	started = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tool    = report.Tool{Name: "wacheck", Version: "0.1.0"}
)

type sample struct {
	name string
	r    *report.Report
}

var (
	samplesOnce  sync.Once
	sampleList   []sample
	samplesError string
)

// samples are the reports every renderer test runs over, by golden name.
// They are built once per test binary (the probes take a moment); each call
// returns fresh copies, so that a test may edit its own.
func samples(t *testing.T) []sample {
	t.Helper()
	samplesOnce.Do(func() {
		// Should building fail (t.Fatal), the error stays set and the
		// other tests fail at once rather than build again.
		samplesError = "building the sample reports failed (see the first test that needed them)"
		sampleList = buildSamples(t)
		samplesError = ""
	})
	if samplesError != "" {
		t.Fatal(samplesError)
	}
	out := make([]sample, len(sampleList))
	for i, s := range sampleList {
		out[i] = sample{s.name, clone(t, s.r)}
	}
	return out
}

// sampleNamed returns a fresh copy of one sample report.
func sampleNamed(t *testing.T, name string) *report.Report {
	t.Helper()
	for _, s := range samples(t) {
		if s.name == name {
			return s.r
		}
	}
	t.Fatalf("no sample %q", name)
	return nil
}

// clone deep-copies r through JSON, which carries every field.
func clone(t *testing.T, r *report.Report) *report.Report {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var c report.Report
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

func buildSamples(t *testing.T) []sample {
	// Before any key or certificate is made: everything below draws its
	// randomness from this seed, in this order.
	cryptotest.SetGlobalRandom(t, 1)
	l := newLab(t)
	pki := newSamplePKI(t)
	l.roots = trust.New("test roots", pki.root.Cert)

	// The dual-key sample's two leaves come from a stream of their own
	// (seed 2). Then the stream of seed 1 starts again and makes the same
	// PKI again, so that every other sample draws exactly what it drew
	// before that sample was added (their goldens stay as they were), and
	// no stream is restarted while a server runs.
	cryptotest.SetGlobalRandom(t, 2)
	dualECDSA := pki.leaf(t, "pay.example.com", 80*24*time.Hour)
	dualRSA := pki.intermediate.Leaf(t, testpki.LeafOptions{Now: started, Validity: 80 * 24 * time.Hour,
		DNSNames: []string{"pay.example.com"}, KeyType: testpki.RSA2048,
		OCSPServer: []string{ocspURL}, IssuingCertificateURL: []string{caIssuersURL}})
	cryptotest.SetGlobalRandom(t, 1)
	if again := newSamplePKI(t); !bytes.Equal(again.intermediate.DER, pki.intermediate.DER) ||
		!bytes.Equal(again.root.DER, pki.root.DER) {
		t.Fatal("the sample PKI made again from seed 1 differs: the samples are not reproducible")
	}

	// Every certificate first, then the servers: the servers' handshakes
	// draw randomness concurrently, in an order that varies.
	healthyLeaf := pki.leaf(t, "hooks.example.com", 61*24*time.Hour)
	healthyStaple := pki.staple(t, healthyLeaf)
	shortLeaf := pki.leaf(t, "hooks.example.net", 12*24*time.Hour, "www.hooks.example.net")
	lbLeaf := pki.leaf(t, "lb.example.com", 60*24*time.Hour)
	mixedLeaf := pki.leaf(t, "api.example.com", 75*24*time.Hour)
	mixedStaple := pki.staple(t, mixedLeaf)
	ipLeaf := pki.intermediate.Leaf(t, testpki.LeafOptions{Now: started, Validity: 90 * 24 * time.Hour,
		IPAddresses: []net.IP{net.ParseIP("2001:db8::443")}, OCSPServer: []string{ocspURL}, IssuingCertificateURL: []string{caIssuersURL}})
	clientCA := testpki.NewRoot(t, testpki.CAOptions{Now: started, CommonName: "Example Partner Client CA"})
	fileLeaf := pki.leaf(t, "localhost", 30*24*time.Hour)

	full := func(leaf *testpki.Leaf, staple []byte) *tls.Config {
		c := leaf.TLSCertificate(pki.intermediate.DER)
		c.OCSPStaple = staple
		return &tls.Config{Certificates: []tls.Certificate{c}, NextProtos: []string{"h2", "http/1.1"}}
	}
	leafOnly := func(leaf *testpki.Leaf) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
	}

	var out []sample
	add := func(name string, r *report.Report) { out = append(out, sample{name, r}) }

	// A healthy URL target: full chain, fresh staple, HTTP/2, enumerated.
	l.serve("203.0.113.10:443", full(healthyLeaf, healthyStaple))
	l.resolve("hooks.example.com", "203.0.113.10")
	add("healthy", l.probe(t, "https://hooks.example.com/webhooks/whatsapp", probeOpts{enumerate: true}))

	// The leaf alone, expiring in 12 days, no staple, no ALPN; the name
	// has an AAAA record that --address leaves out.
	l.serve("198.51.100.7:443", leafOnly(shortLeaf))
	l.resolve("hooks.example.net", "198.51.100.7", "2001:db8::7")
	add("incomplete-chain", l.probe(t, "hooks.example.net", probeOpts{only: "198.51.100.7"}))

	// Nothing listens, at either address.
	l.refuse("192.0.2.20:8443")
	l.refuse("[2001:db8::20]:8443")
	l.resolve("api.example.org", "192.0.2.20", "2001:db8::20")
	add("refused", l.probe(t, "api.example.org:8443", probeOpts{}))

	// An IP target (no SNI) whose server asks for an optional client
	// certificate from a CA that did not issue the sender's.
	mtls := full(ipLeaf, nil)
	mtls.ClientAuth = tls.VerifyClientCertIfGiven
	mtls.ClientCAs = clientCA.Pool()
	l.serve("[2001:db8::443]:443", mtls)
	add("mtls", l.probe(t, "[2001:db8::443]", probeOpts{}))

	// A load balancer whose second node serves the leaf without its
	// intermediate, probed with --samples 5 and enumerated on both.
	l.serve("203.0.113.20:443", full(lbLeaf, nil))
	l.serve("203.0.113.21:443", leafOnly(lbLeaf))
	l.resolve("lb.example.com", "203.0.113.20", "203.0.113.21")
	add("load-balancer", l.probe(t, "lb.example.com", probeOpts{samples: 5, enumerate: true}))

	// An AAAA record that goes nowhere, listed first, and a healthy A: the
	// report shows the healthy address in full and names the broken one.
	l.refuse("[2001:db8::30]:443")
	l.serve("203.0.113.30:443", full(mixedLeaf, mixedStaple))
	l.resolve("api.example.com", "2001:db8::30", "203.0.113.30")
	add("one-refused", l.probe(t, "api.example.com", probeOpts{}))

	// wacheck cert: the same kind of chain, judged from files.
	set := &subject.Set{Chain: &subject.Chain{Certs: [][]byte{fileLeaf.DER, pki.intermediate.DER},
		Name: "localhost", Source: "files", Files: []string{"fullchain.pem"}}}
	cert := assemble.Files(set, assemble.FilesInfo{Input: "fullchain.pem", Paths: []string{"fullchain.pem"}},
		l.context(), started, started.Add(3200*time.Microsecond))
	cert.Tool = tool
	cert.Settings.FailOn = "warn"
	judgedSettings(cert)
	add("cert", cert)

	// An ECDSA and an RSA certificate on one server (nginx with two
	// ssl_certificate lines), the RSA one served without its intermediate:
	// senders get the complete ECDSA chain, an RSA-only client does not
	// (addresses[].key_type_chains).
	dualTLS := full(dualECDSA, nil)
	dualTLS.Certificates = append(dualTLS.Certificates, dualRSA.TLSCertificate())
	l.serve("203.0.113.40:443", dualTLS)
	l.resolve("pay.example.com", "203.0.113.40")
	add("dual-key", l.probe(t, "pay.example.com", probeOpts{}))
	return out
}

// The AIA URLs the sample leaves name. Nothing listens there: wacheck never
// fetches them during a probe.
const (
	ocspURL      = "http://ocsp.pki.example/"
	caIssuersURL = "http://pki.example/intermediate.der"
)

// samplePKI is a root and an RSA intermediate, as most public CAs have. The
// intermediate is RSA so that its OCSP signatures, and so the staples, are
// the same size on every run (an ECDSA signature's length varies, and the
// OCSP package stamps the real time into each response).
type samplePKI struct {
	root, intermediate *testpki.CA
}

func newSamplePKI(t *testing.T) *samplePKI {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: started, CommonName: "Example Root CA R1"})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	inter := root.Intermediate(t, testpki.CAOptions{Now: started, Key: key, CommonName: "Example TLS Issuing CA G2",
		Validity: 3 * 365 * 24 * time.Hour})
	return &samplePKI{root: root, intermediate: inter}
}

func (p *samplePKI) leaf(t *testing.T, name string, validity time.Duration, more ...string) *testpki.Leaf {
	return p.intermediate.Leaf(t, testpki.LeafOptions{Now: started, Validity: validity, DNSNames: append([]string{name}, more...),
		OCSPServer: []string{ocspURL}, IssuingCertificateURL: []string{caIssuersURL}})
}

// staple is a good OCSP response about leaf, produced when it was last
// updated, six hours before started. The OCSP package stamps the real time
// as producedAt, so staple puts the fixed time in its place and signs the
// response again.
func (p *samplePKI) staple(t *testing.T, leaf *testpki.Leaf) []byte {
	produced := started.Add(-6 * time.Hour)
	der := p.intermediate.OCSPResponse(t, testpki.OCSPOptions{Now: started, Cert: leaf.Cert,
		ThisUpdate: produced, NextUpdate: started.Add(6 * 24 * time.Hour)})
	resp, err := ocsp.ParseResponse(der, p.intermediate.Cert)
	if err != nil {
		t.Fatal(err)
	}
	stamp := func(tm time.Time) []byte { return []byte(tm.UTC().Format("20060102150405Z")) }
	if !resp.ProducedAt.Equal(produced) {
		if bytes.Count(der, stamp(resp.ProducedAt)) != 1 {
			t.Fatalf("producedAt %s not found once in the OCSP response", resp.ProducedAt)
		}
		der = bytes.Replace(der, stamp(resp.ProducedAt), stamp(produced), 1)
		unsigned, err := ocsp.ParseResponse(der, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(unsigned.TBSResponseData)
		sig, err := p.intermediate.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
		if err != nil || len(sig) != len(unsigned.Signature) || unsigned.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Fatalf("re-sign the OCSP response: %v (%s)", err, unsigned.SignatureAlgorithm)
		}
		der = bytes.Replace(der, unsigned.Signature, sig, 1)
	}
	if resp, err := ocsp.ParseResponse(der, p.intermediate.Cert); err != nil || !resp.ProducedAt.Equal(produced) {
		t.Fatalf("OCSP response with a fixed producedAt: %v", err)
	}
	return der
}

// lab routes the addresses the samples' names resolve to, to loopback
// servers.
type lab struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]string // "203.0.113.10:443" -> "127.0.0.1:PORT"
	dns    map[string][]netip.Addr
	roots  *trust.Store
}

func newLab(t *testing.T) *lab {
	return &lab{t: t, routes: map[string]string{}, dns: map[string][]netip.Addr{}}
}

// serve starts a TLS server that the probe reaches at addr.
func (l *lab) serve(addr string, cfg *tls.Config) {
	l.route(addr, testpki.StartTLS(l.t, cfg))
}

// refuse makes connections to addr refused.
func (l *lab) refuse(addr string) {
	l.route(addr, testpki.ClosedPort(l.t))
}

func (l *lab) route(addr, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.routes[addr] = to
}

func (l *lab) resolve(name string, addrs ...string) {
	for _, a := range addrs {
		l.dns[name] = append(l.dns[name], netip.MustParseAddr(a))
	}
}

// flightOffset places roundFlight's boundaries away from every sample's
// flight size (they sit at 64k+54 bytes).
const flightOffset = 10

// roundFlight rounds a sample's first-flight size to 64 bytes for the
// golden files: the ECDSA signatures in the flight (CertificateVerify,
// which the handshake's concurrent use of the seeded random makes differ
// from run to run) are a few bytes longer or shorter each run. A size
// within 4 bytes of a boundary would make the goldens flaky, so it fails
// the test here instead, with what to change.
func roundFlight(t *testing.T, n int) int {
	if m := (n + flightOffset) % 64; m < 4 || m >= 60 {
		t.Fatalf("a sample's first flight is %d bytes, within 4 bytes of a rounding boundary: change flightOffset "+
			"in samples_test.go so that no sample sits near one, and run -update", n)
	}
	return (n + flightOffset) &^ 63
}

// LookupNetIP is the stub resolver.
func (l *lab) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := l.dns[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// dial connects to the loopback server behind addr. Its errors name addr,
// as a real dial's would.
func (l *lab) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	to, ok := l.routes[addr]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("sample lab: no route to %s", addr)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, to)
	var op *net.OpError
	if err != nil && errors.As(err, &op) {
		named := *op
		host, port, _ := net.SplitHostPort(addr)
		p, _ := strconv.Atoi(port)
		named.Addr = &net.TCPAddr{IP: net.ParseIP(host), Port: p}
		named.Source = nil
		return nil, &named
	}
	return c, err
}

func (l *lab) context() checks.Context {
	return checks.Context{Profile: profile.MustLookup(profile.Default), Roots: l.roots,
		Thresholds: checks.DefaultThresholds(), Now: started}
}

type probeOpts struct {
	enumerate bool
	samples   int
	only      string
}

// probe runs what wacheck.Probe runs, with steadyTimes between the probe
// and the judgement, and fills in what the command adds.
func (l *lab) probe(t *testing.T, input string, o probeOpts) *report.Report {
	t.Helper()
	tg, err := target.Parse(input, "")
	if err != nil {
		t.Fatal(err)
	}
	c := l.context()
	opts := probe.Options{
		Target:       tg,
		Timeout:      10 * time.Second,
		Resolver:     l,
		ResolverName: "192.0.2.53:53",
		Dial:         l.dial,
		Now:          func() time.Time { return started },
		Samples:      o.samples,
		Enumerate:    o.enumerate,
		Concurrency:  probe.DefaultConcurrency,
		Client:       probe.ClientFromProfile(c.Profile),
	}
	if o.only != "" {
		opts.Only = netip.MustParseAddr(o.only)
	}
	ev := probe.Run(context.Background(), opts)
	steadyTimes(t, ev)
	r := assemble.Probe(ev, c)
	r.Tool = tool
	r.Settings.FailOn = "warn"
	r.Settings.Enumerate = o.enumerate
	r.Settings.Concurrency = probe.DefaultConcurrency
	judgedSettings(r)
	return r
}

// judgedSettings fills in the settings the command adds (pkg/cli's
// fillSettings) that are the same on every machine: the thresholds the
// samples were judged by, the sender and the tool's version. Go version
// and OS are left out, as they vary.
func judgedSettings(r *report.Report) {
	th := checks.DefaultThresholds()
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	r.Settings.Thresholds = &report.Thresholds{DNSWarnMS: msOf(th.DNSWarn), DNSFailMS: msOf(th.DNSFail),
		ConnectWarnMS: msOf(th.ConnectWarn), HandshakeWarnMS: msOf(th.HandshakeWarn), HandshakeFailMS: msOf(th.HandshakeFail),
		ExpiryWarnDays: th.ExpiryWarn.Hours() / 24}
	r.Settings.Sender = profile.Default
	r.Settings.ToolVersion = tool.Version
}

// steadyTimes gives every phase the probe completed a fixed duration: the
// clock stood still at started, so every timestamp is started or zero.
// Address i is a little slower than address i-1, and timing round k a
// little slower than round k-1, so that tables have something to show.
func steadyTimes(tb *testing.T, ev *probe.Evidence) {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	at := func(t *time.Time, d time.Duration) {
		if !t.IsZero() {
			*t = started.Add(d)
		}
	}
	ev.StartedAt = started
	dns := ms(4.2)
	if !ev.DNS.Start.IsZero() {
		ev.DNS.Start, ev.DNS.End = started, started.Add(dns)
	} else {
		dns = 0
	}
	end := dns
	for i := range ev.Endpoints {
		ep := &ev.Endpoints[i]
		connect, hs := ms(20.1+0.5*float64(i)), ms(41.7+1.3*float64(i))
		if ep.ConnectErr != nil {
			connect = ms(0.3)
		}
		at(&ep.ConnectStart, dns)
		at(&ep.ConnectEnd, dns+connect)
		t := dns + connect
		if h := ep.Handshake; h != nil {
			at(&h.Start, t)
			at(&h.End, t+hs)
			t += hs
			if h.FlightBytes > 0 {
				h.FlightBytes = roundFlight(tb, h.FlightBytes)
			}
		}
		if h := ep.NoSNI; h != nil {
			at(&h.Start, t+ms(20.1))
			at(&h.End, t+ms(20.1)+hs)
			t += ms(20.1) + hs
		}
		if x := ep.HTTP; x != nil {
			at(&x.Start, t+ms(20.1)+hs)
			at(&x.FirstByte, t+ms(20.1)+hs+ms(12.6))
			t += ms(20.1) + hs + ms(12.6)
		}
		if ep.Scan != nil {
			ep.Scan.Duration = ms(94.2)
			t = max(t, dns+ms(94.2))
		}
		for k := range ep.Samples {
			s := &ep.Samples[k]
			f := 1 + 0.04*float64(k+1)
			c, h := time.Duration(float64(connect)*f), time.Duration(float64(hs)*f)
			at(&s.ConnectStart, t)
			at(&s.ConnectEnd, t+c)
			at(&s.HandshakeStart, t+c)
			at(&s.HandshakeEnd, t+c+h)
			t += c + h
		}
		end = max(end, t)
	}
	ev.EndedAt = started.Add(end + ms(0.8))
}
