//go:build linux

package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/internal/testpki"
)

// The monitoring files wacheck ships (docs/prometheus/README.md), from
// integration/.
const (
	promDir        = "../docs/prometheus"
	promConfigFile = "prometheus.yml"
	promRulesFile  = "wacheck.rules.yml"
	promTestsFile  = "wacheck.rules.test.yml"
	dashboardFile  = "grafana-dashboard.json"
	metricsDoc     = "../docs/metrics.md"
)

// TestPromtool runs promtool on the shipped files: the scrape config (which
// loads the rules), the rules, and the rules' unit tests.
func TestPromtool(t *testing.T) {
	promtool := requireBinary(t, "promtool")
	for _, args := range [][]string{
		{"check", "config", promConfigFile},
		{"check", "rules", promRulesFile},
		{"test", "rules", promTestsFile},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out := runPromtool(t, promtool, promDir, args...)
			if !strings.Contains(out, "SUCCESS") {
				t.Errorf("promtool %s says no SUCCESS:\n%s", strings.Join(args, " "), out)
			}
		})
	}
}

// runPromtool runs promtool in dir and fails the test unless it exits 0.
func runPromtool(t *testing.T, promtool, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleTests is the part of a promtool test file the tests read.
type ruleTests struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		Name        string `yaml:"name"`
		InputSeries []struct {
			Series string `yaml:"series"`
		} `yaml:"input_series"`
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromQLExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestAlertRulesShape asserts what promtool does not: every alert has a
// severity and a summary and description, a promtool test case in which it
// fires, and a row in docs/prometheus/README.md.
func TestAlertRulesShape(t *testing.T) {
	var rules ruleFile
	readYAML(t, filepath.Join(promDir, promRulesFile), &rules)
	var tests ruleTests
	readYAML(t, filepath.Join(promDir, promTestsFile), &tests)
	readme, err := os.ReadFile(filepath.Join(promDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tests.RuleFiles, promRulesFile) {
		t.Errorf("%s tests rule files %q, want %s among them", promTestsFile, tests.RuleFiles, promRulesFile)
	}
	fires := map[string]bool{}
	for _, tg := range tests.Tests {
		for _, at := range tg.AlertRuleTest {
			if len(at.ExpAlerts) > 0 {
				fires[at.Alertname] = true
			}
		}
	}
	alerts := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q, want warning or critical", r.Alert, s)
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s has no %s annotation", r.Alert, a)
				}
			}
			if !fires[r.Alert] {
				t.Errorf("%s fires in no test case of %s", r.Alert, promTestsFile)
			}
			if !bytes.Contains(readme, []byte("`"+r.Alert+"`")) {
				t.Errorf("%s is not described in docs/prometheus/README.md", r.Alert)
			}
		}
	}
	if alerts < 8 {
		t.Errorf("%d alerting rules in %s, want the 8 or more of issue 14", alerts, promRulesFile)
	}
}

// grafanaDashboard is the part of a Grafana dashboard JSON model the tests
// read (https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/).
type grafanaDashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string             `json:"name"`
			Type       string             `json:"type"`
			Query      json.RawMessage    `json:"query"`
			Definition string             `json:"definition"`
			Datasource *grafanaDatasource `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type grafanaDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaPanel struct {
	ID         int                `json:"id"`
	Type       string             `json:"type"`
	Title      string             `json:"title"`
	Datasource *grafanaDatasource `json:"datasource"`
	GridPos    struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string             `json:"refId"`
		Expr       string             `json:"expr"`
		Datasource *grafanaDatasource `json:"datasource"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"` // a row's
}

// dashboardVariable is how the dashboard's data source variable is named
// in every panel and query.
const dashboardVariable = "${datasource}"

// readDashboard parses the dashboard and checks its shape: a Prometheus
// data source variable that every panel and query uses, unique panel ids,
// panels inside the 24-column grid, a query in every target.
func readDashboard(t *testing.T) *grafanaDashboard {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(promDir, dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	// Grafana's model has many more fields than these: the decoding is
	// lenient, but the file must be one JSON object.
	var d grafanaDashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("dashboard uid %q, title %q, schemaVersion %d: want a uid, a title and a current schema", d.UID, d.Title, d.SchemaVersion)
	}
	hasDS := false
	for _, v := range d.Templating.List {
		if v.Type == "datasource" {
			var q string
			json.Unmarshal(v.Query, &q)
			hasDS = "${"+v.Name+"}" == dashboardVariable && q == "prometheus"
		}
		if v.Type == "query" && (v.Datasource == nil || v.Datasource.UID != dashboardVariable) {
			t.Errorf("variable %s queries %+v, want the data source %s", v.Name, v.Datasource, dashboardVariable)
		}
	}
	if !hasDS {
		t.Errorf("the dashboard has no Prometheus data source variable named %s", dashboardVariable)
	}
	ids := map[int]string{}
	var walk func(ps []grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			if old, dup := ids[p.ID]; dup || p.ID == 0 {
				t.Errorf("panel %q has id %d (already %q's)", p.Title, p.ID, old)
			}
			ids[p.ID] = p.Title
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("panel %q: gridPos %+v outside the 24-column grid", p.Title, g)
			}
			if p.Type != "row" {
				if p.Title == "" || len(p.Targets) == 0 {
					t.Errorf("panel %d (%s) has no title or no query", p.ID, p.Type)
				}
				if p.Datasource == nil || p.Datasource.UID != dashboardVariable {
					t.Errorf("panel %q: datasource %+v, want %s", p.Title, p.Datasource, dashboardVariable)
				}
			}
			refs := map[string]bool{}
			for _, q := range p.Targets {
				if q.Expr == "" || q.RefID == "" || refs[q.RefID] {
					t.Errorf("panel %q: a query without expr or with a missing or repeated refId %q", p.Title, q.RefID)
				}
				refs[q.RefID] = true
				if q.Datasource == nil || q.Datasource.UID != dashboardVariable {
					t.Errorf("panel %q query %s: datasource %+v, want %s", p.Title, q.RefID, q.Datasource, dashboardVariable)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return &d
}

// dashboardExprs are the dashboard's PromQL queries by panel title and
// refId, variables left in.
func dashboardExprs(d *grafanaDashboard) map[string]string {
	out := map[string]string{}
	var walk func(ps []grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, q := range p.Targets {
				out[p.Title+" "+q.RefID] = q.Expr
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			out["variable "+v.Name] = v.Definition
		}
	}
	return out
}

// TestGrafanaDashboard checks the dashboard's shape and that it has the
// panels issue 14 asks for.
func TestGrafanaDashboard(t *testing.T) {
	d := readDashboard(t)
	exprs := dashboardExprs(d)
	for _, want := range []string{
		"wacheck_probe_status", "wacheck_probe_success", "wacheck_cert_not_after_seconds",
		`wacheck_phase_duration_seconds{phase="tls"`, "wacheck_check_status", "wacheck_exporter_probe_rejections_total",
	} {
		found := false
		for _, e := range exprs {
			found = found || strings.Contains(e, want)
		}
		if !found {
			t.Errorf("no panel queries %s", want)
		}
	}
}

// TestMonitoringMetricsDocumented asserts that every metric the rules, their
// tests and the dashboard name is documented in docs/metrics.md: a renamed
// metric fails here, not silently in someone's Prometheus.
func TestMonitoringMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile(metricsDoc)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing: it documents wacheck serve's metrics (issue 14), which the rules and the dashboard in %s use", metricsDoc, promDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`wacheck_[a-z0-9_]+`).FindAll(doc, -1) {
		documented[string(m)] = true
	}
	used := monitoringMetrics(t)
	if len(used) < 10 {
		t.Fatalf("found only %d metric names in the rules and the dashboard: %v", len(used), slices.Sorted(maps.Keys(used)))
	}
	for _, name := range slices.Sorted(maps.Keys(used)) {
		if name == "up" {
			continue // Prometheus's own
		}
		if !documented[name] {
			t.Errorf("%s (used in %s) is not documented in %s", name, strings.Join(used[name], ", "), metricsDoc)
		}
	}
}

// monitoringMetrics maps every metric name used in the rules (expressions
// and the queries in their annotations), the rules' tests and the dashboard
// to where it is used.
func monitoringMetrics(t *testing.T) map[string][]string {
	used := map[string][]string{}
	add := func(where, expr string) {
		for _, sel := range promSelectors(expr) {
			name, _, _ := strings.Cut(sel, "{")
			if !slices.Contains(used[name], where) {
				used[name] = append(used[name], where)
			}
		}
	}
	var rules ruleFile
	readYAML(t, filepath.Join(promDir, promRulesFile), &rules)
	inAnnotation := regexp.MustCompile(`\b(wacheck_[a-z0-9_]+)\{`)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			add(r.Alert, r.Expr)
			for _, a := range r.Annotations {
				for _, m := range inAnnotation.FindAllStringSubmatch(a, -1) {
					used[m[1]] = append(used[m[1]], r.Alert+" annotation")
				}
			}
		}
	}
	var tests ruleTests
	readYAML(t, filepath.Join(promDir, promTestsFile), &tests)
	for _, tg := range tests.Tests {
		for _, s := range tg.InputSeries {
			add(promTestsFile, s.Series)
		}
		for _, e := range tg.PromQLExprTest {
			add(promTestsFile, e.Expr)
		}
	}
	for where, e := range dashboardExprs(readDashboard(t)) {
		add(dashboardFile+" "+where, e)
	}
	return used
}

// promSelectors returns the selectors of wacheck's metrics (and of up) in a
// PromQL expression: each such metric name outside string literals,
// label matchers and range brackets, with its {matchers} when it has them.
// Function names (followed by "(") and every other name are left out.
func promSelectors(expr string) []string {
	isStart := func(c byte) bool { return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
	isChar := func(c byte) bool { return isStart(c) || '0' <= c && c <= '9' }
	// skipString returns the index after the string literal at i.
	skipString := func(i int) int {
		q := expr[i]
		for j := i + 1; j < len(expr); j++ {
			switch {
			case expr[j] == '\\' && q != '`':
				j++
			case expr[j] == q:
				return j + 1
			}
		}
		return len(expr)
	}
	var out []string
	depth := 0 // inside {} or []
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(i)
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			depth--
			i++
		case depth == 0 && isStart(c) && (i == 0 || !isChar(expr[i-1]) && expr[i-1] != '$'):
			j := i
			for j < len(expr) && isChar(expr[j]) {
				j++
			}
			name := expr[i:j]
			k := j
			for k < len(expr) && strings.IndexByte(" \t\r\n", expr[k]) >= 0 {
				k++
			}
			if (strings.HasPrefix(name, "wacheck_") || name == "up") && (k == len(expr) || expr[k] != '(') {
				sel := name
				if k < len(expr) && expr[k] == '{' {
					end := k + 1
					for end < len(expr) && expr[end] != '}' {
						if expr[end] == '"' || expr[end] == '\'' || expr[end] == '`' {
							end = skipString(end)
							continue
						}
						end++
					}
					sel = name + expr[k:min(end+1, len(expr))]
					j = min(end+1, len(expr))
				}
				out = append(out, sel)
			}
			i = j
		default:
			i++
		}
	}
	return out
}

func TestPromSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`wacheck_probe_success == 0`, []string{"wacheck_probe_success"}},
		{`(wacheck_cert_not_after_seconds{position="0"} - time()) / 86400 < 14 > 0`,
			[]string{`wacheck_cert_not_after_seconds{position="0"}`}},
		{`quantile_over_time(0.95, wacheck_phase_duration_seconds{phase="tls"}[1h]) >= on(job, instance) group_left wacheck_handshake_threshold_seconds{level="warn"}`,
			[]string{`wacheck_phase_duration_seconds{phase="tls"}`, `wacheck_handshake_threshold_seconds{level="warn"}`}},
		{`sum by (reason) (rate(wacheck_exporter_probe_rejections_total[$__rate_interval]))`,
			[]string{"wacheck_exporter_probe_rejections_total"}},
		{`up{job=~"wacheck_.*", x="}"} == 0`, []string{`up{job=~"wacheck_.*", x="}"}`}},
		{`label_values(wacheck_probe_success{job=~"$job"}, instance)`, []string{`wacheck_probe_success{job=~"$job"}`}},
		{`wacheck_check_status{job="wacheck_meta"}`, []string{`wacheck_check_status{job="wacheck_meta"}`}},
		{`my_wacheck_x + wacheck_y`, []string{"wacheck_y"}},
	} {
		if got := promSelectors(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("promSelectors(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestPrometheusScrapesServe is issue 14's end-to-end test: nginx serves
// the scenarios on loopback, `wacheck serve` probes them, a real Prometheus
// scrapes it with a config derived from the documented one and evaluates
// the shipped rules, and its HTTP API must show the series, values and
// alerts each scenario calls for.
func TestPrometheusScrapesServe(t *testing.T) {
	prometheus := requireBinary(t, "prometheus")
	promtool := requireBinary(t, "promtool")
	nginx := requireBinary(t, "nginx")
	requireBinary(t, "openssl")

	// The sites: scenarios shared with the server tests, and one whose
	// leaf expires in 7 days.
	p := newPKI(t)
	var scs []scenario
	for _, name := range []string{"healthy", "missing-intermediate", "expired", "expired-intermediate", "untrusted-root"} {
		i := slices.IndexFunc(scenarios, func(sc scenario) bool { return sc.name == name })
		if i < 0 {
			t.Fatalf("no scenario %q in scenarios_test.go", name)
		}
		scs = append(scs, scenarios[i])
	}
	sites := setupSites(t, p, scs)
	sites = append(sites, expiringSite(t, p, 7*24*time.Hour))
	byName := map[string]*site{}
	for _, s := range sites {
		byName[s.Name] = s
	}
	startNginxSites(t, nginx, sites)

	// wacheck serve, trusting the test root, with a module of its own: fail
	// on warnings, and a handshake warning threshold every handshake
	// exceeds.
	serveDir := t.TempDir()
	modules := filepath.Join(serveDir, "wacheck.yml")
	writeFile(t, modules, `modules:
  meta_strict:
    sender: meta
    fail_on: warn
    thresholds: {handshake_warn: 1us, handshake_fail: 30s}
`)
	serveAddr := startServe(t, serveDir, "--config", modules, "--ca-file", p.rootFile)

	// Prometheus, with the documented scrape config and rules.
	var targets []string
	instance := map[string]string{} // site name → instance label
	for _, s := range sites {
		instance[s.Name] = "localhost:" + strconv.Itoa(s.Port)
		targets = append(targets, instance[s.Name])
	}
	promDataDir := t.TempDir()
	promCfg := filepath.Join(promDataDir, "prometheus.yml")
	writeFile(t, promCfg, derivePromConfig(t, serveAddr, map[string][]string{
		"meta":        targets,
		"meta_strict": {instance["healthy"]},
	}))
	runPromtool(t, promtool, promDataDir, "check", "config", promCfg)
	prom := startPrometheus(t, prometheus, promDataDir, promCfg)

	// One deadline for every wait below: the scrapes and rule evaluations
	// they wait for happen within seconds.
	deadline := time.Now().Add(60 * time.Second)

	// Every target is up: the exporter answered every scrape.
	wantUp := len(sites) + 2 // wacheck_meta, wacheck_meta_strict, wacheck_exporter
	prom.wait(t, deadline, "every target up", func() error {
		up, err := prom.query(`up{job=~"wacheck_.*"} == 1`)
		if err == nil && len(up) != wantUp {
			err = fmt.Errorf("%d targets up, want %d: %v", len(up), wantUp, up)
		}
		return err
	})

	// The exporter counts a request for an unknown module as a rejection
	// (after Prometheus has scraped the counter at 0, so that increase()
	// sees it rise) and answers 400 with a one-line reason.
	badProbe(t, serveAddr)

	// The probe series of every scenario.
	prom.wait(t, deadline, "probe series", func() error {
		s, err := prom.query(`wacheck_probe_success`)
		if err == nil && len(s) != len(sites)+1 {
			err = fmt.Errorf("%d wacheck_probe_success series, want %d: %v", len(s), len(sites)+1, s)
		}
		return err
	})
	type want struct {
		job, site string
		success   float64
	}
	for _, w := range []want{
		{"wacheck_meta", "healthy", 1},
		// cert.expiry warns; the built-in module fails on fail only.
		{"wacheck_meta", "expiring", 1},
		{"wacheck_meta", "missing-intermediate", 0},
		{"wacheck_meta", "expired", 0},
		{"wacheck_meta", "expired-intermediate", 0},
		{"wacheck_meta", "untrusted-root", 0},
		// meta_strict fails on warnings: connect.port warns off port 443.
		{"wacheck_meta_strict", "healthy", 0},
	} {
		sel := fmt.Sprintf(`wacheck_probe_success{job=%q,instance=%q}`, w.job, instance[w.site])
		prom.expectValue(t, sel, w.success)
	}
	for _, s := range sites {
		if got := prom.mustQuery(t, fmt.Sprintf(`wacheck_probe_success{job="wacheck_meta",instance=%q,module="meta"}`, instance[s.Name])); len(got) != 1 {
			t.Errorf("%s: no wacheck_probe_success with the module label the scrape config sets: %v", s.Name, got)
		}
	}

	// The right reason: chain.complete fails for the leaf served alone and
	// passes for the full chain; chain.trusted fails for the private root.
	addr := func(s *site) string { return "127.0.0.1:" + strconv.Itoa(s.Port) }
	checkSel := func(site, check string) string {
		return fmt.Sprintf(`wacheck_check_status{job="wacheck_meta",instance=%q,check=%q,address=%q}`,
			instance[site], check, addr(byName[site]))
	}
	prom.expectValue(t, checkSel("missing-intermediate", "chain.complete"), 4)
	prom.expectValue(t, checkSel("healthy", "chain.complete"), 0)
	prom.expectValue(t, checkSel("untrusted-root", "chain.trusted"), 4)
	prom.expectValue(t, checkSel("healthy", "chain.trusted"), 0)

	// Every check's status is the one `wacheck probe` reports for the same
	// endpoint with the same settings (timing checks apart: two runs time
	// two handshakes).
	for _, s := range sites {
		statusesAgree(t, prom, s, instance[s.Name], p.rootFile)
	}

	// The certificates' dates and names, to the second.
	for _, name := range []string{"healthy", "expired", "expiring"} {
		leaf := byName[name].files.leaf.Cert
		serial := fmt.Sprintf("%x", leaf.SerialNumber)
		sel := fmt.Sprintf(`wacheck_cert_not_after_seconds{instance=%q,job="wacheck_meta",address=%q,position="0",cn="localhost",serial=%q}`,
			instance[name], addr(byName[name]), serial[:min(len(serial), 40)])
		prom.expectValue(t, sel, float64(leaf.NotAfter.Unix()))
		prom.expectValue(t, strings.Replace(sel, "not_after", "not_before", 1), float64(leaf.NotBefore.Unix()))
	}
	// The healthy site's intermediate, at position 1.
	prom.expectValue(t, fmt.Sprintf(`wacheck_cert_not_after_seconds{instance=%q,job="wacheck_meta",address=%q,position="1"}`,
		instance["healthy"], addr(byName["healthy"])), float64(p.inter.Cert.NotAfter.Unix()))

	// The staple's nextUpdate, as openssl ocsp wrote it.
	der, err := os.ReadFile(byName["healthy"].Staple)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ocsp.ParseResponse(der, nil)
	if err != nil {
		t.Fatal(err)
	}
	prom.expectValue(t, fmt.Sprintf(`wacheck_ocsp_staple_next_update_seconds{job="wacheck_meta",instance=%q,address=%q}`,
		instance["healthy"], addr(byName["healthy"])), float64(resp.NextUpdate.Unix()))

	// Each module's handshake thresholds: the built-in meta module's
	// defaults, meta_strict's from the config file.
	for _, th := range []struct {
		job, level string
		value      float64
	}{
		{"wacheck_meta", "warn", 0.5}, {"wacheck_meta", "fail", 2},
		{"wacheck_meta_strict", "warn", 1e-6}, {"wacheck_meta_strict", "fail", 30},
	} {
		prom.expectValue(t, fmt.Sprintf(`wacheck_handshake_threshold_seconds{job=%q,instance=%q,level=%q}`,
			th.job, instance["healthy"], th.level), th.value)
	}
	if t.Failed() {
		return // the alerts below would only repeat it
	}

	// Every selector of every rule matches real series: the rules' metric
	// names, labels and label values are the exporter's.
	var rules ruleFile
	readYAML(t, filepath.Join(promDir, promRulesFile), &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			for _, sel := range promSelectors(r.Expr) {
				if got := prom.mustQuery(t, "count("+sel+")"); len(got) == 0 {
					t.Errorf("%s: %s matches no series of wacheck serve", r.Alert, sel)
				}
			}
		}
	}
	// Every dashboard query returns data, its variables set to All.
	vars := strings.NewReplacer("$job", ".*", "$instance", ".*", "$__rate_interval", "1m")
	exprs := dashboardExprs(readDashboard(t))
	for _, where := range slices.Sorted(maps.Keys(exprs)) {
		e := exprs[where]
		if strings.HasPrefix(where, "variable ") {
			// label_values(SELECTOR, LABEL) is Grafana's: query SELECTOR.
			m := regexp.MustCompile(`^label_values\((.+), *([a-z_]+)\)$`).FindStringSubmatch(e)
			if m == nil {
				t.Errorf("%s: %q is not label_values(SELECTOR, LABEL)", where, e)
				continue
			}
			e = m[1]
		}
		e = vars.Replace(e)
		prom.wait(t, deadline, where+": "+e, func() error {
			got, err := prom.query(e)
			if err == nil && len(got) == 0 {
				err = errors.New("no data")
			}
			return err
		})
	}

	// The alerts each scenario calls for, pending (their "for" is minutes)
	// or firing, and no others.
	inst := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, "wacheck_meta "+instance[n])
		}
		return out
	}
	strict := "wacheck_meta_strict " + instance["healthy"]
	wantAlerts := map[string][]string{
		"WacheckCertificateExpiringSoon":      inst("expiring"),
		"WacheckCertificateExpired":           inst("expired"),
		"WacheckChainCertificateExpiringSoon": inst("expired-intermediate"),
		"WacheckChainIncomplete":              inst("missing-intermediate"),
		"WacheckChainUntrusted":               inst("untrusted-root"),
		"WacheckProbeFailing":                 append(inst("missing-intermediate", "expired", "expired-intermediate", "untrusted-root"), strict),
		// openssl ocsp -ndays 1: the staple's nextUpdate is a day away.
		"WacheckOCSPStapleStale":         append(inst("healthy"), strict),
		"WacheckHandshakeSlow":           {strict},
		"WacheckExporterRejectingProbes": {"wacheck_exporter " + serveAddr},
	}
	prom.wait(t, deadline, "the alerts", func() error {
		alerts, err := prom.alerts()
		if err != nil {
			return err
		}
		// Per target: an endpoint on 127.0.0.1 and ::1 alerts per address.
		got := map[string][]string{}
		for _, a := range alerts {
			name := a.Labels["alertname"]
			if name == "WacheckHandshakeSlow" && a.Labels["job"] == "wacheck_meta" {
				// The built-in module's 500 ms: a loaded machine may
				// reach it, and then the alert is right.
				continue
			}
			if target := a.Labels["job"] + " " + a.Labels["instance"]; !slices.Contains(got[name], target) {
				got[name] = append(got[name], target)
			}
		}
		var diffs []string
		for _, name := range slices.Sorted(maps.Keys(wantAlerts)) {
			w, g := slices.Sorted(slices.Values(wantAlerts[name])), slices.Sorted(slices.Values(got[name]))
			if !slices.Equal(w, g) {
				diffs = append(diffs, fmt.Sprintf("%s for %q, want %q", name, g, w))
			}
		}
		for name, g := range got {
			if _, ok := wantAlerts[name]; !ok {
				diffs = append(diffs, fmt.Sprintf("%s for %q, want none", name, g))
			}
		}
		if len(diffs) > 0 {
			return errors.New(strings.Join(diffs, "; "))
		}
		return nil
	})
	// The alerts' texts are rendered from the real series.
	alerts, err := prom.alerts()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if a.Labels["alertname"] == "WacheckProbeFailing" && a.Labels["instance"] == instance["missing-intermediate"] {
			if d := a.Annotations["description"]; !strings.Contains(d, "chain.complete=fail") {
				t.Errorf("WacheckProbeFailing for the leaf served alone does not name chain.complete: %q", d)
			}
		}
		if a.Labels["alertname"] == "WacheckExporterRejectingProbes" && a.Labels["reason"] != "bad_request" {
			t.Errorf("WacheckExporterRejectingProbes reason %q, want bad_request", a.Labels["reason"])
		}
		if s := a.Annotations["summary"]; strings.Contains(s, "<no value>") || strings.Contains(a.Annotations["description"], "<no value>") {
			t.Errorf("%s renders a missing value: %q", a.Labels["alertname"], a.Annotations)
		}
	}
}

// expiringSite is a site whose leaf, from the test intermediate, expires
// in left: healthy otherwise, with no OCSP responder named.
func expiringSite(t *testing.T, p *pki, left time.Duration) *site {
	t.Helper()
	leaf := p.inter.Leaf(t, testpki.LeafOptions{
		Now:       p.now,
		DNSNames:  []string{"localhost"},
		NotBefore: p.now.Add(left - 90*24*time.Hour),
		NotAfter:  p.now.Add(left),
	})
	files := &certFiles{leaf: leaf}
	files.fullchain = p.write("expiring.fullchain.pem", testpki.CertsPEM(leaf.DER, p.inter.DER))
	files.key = p.write("expiring.key", leaf.KeyPEM(t))
	return &site{Name: "expiring", files: files, Cert: files.fullchain, Key: files.key}
}

// startNginxSites serves the sites from the integration nginx template. When
// localhost also resolves to ::1 (Debian's /etc/hosts), each site listens
// there too, so that a probe of localhost:PORT finds the site on every
// address, as a real endpoint would be.
func startNginxSites(t *testing.T, nginx string, sites []*site) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, "localhost")
	if err != nil {
		t.Fatalf("resolve localhost: %v", err)
	}
	v6 := false
	for _, a := range addrs {
		switch {
		case a.IP.Equal(net.IPv4(127, 0, 0, 1)):
		case a.IP.Equal(net.IPv6loopback):
			v6 = true
		default:
			t.Fatalf("localhost resolves to %s: the probes of localhost:PORT would leave the loopback addresses nginx listens on", a.IP)
		}
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	startServer(t, serverSpec{name: "nginx", dir: dir, sites: sites, configure: func() ([]string, []string) {
		renderTemplate(t, "nginx.conf.tmpl", conf, serverConf{Dir: dir, Sites: sites, ModernCiphers: modernCiphers})
		if v6 {
			data, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			withV6, err := listenOnIPv6Too(string(data), len(sites))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, conf, withV6)
		}
		return []string{nginx, "-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, []string{errorLog}
	}})
}

// nginxListen is a listen directive of nginx.conf.tmpl.
var nginxListen = regexp.MustCompile(`(?m)^([ \t]*)listen 127\.0\.0\.1:(\d+) (.*)$`)

// listenOnIPv6Too adds to each of the sites' listen 127.0.0.1:PORT lines of
// an nginx configuration the same listen on [::1].
func listenOnIPv6Too(conf string, sites int) (string, error) {
	if n := len(nginxListen.FindAllString(conf, -1)); n != sites {
		return "", fmt.Errorf("nginx.conf.tmpl has %d listen 127.0.0.1 lines for %d sites", n, sites)
	}
	return nginxListen.ReplaceAllString(conf, "${0}\n${1}listen [::1]:${2} ${3}"), nil
}

func TestListenOnIPv6Too(t *testing.T) {
	conf := "http {\n\n    server {\n        listen 127.0.0.1:8443 ssl http2;\n        server_name localhost;\n    }\n" +
		"    server {\n        listen 127.0.0.1:8444 ssl http2;\n    }\n}\n"
	got, err := listenOnIPv6Too(conf, 2)
	want := "http {\n\n    server {\n        listen 127.0.0.1:8443 ssl http2;\n        listen [::1]:8443 ssl http2;\n        server_name localhost;\n    }\n" +
		"    server {\n        listen 127.0.0.1:8444 ssl http2;\n        listen [::1]:8444 ssl http2;\n    }\n}\n"
	if err != nil || got != want {
		t.Errorf("listenOnIPv6Too = %q, %v; want %q", got, err, want)
	}
	if _, err := listenOnIPv6Too(conf, 3); err == nil {
		t.Error("listenOnIPv6Too with a site missing: no error")
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startServe runs `wacheck serve` on a free 127.0.0.1 port with args and
// returns its address once /metrics answers. It is stopped at cleanup and
// its output shown when the test failed.
func startServe(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
		argv := append([]string{wacheckBin, "serve", "--listen", addr}, args...)
		p, err := launch(t, "wacheck-serve", dir, argv, nil)
		if err != nil {
			t.Fatal(err)
		}
		if lastErr = waitHTTP(p, "http://"+addr+"/metrics", 15*time.Second); lastErr == nil {
			return addr
		}
		p.stop(t)
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start wacheck serve: %v", lastErr)
	return ""
}

// waitHTTP waits until url answers 200, or p exits.
func waitHTTP(p *proc, url string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited (%v) before %s answered:\n%s", p.name, p.err, url, p.dumpLogs())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no answer from %s after %s (%v):\n%s", p.name, url, timeout, err, p.dumpLogs())
		}
	}
}

// badProbe asks the exporter for an unknown module: HTTP 400 with a
// one-line reason, counted as a bad_request rejection.
func badProbe(t *testing.T, serveAddr string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + serveAddr + "/probe?module=no-such-module&target=localhost:1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusBadRequest || bytes.Count(bytes.TrimSpace(body), []byte("\n")) != 0 ||
		!bytes.Contains(body, []byte("no-such-module")) {
		t.Errorf("an unknown module: HTTP %s %q, want 400 with the reason on one line", resp.Status, body)
	}
}

// The scrape settings of the test's Prometheus: fast enough for the test,
// with time for a probe that enumerates every version and cipher on
// loopback (the exporter gives it the scrape timeout minus 0.5 s).
const (
	testScrapeInterval = "3s"
	testScrapeTimeout  = "3s"
	testEvalInterval   = "1s"
)

// derivePromConfig is docs/prometheus/prometheus.yml made to run here: the
// documented probe job's relabeling unchanged, one such job per module
// (named wacheck_MODULE, as the documentation names them) with the given
// targets, the exporter's own job, __address__ pointed at serveAddr, the
// shipped rules by absolute path, and intervals of seconds. It fails the
// test when the documented file lost the blackbox shape.
func derivePromConfig(t *testing.T, serveAddr string, targets map[string][]string) string {
	t.Helper()
	var doc map[string]any
	readYAML(t, filepath.Join(promDir, promConfigFile), &doc)
	abs, err := filepath.Abs(promDir)
	if err != nil {
		t.Fatal(err)
	}

	doc["global"] = map[string]any{
		"scrape_interval":     testScrapeInterval,
		"scrape_timeout":      testScrapeTimeout,
		"evaluation_interval": testEvalInterval,
	}
	ruleFiles, _ := doc["rule_files"].([]any)
	if len(ruleFiles) == 0 {
		t.Fatalf("%s loads no rule_files", promConfigFile)
	}
	for i, f := range ruleFiles {
		name, _ := f.(string)
		if !filepath.IsAbs(name) {
			ruleFiles[i] = filepath.Join(abs, name)
		}
	}
	delete(doc, "alerting")

	var probeJob, exporterJob map[string]any
	jobs, _ := doc["scrape_configs"].([]any)
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		switch job["metrics_path"] {
		case "/probe":
			if probeJob != nil {
				t.Fatalf("%s has more than one /probe job: the test derives its jobs from one", promConfigFile)
			}
			probeJob = job
		case nil, "/metrics":
			exporterJob = job
		}
	}
	if probeJob == nil || exporterJob == nil {
		t.Fatalf("%s needs a /probe job and the exporter's own job", promConfigFile)
	}
	relabels, _ := probeJob["relabel_configs"].([]any)
	// The blackbox relabeling: the target becomes ?target= and the
	// instance, and the scrape goes to the exporter.
	var toExporter map[string]any
	shape := map[string]bool{}
	for _, r := range relabels {
		rule, _ := r.(map[string]any)
		src := fmt.Sprint(rule["source_labels"])
		switch {
		case rule["target_label"] == "__address__":
			toExporter = rule
		case src == "[__address__]" && rule["target_label"] == "__param_target":
			shape["target"] = true
		case src == "[__param_target]" && rule["target_label"] == "instance":
			shape["instance"] = true
		case src == "[__param_module]" && rule["target_label"] == "module":
			shape["module"] = true
		}
	}
	if toExporter == nil || !shape["target"] || !shape["instance"] || !shape["module"] {
		t.Fatalf("%s: the /probe job's relabel_configs lost the blackbox shape (__address__ → __param_target → instance, "+
			"__param_module → module, __address__ → the exporter): %v", promConfigFile, relabels)
	}

	var out []any
	for _, module := range slices.Sorted(maps.Keys(targets)) {
		job := map[string]any{}
		for k, v := range probeJob {
			job[k] = v
		}
		job["job_name"] = "wacheck_" + module
		job["params"] = map[string]any{"module": []any{module}}
		job["static_configs"] = []any{map[string]any{"targets": targets[module]}}
		delete(job, "scrape_interval")
		delete(job, "scrape_timeout")
		// The relabeling as documented, the exporter's address replaced.
		var rs []any
		for _, r := range relabels {
			rule := r.(map[string]any)
			if rule["target_label"] == "__address__" {
				rule = maps.Clone(rule)
				rule["replacement"] = serveAddr
			}
			rs = append(rs, rule)
		}
		job["relabel_configs"] = rs
		out = append(out, job)
	}
	exporterJob = maps.Clone(exporterJob)
	exporterJob["static_configs"] = []any{map[string]any{"targets": []any{serveAddr}}}
	delete(exporterJob, "scrape_interval")
	delete(exporterJob, "scrape_timeout")
	out = append(out, exporterJob)
	doc["scrape_configs"] = out

	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// promServer is a running Prometheus and its HTTP API.
type promServer struct {
	base   string
	client *http.Client
}

// startPrometheus runs prometheus with config on a free port, its data in
// dir, and waits until it is ready. It is stopped at cleanup; when the
// test failed, its log and its view of the targets are shown.
func startPrometheus(t *testing.T, bin, dir, config string) *promServer {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
		p, err := launch(t, "prometheus", dir, []string{bin,
			"--config.file=" + config,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
			// Debian's defaults name /etc/prometheus, which may not exist.
			"--web.console.templates=" + filepath.Join(dir, "consoles"),
			"--web.console.libraries=" + filepath.Join(dir, "console_libraries"),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := &promServer{base: "http://" + addr, client: &http.Client{Timeout: 5 * time.Second}}
		if lastErr = waitHTTP(p, s.base+"/-/ready", 20*time.Second); lastErr == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("Prometheus's targets:\n%s", s.targets())
				}
			})
			return s
		}
		p.stop(t)
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start prometheus: %v", lastErr)
	return nil
}

// promSample is one element of an instant vector.
type promSample struct {
	Labels map[string]string
	Value  float64
}

func (s promSample) String() string {
	return fmt.Sprintf("%v %g", s.Labels, s.Value)
}

// get calls the HTTP API and decodes its data.
func (s *promServer) get(path string, q url.Values, data any) error {
	u := s.base + path
	if q != nil {
		u += "?" + q.Encode()
	}
	resp, err := s.client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("GET %s: HTTP %s: %v: %.200s", u, resp.Status, err, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", u, env.Status, env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

// query evaluates expr now; it must be an instant vector.
func (s *promServer) query(expr string) ([]promSample, error) {
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := s.get("/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: a %s, want a vector", expr, data.ResultType)
	}
	var out []promSample
	for _, r := range data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: value %v: %v", expr, r.Value, err)
		}
		out = append(out, promSample{Labels: r.Metric, Value: v})
	}
	return out, nil
}

func (s *promServer) mustQuery(t *testing.T, expr string) []promSample {
	t.Helper()
	got, err := s.query(expr)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// expectValue asserts that sel selects exactly one series, of value want.
// The series are all there already (the test waited for them), and the
// values do not change between probes.
func (s *promServer) expectValue(t *testing.T, sel string, want float64) {
	t.Helper()
	got := s.mustQuery(t, sel)
	switch {
	case len(got) != 1:
		t.Errorf("%s: %d series %v, want one of value %g", sel, len(got), got, want)
	case math.Abs(got[0].Value-want) > 1e-9*math.Max(1, math.Abs(want)):
		t.Errorf("%s = %g, want %g", sel, got[0].Value, want)
	}
}

// wait polls check until it returns nil, and fails the test with its last
// error when the deadline passes first.
func (s *promServer) wait(t *testing.T, deadline time.Time, what string, check func() error) {
	t.Helper()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus: %s: %v", what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// promAlert is one alert of /api/v1/alerts.
type promAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

// alerts are the pending and firing alerts.
func (s *promServer) alerts() ([]promAlert, error) {
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	if err := s.get("/api/v1/alerts", nil, &data); err != nil {
		return nil, err
	}
	for _, a := range data.Alerts {
		if a.State != "pending" && a.State != "firing" {
			return nil, fmt.Errorf("alert %v in state %q", a.Labels, a.State)
		}
	}
	return data.Alerts, nil
}

// targets is Prometheus's view of its targets, one a line: health, last
// error, scrape URL.
func (s *promServer) targets() string {
	var data struct {
		ActiveTargets []struct {
			ScrapeURL string `json:"scrapeUrl"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
		} `json:"activeTargets"`
	}
	if err := s.get("/api/v1/targets", nil, &data); err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, tg := range data.ActiveTargets {
		fmt.Fprintf(&b, "  %s %s %s\n", tg.Health, tg.ScrapeURL, tg.LastError)
	}
	return b.String()
}

// statusValues are the status values of wacheck_check_status.
var statusValues = map[string]float64{"pass": 0, "info": 1, "skip": 2, "warn": 3, "fail": 4}

// statusesAgree asserts that every check status the exporter gave the site
// (through Prometheus) is the one `wacheck probe` reports for it with the
// meta module's settings, and that the exporter left none out. Timing
// checks are left out: two runs time two handshakes.
func statusesAgree(t *testing.T, prom *promServer, s *site, instance, rootFile string) {
	t.Helper()
	args := []string{"probe", instance, "--ca-file", rootFile, "--format", "json"}
	out := wacheckOutput(t, args...)
	var rep struct {
		Checks []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Address string `json:"address"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("wacheck %s printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	want := map[string]float64{} // check id → worst status over its addresses
	for _, c := range rep.Checks {
		if v, ok := want[c.ID]; !ok || statusValues[c.Status] > v {
			want[c.ID] = statusValues[c.Status]
		}
	}
	got := map[string]float64{}
	for _, smp := range prom.mustQuery(t, fmt.Sprintf(`max by (check) (wacheck_check_status{job="wacheck_meta",instance=%q})`, instance)) {
		got[smp.Labels["check"]] = smp.Value
	}
	timing := func(id string) bool { return strings.HasPrefix(id, "timing.") || id == "dns.time" }
	for _, id := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[id]
		switch {
		case !ok:
			t.Errorf("%s: no wacheck_check_status for %s (wacheck probe says %g)", s.Name, id, want[id])
		case g != want[id] && !timing(id):
			t.Errorf("%s: wacheck_check_status{check=%q} = %g, wacheck probe says %g", s.Name, id, g, want[id])
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: wacheck_check_status{check=%q}, a check wacheck probe does not report", s.Name, id)
		}
	}
}

// webConfigPassword is the password of the user in docs/prometheus/web.yml.
const webConfigPassword = "change-this-password"

// TestPrometheusScrapesServeOverHTTPS: `wacheck serve --web-config` with
// the shipped web.yml (HTTPS, one user), scraped by a real Prometheus with
// the scrape settings docs/prometheus/README.md shows (scheme https, the
// CA, basic auth from a password file): the series arrive, and a job
// without the password is down.
func TestPrometheusScrapesServeOverHTTPS(t *testing.T) {
	prometheus := requireBinary(t, "prometheus")
	promtool := requireBinary(t, "promtool")

	// The endpoint probed, and the exporter's certificate, from one test PKI.
	c := testpki.NewChain(t, time.Now())
	endpoint := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}})
	serveDir := t.TempDir()
	root := c.WriteRootPEM(t, serveDir)
	writeFile(t, filepath.Join(serveDir, "wacheck.crt"), string(testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER)))
	writeFile(t, filepath.Join(serveDir, "wacheck.key"), string(c.Leaf.KeyPEM(t)))
	web, err := os.ReadFile(filepath.Join(promDir, "web.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(web, []byte(`"`+webConfigPassword+`"`)) {
		t.Fatalf("web.yml no longer says its password is %q", webConfigPassword)
	}
	writeFile(t, filepath.Join(serveDir, "web.yml"), string(web))

	// wacheck serve over HTTPS, ready when /metrics answers the user.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.Pool()}}}
	authGet := func(u, password string) (int, error) {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return 0, err
		}
		if password != "" {
			req.SetBasicAuth("prometheus", password)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var serveAddr string
	for attempt := 0; attempt < 3 && serveAddr == ""; attempt++ {
		addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
		p, err := launch(t, "wacheck-serve", serveDir, []string{wacheckBin, "serve", "--listen", addr,
			"--web-config", "web.yml", "--ca-file", root}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			code, err := authGet("https://"+addr+"/metrics", webConfigPassword)
			if err == nil && code == http.StatusOK {
				serveAddr = addr
				break
			}
			select {
			case <-p.done:
			default:
				if time.Now().Before(deadline) {
					continue
				}
			}
			p.stop(t)
			if !strings.Contains(p.dumpLogs(), "address already in use") {
				t.Fatalf("wacheck serve --web-config: no answer (%d, %v):\n%s", code, err, p.dumpLogs())
			}
			break
		}
	}
	if serveAddr == "" {
		t.Fatal("wacheck serve --web-config: no free port")
	}
	if code, err := authGet("https://"+serveAddr+"/metrics", ""); err != nil || code != http.StatusUnauthorized {
		t.Errorf("/metrics without the password: %d, %v; want 401", code, err)
	}

	// The scrape settings of the README's example, with this test's paths.
	readme, err := os.ReadFile(filepath.Join(promDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var example struct {
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	for _, block := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1) {
		if bytes.Contains(block[1], []byte("basic_auth:")) && bytes.Contains(block[1], []byte("scrape_configs:")) {
			if err := yaml.Unmarshal(block[1], &example); err != nil {
				t.Fatalf("README.md's HTTPS scrape config: %v", err)
			}
		}
	}
	if len(example.ScrapeConfigs) == 0 {
		t.Fatal("README.md has no yaml block with scrape_configs and basic_auth")
	}
	docJob := example.ScrapeConfigs[0]
	tlsCfg, _ := docJob["tls_config"].(map[string]any)
	auth, _ := docJob["basic_auth"].(map[string]any)
	if docJob["scheme"] != "https" || tlsCfg["ca_file"] == nil || auth["username"] != "prometheus" || auth["password_file"] == nil {
		t.Fatalf("README.md's HTTPS job lost scheme: https, tls_config.ca_file or basic_auth: %v", docJob)
	}
	promDataDir := t.TempDir()
	passwordFile := filepath.Join(promDataDir, "wacheck.password")
	writeFile(t, passwordFile, webConfigPassword+"\n")
	tlsCfg = maps.Clone(tlsCfg)
	tlsCfg["ca_file"] = root
	auth = maps.Clone(auth)
	auth["password_file"] = passwordFile

	var doc map[string]any
	if err := yaml.Unmarshal([]byte(derivePromConfig(t, serveAddr, map[string][]string{"meta": {endpoint}})), &doc); err != nil {
		t.Fatal(err)
	}
	jobs, _ := doc["scrape_configs"].([]any)
	var noPassword map[string]any
	for _, j := range jobs {
		job := j.(map[string]any)
		job["scheme"], job["tls_config"], job["basic_auth"] = "https", tlsCfg, auth
		if job["job_name"] == "wacheck_exporter" {
			noPassword = maps.Clone(job)
			noPassword["job_name"] = "wacheck_exporter_no_password"
			delete(noPassword, "basic_auth")
		}
	}
	if noPassword == nil {
		t.Fatal("no wacheck_exporter job in the derived config")
	}
	doc["scrape_configs"] = append(jobs, noPassword)
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	promCfg := filepath.Join(promDataDir, "prometheus.yml")
	writeFile(t, promCfg, string(data))
	runPromtool(t, promtool, promDataDir, "check", "config", promCfg)
	prom := startPrometheus(t, prometheus, promDataDir, promCfg)

	deadline := time.Now().Add(60 * time.Second)
	prom.wait(t, deadline, "the HTTPS jobs up, the one without the password down", func() error {
		for _, w := range []struct {
			job string
			up  float64
		}{{"wacheck_meta", 1}, {"wacheck_exporter", 1}, {"wacheck_exporter_no_password", 0}} {
			s, err := prom.query(fmt.Sprintf(`up{job=%q}`, w.job))
			if err != nil {
				return err
			}
			if len(s) != 1 || s[0].Value != w.up {
				return fmt.Errorf("up{job=%q} = %v, want %g", w.job, s, w.up)
			}
		}
		return nil
	})
	prom.wait(t, deadline, "the probe's series", func() error {
		s, err := prom.query(fmt.Sprintf(`wacheck_probe_success{job="wacheck_meta",instance=%q}`, endpoint))
		if err == nil && (len(s) != 1 || s[0].Value != 1) {
			err = fmt.Errorf("wacheck_probe_success = %v, want one series of 1", s)
		}
		return err
	})
	prom.expectValue(t, fmt.Sprintf(`wacheck_check_status{job="wacheck_meta",instance=%q,check="chain.trusted"}`, endpoint), 0)
	if got := prom.mustQuery(t, `wacheck_exporter_build_info{job="wacheck_exporter"}`); len(got) != 1 {
		t.Errorf("wacheck_exporter_build_info over HTTPS: %v", got)
	}
	if targets := prom.targets(); !strings.Contains(targets, "401") {
		t.Errorf("the job without the password should fail with 401:\n%s", targets)
	}
}
