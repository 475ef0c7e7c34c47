package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/pkg/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update and review the diff)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

func renderText(t *testing.T, r *report.Report, opts TextOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Text(&buf, r, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTextGolden(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			plain := renderText(t, s.r, TextOptions{})
			golden(t, s.name+".txt.golden", plain)
			if bytes.Contains(plain, []byte("\x1b")) {
				t.Error("escape code in output without colour")
			}

			coloured := renderText(t, s.r, TextOptions{Color: true})
			golden(t, s.name+".color.golden", coloured)
			if !bytes.Contains(coloured, []byte("\x1b[")) {
				t.Error("no escape code in output with colour")
			}
			if stripANSI(coloured) != string(plain) {
				t.Error("colour changes the text, not only its colour")
			}

			verbose := renderText(t, s.r, TextOptions{Verbose: true})
			golden(t, s.name+".verbose.golden", verbose)
			if bytes.Contains(verbose, []byte("\x1b")) {
				t.Error("escape code in verbose output without colour")
			}
		})
	}
}

// TestTextWidth keeps every line readable in a 100-column terminal, except
// for single words longer than that.
func TestTextWidth(t *testing.T) {
	for _, s := range samples() {
		for _, verbose := range []bool{false, true} {
			out := renderText(t, s.r, TextOptions{Verbose: verbose})
			for _, l := range strings.Split(string(out), "\n") {
				if cols(l) > width && strings.Contains(strings.TrimSpace(l), " ") {
					t.Errorf("%s (verbose %v): line of %d columns: %q", s.name, verbose, cols(l), l)
				}
			}
		}
	}
}

// TestTextSections checks the layout rules that goldens only show: the
// summary is last, fixes follow only warnings and failures, and tables are
// omitted without data.
func TestTextSections(t *testing.T) {
	for _, s := range samples() {
		out := string(renderText(t, s.r, TextOptions{}))
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		last := lines[len(lines)-1]
		wantLast := strings.ToUpper(string(s.r.Status)) + "  " + s.r.Summary.Line()
		if last != wantLast {
			t.Errorf("%s: last line %q, want %q", s.name, last, wantLast)
		}
		fixes := strings.Count(out, "    fix: ")
		want := 0
		for _, c := range s.r.Checks {
			if c.Status.Severity() > 0 && c.Remediation != "" {
				want++
			}
		}
		if fixes != want {
			t.Errorf("%s: %d fix lines, want %d", s.name, fixes, want)
		}
		if hasChain := strings.Contains(out, "Chain as served"); hasChain != (len(s.r.Certificates) > 0) {
			t.Errorf("%s: chain table shown %v with %d certificates", s.name, hasChain, len(s.r.Certificates))
		}
		if hasTLS := strings.Contains(out, "Negotiated  "); hasTLS != (s.r.TLS != nil) {
			t.Errorf("%s: TLS line shown %v, TLS %v", s.name, hasTLS, s.r.TLS)
		}
	}
}

func TestCategoryOrder(t *testing.T) {
	r := &report.Report{}
	r.Add(
		report.Result{ID: "zeta.one", Status: report.Pass, Title: "Z"},
		report.Result{ID: "mtls.request", Status: report.Pass, Title: "M"},
		report.Result{ID: "alpha.one", Status: report.Pass, Title: "A"},
		report.Result{ID: "dns.resolve", Status: report.Pass, Title: "D"},
		report.Result{ID: "cert.expiry", Status: report.Pass, Title: "C"},
		report.Result{ID: "chain.complete", Status: report.Pass, Title: "Ch"},
	)
	out := string(renderText(t, r, TextOptions{}))
	var order []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "  ✓ ") {
			order = append(order, strings.TrimPrefix(l, "  ✓ "))
		}
	}
	if got, want := strings.Join(order, ","), "D,Ch,C,M,A,Z"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}

func TestFirstSentence(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"One sentence.":                  "One sentence.",
		"Took 12 ms. DNS is fine.":       "Took 12 ms.",
		"Uses TLS 1.2. Upgrade.":         "Uses TLS 1.2.",
		"Set it, e.g. ssl_stapling on.":  "Set it, e.g. ssl_stapling on.",
		"First line\nsecond line":        "First line",
		"Version 1.3 negotiated. Next":   "Version 1.3 negotiated.",
		"See http://x.test/a.b. Then go": "See http://x.test/a.b.",
	} {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWrap(t *testing.T) {
	got := wrap("aaa bbb ccc ddd\n  keep   this  \nhttp://a-very-long-url.test/path x", 8)
	want := []string{"aaa bbb", "ccc ddd", "  keep   this", "http://a-very-long-url.test/path", "x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}

func TestRDN(t *testing.T) {
	for _, c := range []struct{ dn, key, want string }{
		{"CN=R11,O=Let's Encrypt,C=US", "CN", "R11"},
		{"CN=R11,O=Let's Encrypt,C=US", "O", "Let's Encrypt"},
		{`CN=Acme\, Inc. CA,O=Acme`, "CN", "Acme, Inc. CA"},
		{"O=No CN", "CN", ""},
		{"", "CN", ""},
	} {
		if got := rdn(c.dn, c.key); got != c.want {
			t.Errorf("rdn(%q, %q) = %q, want %q", c.dn, c.key, got, c.want)
		}
	}
}

func TestJSONGolden(t *testing.T) {
	for _, s := range samples() {
		t.Run(s.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := JSON(&buf, s.r); err != nil {
				t.Fatal(err)
			}
			golden(t, s.name+".json.golden", buf.Bytes())
			if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
				t.Error("JSON does not end with a newline")
			}
		})
	}
}

// TestJSONDoesNotModify proves the nil-to-[] normalisation works on a copy.
func TestJSONDoesNotModify(t *testing.T) {
	r := refused()
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if r.Certificates != nil || r.TLS != nil {
		t.Error("JSON modified the report")
	}
	if !strings.Contains(buf.String(), `"certificates": []`) {
		t.Error("nil certificates not written as []")
	}
}

func stripANSI(b []byte) string {
	var out strings.Builder
	s := string(b)
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < '@' || s[j] > '~') {
				j++
			}
			i = j
			continue
		}
		out.WriteByte(s[i])
	}
	return out.String()
}

// TestTextEdgeCases renders reports the samples do not cover: nothing at
// all, a name that does not resolve, an unparseable and an expired
// certificate.
func TestTextEdgeCases(t *testing.T) {
	empty := string(renderText(t, &report.Report{}, TextOptions{}))
	if !strings.HasSuffix(empty, "PASS  0 passed\n") {
		t.Errorf("empty report ends %q", empty[max(0, len(empty)-40):])
	}

	nx := &report.Report{Target: report.Target{Input: "nope.example", Host: "nope.example", Port: 443, SNI: "nope.example"},
		DNS: report.DNS{Resolver: "system", Error: "lookup nope.example: no such host"}}
	nx.Add(report.Result{ID: "dns.resolve", Status: report.Fail, Title: "Name does not resolve", Detail: "NXDOMAIN.", Remediation: "Create an A or AAAA record."})
	out := string(renderText(t, nx, TextOptions{}))
	for _, want := range []string{"Address   none: lookup nope.example: no such host", "  ✗ Name does not resolve — NXDOMAIN.", "    fix: Create an A or AAAA record.", "FAIL  0 passed, 1 failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "Timings") {
		t.Error("timings table without timings")
	}

	// A server that insists on a client certificate fails the handshake
	// after asking for one: the request is still shown.
	mtlsFail := refused()
	mtlsFail.ClientAuth = &report.ClientAuth{Requested: true}
	out = string(renderText(t, mtlsFail, TextOptions{}))
	if !strings.Contains(out, "\nClient cert requested, no acceptable CAs listed\n") || strings.Contains(out, "Negotiated") {
		t.Errorf("client certificate request after a failed handshake:\n%s", out)
	}

	// A report from elsewhere with short fingerprints renders, too.
	odd := loadBalancer()
	odd.Addresses[1].ChainSHA256 = []string{"abc"}
	if out := string(renderText(t, odd, TextOptions{})); !strings.Contains(out, "│ abc ") {
		t.Errorf("short fingerprint not shown:\n%s", out)
	}

	bad := healthy()
	bad.Certificates[1] = report.Cert{Index: 1, ParseError: "x509: malformed certificate", SHA256: "00ff"}
	bad.Certificates[0].DaysLeft = -3
	for _, verbose := range []bool{false, true} {
		out := string(renderText(t, bad, TextOptions{Verbose: verbose}))
		for _, want := range []string{"│ unparseable:", "x509: malformed", "2025-05-01 (expired 3d ago)"} {
			if !strings.Contains(out, want) {
				t.Errorf("verbose %v: no %q in\n%s", verbose, want, out)
			}
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrors(t *testing.T) {
	if err := Text(failWriter{}, healthy(), TextOptions{}); err == nil {
		t.Error("Text: no error from a failing writer")
	}
	if err := JSON(failWriter{}, healthy()); err == nil {
		t.Error("JSON: no error from a failing writer")
	}
}
