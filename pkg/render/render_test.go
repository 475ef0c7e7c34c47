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

	"github.com/wacheck/wacheck/pkg/checks"
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

// TestTextWidth keeps every line within the layout width, tables and fixes
// included, at the default 80 columns and at other widths, in default and
// verbose mode.
func TestTextWidth(t *testing.T) {
	for _, s := range samples(t) {
		for _, w := range []int{0, 60, 100, 132} {
			for _, verbose := range []bool{false, true} {
				out := renderText(t, s.r, TextOptions{Verbose: verbose, Width: w})
				limit := w
				if w == 0 {
					limit = DefaultWidth
				}
				for _, l := range strings.Split(string(out), "\n") {
					if cols(l) > limit {
						t.Errorf("%s (width %d, verbose %v): line of %d columns: %q", s.name, w, verbose, cols(l), l)
					}
				}
			}
		}
	}
}

// TestTextSections checks the layout rules that goldens only show: the
// verdict is first and last and names the worst problem's check, every
// failure and warning is listed with its fix before the checks that passed,
// passing checks take one line per category, one chain table per distinct
// chain, and tables are omitted without data.
func TestTextSections(t *testing.T) {
	for _, s := range samples(t) {
		out := string(renderText(t, s.r, TextOptions{Width: 200}))
		lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
		v := verdict(s.r)
		wantVerdict := strings.ToUpper(string(s.r.Status)) + "  " + v.Sentence
		if lines[0] != wantVerdict || lines[len(lines)-1] != wantVerdict {
			t.Errorf("%s: first line %q and last line %q, want %q", s.name, lines[0], lines[len(lines)-1], wantVerdict)
		}
		ps := mergedProblems(s.r)
		if len(ps) > 0 {
			if v.Worst == nil || !strings.Contains(lines[0], "("+v.Worst.ID) {
				t.Errorf("%s: verdict %q does not name the worst check", s.name, lines[0])
			}
			if s.r.Status == report.Fail && !strings.Contains(lines[0], " cannot ") {
				t.Errorf("%s: failing verdict %q", s.name, lines[0])
			}
			if !strings.Contains(out, "\nProblems\n") || strings.Index(out, "\nProblems\n") > strings.Index(out, "\nChecks\n") {
				t.Errorf("%s: no Problems section before the checks", s.name)
			}
		} else if strings.Contains(out, "\nProblems\n") {
			t.Errorf("%s: Problems section without problems", s.name)
		}
		// Every problem's title appears in Problems, with its fix; outside
		// verbose mode a passing check's title does not appear at all.
		problemsPart := out[:max(strings.Index(out, "\nChecks\n"), 0)]
		for _, p := range ps {
			if !strings.Contains(problemsPart, p.Title) {
				t.Errorf("%s: problem %s not listed before the checks", s.name, p.ID)
			}
		}
		fixes := 0
		for _, c := range s.r.Checks {
			if c.Status.Severity() > 0 && c.Remediation != "" {
				fixes++
			}
		}
		if merged := strings.Count(out, "    fix: "); merged > fixes || (merged == 0) != (fixes == 0) {
			t.Errorf("%s: %d fix lines once addresses are merged, of %d", s.name, merged, fixes)
		}
		problem := map[string]bool{} // a check that fails for one chain may pass for another
		for _, c := range s.r.Checks {
			if c.Status.Severity() > 0 {
				problem[c.ID] = true
			}
		}
		for _, c := range s.r.Checks {
			if c.Status == report.Pass && !problem[c.ID] && strings.Contains(out, c.Title+" —") {
				t.Errorf("%s: passing check %s shown on its own line outside verbose mode", s.name, c.ID)
			}
		}
		cats := map[string]bool{}
		for _, c := range s.r.Checks {
			cats[c.Category()] = true
		}
		checksPart := out[strings.Index(out, "\nChecks\n"):]
		checksPart = checksPart[:strings.Index(checksPart[1:], "\n\n")+1]
		if got := strings.Count(checksPart, "\n  "); got != len(cats) {
			t.Errorf("%s: %d lines under Checks, want one per category (%d)", s.name, got, len(cats))
		}
		// Verbose mode shows every check, with its detail.
		verbose := string(renderText(t, s.r, TextOptions{Verbose: true, Width: 1000}))
		for _, c := range s.r.Checks {
			if !strings.Contains(verbose, c.Title) {
				t.Errorf("%s: verbose output misses check %s", s.name, c.ID)
			}
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
		if hasTLS := strings.Contains(out, "\n  TLS       TLS 1."); hasTLS != handshakes {
			t.Errorf("%s: TLS line shown %v, a handshake completed %v", s.name, hasTLS, handshakes)
		}
		reached := false
		for _, a := range s.r.Addresses {
			reached = reached || a.TimingsMS.Connect != nil
		}
		if hasTimings := strings.Contains(out, "What a sender waits (ms)"); hasTimings != (s.r.Kind == "probe" && reached) {
			t.Errorf("%s: waterfall shown %v for kind %s", s.name, hasTimings, s.r.Kind)
		}
		if s.r.Kind == "probe" && !strings.Contains(out, "wacheck's own run time") {
			t.Errorf("%s: wacheck's own run time not named apart", s.name)
		}
	}
}

// TestTextHealthyFits keeps a healthy server's report on one screen.
func TestTextHealthyFits(t *testing.T) {
	out := string(renderText(t, sampleNamed(t, "healthy"), TextOptions{}))
	// The sample has warnings; without them (the Problems section) the
	// report is a healthy server's.
	if i := strings.Index(out, "\nProblems\n"); i >= 0 {
		j := strings.Index(out, "\nChecks\n")
		out = out[:i] + out[j:]
	}
	if n := strings.Count(out, "\n"); n > 45 {
		t.Errorf("healthy report has %d lines at 80 columns, want at most 45 (about one screen):\n%s", n, out)
	}
}

// TestWaterfall checks the timing bars: one per phase a sender goes
// through, on one time axis (each starts where the one before ended), and
// the total is their sum.
func TestWaterfall(t *testing.T) {
	r := sampleNamed(t, "healthy")
	phases, _, total, ok := waterfall(r)
	if !ok {
		t.Fatal("no waterfall for the healthy sample")
	}
	var names []string
	sum := 0.0
	for i, p := range phases {
		names = append(names, p.Name)
		if i > 0 && p.StartMS != phases[i-1].StartMS+phases[i-1].DurationMS {
			t.Errorf("%s starts at %v, not where %s ended", p.Name, p.StartMS, phases[i-1].Name)
		}
		sum += p.DurationMS
	}
	if got := strings.Join(names, ","); got != "DNS lookup,TCP connect,TLS handshake,Request to first byte" {
		t.Errorf("phases %s", got)
	}
	if total != sum {
		t.Errorf("total %v, sum %v", total, sum)
	}
	out := string(renderText(t, r, TextOptions{}))
	bars := 0
	prevEnd := 0
	for _, l := range strings.Split(out, "\n") {
		i := strings.Index(l, "█")
		if i < 0 {
			continue
		}
		bars++
		start := cols(l[:i])
		if start < prevEnd {
			t.Errorf("bar %q starts before the previous one ended", l)
		}
		prevEnd = start + strings.Count(l, "█")
	}
	if bars != len(phases) {
		t.Errorf("%d bars, want %d", bars, len(phases))
	}
	if !strings.Contains(out, "  Total ") {
		t.Error("no total line")
	}
}

// TestLongListsCut keeps a certificate with 10,000 names from making a
// 229 KB report: the list is cut with a count.
func TestLongListsCut(t *testing.T) {
	r := sampleNamed(t, "healthy")
	sans := make([]string, 10000)
	for i := range sans {
		sans[i] = fmt.Sprintf("host%d.example.com", i)
	}
	r.Addresses[0].Certificates[0].SANs = sans
	out := renderText(t, r, TextOptions{Verbose: true})
	if flat := strings.Join(strings.Fields(string(out)), " "); !strings.Contains(flat, "host11.example.com and 9,988 more") {
		t.Error("SAN list not cut with a count")
	}
	if len(out) > 20000 {
		t.Errorf("verbose report of %d bytes", len(out))
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
	out := string(renderText(t, r, TextOptions{Verbose: true}))
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
	want := []string{"aaa bbb", "ccc ddd", "  keep   this", "http://", "a-very-l", "ong-url.", "test/", "path x"}
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
	if !strings.HasPrefix(empty, "PASS  The sender can deliver: every check passed\n      0 passed\n") ||
		!strings.HasSuffix(empty, "\nPASS  The sender can deliver: every check passed\n") {
		t.Errorf("empty report ends %q", empty[max(0, len(empty)-40):])
	}

	nx := &report.Report{Kind: "probe", Target: report.Target{Input: "nope.example", Host: "nope.example", Port: 443, SNI: "nope.example"},
		DNS: &report.DNS{Resolver: "system", Error: "nxdomain: lookup nope.example: no such host"}}
	nx.Add(report.Result{ID: "dns.resolve", Status: report.Fail, Title: "Name does not resolve", Detail: "NXDOMAIN.", Remediation: "Create an A or AAAA record."})
	out := string(renderText(t, nx, TextOptions{}))
	for _, want := range []string{"Address   none: nxdomain: lookup nope.example: no such host", "  ✗ Name does not resolve — NXDOMAIN.", "    fix: Create an A or AAAA record.",
		"FAIL  The sender cannot deliver: the name does not resolve (dns.resolve)\n      0 passed, 1 failure\n"} {
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
	if !strings.Contains(out, "\n  Client CA a client certificate is requested, no acceptable CAs listed\n") ||
		strings.Contains(out, "\n  TLS       ") {
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
		for _, want := range []string{"│ unparseable:", "malformed", expired} {
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
		if !strings.Contains(out, "│ "+a.Address+" ") || !strings.Contains(out, " "+a.Chain.ID[:12]+" ") {
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
		"│ " + certName(good.Certificates[0].Subject, nil),
		"\n  TLS       " + tlsLine(good.TLS),
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
	for _, not := range []string{"Started", "What a sender waits", "run time", "  TLS  ", "Address"} {
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
		if n := bytes.Count(out, []byte(`evil\x1b[2J\u202egnp.exe\xff\u0085\x07`)); n < 3 || !bytes.Contains(out, []byte(`│ evil\x1b[2J`)) {
			t.Errorf("verbose %v: the escaped name is not shown everywhere:\n%s", opts.Verbose, out)
		}
	}
}

// TestEveryCheckHasCause: the verdict names each check's finding in words,
// so every registered check has them.
func TestEveryCheckHasCause(t *testing.T) {
	for _, d := range checks.All() {
		if causeRank(d.ID) == len(causes) {
			t.Errorf("%s has no words in causes (pkg/render/present.go)", d.ID)
		}
		if _, ok := categoryTitle[strings.SplitN(d.ID, ".", 2)[0]]; !ok {
			t.Errorf("%s: category without a title", d.ID)
		}
	}
}
