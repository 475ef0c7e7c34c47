package exporter

import (
	"html/template"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wacheck/wacheck/internal/escape"
)

// statusPage lists the modules and the recent probes. html/template
// escapes every value; a target (what a scraper asked for) is also shown
// with its control characters as escapes. It is parsed on first use, not
// at every wacheck command's start.
var statusPage = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("status").Funcs(template.FuncMap{
		"line": func(s string) string { return escape.Line(truncate(s, 256)) },
		"ms":   func(d time.Duration) int64 { return d.Milliseconds() },
		"ts":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>wacheck exporter</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.fail{color:#b00}.ok{color:#070}</style>
</head><body>
<h1>wacheck exporter</h1>
<p><a href="/metrics">Metrics</a> &middot; probe with <code>/probe?target=HOST[:PORT]&amp;module=MODULE</code></p>
<h2>Modules</h2>
<p>{{range $i, $m := .Modules}}{{if $i}}, {{end}}<code>{{$m}}</code>{{end}}</p>
<h2>Recent probes</h2>
{{if .Recent}}<table>
<tr><th>Time (UTC)</th><th>Target</th><th>Module</th><th>Result</th><th>Status</th><th>Error</th><th>Duration</th><th>Cached</th></tr>
{{range .Recent}}<tr><td>{{ts .Time}}</td><td><code>{{line .Target}}</code></td><td>{{.Module}}</td><td class="{{if .Success}}ok{{else}}fail{{end}}">{{if .Success}}success{{else}}failure{{end}}</td><td>{{.Verdict}}</td><td>{{.Reason}}</td><td>{{ms .Duration}} ms</td><td>{{if .Cached}}yes{{end}}</td></tr>
{{end}}</table>{{else}}<p>None yet.</p>{{end}}
</body></html>
`))
})

func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	var mods []string
	for name := range s.modules {
		mods = append(mods, name)
	}
	slices.Sort(mods)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_ = statusPage().Execute(w, struct {
		Modules []string
		Recent  []Recent
	}{mods, s.Recent()})
}
