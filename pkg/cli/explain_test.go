package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"github.com/wacheck/wacheck/pkg/checks"
)

func runExplainArgs(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ios, out, errOut := streams(false, false)
	code := Main(append([]string{"explain"}, args...), ios)
	return out.String(), errOut.String(), code
}

// TestExplainEveryCheck: wacheck explain prints every registered check's
// explanation within 80 columns (the width of a pipe), with its title and
// the sections a user looks for.
func TestExplainEveryCheck(t *testing.T) {
	for _, d := range checks.All() {
		out, errOut, code := runExplainArgs(t, d.ID)
		if code != 0 {
			t.Errorf("explain %s: exit %d: %s", d.ID, code, errOut)
			continue
		}
		if !strings.HasPrefix(out, d.ID+" — "+d.Title+"\n") {
			t.Errorf("explain %s starts %q", d.ID, strings.SplitN(out, "\n", 2)[0])
		}
		for _, want := range []string{"\nWhat it checks\n", "\nWhy a sender cares\n", "\nWhat each status means\n", "\nHow to fix it\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("explain %s lacks %q", d.ID, want)
			}
		}
		for i, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > 80 {
				t.Errorf("explain %s: line %d has %d columns: %q", d.ID, i+1, n, l)
			}
		}
	}
}

// TestExplainServerFixes: the fixes name the real directives of each
// server for the checks whose fix is server configuration.
func TestExplainServerFixes(t *testing.T) {
	for id, wants := range map[string][]string{
		"chain.complete":  {"ssl_certificate     /etc/letsencrypt/live/example.com/fullchain.pem;", "SSLCertificateFile", "crt /etc/haproxy/certs/example.com.pem", "cat fullchain.pem privkey.pem", "Automatic HTTPS", "--certificate-chain", "gcloud compute ssl-certificates create", "openssl pkcs12 -export"},
		"ocsp.stapled":    {"ssl_stapling on;", "SSLUseStapling on", "ocsp-update on", "Caddy staples by default"},
		"protocol.legacy": {"ssl_protocols TLSv1.2 TLSv1.3;", "SSLProtocol -all +TLSv1.2 +TLSv1.3", "ssl-min-ver TLSv1.2", "ELBSecurityPolicy-TLS13-1-2-2021-06", "--min-tls-version 1.2", "AppGwSslPolicy20220101S", "Minimum TLS Version 1.2"},
		"tls.resumption":  {"ssl_session_cache shared:SSL:10m;", "SSLSessionCache", "tune.ssl.cachesize"},
	} {
		out, _, code := runExplainArgs(t, id)
		if code != 0 {
			t.Fatalf("explain %s: exit %d", id, code)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("explain %s lacks %q", id, w)
			}
		}
	}
}

// TestExplainUnknownCheck: one line, a hint with the closest ids and
// `wacheck checks`, exit 2, nothing on stdout.
func TestExplainUnknownCheck(t *testing.T) {
	for _, tt := range []struct {
		args []string
		hint string
	}{
		{[]string{"chain.complet"}, "hint: did you mean chain.complete? 'wacheck checks' lists every check id\n"},
		{[]string{"complete"}, "did you mean chain.complete?"},
		{[]string{"ocsp"}, "did you mean ocsp.stapled, ocsp.status, ocsp.valid?"},
		{[]string{"nothing-like-it"}, "hint: 'wacheck checks' lists every check id\n"},
		{[]string{strings.Repeat("x", 5000)}, "hint: 'wacheck checks' lists every check id\n"},
		{[]string{"\x1b]0;evil\a"}, "hint: "},
		{nil, "hint: e.g. wacheck explain chain.complete"},
		{[]string{"a", "b"}, "hint: e.g. wacheck explain chain.complete"},
		{[]string{"chain.complete", "--format", "xml"}, "hint: use --format text, markdown or json"},
	} {
		out, errOut, code := runExplainArgs(t, tt.args...)
		if code != ExitUsage || out != "" {
			t.Errorf("explain %q: exit %d, stdout %q", tt.args, code, out)
		}
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "wacheck: ") || !strings.Contains(errOut, tt.hint) {
			t.Errorf("explain %q: stderr %q, want an error line and a hint with %q", tt.args, errOut, tt.hint)
		}
		if strings.ContainsAny(errOut, "\x1b\a") || len(lines[0]) > 200 {
			t.Errorf("explain %q: raw control bytes or an unbounded line on stderr: %q", tt.args, errOut)
		}
	}
}

// TestExplainJSONAndMarkdown: the JSON has the registry's facts and the
// explanation; the Markdown parses (goldmark, GitHub's tables) into a
// heading, a table of statuses and one heading per fix.
func TestExplainJSONAndMarkdown(t *testing.T) {
	out, _, code := runExplainArgs(t, "chain.complete", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var e struct {
		ID, Title, Category, Judges, What, Why string
		Statuses                               map[string]string
		Fixes                                  []struct{ Platform, Text string }
	}
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatal(err)
	}
	if e.ID != "chain.complete" || e.Title != "Certificate chain is complete" || e.Category != "chain" || e.Judges != "chain" ||
		e.Statuses["fail"] == "" || e.Statuses["warn"] == "" || e.Statuses["info"] != "" || len(e.Fixes) < 5 || e.Fixes[0].Platform != "nginx" {
		t.Errorf("JSON %+v", e)
	}

	out, _, code = runExplainArgs(t, "chain.complete", "--format", "markdown")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	md := goldmark.New(goldmark.WithExtensions(extension.GFM))
	doc := md.Parser().Parse(text.NewReader([]byte(out)))
	var headings []string
	rows := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			var b bytes.Buffer
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				b.Write(c.Text([]byte(out)))
			}
			headings = append(headings, strings.Repeat("#", n.Level)+" "+b.String())
		case *east.TableRow:
			rows++
		}
		return ast.WalkContinue, nil
	})
	if len(headings) < 6 || headings[0] != "## chain.complete: Certificate chain is complete" || headings[1] != "### nginx" {
		t.Errorf("headings %q", headings)
	}
	if rows != 4 { // pass, warn, fail, skip
		t.Errorf("%d status rows, want 4", rows)
	}
}
