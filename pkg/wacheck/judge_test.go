package wacheck

import (
	"context"
	"testing"
	"time"

	"github.com/wacheck/wacheck/pkg/report"
)

// TestJudgeEndsOnInterrupt: judging that outlives an interrupt by more
// than JudgeGrace is left behind; judging that finishes within it is kept.
func TestJudgeEndsOnInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	release := make(chan struct{})
	defer close(release)
	start := time.Now()
	if r := Judge(ctx, func() *report.Report { <-release; return &report.Report{} }); r != nil {
		t.Error("a report from judging that never ended")
	}
	if took := time.Since(start); took < JudgeGrace || took > JudgeGrace+500*time.Millisecond {
		t.Errorf("returned after %s, want the grace of %s", took, JudgeGrace)
	}
	r := Judge(ctx, func() *report.Report { time.Sleep(50 * time.Millisecond); return &report.Report{Kind: "probe"} })
	if r == nil || r.Kind != "probe" {
		t.Errorf("judging that ends within the grace: %+v", r)
	}
	if r := Judge(context.Background(), func() *report.Report { return &report.Report{Kind: "cert"} }); r == nil || r.Kind != "cert" {
		t.Errorf("uninterrupted judging: %+v", r)
	}
}
