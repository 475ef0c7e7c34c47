package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

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
	for _, s := range samples(t) {
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
	for _, s := range samples(t) {
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
// summary is last, fixes follow only warnings and failures, one chain table
// per distinct chain, and tables are omitted without data.
func TestTextSections(t *testing.T) {
	for _, s := range samples(t) {
		out := string(renderText(t, s.r, TextOptions{}))
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		last := lines[len(lines)-1]
		wantLast := strings.ToUpper(string(s.r.Status)) + "  " + s.r.Summary.Line()
		if last != wantLast {
			t.Errorf("%s: last line %q, want %q", s.name, last, wantLast)
		}
		// Verbose output merges no per-address lines: one fix for each
		// warning and failure with a remediation, and none for the rest.
		verbose := string(renderText(t, s.r, TextOptions{Verbose: true}))
		fixes := strings.Count(verbose, "    fix: ")
		want := 0
		for _, c := range s.r.Checks {
			if c.Status.Severity() > 0 && c.Remediation != "" {
				want++
			}
		}
		if fixes != want {
			t.Errorf("%s: %d fix lines, want %d", s.name, fixes, want)
		}
		if merged := strings.Count(out, "    fix: "); merged > want || (merged == 0) != (want == 0) {
			t.Errorf("%s: %d fix lines once addresses are merged, of %d", s.name, merged, want)
		}
		chains, handshakes := 0, false
		if s.r.Files != nil && len(s.r.Files.Certificates) > 0 {
			chains = 1
		}
		if s.r.Agreement != nil {
			chains = len(s.r.Agreement.Chains)
		}
		for _, a := range s.r.Addresses {
			handshakes = handshakes || a.TLS != nil
		}
		if got := strings.Count(out, "\nChain ("); got != chains {
			t.Errorf("%s: %d chain tables, want %d", s.name, got, chains)
		}
		if hasTLS := strings.Contains(out, "Negotiated  "); hasTLS != handshakes {
			t.Errorf("%s: TLS line shown %v, a handshake completed %v", s.name, hasTLS, handshakes)
		}
		if hasTimings := strings.Contains(out, "Timings (ms)"); hasTimings != (s.r.Kind == "probe") {
			t.Errorf("%s: timings shown %v for kind %s", s.name, hasTimings, s.r.Kind)
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
	for _, s := range samples(t) {
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
	r := sampleNamed(t, "refused")
	r.Addresses[0].Certificates = nil
	r.Agreement.Working = nil
	var buf bytes.Buffer
	if err := JSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if r.Addresses[0].Certificates != nil || r.Agreement.Working != nil {
		t.Error("JSON modified the report")
	}
	if !strings.Contains(buf.String(), `"certificates": []`) || !strings.Contains(buf.String(), `"working": []`) {
		t.Error("nil lists not written as []")
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

	nx := &report.Report{Kind: "probe", Target: report.Target{Input: "nope.example", Host: "nope.example", Port: 443, SNI: "nope.example"},
		DNS: &report.DNS{Resolver: "system", Error: "nxdomain: lookup nope.example: no such host"}}
	nx.Add(report.Result{ID: "dns.resolve", Status: report.Fail, Title: "Name does not resolve", Detail: "NXDOMAIN.", Remediation: "Create an A or AAAA record."})
	out := string(renderText(t, nx, TextOptions{}))
	for _, want := range []string{"Address   none: nxdomain: lookup nope.example: no such host", "  ✗ Name does not resolve — NXDOMAIN.", "    fix: Create an A or AAAA record.", "FAIL  0 passed, 1 failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "Timings") && !strings.Contains(out, "DNS") {
		t.Error("timings table without timings")
	}

	// A server that insists on a client certificate fails the handshake
	// after asking for one: the request is still shown.
	mtlsFail := sampleNamed(t, "refused")
	mtlsFail.Addresses[0].ClientAuth = &report.ClientAuth{Requested: true, Required: true}
	out = string(renderText(t, mtlsFail, TextOptions{}))
	if !strings.Contains(out, "\nClient cert requested, no acceptable CAs listed\n") || strings.Contains(out, "Negotiated") {
		t.Errorf("client certificate request after a failed handshake:\n%s", out)
	}

	// A report from elsewhere with a short chain id renders, too.
	odd := sampleNamed(t, "load-balancer")
	odd.Addresses[1].Chain.ID = "abc"
	if out := string(renderText(t, odd, TextOptions{})); !strings.Contains(out, "│ abc ") {
		t.Errorf("short fingerprint not shown:\n%s", out)
	}

	bad := sampleNamed(t, "healthy")
	a := &bad.Addresses[0]
	a.Certificates[1] = report.Cert{Index: 1, ParseError: "x509: malformed certificate", SHA256: "00ff"}
	a.Certificates[0].DaysLeft = -3
	expired := a.Certificates[0].NotAfter.Format("2006-01-02") + " (expired 3d ago)"
	for _, verbose := range []bool{false, true} {
		out := string(renderText(t, bad, TextOptions{Verbose: verbose}))
		for _, want := range []string{"│ unparseable:", "x509: malformed", expired} {
			if !strings.Contains(out, want) {
				t.Errorf("verbose %v: no %q in\n%s", verbose, want, out)
			}
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteErrors(t *testing.T) {
	r := sampleNamed(t, "healthy")
	if err := Text(failWriter{}, r, TextOptions{}); err == nil {
		t.Error("Text: no error from a failing writer")
	}
	if err := JSON(failWriter{}, r); err == nil {
		t.Error("JSON: no error from a failing writer")
	}
}

// TestPerAddress checks what schema version 2 is for: every address is
// described in full, whatever its place in DNS order. A load balancer's two
// chains get a table each, naming its address; a name whose first address
// refuses still shows the healthy address's chain and handshake.
func TestPerAddress(t *testing.T) {
	lb := sampleNamed(t, "load-balancer")
	if got := len(lb.Agreement.Chains); got != 2 {
		t.Fatalf("load-balancer: %d chains in agreement, want 2", got)
	}
	out := string(renderText(t, lb, TextOptions{}))
	for _, a := range lb.Addresses {
		n := len(a.Certificates)
		title := fmt.Sprintf("\nChain (%d %s, leaf first; served by %s)\n", n, pluralWord(n, "certificate"), a.Address)
		if !strings.Contains(out, title) {
			t.Errorf("load-balancer: no chain table %q", strings.TrimSpace(title))
		}
		if !strings.Contains(out, "│ "+a.Address+" ") || !strings.Contains(out, " "+a.Chain.ID+" │") {
			t.Errorf("load-balancer: the per-address table does not give %s chain %s", a.Address, a.Chain.ID)
		}
	}

	mixed := sampleNamed(t, "one-refused")
	bad, good := mixed.Addresses[0], mixed.Addresses[1]
	if bad.ErrorKind != "refused" || good.Error != "" || len(good.Certificates) != 2 || good.TLS == nil || good.Chain == nil ||
		!good.Chain.Verified || good.OCSP == nil || !good.OCSP.Stapled {
		t.Fatalf("one-refused: the sample is not one refusing and one healthy address: %+v", mixed.Addresses)
	}
	if ag := mixed.Agreement; len(ag.Failing) != 1 || ag.Failing[0].Address != bad.Address ||
		strings.Join(ag.Working, ",") != good.Address || ag.Agree {
		t.Errorf("one-refused: agreement %+v", ag)
	}
	out = string(renderText(t, mixed, TextOptions{}))
	for _, want := range []string{
		"Addresses " + bad.Address + " (refused), " + good.Address,
		"\nChain (2 certificates, leaf first; served by " + good.Address + ")\n",
		"│ 0 │ " + certName(good.Certificates[0].Subject, nil),
		"\nNegotiated  " + tlsLine(good.TLS) + " (" + good.Address + ")\n",
		"│ " + bad.Address + " │ -       │ -   │ -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("one-refused: no %q in\n%s", want, out)
		}
	}
	var doc struct {
		Addresses []struct {
			Address      string             `json:"address"`
			ErrorKind    string             `json:"error_kind"`
			TLS          *report.TLS        `json:"tls"`
			Certificates []report.Cert      `json:"certificates"`
			Chain        *report.Chain      `json:"chain"`
			ClientAuth   *report.ClientAuth `json:"client_auth"`
		} `json:"addresses"`
	}
	if err := json.Unmarshal(renderJSON(t, mixed), &doc); err != nil {
		t.Fatal(err)
	}
	if a := doc.Addresses[0]; a.Address != bad.Address || a.ErrorKind != "refused" || a.TLS != nil || len(a.Certificates) != 0 {
		t.Errorf("one-refused JSON: first address %+v", a)
	}
	if a := doc.Addresses[1]; a.Address != good.Address || a.TLS == nil || len(a.Certificates) != 2 ||
		!strings.HasPrefix(a.Certificates[0].PEM, "-----BEGIN CERTIFICATE-----\n") || a.Chain == nil || len(a.Chain.SHA256) != 2 || a.ClientAuth == nil {
		t.Errorf("one-refused JSON: second address %+v", a)
	}
}

// TestCertKind checks the report of certificate files: the files and the
// chain, and nothing about a network.
func TestCertKind(t *testing.T) {
	r := sampleNamed(t, "cert")
	if r.Kind != "cert" || r.Files == nil || len(r.Files.Certificates) != 2 || r.Files.Chain == nil || r.Files.Chain.Source != "files" {
		t.Fatalf("cert sample: %+v", r.Files)
	}
	out := string(renderText(t, r, TextOptions{}))
	for _, want := range []string{"  File      fullchain.pem\n", "  Name      localhost\n", "\nChain (2 certificates, leaf first)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	for _, not := range []string{"Started", "Timings", "Negotiated", "Address"} {
		if strings.Contains(out, not) {
			t.Errorf("%q in the report of files:\n%s", not, out)
		}
	}
}

// TestTextCleansServerStrings shows that what a server sent cannot drive the
// terminal or reorder the text: escape sequences, bidi overrides and bytes
// that are not UTF-8 are shown escaped, in check lines and in tables.
func TestTextCleansServerStrings(t *testing.T) {
	r := sampleNamed(t, "healthy")
	evil := "evil\x1b[2J\u202egnp.exe\xff\u0085\x07"
	r.Addresses[0].Certificates[0].Subject = "CN=" + evil
	r.Addresses[0].ClientAuth = &report.ClientAuth{Requested: true, AcceptableCAs: []string{"CN=" + evil}}
	r.Add(report.Result{ID: "cert.hostname", Status: report.Fail, Title: "Name", Detail: "served " + evil, Remediation: "fix " + evil})
	for _, opts := range []TextOptions{{}, {Verbose: true}} {
		out := renderText(t, r, opts)
		if bytes.Contains(out, []byte("\x1b")) || bytes.Contains(out, []byte("\u202e")) || bytes.Contains(out, []byte("\u0085")) ||
			bytes.Contains(out, []byte("\x07")) || !utf8.Valid(out) {
			t.Errorf("verbose %v: raw control characters in\n%q", opts.Verbose, out)
		}
		// Detail, fix and acceptable CA in full; the table may wrap it.
		if n := bytes.Count(out, []byte(`evil\x1b[2J\u202egnp.exe\xff\u0085\x07`)); n < 3 || !bytes.Contains(out, []byte(`│ 0 │ evil\x1b[2J`)) {
			t.Errorf("verbose %v: the escaped name is not shown everywhere:\n%s", opts.Verbose, out)
		}
	}
}
