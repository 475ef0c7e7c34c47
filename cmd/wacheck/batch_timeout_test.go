package main

// --timeout and --parallel in a run of many targets: --timeout bounds each
// target's probe from the moment it starts, when a --parallel slot is free;
// the time a target waits for its turn is not taken from it.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// TestTimeoutIsEachTargetsOwn: with --parallel 1, three targets that never
// answer the ClientHello each use their whole --timeout, one after the
// other; the healthy target last in line has waited three times its
// --timeout for its turn and still gets the whole of it: it passes. Each
// silent target is cut at its own --timeout (not sooner for having
// waited, not later), and the run ends once the four are done.
func TestTimeoutIsEachTargetsOwn(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	good := serve(t, c.TLSCertificate(c.Intermediate.DER))
	var lines []string
	for range 3 {
		lines = append(lines, testpki.StartSilent(t)+" --sni localhost")
	}
	lines = append(lines, good+" --sni localhost")
	file := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	res := runPlain(t, "", "probe", "--targets", file, "--parallel", "1", "--timeout", timeout.String(),
		"--ca-file", root, "--enumerate=false", "--format", "json")
	took := time.Since(start)
	if res.code != 1 {
		t.Fatalf("exit %d, want 1 (the silent targets fail):\n%s", res.code, res.stderr)
	}
	var doc struct {
		Reports []struct {
			Status string `json:"status"`
			Target struct {
				Input string `json:"input"`
			} `json:"target"`
			Timings struct {
				TotalMS float64 `json:"total_ms"`
			} `json:"timings"`
			Checks []struct {
				ID, Status, Detail string
			} `json:"checks"`
			Addresses []struct {
				ErrorKind string `json:"error_kind"`
			} `json:"addresses"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Reports) != 4 {
		t.Fatalf("%d reports, want 4", len(doc.Reports))
	}
	status := func(i int, id string) (string, string) {
		for _, ch := range doc.Reports[i].Checks {
			if ch.ID == id {
				return ch.Status, ch.Detail
			}
		}
		return "missing", ""
	}
	healthy := -1
	for i, r := range doc.Reports {
		if r.Target.Input == good {
			healthy = i
			continue
		}
		st, detail := status(i, "tls.handshake")
		if st != "fail" || len(r.Addresses) != 1 || r.Addresses[0].ErrorKind != "timeout" {
			t.Errorf("silent target %s: tls.handshake %s (%s), addresses %+v; want a timeout", r.Target.Input, st, detail, r.Addresses)
		}
	}
	if healthy < 0 {
		t.Fatalf("no report of the healthy target %s", good)
	}
	for _, id := range []string{"tls.handshake", "chain.complete", "chain.trusted", "connect.tcp"} {
		if st, detail := status(healthy, id); st != "pass" {
			t.Errorf("healthy target, after waiting %s for its turn: %s is %s (%s)", 3*timeout, id, st, detail)
		}
	}
	if doc.Reports[healthy].Status == "fail" {
		t.Errorf("healthy target: status %s", doc.Reports[healthy].Status)
	}
	// One after the other, each silent target used its whole --timeout:
	// the run took at least three of them, and not much more than four
	// (the healthy one is fast; process start-up and judging aside).
	if took < 3*timeout {
		t.Errorf("took %s: the three silent targets did not each get their %s", took, timeout)
	}
	if took > 4*timeout+3*time.Second {
		t.Errorf("took %s with --parallel 1 and --timeout %s for 4 targets", took, timeout)
	}
}

// TestSharedBudgetNeverBlamesATarget: targets probed at once share the
// --concurrency budget, and silent ones hold its slots for their whole
// --timeout. What a healthy target's probe could not do in time for want
// of a slot is a skip (not tried, could not tell), never a failure or a
// warning of that target.
func TestSharedBudgetNeverBlamesATarget(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	good := serve(t, c.TLSCertificate(c.Intermediate.DER))
	lines := []string{good + " --sni localhost"}
	for range 3 {
		lines = append(lines, testpki.StartSilent(t)+" --sni localhost")
	}
	file := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runPlain(t, "", "probe", "--targets", file, "--parallel", "4", "--concurrency", "2", "--timeout", "2s",
		"--ca-file", root, "--format", "json")
	var doc struct {
		Reports []struct {
			Target struct {
				Input string `json:"input"`
			} `json:"target"`
			Checks []struct{ ID, Status, Detail string } `json:"checks"`
		} `json:"reports"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("%v (exit %d):\n%s", err, res.code, res.stderr)
	}
	found := false
	for _, r := range doc.Reports {
		if r.Target.Input != good {
			continue
		}
		found = true
		for _, ch := range r.Checks {
			switch {
			case ch.Status == "fail":
				t.Errorf("healthy target: %s fails: %s", ch.ID, ch.Detail)
			case ch.Status == "warn" && ch.ID != "connect.port" && ch.ID != "ocsp.stapled":
				t.Errorf("healthy target: %s warns: %s", ch.ID, ch.Detail)
			}
		}
	}
	if !found || len(doc.Reports) != 4 {
		t.Fatalf("%d reports, healthy target found %v", len(doc.Reports), found)
	}
}
