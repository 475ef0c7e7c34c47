package exporter

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMetricsDocumented: every metric the exporter makes (its own, the Go
// runtime's and the process's), and every error reason, is in
// docs/metrics.md.
func TestMetricsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`"((?:wacheck|go|process)_[a-z_]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			found++
			if !strings.Contains(string(doc), "`"+m[1]+"`") {
				t.Errorf("%s (%s) is not in docs/metrics.md", m[1], f)
			}
		}
	}
	if found < 30 {
		t.Errorf("found %d metric names in the source, want the 30 or more there are", found)
	}
	for _, r := range []string{ReasonNone, ReasonBadTarget, ReasonRateLimited, ReasonBusy, ReasonTimeout, ReasonDNS,
		ReasonConnect, ReasonTLS, ReasonInternal} {
		if !strings.Contains(string(doc), "| `"+r+"` |") {
			t.Errorf("error reason %q has no row in docs/metrics.md", r)
		}
	}
}

// TestShippedConfigLoads: docs/prometheus/wacheck.yml, the example the
// README starts the exporter with, is a valid config with its modules.
func TestShippedConfigLoads(t *testing.T) {
	cfg, err := LoadConfig("../../docs/prometheus/wacheck.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"meta_strict", "meta_quick", "meta", "stripe"} {
		if _, ok := cfg.Modules[m]; !ok {
			t.Errorf("module %q missing from the shipped config", m)
		}
	}
}
