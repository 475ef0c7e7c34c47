package exporter

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/internal/testwebhook"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
)

// exporterFor starts the exporter of cfg on loopback; its roots are the
// chain's root unless cfg names others.
func exporterFor(t *testing.T, cfg Config, roots *trust.Store) (*Server, string) {
	t.Helper()
	if cfg.Roots == nil {
		cfg.Roots = roots
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts.URL
}

// scrape is one GET of the exporter and its metrics, parsed by the client
// library's text parser.
type scraped struct {
	code   int
	header http.Header
	body   string
	fams   map[string]*dto.MetricFamily
}

func get(t *testing.T, client *http.Client, u string, hdr map[string]string) scraped {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := scraped{code: resp.StatusCode, header: resp.Header, body: string(body)}
	if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		p := expfmt.NewTextParser(model.UTF8Validation)
		if out.fams, err = p.TextToMetricFamilies(strings.NewReader(out.body)); err != nil {
			t.Fatalf("exposition does not parse: %v\n%s", err, body)
		}
	}
	return out
}

func probeURL(base, tgt, module string) string {
	return base + "/probe?" + url.Values{"target": {tgt}, "module": {module}}.Encode()
}

// series are a family's metrics as label sets and values.
type series struct {
	labels map[string]string
	value  float64
}

func (s scraped) series(name string) []series {
	f := s.fams[name]
	if f == nil {
		return nil
	}
	var out []series
	for _, m := range f.Metric {
		l := map[string]string{}
		for _, lp := range m.Label {
			l[lp.GetName()] = lp.GetValue()
		}
		var v float64
		switch {
		case m.Gauge != nil:
			v = m.Gauge.GetValue()
		case m.Counter != nil:
			v = m.Counter.GetValue()
		case m.Untyped != nil:
			v = m.Untyped.GetValue()
		}
		out = append(out, series{l, v})
	}
	return out
}

// value is the one series of name whose labels include want.
func (s scraped) value(t *testing.T, name string, want map[string]string) float64 {
	t.Helper()
	var found []float64
	for _, se := range s.series(name) {
		ok := true
		for k, v := range want {
			if se.labels[k] != v {
				ok = false
			}
		}
		if ok {
			found = append(found, se.value)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s%v: %d series, want 1\n%s", name, want, len(found), s.body)
	}
	return found[0]
}

// checksAt lists the checks whose status is v.
func (s scraped) checksAt(v float64) []string {
	var out []string
	for _, se := range s.series("wacheck_check_status") {
		if se.value == v {
			out = append(out, se.labels["check"])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// errorReason is wacheck_probe_error's one series' reason.
func (s scraped) errorReason(t *testing.T) string {
	t.Helper()
	se := s.series("wacheck_probe_error")
	if len(se) != 1 || se[0].value != 1 {
		t.Fatalf("wacheck_probe_error: %v, want exactly one series at 1\n%s", se, s.body)
	}
	return se[0].labels["reason"]
}

func TestProbeHealthyAndBroken(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	good := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	leafOnly := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate()}})
	nextUpdate := now.Add(36 * time.Hour).Truncate(time.Second)
	stapled := c.TLSCertificate(c.Intermediate.DER)
	stapled.OCSPStaple = c.OCSPResponse(t, testpki.OCSPOptions{Now: now, NextUpdate: nextUpdate})
	withStaple := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{stapled}})
	self := testpki.NewSelfSigned(t, testpki.LeafOptions{})
	untrusted := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{self.TLSCertificate()}})
	_, base := exporterFor(t, Config{MinInterval: 0}, trust.New("test", c.Root.Cert))

	t.Run("healthy", func(t *testing.T) {
		s := get(t, nil, probeURL(base, good, "meta"), nil)
		if s.code != 200 {
			t.Fatalf("status %d: %s", s.code, s.body)
		}
		if v := s.value(t, "wacheck_probe_success", nil); v != 1 {
			t.Errorf("success = %v, want 1", v)
		}
		if r := s.errorReason(t); r != ReasonNone {
			t.Errorf("error reason = %q, want none", r)
		}
		if v := s.value(t, "wacheck_check_status", map[string]string{"check": "chain.trusted", "address": good}); v != 0 {
			t.Errorf("chain.trusted = %v, want 0 (pass)", v)
		}
		// Off port 443 connect.port warns: the overall status is warn, and
		// nothing fails.
		if v := s.value(t, "wacheck_probe_status", nil); v != 3 {
			t.Errorf("probe status = %v, want 3 (warn)", v)
		}
		if f := s.checksAt(4); len(f) != 0 {
			t.Errorf("failing checks %v, want none", f)
		}
		leaf := s.value(t, "wacheck_cert_not_after_seconds", map[string]string{"address": good, "position": "0", "cn": "localhost"})
		if int64(leaf) != c.Leaf.Cert.NotAfter.Unix() {
			t.Errorf("leaf not_after = %v, want %d", leaf, c.Leaf.Cert.NotAfter.Unix())
		}
		nb := s.value(t, "wacheck_cert_not_before_seconds", map[string]string{"address": good, "position": "0"})
		if int64(nb) != c.Leaf.Cert.NotBefore.Unix() {
			t.Errorf("leaf not_before = %v, want %d", nb, c.Leaf.Cert.NotBefore.Unix())
		}
		in := s.value(t, "wacheck_cert_not_after_seconds", map[string]string{"address": good, "position": "1",
			"cn": c.Intermediate.Cert.Subject.CommonName, "serial": fmt.Sprintf("%x", c.Intermediate.Cert.SerialNumber)})
		if int64(in) != c.Intermediate.Cert.NotAfter.Unix() {
			t.Errorf("intermediate not_after = %v, want %d", in, c.Intermediate.Cert.NotAfter.Unix())
		}
		if v := s.value(t, "wacheck_tls_info", map[string]string{"address": good, "version": "TLS 1.3"}); v != 1 {
			t.Errorf("tls_info = %v", v)
		}
		if v := s.value(t, "wacheck_tls_versions_accepted", map[string]string{"address": good}); v != 2 {
			t.Errorf("versions accepted = %v, want 2 (Go's server: TLS 1.2 and 1.3)", v)
		}
		if v := s.value(t, "wacheck_cipher_suites", map[string]string{"address": good, "grade": "insecure"}); v != 0 {
			t.Errorf("insecure suites = %v, want 0", v)
		}
		for _, phase := range []string{"connect", "tls"} {
			if v := s.value(t, "wacheck_phase_duration_seconds", map[string]string{"phase": phase, "address": good}); v <= 0 || v > 10 {
				t.Errorf("%s phase = %v", phase, v)
			}
		}
		if v := s.value(t, "wacheck_handshake_threshold_seconds", map[string]string{"level": "fail"}); v != 2 {
			t.Errorf("handshake fail threshold = %v, want 2", v)
		}
		if v := s.value(t, "wacheck_probe_cached", nil); v != 0 {
			t.Errorf("cached = %v, want 0", v)
		}
		if s.fams["wacheck_ocsp_staple_next_update_seconds"] != nil {
			t.Error("an OCSP staple series without a staple")
		}
		// Only the contract's labels, and addresses only the probed one.
		for name, f := range s.fams {
			for _, m := range f.Metric {
				for _, lp := range m.Label {
					if lp.GetName() == "address" && lp.GetValue() != "" && lp.GetValue() != good {
						t.Errorf("%s: address %q is not the target's", name, lp.GetValue())
					}
				}
			}
		}
	})
	t.Run("staple", func(t *testing.T) {
		s := get(t, nil, probeURL(base, withStaple, "meta"), nil)
		if v := s.value(t, "wacheck_ocsp_staple_next_update_seconds", map[string]string{"address": withStaple}); int64(v) != nextUpdate.Unix() {
			t.Errorf("staple next update = %v, want %d", v, nextUpdate.Unix())
		}
		if v := s.value(t, "wacheck_check_status", map[string]string{"check": "ocsp.stapled"}); v != 0 {
			t.Errorf("ocsp.stapled = %v, want 0", v)
		}
	})
	t.Run("url", func(t *testing.T) {
		s := get(t, nil, probeURL(base, "https://"+good+"/hook", "meta"), nil)
		if v := s.value(t, "wacheck_phase_duration_seconds", map[string]string{"phase": "first_byte", "address": good}); v <= 0 || v > 10 {
			t.Errorf("first_byte = %v", v)
		}
		if v := s.value(t, "wacheck_probe_success", nil); v != 1 {
			t.Errorf("success = %v", v)
		}
	})
	t.Run("leaf only", func(t *testing.T) {
		s := get(t, nil, probeURL(base, leafOnly, "meta"), nil)
		if v := s.value(t, "wacheck_probe_success", nil); v != 0 {
			t.Errorf("success = %v, want 0", v)
		}
		if r := s.errorReason(t); r != ReasonNone {
			t.Errorf("error reason = %q, want none: the handshake completed", r)
		}
		if v := s.value(t, "wacheck_check_status", map[string]string{"check": "chain.complete", "address": leafOnly}); v != 4 {
			t.Errorf("chain.complete = %v, want 4", v)
		}
		// The right reason: the missing intermediate, nothing else.
		if f := s.checksAt(4); !slices.Equal(f, []string{"chain.complete"}) {
			t.Errorf("failing checks %v, want chain.complete alone", f)
		}
		if v := s.value(t, "wacheck_probe_status", nil); v != 4 {
			t.Errorf("probe status = %v, want 4", v)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		s := get(t, nil, probeURL(base, untrusted, "meta"), nil)
		if v := s.value(t, "wacheck_probe_success", nil); v != 0 {
			t.Errorf("success = %v, want 0", v)
		}
		if v := s.value(t, "wacheck_check_status", map[string]string{"check": "chain.trusted", "address": untrusted}); v != 4 {
			t.Errorf("chain.trusted = %v, want 4", v)
		}
		for _, id := range s.checksAt(4) {
			if !strings.HasPrefix(id, "chain.") {
				t.Errorf("%s fails: want only chain checks to fail for an untrusted self-signed leaf", id)
			}
		}
	})
}

func TestBadRequests(t *testing.T) {
	s, base := exporterFor(t, Config{}, trust.Mozilla())
	for _, tt := range []struct{ query, want string }{
		{"target=127.0.0.1:1&module=nope", `unknown module "nope"`},
		{"module=meta", "missing target"},
		{"target=" + url.QueryEscape("a b") + "&module=meta", "invalid target"},
		{"target=" + url.QueryEscape("http://example.com/") + "&module=stripe", "invalid target"},
		{"target=" + strings.Repeat("a", 3000), "longer than"},
	} {
		g := get(t, nil, base+"/probe?"+tt.query, nil)
		if g.code != 400 {
			t.Errorf("%s: status %d, want 400", tt.query, g.code)
		}
		if !strings.Contains(g.body, tt.want) || strings.Count(g.body, "\n") != 1 {
			t.Errorf("%s: body %q, want one line with %q", tt.query, g.body, tt.want)
		}
	}
	m := get(t, nil, base+"/metrics", nil)
	if v := m.value(t, "wacheck_exporter_probe_rejections_total", map[string]string{"reason": "bad_request"}); v != 5 {
		t.Errorf("bad_request rejections = %v, want 5", v)
	}
	// The unknown module is no series: only known modules are labels.
	if v := m.value(t, "wacheck_exporter_probes_total", map[string]string{"module": "meta", "result": "rejected"}); v != 3 {
		t.Errorf("meta rejected = %v, want 3", v)
	}
	if v := m.value(t, "wacheck_exporter_probes_total", map[string]string{"module": "stripe", "result": "rejected"}); v != 1 {
		t.Errorf("stripe rejected = %v, want 1", v)
	}
	for _, se := range m.series("wacheck_exporter_probes_total") {
		if se.labels["module"] == "nope" {
			t.Error("an unknown module became a label")
		}
	}
	if v := m.value(t, "wacheck_exporter_build_info", map[string]string{"version": "dev"}); v != 1 {
		t.Errorf("build_info = %v", v)
	}
	if m.fams["go_goroutines"] == nil || m.fams["wacheck_exporter_probes_in_flight"] == nil {
		t.Error("/metrics lacks the Go collector or the in-flight gauge")
	}
	if len(s.Recent()) != 0 {
		t.Errorf("rejected requests on the status page: %v", s.Recent())
	}
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigModule: a module of the YAML file judges by its fail_on and
// thresholds; the built-in one of the same sender does not.
func TestConfigModule(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	good := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	root := c.WriteRootPEM(t, "")
	cfgPath := writeFile(t, "wacheck.yml", `
modules:
  meta_strict:
    sender: meta
    fail_on: warn
    enumerate: false
    timeout: 5s
    ca_file: `+root+`
    thresholds: {handshake_warn: 250ms, handshake_fail: 3s, expiry_warn_days: 14}
`)
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Modules["meta_strict"]
	if m == nil || m.FailOn != "warn" || m.Enumerate || m.Timeout != 5*time.Second || m.Thresholds.ExpiryWarn != 14*24*time.Hour ||
		m.Thresholds.ExpiryWarnRelative || m.Roots == nil {
		t.Fatalf("module = %+v", m)
	}
	if cfg.Modules["meta"] == nil || cfg.Modules["stripe"] == nil {
		t.Fatal("the built-in modules are gone with a config file")
	}
	// The server's default roots (Mozilla's) do not know the test root:
	// the built-in module fails the chain, the config's module does not.
	cfg.MinInterval = 0
	_, base := exporterFor(t, *cfg, trust.Mozilla())
	strict := get(t, nil, probeURL(base, good, "meta_strict"), nil)
	if v := strict.value(t, "wacheck_probe_success", nil); v != 0 {
		t.Errorf("meta_strict success = %v, want 0: connect.port warns and fail_on is warn", v)
	}
	if v := strict.value(t, "wacheck_probe_status", nil); v != 3 {
		t.Errorf("meta_strict status = %v, want 3", v)
	}
	if v := strict.value(t, "wacheck_check_status", map[string]string{"check": "chain.trusted"}); v != 0 {
		t.Errorf("meta_strict chain.trusted = %v, want 0 (its ca_file)", v)
	}
	if v := strict.value(t, "wacheck_handshake_threshold_seconds", map[string]string{"level": "warn"}); v != 0.25 {
		t.Errorf("warn threshold = %v, want 0.25", v)
	}
	if strict.fams["wacheck_tls_versions_accepted"] != nil || strict.fams["wacheck_cipher_suites"] != nil {
		t.Error("enumeration metrics without the enumeration")
	}
	builtin := get(t, nil, probeURL(base, good, "meta"), nil)
	if v := builtin.value(t, "wacheck_check_status", map[string]string{"check": "chain.trusted"}); v != 4 {
		t.Errorf("meta chain.trusted = %v, want 4 (Mozilla's roots)", v)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	root := testpki.NewChain(t, time.Now()).WriteRootPEM(t, "")
	token := writeFile(t, "token", "s3cret\n")
	for _, tt := range []struct{ yaml, want string }{
		{"modules:\n  x:\n    sender: meta\n    bogus: 1\n", `line 4: unknown key "bogus"`},
		{"module:\n  x: {}\n", `line 1: unknown key "module"`},
		{"modules:\n  x:\n    sender: nope\n", `line 3: unknown sender "nope"`},
		{"modules:\n  x:\n    fail_on: sometimes\n", `line 3: invalid fail_on "sometimes"`},
		{"modules:\n  x:\n    timeout: 5q\n", `line 3: invalid duration "5q"`},
		{"modules:\n  x:\n    timeout: -1s\n", `line 3: invalid duration "-1s"`},
		{"modules:\n  x:\n    timeout: 1h\n", "line 3: timeout 1h0m0s is longer than"},
		{"modules:\n  x:\n    thresholds: {handshake_warn: 3s, handshake_fail: 2s}\n", `line 2: module "x": handshake_warn 3s is above handshake_fail 2s`},
		{"modules:\n  x:\n    thresholds: {expiry_warn_days: ten}\n", `line 3: invalid expiry_warn_days "ten"`},
		{"modules:\n  x:\n    trust: windows\n", `line 3: invalid trust "windows"`},
		{"modules:\n  x:\n    trust: mozilla\n    ca_file: " + root + "\n", `line 2: module "x": ca_file replaces the root store`},
		{"modules:\n  x:\n    ca_file: /nonexistent.pem\n", "no such file"},
		{"modules:\n  x:\n    sender: generic\n    webhook: {path: /hook}\n", `module "x": webhook: `},
		{"modules:\n  x:\n    webhook: {path: hook}\n", `must be a URL path`},
		{"modules:\n  x:\n    webhook: {verify_token_file: /nonexistent}\n", "verify_token_file /nonexistent: no such file"},
		{"modules:\n  \"a b\": {}\n", `line 2: invalid module name "a b"`},
		{"modules:\n  x: {}\n  x: {}\n", `already defined`},
		{"modules: [1, 2]\n", "line 1: "},
		{"modules: {}\n---\nmodules: {}\n", "more than one YAML document"},
	} {
		_, err := LoadConfig(writeFile(t, "c.yml", tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error on more than one line: %q", tt.yaml, err)
		}
	}
	cfg, err := LoadConfig(writeFile(t, "ok.yml", "modules:\n  hook:\n    webhook: {path: /wh, verify_token_file: "+token+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if w := cfg.Modules["hook"].Webhook; w == nil || w.VerifyToken != "s3cret" || w.Path != "/wh" {
		t.Errorf("webhook = %+v", w)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.yml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := LoadConfig(writeFile(t, "empty.yml", "")); err != nil {
		t.Errorf("empty file: %v", err)
	}
}

// TestScrapeTimeoutHeader: a server that never answers the ClientHello; the
// answer comes within Prometheus's scrape timeout less the margin, and says
// timeout.
func TestScrapeTimeoutHeader(t *testing.T) {
	silent := testpki.StartSilent(t)
	_, base := exporterFor(t, Config{}, trust.Mozilla())
	start := time.Now()
	s := get(t, nil, probeURL(base, silent, "meta"), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "2"})
	took := time.Since(start)
	if took > 1500*time.Millisecond+700*time.Millisecond {
		t.Errorf("answered after %s, want within 1.5s and slack", took)
	}
	if took < 1300*time.Millisecond {
		t.Errorf("answered after %s: the probe did not wait for the server", took)
	}
	if r := s.errorReason(t); r != ReasonTimeout {
		t.Errorf("reason = %q, want timeout", r)
	}
	if v := s.value(t, "wacheck_probe_success", nil); v != 0 {
		t.Errorf("success = %v, want 0", v)
	}
	if d := s.value(t, "wacheck_probe_duration_seconds", nil); d < 1.3 || d > 2 {
		t.Errorf("duration = %v, want about 1.5", d)
	}
}

func TestTimeout(t *testing.T) {
	m := DefaultModule("meta")
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"", 10 * time.Second},
		{"10", 9500 * time.Millisecond},
		{"3.5", 3 * time.Second},
		{"30", 10 * time.Second},
		{"0.6", MinProbeTimeout},
		{"junk", 10 * time.Second},
		{"-4", 10 * time.Second},
	} {
		r := httptest.NewRequest("GET", "/probe", nil)
		if tt.header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", tt.header)
		}
		if got := timeout(m, r); got != tt.want {
			t.Errorf("header %q: timeout %s, want %s", tt.header, got, tt.want)
		}
	}
}

// counting wraps a server's probe to count the probes and how many ran at
// once.
type counting struct {
	runs, now, peak atomic.Int64
}

func (c *counting) wrap(s *Server) {
	real := s.run
	s.run = func(ctx context.Context, m *Module, t target.Target, d time.Duration) *report.Report {
		c.runs.Add(1)
		n := c.now.Add(1)
		defer c.now.Add(-1)
		for {
			p := c.peak.Load()
			if n <= p || c.peak.CompareAndSwap(p, n) {
				break
			}
		}
		return real(ctx, m, t, d)
	}
}

// cachingExporter is an exporter with a minimum interval of a minute, its
// probes counted and its clock moved by advance only, and good, a loopback
// server with a complete chain it trusts (meta, without enumeration).
func cachingExporter(t *testing.T) (s *Server, base, good string, cnt *counting, advance func(time.Duration)) {
	c := testpki.NewChain(t, time.Now())
	good = testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	mods := BuiltinModules()
	mods["meta"].Enumerate = false
	s, base = exporterFor(t, Config{Modules: mods, MinInterval: time.Minute}, trust.New("test", c.Root.Cert))
	cnt = &counting{}
	cnt.wrap(s)
	var mu sync.Mutex
	clock := time.Now()
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance = func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	return s, base, good, cnt, advance
}

func TestMinIntervalCaches(t *testing.T) {
	s, base, good, cnt, advance := cachingExporter(t)

	first := get(t, nil, probeURL(base, good, "meta"), nil)
	if first.header.Get(CachedHeader) != "" || first.value(t, "wacheck_probe_cached", nil) != 0 {
		t.Error("the first probe is marked cached")
	}
	advance(30 * time.Second)
	second := get(t, nil, probeURL(base, good, "meta"), nil)
	if second.header.Get(CachedHeader) != "1" || second.header.Get(CachedAgeHeader) != "30" {
		t.Errorf("second: headers %v, want cached, 30 s old", second.header)
	}
	if second.value(t, "wacheck_probe_cached", nil) != 1 {
		t.Error("second: wacheck_probe_cached is not 1")
	}
	if a, b := first.value(t, "wacheck_probe_duration_seconds", nil), second.value(t, "wacheck_probe_duration_seconds", nil); a != b {
		t.Errorf("the cached answer's duration %v is not the first probe's %v", b, a)
	}
	// Another module is another probe.
	other := get(t, nil, probeURL(base, good, "stripe"), nil)
	if other.value(t, "wacheck_probe_cached", nil) != 0 {
		t.Error("another module got the cached result")
	}
	if n := cnt.runs.Load(); n != 2 {
		t.Errorf("%d probes ran, want 2", n)
	}
	advance(31 * time.Second)
	third := get(t, nil, probeURL(base, good, "meta"), nil)
	if third.value(t, "wacheck_probe_cached", nil) != 0 || cnt.runs.Load() != 3 {
		t.Errorf("after the interval: cached %v, %d probes", third.value(t, "wacheck_probe_cached", nil), cnt.runs.Load())
	}
	// Scrapes at once of one target share one probe.
	var wg sync.WaitGroup
	advance(time.Hour)
	for range 5 {
		wg.Go(func() { get(t, nil, probeURL(base, good, "meta"), nil) })
	}
	wg.Wait()
	if n := cnt.runs.Load(); n != 4 {
		t.Errorf("5 scrapes at once ran %d probes, want 1 more than 3", n)
	}
	rec := s.Recent()
	if len(rec) != 9 || !rec[len(rec)-2].Cached || rec[len(rec)-1].Cached {
		t.Errorf("status page: %+v", rec)
	}
}

// TestBusy: with the one probe slot taken by a silent server, a scrape waits
// until its deadline and answers busy.
func TestBusy(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	cfg := &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}}
	silent := testpki.StartSilent(t)
	good := testpki.StartTLS(t, cfg)
	mods := BuiltinModules()
	mods["meta"].Enumerate = false
	_, base := exporterFor(t, Config{Modules: mods, Concurrency: 1}, trust.New("test", c.Root.Cert))
	done := make(chan struct{})
	go func() {
		defer close(done)
		get(t, nil, probeURL(base, silent, "meta"), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "3"})
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	s := get(t, nil, probeURL(base, good, "meta"), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "1.5"})
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("busy answer after %s", took)
	}
	if s.code != 200 {
		t.Fatalf("status %d, want 200 with metrics", s.code)
	}
	if r := s.errorReason(t); r != ReasonBusy {
		t.Errorf("reason = %q, want busy", r)
	}
	if v := s.value(t, "wacheck_probe_success", nil); v != 0 {
		t.Errorf("success = %v", v)
	}
	if s.fams["wacheck_check_status"] != nil || s.fams["wacheck_probe_status"] != nil {
		t.Error("check metrics for a probe that did not run")
	}
	<-done
	m := get(t, nil, base+"/metrics", nil)
	if v := m.value(t, "wacheck_exporter_probe_rejections_total", map[string]string{"reason": "busy"}); v != 1 {
		t.Errorf("busy rejections = %v, want 1", v)
	}
	if v := m.value(t, "wacheck_exporter_probes_total", map[string]string{"module": "meta", "result": "rejected"}); v != 1 {
		t.Errorf("rejected = %v, want 1", v)
	}
}

// TestClientGoneEndsProbe: when the scraper goes away, the probe stops.
func TestClientGoneEndsProbe(t *testing.T) {
	silent := testpki.StartSilent(t)
	s, base := exporterFor(t, Config{}, trust.Mozilla())
	client := &http.Client{Timeout: 300 * time.Millisecond}
	if _, err := client.Get(probeURL(base, silent, "meta")); err == nil {
		t.Fatal("the scrape of a silent server answered within 300ms")
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		m := get(t, nil, base+"/metrics", nil)
		if m.value(t, "wacheck_exporter_probes_in_flight", nil) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the probe still runs 3s after its scraper went away (its timeout is 10s)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(s.Recent()) != 0 {
		t.Errorf("an abandoned probe is on the status page: %v", s.Recent())
	}
}

// TestHostileNames: server-sent names reach labels escaped and cut, and a
// hostile target reaches the status page escaped.
func TestHostileNames(t *testing.T) {
	now := time.Now()
	h := testpki.NewHostilePKI(t, now)
	hostile := testpki.StartHostileTLS(t, h)
	long := strings.Repeat("é", 40) + testpki.HostileText
	leaf := h.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, CommonName: long, DNSNames: []string{"localhost"}})
	longSrv := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(h.Intermediate.DER)}})
	s, base := exporterFor(t, Config{MinInterval: 0}, trust.New("hostile", h.Root.Cert))

	for _, addr := range []string{hostile, longSrv} {
		g := get(t, nil, probeURL(base, addr, "meta"), nil)
		cns := 0
		for _, name := range []string{"wacheck_cert_not_after_seconds", "wacheck_cert_not_before_seconds"} {
			for _, se := range g.series(name) {
				cn := se.labels["cn"]
				cns++
				if len(cn) > maxCNBytes || !utf8.ValidString(cn) || strings.ContainsFunc(cn, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x202e }) {
					t.Errorf("%s cn %q: not escaped or longer than %d bytes", name, cn, maxCNBytes)
				}
				if len(se.labels["serial"]) > maxSerialChars {
					t.Errorf("serial %q longer than %d", se.labels["serial"], maxSerialChars)
				}
			}
		}
		if cns == 0 {
			t.Fatalf("%s: no certificate series\n%s", addr, g.body)
		}
		cn := ""
		for _, se := range g.series("wacheck_cert_not_after_seconds") {
			if se.labels["position"] == "0" {
				cn = se.labels["cn"]
			}
		}
		want := "leaf " + `\x1b[2J\x1b[H`
		if addr == longSrv {
			want = truncate(strings.Repeat("é", 40)+`\x1b[2J`, maxCNBytes)
		}
		if !strings.HasPrefix(cn, want) && cn != want {
			t.Errorf("leaf cn %q, want it to start %q", cn, want)
		}
		if addr == longSrv && len(cn) != 64 {
			t.Errorf("long cn is %d bytes, want cut to 64", len(cn))
		}
	}

	// A target the parser takes with HTML in its path is escaped on /.
	evil := "https://" + hostile + "/a?<script>alert(1)</script>"
	get(t, nil, probeURL(base, evil, "meta"), nil)
	page := get(t, nil, base+"/", nil)
	if page.code != 200 || len(s.Recent()) != 3 {
		t.Fatalf("status page %d, %d probes", page.code, len(s.Recent()))
	}
	if strings.Contains(page.body, "<script>") || strings.Contains(page.body, "\x1b") {
		t.Errorf("the status page carries the target raw:\n%s", page.body)
	}
	if !strings.Contains(page.body, "&lt;script&gt;") {
		t.Errorf("the status page does not list the hostile target escaped:\n%s", page.body)
	}
	if strings.Contains(page.body, "PWNED") {
		t.Error("the status page shows server-sent text")
	}
}

func TestStatusPageRing(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range recentProbes + 7 {
		s.remember(strconv.Itoa(i), "meta", &outcome{reason: ReasonNone}, false)
	}
	rec := s.Recent()
	if len(rec) != recentProbes || rec[0].Target != strconv.Itoa(recentProbes+6) || rec[recentProbes-1].Target != "7" {
		t.Errorf("ring: %d entries, newest %q, oldest %q", len(rec), rec[0].Target, rec[len(rec)-1].Target)
	}
	r := httptest.NewRecorder()
	s.Handler().ServeHTTP(r, httptest.NewRequest("GET", "/nothing", nil))
	if r.Code != 404 {
		t.Errorf("/nothing: %d", r.Code)
	}
}

// fds counts the process's open file descriptors.
func fds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestLoad: 200 scrapes at once across 50 loopback targets stay within the
// concurrency limit, probe each target once (the others share its result,
// as a scrape storm's would) and leave no goroutine, descriptor or memory
// behind.
func TestLoad(t *testing.T) {
	const targets, scrapes, limit = 50, 200, 8
	c := testpki.NewChain(t, time.Now())
	cfg := &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}}
	var addrs []string
	for range targets {
		addrs = append(addrs, testpki.StartTLS(t, cfg))
	}
	mods := BuiltinModules()
	mods["meta"].Enumerate = false
	// A loaded test machine (-race, other tests) is slow: the timing
	// checks are not what this test is about.
	th := &mods["meta"].Thresholds
	th.ConnectWarn, th.HandshakeWarn, th.HandshakeFail = time.Minute, time.Minute, time.Minute
	mods["meta"].Timeout = 30 * time.Second
	s, err := New(Config{Modules: mods, Concurrency: limit, MinInterval: time.Minute, Roots: trust.New("test", c.Root.Cert)})
	if err != nil {
		t.Fatal(err)
	}
	var cnt counting
	cnt.wrap(s)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.ListenAndServe(ctx, ln, 2*time.Second) }()
	base := "http://" + ln.Addr().String()
	tr := &http.Transport{MaxIdleConnsPerHost: scrapes}
	client := &http.Client{Transport: tr}

	settle := runtime.GC
	settle()
	goroutines0, fds0, heap0 := numGoroutine(), fds(t), heapAlloc()

	var wg sync.WaitGroup
	loadStart := time.Now()
	var ok, busy, cached atomic.Int64
	for i := range scrapes {
		wg.Go(func() {
			g := get(t, client, probeURL(base, addrs[i%targets], "meta"), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "30"})
			if g.code != 200 {
				t.Errorf("status %d", g.code)
				return
			}
			if g.value(t, "wacheck_probe_cached", nil) == 1 {
				cached.Add(1)
			}
			if g.value(t, "wacheck_probe_success", nil) != 1 {
				t.Logf("%s: reason %s, failing %v", addrs[i%targets], g.errorReason(t), g.checksAt(4))
			}
			switch g.errorReason(t) {
			case ReasonNone:
				if g.value(t, "wacheck_probe_success", nil) == 1 {
					ok.Add(1)
				}
			case ReasonBusy:
				busy.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("scrapes done after %s", time.Since(loadStart))
	// 50 targets wanted probing at once: the limit was reached, not passed.
	if peak := cnt.peak.Load(); peak != limit {
		t.Errorf("%d probes at once, want %d", peak, limit)
	}
	if ok.Load() != scrapes || cnt.runs.Load() != targets || cached.Load() != scrapes-targets {
		t.Errorf("%d of %d scrapes succeeded (%d busy, %d cached), %d probes ran, want one per target", ok.Load(), scrapes,
			busy.Load(), cached.Load(), cnt.runs.Load())
	}
	m := get(t, client, base+"/metrics", nil)
	if v := m.value(t, "wacheck_exporter_probes_total", map[string]string{"module": "meta", "result": "success"}); v != targets {
		t.Errorf("probes_total success = %v", v)
	}
	if v := m.value(t, "wacheck_exporter_probes_in_flight", nil); v != 0 {
		t.Errorf("in flight after the load: %v", v)
	}
	tr.CloseIdleConnections()

	// Back to the baseline: goroutines and descriptors within a few (the
	// test servers' idle connections close as the clients' do).
	deadline := time.Now().Add(5 * time.Second)
	for {
		settle()
		g, f := numGoroutine(), fds(t)
		if g <= goroutines0+5 && f <= fds0+5 {
			t.Logf("settled after %s: goroutines %d → %d, fds %d → %d", time.Since(loadStart), goroutines0, g, fds0, f)
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("leak: goroutines %d → %d, descriptors %d → %d", goroutines0, g, fds0, f)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if grown := int64(heapAlloc()) - int64(heap0); grown > 64<<20 {
		t.Errorf("heap grew by %d MiB", grown>>20)
	}
	stop()
	if err := <-served; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func numGoroutine() int { return runtime.NumGoroutine() }

func heapAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestWebhookModule: a module with a webhook section makes the
// verification request, with the token of its file, and no delivery.
func TestWebhookModule(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	cert := c.TLSCertificate(c.Intermediate.DER)
	right := &testwebhook.Handler{Token: "s3cret"}
	wrong := &testwebhook.Handler{Token: "another"}
	rightAddr, wrongAddr := testwebhook.Start(t, right, cert), testwebhook.Start(t, wrong, cert)
	token := writeFile(t, "token", "s3cret\n")
	cfg, err := LoadConfig(writeFile(t, "c.yml", "modules:\n  meta_hook:\n    enumerate: false\n    webhook: {path: /wh, verify_token_file: "+token+"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MinInterval = 0
	_, base := exporterFor(t, *cfg, trust.New("test", c.Root.Cert))

	ok := get(t, nil, probeURL(base, rightAddr, "meta_hook"), nil)
	if v := ok.value(t, "wacheck_check_status", map[string]string{"check": "webhook.verify"}); v != 0 {
		t.Errorf("webhook.verify = %v, want 0\n%s", v, ok.body)
	}
	if v := ok.value(t, "wacheck_probe_success", nil); v != 1 {
		t.Errorf("success = %v, want 1 (failing: %v)", v, ok.checksAt(4))
	}
	bad := get(t, nil, probeURL(base, wrongAddr, "meta_hook"), nil)
	if v := bad.value(t, "wacheck_check_status", map[string]string{"check": "webhook.verify"}); v != 4 {
		t.Errorf("webhook.verify with the wrong token = %v, want 4", v)
	}
	if f := bad.checksAt(4); !slices.Equal(f, []string{"webhook.verify"}) {
		t.Errorf("failing checks %v, want webhook.verify alone", f)
	}
	if right.Requests.Load() == 0 || right.Deliveries.Load() != 0 || wrong.Deliveries.Load() != 0 {
		t.Errorf("requests %d, deliveries %d and %d: want the verification only", right.Requests.Load(),
			right.Deliveries.Load(), wrong.Deliveries.Load())
	}
	// The built-in module makes no webhook request.
	before := right.Requests.Load()
	get(t, nil, probeURL(base, rightAddr, "meta"), nil)
	if right.Requests.Load() != before {
		t.Error("the built-in module made a webhook request")
	}
}

// TestErrorReasons: a probe that could not judge the server says why, and
// has no check or certificate series that blame something else.
func TestErrorReasons(t *testing.T) {
	_, base := exporterFor(t, Config{MinInterval: 0}, trust.Mozilla())
	for _, tt := range []struct {
		name, addr, reason, check string
	}{
		{"closed port", testpki.ClosedPort(t), ReasonConnect, "connect.tcp"},
		{"alert", testpki.StartAlert(t, 40), ReasonTLS, "tls.handshake"},
	} {
		s := get(t, nil, probeURL(base, tt.addr, "meta"), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"})
		if r := s.errorReason(t); r != tt.reason {
			t.Errorf("%s: reason %q, want %q", tt.name, r, tt.reason)
		}
		if v := s.value(t, "wacheck_probe_success", nil); v != 0 {
			t.Errorf("%s: success %v", tt.name, v)
		}
		if s.fams["wacheck_cert_not_after_seconds"] != nil || s.fams["wacheck_tls_info"] != nil {
			t.Errorf("%s: certificate or TLS series without a handshake", tt.name)
		}
		// The checks say what failed, and nothing else fails.
		if f := s.checksAt(4); !slices.Equal(f, []string{tt.check}) {
			t.Errorf("%s: failing checks %v, want %s alone", tt.name, f, tt.check)
		}
	}
	// A name with no address (the DNS answer is evidence in the report).
	if r := reason(&report.Report{Addresses: []report.Address{}}, false); r != ReasonDNS {
		t.Errorf("no address: %q, want dns", r)
	}
}

// TestCacheBound: the cache holds at most maxCached results; when full, the
// expired ones go, and a probe that finds no room is not cached.
func TestCacheBound(t *testing.T) {
	s, base, good, cnt, advance := cachingExporter(t)
	// Fill the cache with fresh results of other targets.
	done := make(chan struct{})
	close(done)
	s.mu.Lock()
	for i := range maxCached {
		s.cache[fmt.Sprint("other", i)] = &entry{done: done, out: &outcome{at: s.now()}}
	}
	s.mu.Unlock()
	for range 2 {
		if g := get(t, nil, probeURL(base, good, "meta"), nil); g.value(t, "wacheck_probe_cached", nil) != 0 {
			t.Error("a result was cached in a full cache")
		}
	}
	if n := cnt.runs.Load(); n != 2 {
		t.Errorf("%d probes, want 2: no room to cache the first", n)
	}
	// Once the others have expired, they make room.
	advance(2 * time.Minute)
	get(t, nil, probeURL(base, good, "meta"), nil)
	if g := get(t, nil, probeURL(base, good, "meta"), nil); g.value(t, "wacheck_probe_cached", nil) != 1 {
		t.Error("not cached after the expired results were swept")
	}
	s.mu.Lock()
	n := len(s.cache)
	s.mu.Unlock()
	if n != 1 || cnt.runs.Load() != 3 {
		t.Errorf("cache holds %d, %d probes; want 1 and 3", n, cnt.runs.Load())
	}
}
