package report

import "testing"

func TestAddKeepsSummaryAndStatus(t *testing.T) {
	var r Report
	r.Add(Result{ID: "a.b", Status: Pass}, Result{ID: "a.c", Status: Info}, Result{ID: "a.d", Status: Skip})
	if r.Status != Pass || r.Worst() != Pass {
		t.Errorf("status %s, worst %s: info and skip count as pass", r.Status, r.Worst())
	}
	r.Add(Result{ID: "b.a", Status: Warn})
	if r.Status != Warn {
		t.Errorf("status %s, want warn", r.Status)
	}
	r.Add(Result{ID: "b.b", Status: Fail}, Result{ID: "b.c", Status: Warn})
	if r.Status != Fail || r.Worst() != Fail {
		t.Errorf("status %s, want fail", r.Status)
	}
	want := Summary{Pass: 1, Info: 1, Skip: 1, Warn: 2, Fail: 1}
	if r.Summary != want {
		t.Errorf("summary %+v, want %+v", r.Summary, want)
	}
	if got := r.Summary.Line(); got != "1 passed, 2 warnings, 1 failure, 1 info, 1 skipped" {
		t.Errorf("line %q", got)
	}
	if got := (Summary{Pass: 14, Warn: 1, Fail: 1}).Line(); got != "14 passed, 1 warning, 1 failure" {
		t.Errorf("line %q", got)
	}
	if c := (Result{ID: "chain.complete"}).Category(); c != "chain" {
		t.Errorf("category %q", c)
	}
}
