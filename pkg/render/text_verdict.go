package render

import (
	"fmt"
	"strings"

	"github.com/fatih/color"

	"github.com/wacheck/wacheck/pkg/report"
)

// verdict opens the report: "FAIL  Meta cannot deliver: the chain is
// incomplete (chain.complete)", and the counts under it.
func (t *textWriter) verdict(r *report.Report) {
	v := verdict(r)
	word := strings.ToUpper(string(v.Status))
	t.wrapped(t.p.make(color.Bold, colorAttr(v.Status)).Sprint(word)+"  ", "      ", v.Sentence, nil)
	t.line("      " + r.Summary.Line())
}

// summary closes the report with the verdict again, for whoever reads only
// the last line of a log.
func (t *textWriter) summary(r *report.Report) {
	v := verdict(r)
	t.line("")
	t.wrapped(t.p.make(color.Bold, colorAttr(v.Status)).Sprint(strings.ToUpper(string(v.Status)))+"  ", "      ",
		v.Sentence, nil)
}

// foldedChecks are the report's checks as the text shows them: outside
// verbose mode, with the skips of dead and handshake-only addresses taken
// out and the agreeing results of the addresses merged, by category.
func (t *textWriter) foldedChecks(r *report.Report) []categoryGroup {
	fold := t.multiAddress && !t.verbose
	checks, _ := foldDeadAddresses(r, fold)
	checks, onlyAddrs, _ := foldHandshakeOnly(r, checks, fold)
	groups := byCategory(checks)
	for i := range groups {
		if fold {
			groups[i].results = mergeAgreeing(groups[i].results, onlyAddrs, len(r.Addresses))
		}
		if !t.multiAddress {
			for k := range groups[i].results {
				groups[i].results[k].Address = ""
			}
		}
	}
	return groups
}

// problems lists every failing, then every warning check, with its detail
// and fix: what the reader has to act on, before anything else.
func (t *textWriter) problems(r *report.Report) {
	var ps []report.Result
	for _, g := range t.foldedChecks(r) {
		for _, res := range g.results {
			if res.Status.Severity() > 0 {
				ps = append(ps, res)
			}
		}
	}
	if len(ps) == 0 {
		return
	}
	sortProblems(ps)
	t.heading("Problems")
	for _, res := range ps {
		t.result(res, true)
	}
}

// collapsed shows the checks of each category in one line: its worst
// status, its title and how many checks had each status; the failures and
// warnings are above with their fixes.
func (t *textWriter) collapsed(r *report.Report) {
	groups := t.foldedChecks(r)
	if len(groups) == 0 {
		return
	}
	t.heading("Checks")
	titleWidth := 0
	for _, g := range groups {
		titleWidth = max(titleWidth, cols(g.title))
	}
	for _, g := range groups {
		worst := worstOf(g.results)
		text := countLine(g.results)
		if worst.Severity() > 0 {
			text += " (see Problems)"
		}
		if allSkippedAlike(g.results) {
			text += ": " + firstSentence(g.results[0].Detail)
		}
		mark := marks[worst]
		pad := strings.Repeat(" ", titleWidth-cols(g.title))
		var style *color.Color
		if worst == report.Skip {
			style = t.p.skip
		}
		t.wrapped("  "+t.p.status(worst).Sprint(mark)+" "+g.title+pad+"  ", strings.Repeat(" ", titleWidth+6), text, style)
	}
}

// timings draws the waterfall of what a sender waits for, as httpstat
// does, and says apart how long wacheck itself ran; with several addresses
// or timing rounds, the per-address table follows.
func (t *textWriter) timings(r *report.Report) {
	if r.Kind == "cert" {
		return
	}
	phases, addr, total, ok := waterfall(r)
	if ok {
		title := "What a sender waits (ms)"
		if addr != "" {
			title += " at " + addr
		}
		t.heading(title)
		labelW := len("Request to first byte")
		valueW := max(len(ms(total)), 4)
		barRoom := t.width - 2 - labelW - 2 - valueW - 2
		scale := float64(barRoom) / max(total, 0.001)
		for _, p := range phases {
			start := int(p.StartMS*scale + 0.5)
			n := max(1, int((p.StartMS+p.DurationMS)*scale+0.5)-start)
			start = min(start, barRoom-1)
			n = min(n, barRoom-start)
			bar := strings.Repeat(" ", start) + t.p.info.Sprint(strings.Repeat("█", n))
			t.line(fmt.Sprintf("  %-*s  %*s  ", labelW, p.Name, valueW, ms(p.DurationMS)) + bar)
		}
		t.line(fmt.Sprintf("  %-*s  %*s", labelW, "Total", valueW, ms(total)))
	}
	if r.DurationMS > 0 {
		t.wrapped("  ", "  ", "wacheck's own run time "+ms(r.DurationMS)+" ms (all it did; not what a sender waits)", nil)
	}
	t.addressTable(r)
}

// webhook shows the webhook exchange: each request sent to the callback URL
// and its answer (the timed deliveries summed up in one line), so that the
// checks' verdicts can be followed request by request.
func (t *textWriter) webhook(r *report.Report) {
	wh := r.Webhook
	if wh == nil {
		return
	}
	var rows [][]string
	timed := 0
	for _, q := range wh.Requests {
		if q.Role == "latency" {
			timed++
			continue
		}
		if len(rows) == maxListed {
			rows = append(rows, []string{"", "and more (see --format json)", "", ""})
			break
		}
		rows = append(rows, []string{q.Role, q.Method + " " + q.Path, webhookAnswer(q), msPtr(q.TTFBMS)})
	}
	if len(rows) > 0 {
		t.heading("Webhook requests (to " + wh.URL + ")")
		t.table([]string{"Role", "Request", "Answer", "TTFB ms"}, rows, []int{1, 2}, nil)
	}
	if l := wh.Latency; l != nil {
		t.field("Deliveries", fmt.Sprintf("%d timed (%d concurrent), %d failed; median %s ms, p95 %s ms, max %s ms",
			l.N, l.Concurrent, l.Failed, ms(l.MedianMS), ms(l.P95MS), ms(l.MaxMS)))
	} else if timed > 0 {
		t.field("Deliveries", fmt.Sprintf("%d timed", timed))
	}
	if wh.Error != "" {
		t.field("Stopped", wh.Error)
	}
}

// webhookAnswer is "200 OK", or what went wrong.
func webhookAnswer(q report.WebhookRequest) string {
	switch {
	case q.Error != "":
		return "no answer: " + q.Error
	case q.Status == 0:
		return "no answer"
	}
	s := fmt.Sprint(q.Status)
	if q.Location != "" {
		s += " to " + q.Location
	}
	return s
}
