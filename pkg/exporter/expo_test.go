package exporter

import (
	"bytes"
	"crypto/tls"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/trust"
)

// hostileValues are label values a server could make us write: quotes,
// backslashes, line breaks, bytes that are not UTF-8, bidi controls, and
// escape.Line's own escapes.
var hostileValues = []string{
	"",
	`a"b`,
	`back\slash`,
	`trailing\`,
	"line\nbreak",
	"cr\rlf\r\n",
	"\xff\xfe\xc0\x80 not UTF-8",
	"rtl \u202egnp.exe",
	`\x1b[2J\u202e`,
	`"}` + " 1\nevil_metric 666",
	"tab\tand nul\x00",
	testpki.HostileText,
	testpki.HostileBytes,
}

// hostileFamilies covers the writer's rules: label order and series order,
// hostile values, every kind of number, an empty family, a replaced series.
func hostileFamilies() []*family {
	cn := newFamily("test_cert_cn", "A help with a backslash \\ and\na line break.", typeGauge, "cn", "address")
	for i, v := range hostileValues {
		cn.set(float64(i), v, "127.0.0.1:443")
		cn.set(float64(-i), "127.0.0.1:443", v)
	}
	nums := newFamily("test_numbers", "Numbers as expfmt formats them.", typeGauge, "n")
	for i, v := range []float64{0, math.Copysign(0, -1), 1, -1, 0.25, 1e-300, 5e-324, 1798750000, 1.796167275067282e+09,
		1 << 53, 1<<53 + 2, 123456789012345678, 1e21, math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.Inf(-1),
		math.NaN(), 0.1 + 0.2, 100, 1e6} {
		nums.set(v, strings.Repeat("x", i)) // distinct, sorted by length
	}
	c := newFamily("test_total", "A counter.", typeCounter, "reason")
	c.set(1, "b")
	c.set(2, "a")
	c.set(3, "b") // replaces
	c.set(4)      // the wrong number of values: dropped
	empty := newFamily("test_empty", "No series: no family.", typeGauge, "x")
	plain := newFamily("a_first", "Sorted first.", typeGauge)
	plain.set(7)
	return []*family{cn, nums, c, empty, plain}
}

// clientGolangText is what client_golang writes for the families: a
// registry gathers them (sorting them as it did for /probe and /metrics)
// and expfmt encodes them.
func clientGolangText(t *testing.T, fams []*family) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(constCollector(fams)); err != nil {
		t.Fatal(err)
	}
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, f := range gathered {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

type constCollector []*family

func (c constCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range c {
		ch <- prometheus.NewDesc(f.name, f.help, f.labels, nil)
	}
}

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c {
		vt := prometheus.GaugeValue
		if f.typ == typeCounter {
			vt = prometheus.CounterValue
		}
		d := prometheus.NewDesc(f.name, f.help, f.labels, nil)
		for _, s := range f.samples {
			ch <- prometheus.MustNewConstMetric(d, vt, s.value, s.values...)
		}
	}
}

func writeString(t *testing.T, fams []*family) string {
	t.Helper()
	var b bytes.Buffer
	if err := writeText(&b, fams); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// parse parses an exposition with expfmt's text parser, with UTF-8 names
// allowed as Prometheus 3 does.
func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, text)
	}
	return fams
}

// TestExpositionFormat: the writer's output is client_golang's for the
// same metrics, byte for byte, and expfmt's parser reads back every label
// value (made valid UTF-8) and every number.
func TestExpositionFormat(t *testing.T) {
	fams := hostileFamilies()
	got := writeString(t, fams)
	if want := clientGolangText(t, fams); got != want {
		t.Errorf("exposition differs from client_golang's:\n--- got\n%s\n--- want\n%s", got, want)
	}
	if again := writeString(t, fams); again != got {
		t.Error("writing twice gives two expositions")
	}
	if !utf8.ValidString(got) {
		t.Error("the exposition is not UTF-8")
	}
	parsed := parse(t, got)
	if len(parsed) != 4 || parsed["test_empty"] != nil || parsed["evil_metric"] != nil {
		t.Errorf("families %v, want the 4 with series", slices.Sorted(func(yield func(string) bool) {
			for k := range parsed {
				if !yield(k) {
					return
				}
			}
		}))
	}
	for _, f := range fams {
		p := parsed[f.name]
		if len(f.samples) == 0 {
			continue
		}
		if p == nil || p.GetHelp() != f.help || strings.ToLower(p.GetType().String()) != f.typ {
			t.Fatalf("%s: parsed as %v", f.name, p)
		}
		if len(p.Metric) != len(f.samples) {
			t.Errorf("%s: %d series parsed, want %d", f.name, len(p.Metric), len(f.samples))
		}
		for _, s := range f.samples {
			found := false
			for _, m := range p.Metric {
				if !labelsAre(m, f.labels, s.values) {
					continue
				}
				found = true
				v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
				if v != s.value && !(math.IsNaN(v) && math.IsNaN(s.value)) {
					t.Errorf("%s%q: parsed %v, wrote %v", f.name, s.values, v, s.value)
				}
			}
			if !found {
				t.Errorf("%s%q: no such series parsed", f.name, s.values)
			}
		}
	}
	// Hostile values reach the parser whole, not cut or split.
	for _, v := range hostileValues {
		want := strings.ToValidUTF8(v, "\uFFFD")
		if v := value(parsed["test_cert_cn"], map[string]string{"cn": want, "address": "127.0.0.1:443"}); v == nil {
			t.Errorf("cn %q did not round-trip", want)
		}
	}
	if v := value(parsed["test_total"], map[string]string{"reason": "b"}); v == nil || *v != 3 {
		t.Errorf("replaced series: %v, want 3", v)
	}
	for _, line := range []string{
		`test_numbers{n=""} 0`, `test_numbers{n="x"} 0`, `test_numbers{n="xx"} 1`, `test_numbers{n="xxx"} -1`,
		`test_numbers{n="xxxxxxx"} 1.79875e+09`, `test_numbers{n="xxxxxxxxxxxxxxx"} +Inf`,
		`test_numbers{n="xxxxxxxxxxxxxxxx"} -Inf`, `test_numbers{n="xxxxxxxxxxxxxxxxx"} NaN`,
		`test_cert_cn{address="127.0.0.1:443",cn="a\"b"} 1`, `test_cert_cn{address="127.0.0.1:443",cn="line\nbreak"} 4`,
		`test_cert_cn{address="127.0.0.1:443",cn="back\\slash"} 2`, `# HELP test_cert_cn A help with a backslash \\ and\na line break.`,
		"a_first 7",
	} {
		if !strings.Contains(got, "\n"+line+"\n") && !strings.HasPrefix(got, line+"\n") {
			t.Errorf("no line %s in\n%s", line, got)
		}
	}
	promtoolCheck(t, got)
}

func labelsAre(m *dto.Metric, names, values []string) bool {
	if len(m.Label) != len(names) {
		return false
	}
	for _, lp := range m.Label {
		i := slices.Index(names, lp.GetName())
		if i < 0 || values[i] != lp.GetValue() {
			return false
		}
	}
	return true
}

// value is the value of f's series with exactly the labels want.
func value(f *dto.MetricFamily, want map[string]string) *float64 {
	if f == nil {
		return nil
	}
	names := make([]string, 0, len(want))
	values := make([]string, 0, len(want))
	for k, v := range want {
		names, values = append(names, k), append(values, v)
	}
	for _, m := range f.Metric {
		if labelsAre(m, names, values) {
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			return &v
		}
	}
	return nil
}

// promtoolCheck lints an exposition with Prometheus's promtool.
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("WACHECK_REQUIRE_INTEGRATION") != "" {
			t.Fatal("promtool is not installed and WACHECK_REQUIRE_INTEGRATION is set")
		}
		t.Log("skipping promtool check metrics: promtool is not installed")
		return
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Errorf("promtool check metrics: %v\n%s\n--- input\n%s", err, out, text)
	}
}

// TestScrapesParse: what /probe and /metrics answer, for real probes of
// healthy, hostile and unreachable servers, parses with expfmt, is sorted
// as client_golang sorted it, is written as expfmt writes it, passes
// promtool, and carries the server's hostile names escaped.
func TestScrapesParse(t *testing.T) {
	now := time.Now()
	h := testpki.NewHostilePKI(t, now)
	hostile := testpki.StartHostileTLS(t, h)
	weird := "q\"uote\\back\nslash \u202e" + testpki.HostileText
	leaf := h.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, CommonName: weird, DNSNames: []string{"localhost"}})
	weirdSrv := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(h.Intermediate.DER)}})
	c := testpki.NewChain(t, now)
	good := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	_, base := exporterFor(t, Config{MinInterval: time.Minute}, trust.New("hostile", h.Root.Cert, c.Root.Cert))

	var bodies []scraped
	for _, addr := range []string{hostile, weirdSrv, good, testpki.ClosedPort(t), good /* cached */} {
		g := get(t, nil, probeURL(base, addr, "meta"), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"})
		if g.code != 200 || g.header.Get("Content-Type") != contentType {
			t.Fatalf("%s: %d %q", addr, g.code, g.header.Get("Content-Type"))
		}
		bodies = append(bodies, g)
	}
	if v := bodies[4].value(t, "wacheck_probe_cached", nil); v != 1 {
		t.Errorf("the second probe of %s: cached %v, want 1", good, v)
	}
	m := get(t, nil, base+"/metrics", nil)
	if m.code != 200 || m.header.Get("Content-Type") != contentType {
		t.Fatalf("/metrics: %d %q", m.code, m.header.Get("Content-Type"))
	}
	bodies = append(bodies, m)

	for _, b := range bodies {
		// Written as expfmt writes what it parsed, in the order of
		// client_golang's registry.
		var names []string
		for n := range b.fams {
			names = append(names, n)
		}
		slices.Sort(names)
		var re bytes.Buffer
		for _, n := range names {
			f := b.fams[n]
			if !slices.IsSortedFunc(f.Metric, compareMetrics) {
				t.Errorf("%s: series not sorted by label values", n)
			}
			if _, err := expfmt.MetricFamilyToText(&re, f); err != nil {
				t.Fatal(err)
			}
		}
		if re.String() != b.body {
			t.Errorf("the exposition is not expfmt's:\n--- got\n%s\n--- expfmt\n%s", b.body, re.String())
		}
		promtoolCheck(t, b.body)
	}

	// The weird CN reaches its label escaped as escape.Line does, cut to
	// 64 bytes, and whole through the exposition's own escaping.
	cn := ""
	for _, se := range bodies[1].series("wacheck_cert_not_after_seconds") {
		if se.labels["position"] == "0" {
			cn = se.labels["cn"]
		}
	}
	if want := `q"uote\back\nslash \u202e\x1b[2J\x1b[H\x1b[31mPWNED\x07\r\n  ✓`; cn != want || len(cn) != maxCNBytes {
		t.Errorf("cn label %q, want %q", cn, want)
	}
	if !strings.Contains(bodies[1].body, `cn="q\"uote\\back\\nslash \\u202e`) {
		t.Errorf("the cn is not written escaped:\n%s", bodies[1].body)
	}
	for _, b := range bodies {
		if strings.ContainsAny(b.body, "\x1b\u202e\r") || strings.Contains(b.body, "PWNED\a") || !utf8.ValidString(b.body) {
			t.Errorf("raw server text in the exposition:\n%s", b.body)
		}
	}
}

// compareMetrics orders series as client_golang did: by their label
// values, label pairs sorted by name.
func compareMetrics(a, b *dto.Metric) int {
	for i := range min(len(a.Label), len(b.Label)) {
		if c := strings.Compare(a.Label[i].GetValue(), b.Label[i].GetValue()); c != 0 {
			return c
		}
	}
	return len(a.Label) - len(b.Label)
}

// TestRuntimeMetrics: /metrics has the Go runtime's and (on Linux) the
// process's metrics, under client_golang's names, with plausible values.
func TestRuntimeMetrics(t *testing.T) {
	start := time.Now()
	_, base := exporterFor(t, Config{}, trust.Mozilla())
	m := get(t, nil, base+"/metrics", nil)
	positive := []string{"go_goroutines", "go_threads", "go_memstats_alloc_bytes", "go_memstats_heap_inuse_bytes",
		"go_memstats_sys_bytes"}
	if runtime.GOOS == "linux" {
		positive = append(positive, "process_cpu_seconds_total", "process_resident_memory_bytes",
			"process_virtual_memory_bytes", "process_open_fds", "process_max_fds")
	}
	for _, name := range positive {
		if v := m.value(t, name, nil); !(v > 0) || v > 1<<50 {
			t.Errorf("%s = %v", name, v)
		}
	}
	if v := m.value(t, "go_info", map[string]string{"version": runtime.Version()}); v != 1 {
		t.Errorf("go_info = %v", v)
	}
	if m.fams["process_cpu_seconds_total"] != nil && m.fams["process_cpu_seconds_total"].GetType() != dto.MetricType_COUNTER {
		t.Error("process_cpu_seconds_total is not a counter")
	}
	if runtime.GOOS != "linux" {
		return
	}
	// The test binary started before this test, within a minute on any
	// machine that runs it; the boot time is in whole seconds.
	st := m.value(t, "process_start_time_seconds", nil)
	if st > float64(start.Unix())+1 || st < float64(start.Add(-time.Minute).Unix()) {
		t.Errorf("process_start_time_seconds = %v, test started at %d", st, start.Unix())
	}
	if open := m.value(t, "process_open_fds", nil); open < 3 || open > m.value(t, "process_max_fds", nil) {
		t.Errorf("process_open_fds = %v", open)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if rss := m.value(t, "process_resident_memory_bytes", nil); rss < float64(ms.HeapInuse)/2 || rss > m.value(t, "process_virtual_memory_bytes", nil) {
		t.Errorf("process_resident_memory_bytes = %v (heap in use %d)", rss, ms.HeapInuse)
	}
	// The values move: a second scrape sees its own.
	time.Sleep(20 * time.Millisecond)
	for n := 0; time.Since(start) < 300*time.Millisecond; n++ { // burn some CPU
	}
	m2 := get(t, nil, base+"/metrics", nil)
	if m2.value(t, "process_cpu_seconds_total", nil) <= m.value(t, "process_cpu_seconds_total", nil) {
		t.Error("process_cpu_seconds_total did not grow")
	}
	if m2.value(t, "process_start_time_seconds", nil) != st {
		t.Error("process_start_time_seconds changed between scrapes")
	}
}
