package exporter

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
	"github.com/wacheck/wacheck/pkg/wacheck"
)

// Timeouts of a probe.
const (
	// ScrapeTimeoutMargin is taken off Prometheus's scrape timeout
	// (X-Prometheus-Scrape-Timeout-Seconds), as the blackbox exporter
	// does, so that the answer is written before Prometheus gives up.
	ScrapeTimeoutMargin = 500 * time.Millisecond
	// MinProbeTimeout is the least time a probe gets, whatever the header.
	MinProbeTimeout = 500 * time.Millisecond
	// CachedHeader is set to 1 on an answer that is the cached result of
	// an earlier probe (Config.MinInterval); CachedAgeHeader is its age in
	// whole seconds.
	CachedHeader    = "X-Wacheck-Cached"
	CachedAgeHeader = "X-Wacheck-Cached-Age"
)

const (
	// recentProbes is how many probes the status page lists.
	recentProbes = 100
	// maxCached bounds the results kept for MinInterval: about 25 KB each
	// (a probe with enumeration, one address).
	maxCached = 1024
	// maxTargetLen bounds the target parameter.
	maxTargetLen = 2048
	// minProbeLeft is the least time left for a probe that waited for a
	// slot: with less it answers busy rather than time out at once.
	minProbeLeft = 100 * time.Millisecond
)

// Server is the exporter: its modules, limits and metrics.
type Server struct {
	cfg     Config
	modules map[string]*Module
	roots   *trust.Store
	sem     chan struct{}

	mu     sync.Mutex
	cache  map[string]*entry
	recent []Recent // a ring of recentProbes
	next   int

	// The exporter's own metrics (/metrics): counts of probes by module
	// and result, of rejections by reason, under mu; probes running now.
	probes     map[[2]string]float64
	rejections map[string]float64
	inFlight   atomic.Int64

	// auth checks the credentials of every request when the web config
	// has users.
	auth *basicAuth

	// run probes one target; the real probe unless a test replaces it.
	run func(ctx context.Context, m *Module, t target.Target, timeout time.Duration) *report.Report
	now func() time.Time
}

// entry is one (target, module)'s last probe, or the probe running now.
type entry struct {
	done chan struct{} // closed when the probe ends
	// families and out are its result; nil when the probe did not run
	// (busy, or its client went away).
	families []*family
	out      *outcome
}

// Recent is one probe on the status page.
type Recent struct {
	Time     time.Time
	Target   string
	Module   string
	Verdict  string
	Reason   string
	Success  bool
	Cached   bool
	Duration time.Duration
}

// New makes the exporter of cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > MaxConcurrency {
		return nil, fmt.Errorf("concurrency must be from 1 to %d, got %d", MaxConcurrency, cfg.Concurrency)
	}
	if cfg.MinInterval < 0 || cfg.MinInterval > MaxMinInterval {
		return nil, fmt.Errorf("min interval must be from 0 to %s, got %s", MaxMinInterval, cfg.MinInterval)
	}
	if cfg.Modules == nil {
		cfg.Modules = BuiltinModules()
	}
	for name, m := range cfg.Modules {
		if !moduleName().MatchString(name) {
			return nil, fmt.Errorf("invalid module name %q", name)
		}
		if _, ok := profile.Lookup(m.Sender); !ok {
			return nil, fmt.Errorf("module %q: unknown sender %q", name, m.Sender)
		}
		if m.Timeout <= 0 || m.Timeout > MaxTimeout {
			return nil, fmt.Errorf("module %q: timeout must be from 1ms to %s, got %s", name, MaxTimeout, m.Timeout)
		}
	}
	s := &Server{
		cfg:     cfg,
		modules: cfg.Modules,
		roots:   cfg.Roots,
		sem:     make(chan struct{}, cfg.Concurrency),
		cache:   map[string]*entry{},
		recent:  make([]Recent, 0, recentProbes),
		now:     time.Now,
	}
	if s.roots == nil {
		s.roots = trust.Mozilla()
	}
	if cfg.Web != nil && len(cfg.Web.Users) > 0 {
		s.auth = newBasicAuth(cfg.Web.Users)
	}
	s.run = s.probe
	s.probes = map[[2]string]float64{}
	// All three rejection series exist from the start.
	s.rejections = map[string]float64{ReasonBusy: 0, ReasonRateLimited: 0, "bad_request": 0}
	return s, nil
}

// serveMetrics answers /metrics: the exporter's own metrics, the Go
// runtime's and the process's.
func (s *Server) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	probes := newFamily("wacheck_exporter_probes_total",
		"Probes asked for, by module and result (success, failure, rejected).", typeCounter, "module", "result")
	rejections := newFamily("wacheck_exporter_probe_rejections_total",
		"Probes not run, by reason (busy, rate_limited, bad_request).", typeCounter, "reason")
	s.mu.Lock()
	for k, v := range s.probes {
		probes.set(v, k[0], k[1])
	}
	for r, v := range s.rejections {
		rejections.set(v, r)
	}
	s.mu.Unlock()
	inFlight := newFamily("wacheck_exporter_probes_in_flight", "Probes running now.", typeGauge)
	inFlight.set(float64(s.inFlight.Load()))
	build := newFamily("wacheck_exporter_build_info", "The exporter's build: version and Go version.", typeGauge,
		"version", "goversion")
	version := s.cfg.Version
	if version == "" {
		version = "dev"
	}
	build.set(1, version, runtime.Version())
	serveText(w, append(runtimeFamilies(), probes, rejections, inFlight, build))
}

// Handler serves /probe, /metrics and the status page /.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", s.serveProbe)
	mux.HandleFunc("/metrics", s.serveMetrics)
	mux.HandleFunc("/", s.serveStatus)
	return mux
}

// probe is the real probe: the module's sender, roots and thresholds, and
// for a webhook module the verification request.
func (s *Server) probe(ctx context.Context, m *Module, t target.Target, timeout time.Duration) *report.Report {
	roots := m.Roots
	if roots == nil {
		roots = s.roots
	}
	cfg := wacheck.Config{
		Probe:      probe.Options{Target: t, Timeout: timeout, Enumerate: m.Enumerate},
		Profile:    profile.MustLookup(m.Sender),
		Roots:      roots,
		Thresholds: m.Thresholds,
	}
	if m.Webhook != nil {
		return wacheck.Webhook(ctx, wacheck.WebhookConfig{Config: cfg, VerifyToken: m.Webhook.VerifyToken})
	}
	return wacheck.Probe(ctx, cfg)
}

// badRequest answers 400 with a one-line reason, escaped as every
// report's text is (internal/escape).
func (s *Server) badRequest(w http.ResponseWriter, module, msg string) {
	s.count(module, "bad_request")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintln(w, escape.Line(msg))
}

// count records a probe not run for reason: the rejection, and for a known
// module the probe asked for.
func (s *Server) count(module, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejections[reason]++
	if module != "" {
		s.probes[[2]string{module, "rejected"}]++
	}
}

// reject is the answer of a probe of module name not run for reason.
func (s *Server) reject(name string, m *Module, reason string) ([]*family, *outcome, bool) {
	s.count(name, reason)
	return s.notRun(m, reason)
}

// timeout is the probe's time: the module's, or Prometheus's scrape
// timeout less the margin when that is shorter, never below
// MinProbeTimeout.
func timeout(m *Module, r *http.Request) time.Duration {
	t := m.Timeout
	if h := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); h != "" {
		if secs, err := strconv.ParseFloat(h, 64); err == nil && secs > 0 && secs < 1e6 {
			t = min(t, time.Duration(secs*float64(time.Second))-ScrapeTimeoutMargin)
		}
	}
	return max(t, MinProbeTimeout)
}

func (s *Server) serveProbe(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("module")
	if name == "" {
		name = profile.Default
	}
	m, ok := s.modules[name]
	if !ok {
		s.badRequest(w, "", fmt.Sprintf("unknown module %q", truncate(name, 64)))
		return
	}
	raw := q.Get("target")
	switch {
	case raw == "":
		s.badRequest(w, name, "missing target: ask /probe?target=HOST[:PORT]&module="+name)
		return
	case len(raw) > maxTargetLen:
		s.badRequest(w, name, fmt.Sprintf("target longer than %d bytes", maxTargetLen))
		return
	}
	t, err := target.Parse(raw, "")
	if err != nil {
		s.badRequest(w, name, err.Error())
		return
	}
	if m.Webhook != nil && t.Path == "" {
		t.Path = m.Webhook.Path
	}
	deadline := time.Now().Add(timeout(m, r))

	fams, out, cached := s.result(r.Context(), name, m, t, deadline)
	if fams == nil {
		return // the client went away
	}
	s.remember(raw, name, out, cached)
	if cached {
		w.Header().Set(CachedHeader, "1")
		w.Header().Set(CachedAgeHeader, strconv.Itoa(int(s.now().Sub(out.at).Seconds())))
	}
	c := newFamily("wacheck_probe_cached",
		"1 when this is the result of an earlier probe of the target with the module, within the minimum interval.", typeGauge)
	if cached {
		c.set(1)
	} else {
		c.set(0)
	}
	// fams may be a cached result, written by other scrapes now: it is
	// not changed.
	serveText(w, append(fams[:len(fams):len(fams)], c))
}

// result is the (target, module)'s metrics: a fresh probe's, or within
// the minimum interval the last one's (cached true). It is nil only when
// ctx ended (the client went away).
func (s *Server) result(ctx context.Context, name string, m *Module, t target.Target,
	deadline time.Time) (fams []*family, out *outcome, cached bool) {
	key := name + "\x00" + t.HostPort() + "\x00" + t.SNI + "\x00" + t.Path
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		s.mu.Lock()
		e, ok := s.cache[key]
		if !ok {
			break // with s.mu held
		}
		select {
		case <-e.done:
			if e.out != nil && s.now().Sub(e.out.at) < s.cfg.MinInterval {
				s.mu.Unlock()
				return e.families, e.out, true
			}
			delete(s.cache, key)
			s.mu.Unlock()
			continue
		default:
		}
		s.mu.Unlock()
		// The same probe is running: wait for its result.
		select {
		case <-e.done:
			continue
		case <-timer.C:
			return s.reject(name, m, ReasonRateLimited)
		case <-ctx.Done():
			return nil, nil, false
		}
	}
	// Lead: run the probe, others wait for it.
	e := &entry{done: make(chan struct{})}
	if s.cfg.MinInterval > 0 {
		if len(s.cache) >= maxCached {
			s.sweep()
		}
		if len(s.cache) < maxCached {
			s.cache[key] = e
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if e.out == nil && s.cache[key] == e {
			delete(s.cache, key)
		}
		s.mu.Unlock()
		close(e.done)
	}()

	select {
	case s.sem <- struct{}{}:
	case <-timer.C:
		return s.reject(name, m, ReasonBusy)
	case <-ctx.Done():
		return nil, nil, false
	}
	left := time.Until(deadline)
	if left < minProbeLeft {
		// The slot came too late for a probe to get anywhere.
		<-s.sem
		return s.reject(name, m, ReasonBusy)
	}
	s.inFlight.Add(1)
	start := time.Now()
	rep := s.run(ctx, m, t, left)
	o := &outcome{rep: rep, duration: time.Since(start), at: s.now()}
	s.inFlight.Add(-1)
	<-s.sem
	if ctx.Err() != nil {
		return nil, nil, false // the client went away: the report is partial
	}
	// Used up: within a few milliseconds of its time (the probe's own
	// deadline ends it a little before).
	o.judge(m, left-50*time.Millisecond)
	fams = families(m, o)
	result := "failure"
	if o.success {
		result = "success"
	}
	s.mu.Lock()
	s.probes[[2]string{name, result}]++
	if o.rep != nil {
		e.families, e.out = fams, o
	}
	s.mu.Unlock()
	return fams, o, false
}

// notRun is the answer of a probe that did not run.
func (s *Server) notRun(m *Module, reason string) ([]*family, *outcome, bool) {
	o := &outcome{reason: reason, at: s.now()}
	return families(m, o), o, false
}

// sweep drops the expired results; s.mu is held.
func (s *Server) sweep() {
	now := s.now()
	for k, e := range s.cache {
		select {
		case <-e.done:
			if e.out == nil || now.Sub(e.out.at) >= s.cfg.MinInterval {
				delete(s.cache, k)
			}
		default:
		}
	}
}

// remember adds a probe to the status page's ring.
func (s *Server) remember(raw, module string, o *outcome, cached bool) {
	rec := Recent{Time: s.now(), Target: raw, Module: module, Reason: o.reason, Success: o.success, Cached: cached,
		Duration: o.duration}
	if o.rep != nil {
		rec.Verdict = string(o.rep.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recent) < recentProbes {
		s.recent = append(s.recent, rec)
	} else {
		s.recent[s.next] = rec
	}
	s.next = (s.next + 1) % recentProbes
}

// Recent lists the recent probes, newest first.
func (s *Server) Recent() []Recent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recent, 0, len(s.recent))
	for i := range len(s.recent) {
		j := (s.next - 1 - i + 2*recentProbes) % recentProbes
		if j < len(s.recent) {
			out = append(out, s.recent[j])
		}
	}
	return out
}

// ListenAndServe serves until ctx ends, then shuts down within grace.
func (s *Server) ListenAndServe(ctx context.Context, ln net.Listener, grace time.Duration) error {
	maxTimeout := time.Duration(0)
	for _, m := range s.modules {
		maxTimeout = max(maxTimeout, m.Timeout)
	}
	srv := &http.Server{
		Handler:           s.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      maxTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
	}
	if s.cfg.Log != nil {
		// Failed handshakes (a client without a certificate, plain HTTP
		// to the HTTPS port) are said there.
		srv.ErrorLog = log.New(s.cfg.Log, "wacheck: serve: ", 0)
	}
	errc := make(chan error, 1)
	if w := s.cfg.Web; w != nil && w.TLS != nil {
		// HTTPS only: a plain HTTP request gets 400 and no page.
		if s.cfg.Log != nil {
			w.TLS.certs.logf = func(format string, a ...any) { fmt.Fprintf(s.cfg.Log, format+"\n", a...) }
		}
		srv.TLSConfig = w.TLS.Config()
		if !w.HTTP2 {
			srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
		}
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-errc
	return err
}
