package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/report"
)

// certNow is the test clock: every certificate is valid relative to it, and
// far from the real time, so a check that read the real clock would fail.
var certNow = time.Date(2031, 3, 14, 12, 0, 0, 0, time.UTC)

// certPKI is a test PKI written to files: root → intermediate → leaf (for
// localhost), a stray leaf of another CA, and the root as --ca-file.
type certPKI struct {
	*testpki.Chain
	dir, root string
	stray     *testpki.Leaf
}

func newCertPKI(t *testing.T) *certPKI {
	t.Helper()
	c := testpki.NewChain(t, certNow)
	other := testpki.NewRoot(t, testpki.CAOptions{Now: certNow, CommonName: "other root"})
	p := &certPKI{Chain: c, dir: t.TempDir(),
		stray: other.Leaf(t, testpki.LeafOptions{Now: certNow, DNSNames: []string{"stray.example"}})}
	p.root = c.WriteRootPEM(t, p.dir)
	return p
}

// file writes data to name in the PKI's directory.
func (p *certPKI) file(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// certResult is one run of the cert command.
type certResult struct {
	code        int
	out, stderr string
	rep         *report.Report
}

// runCertCmd runs `wacheck cert ARGS` through the flags with the test clock
// and client; a JSON report on stdout is decoded.
func runCertCmd(t *testing.T, client *http.Client, args ...string) certResult {
	t.Helper()
	ios, out, errOut := streams(false, false)
	cmd := newCertCmd(ios, func(ctx context.Context, o *CertOptions) error {
		o.Now = func() time.Time { return certNow }
		o.HTTPClient = client
		return runCert(ctx, o)
	})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.SetArgs(args)
	code := exitCode(cmd.Execute(), errOut)
	r := certResult{code: code, out: out.String(), stderr: errOut.String()}
	if strings.HasPrefix(r.out, "{") {
		r.rep = &report.Report{}
		if err := json.Unmarshal(out.Bytes(), r.rep); err != nil {
			t.Fatalf("stdout is not a JSON report: %v\n%s", err, r.out)
		}
	}
	return r
}

// judge runs `wacheck cert ARGS --ca-file ROOT --format json`.
func (p *certPKI) judge(t *testing.T, args ...string) certResult {
	t.Helper()
	r := runCertCmd(t, nil, append(args, "--ca-file", p.root, "--format", "json")...)
	if r.rep == nil {
		t.Fatalf("no report (exit %d): %s", r.code, r.stderr)
	}
	return r
}

func status(rep *report.Report, id string) report.Status {
	for _, c := range rep.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return ""
}

// want asserts each check's status, and that no check not named fails or
// warns: a failure is blamed on its cause alone.
func want(t *testing.T, rep *report.Report, statuses map[string]report.Status) {
	t.Helper()
	for id, st := range statuses {
		if got := status(rep, id); got != st {
			t.Errorf("%s = %q, want %q (%s)", id, got, st, detail(rep, id))
		}
	}
	for _, c := range rep.Checks {
		if _, named := statuses[c.ID]; !named && c.Status.Severity() > 0 {
			t.Errorf("%s = %s, unexpected: %s", c.ID, c.Status, c.Detail)
		}
	}
}

func detail(rep *report.Report, id string) string {
	for _, c := range rep.Checks {
		if c.ID == id {
			return c.Detail
		}
	}
	return "not run"
}

func TestCertHealthyFullchain(t *testing.T) {
	p := newCertPKI(t)
	full := p.file(t, "fullchain.pem", testpki.CertsPEM(p.Leaf.DER, p.Intermediate.DER))
	key := p.file(t, "privkey.pem", p.Leaf.KeyPEM(t))
	r := p.judge(t, full, "--name", "localhost", "--key", key)
	if r.code != 0 {
		t.Errorf("exit %d, want 0: %s", r.code, r.stderr)
	}
	want(t, r.rep, map[string]report.Status{"chain.complete": report.Pass, "chain.trusted": report.Pass,
		"chain.order": report.Pass, "chain.extra": report.Pass, "cert.hostname": report.Pass, "cert.expiry": report.Pass,
		"key.match": report.Pass, "ocsp.stapled": report.Skip})
	rep := r.rep
	if rep.Kind != "cert" || rep.Files == nil || len(rep.Files.Paths) != 1 || rep.Files.Paths[0] != full ||
		rep.Files.Name != "localhost" || rep.Files.Key != key || len(rep.Files.Certificates) != 2 ||
		rep.Files.Chain == nil || !rep.Files.Chain.Verified || rep.Files.Chain.Source != "files" {
		t.Errorf("files = %+v", rep.Files)
	}
	for _, c := range rep.Checks {
		if c.Category() == "dns" || c.Category() == "connect" || c.Category() == "tls" || c.Category() == "http" {
			t.Errorf("%s judged for files", c.ID)
		}
	}
	// Text, too: the same checks, exit 0.
	text := runCertCmd(t, nil, full, "--name", "localhost", "--ca-file", p.root)
	if text.code != 0 || !strings.Contains(text.out, "fullchain.pem") || !strings.Contains(text.out, "Certificate chain") {
		t.Errorf("text (exit %d):\n%s%s", text.code, text.out, text.stderr)
	}
}

func TestCertFindings(t *testing.T) {
	p := newCertPKI(t)
	i2 := p.Intermediate.Intermediate(t, testpki.CAOptions{Now: certNow, CommonName: "second intermediate"})
	deep := i2.Leaf(t, testpki.LeafOptions{Now: certNow})
	self := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: certNow})
	otherKey := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: certNow})
	full := p.file(t, "fullchain.pem", testpki.CertsPEM(p.Leaf.DER, p.Intermediate.DER))
	good := p.OCSPResponse(t, testpki.OCSPOptions{Now: certNow})
	revoked := p.OCSPResponse(t, testpki.OCSPOptions{Now: certNow, Status: ocsp.Revoked})

	tests := []struct {
		name string
		args []string
		want map[string]report.Status
		code int
	}{
		{"leaf only", []string{p.file(t, "cert.pem", p.Leaf.PEM()), "--name", "localhost"},
			map[string]report.Status{"chain.complete": report.Fail, "chain.trusted": report.Skip}, 1},
		{"wrong order", []string{p.file(t, "misordered.pem", testpki.CertsPEM(deep.DER, p.Intermediate.DER, i2.DER)), "--name", "localhost"},
			map[string]report.Status{"chain.order": report.Warn, "chain.complete": report.Pass}, 0},
		{"wrong order across files: the leaf moves, the rest keep their order",
			[]string{p.file(t, "i1.pem", p.Intermediate.PEM()), p.file(t, "deep.pem", testpki.CertsPEM(deep.DER)), p.file(t, "i2.der", i2.DER)},
			map[string]report.Status{"chain.order": report.Warn, "chain.complete": report.Pass, "cert.hostname": report.Skip}, 0},
		{"self-signed", []string{p.file(t, "self.pem", self.PEM()), "--name", "localhost"},
			map[string]report.Status{"chain.trusted": report.Fail, "chain.complete": report.Skip}, 1},
		{"name mismatch", []string{full, "--name", "api.example.com"},
			map[string]report.Status{"cert.hostname": report.Fail, "chain.complete": report.Pass}, 1},
		{"another key", []string{full, "--key", p.file(t, "other-key.pem", otherKey.KeyPEM(t))},
			map[string]report.Status{"key.match": report.Fail, "chain.complete": report.Pass}, 1},
		{"the right key", []string{full, "--key", p.file(t, "privkey.pem", p.Leaf.KeyPEM(t))},
			map[string]report.Status{"key.match": report.Pass}, 0},
		{"good staple", []string{full, "--staple", p.file(t, "good.der", good)},
			map[string]report.Status{"ocsp.stapled": report.Pass, "ocsp.status": report.Pass, "ocsp.valid": report.Pass}, 0},
		{"revoked staple", []string{full, "--staple", p.file(t, "revoked.der", revoked)},
			map[string]report.Status{"ocsp.status": report.Fail, "ocsp.valid": report.Pass}, 1},
		{"DER files", []string{p.file(t, "leaf.der", p.Leaf.DER), p.file(t, "inter.der", p.Intermediate.DER), "--name", "localhost"},
			map[string]report.Status{"chain.complete": report.Pass, "chain.trusted": report.Pass, "cert.hostname": report.Pass}, 0},
		{"several files, leaf last", []string{p.file(t, "inter.pem", p.Intermediate.PEM()), p.file(t, "leaf.pem", p.Leaf.PEM()), "--name", "localhost"},
			map[string]report.Status{"chain.complete": report.Pass, "chain.order": report.Pass, "cert.hostname": report.Pass}, 0},
		{"several files with the root first", []string{p.file(t, "root2.pem", p.Root.PEM()), p.file(t, "inter.pem", p.Intermediate.PEM()), p.file(t, "leaf.pem", p.Leaf.PEM())},
			map[string]report.Status{"chain.complete": report.Pass, "chain.order": report.Warn, "chain.extra": report.Info}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.judge(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			want(t, r.rep, tt.want)
		})
	}
}

// TestCertFileIsJudgedAsServed checks that one chain file is judged as a
// server serving it is: the probe of a loopback server serving a chain and
// `wacheck cert` of the file probe --save-chain wrote agree on every chain
// and certificate check.
func TestCertFileIsJudgedAsServed(t *testing.T) {
	p := newCertPKI(t)
	for name, chain := range map[string][][]byte{
		"fullchain":  {p.Intermediate.DER},
		"leaf only":  {},
		"misordered": {p.Root.DER, p.Intermediate.DER},
		"stray":      {p.Intermediate.DER, p.stray.DER},
	} {
		t.Run(name, func(t *testing.T) {
			addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{p.TLSCertificate(chain...)}})
			saved := filepath.Join(t.TempDir(), "served.pem")
			ios, out, _ := streams(false, false)
			o := probeOpts(t, ios, addr, p.root, "--format", "json", "--enumerate=false", "--save-chain", saved)
			o.Now = func() time.Time { return certNow }
			if err := runProbe(context.Background(), o); err != nil && err != ErrFindings {
				t.Fatal(err)
			}
			var probed report.Report
			if err := json.Unmarshal(out.Bytes(), &probed); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(saved)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, testpki.CertsPEM(append([][]byte{p.Leaf.DER}, chain...)...)) {
				t.Errorf("--save-chain wrote:\n%s", got)
			}
			r := p.judge(t, saved, "--name", "localhost")
			for _, c := range r.rep.Checks {
				if c.Category() != "chain" && c.Category() != "cert" {
					continue
				}
				if st := status(&probed, c.ID); st != c.Status {
					t.Errorf("%s: cert %s (%s), probe %s (%s)", c.ID, c.Status, c.Detail, st, detail(&probed, c.ID))
				}
			}
		})
	}
}

func TestProbeSaveChainNothingServed(t *testing.T) {
	p := newCertPKI(t)
	addr := testpki.StartPlainHTTP(t)
	saved := filepath.Join(t.TempDir(), "served.pem")
	ios, _, errOut := streams(false, false)
	o := probeOpts(t, ios, addr, p.root, "--enumerate=false", "--save-chain", saved)
	code := exitCode(runProbe(context.Background(), o), errOut)
	if code != 1 || !strings.Contains(errOut.String(), "no address served a certificate chain") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(saved); err == nil {
		t.Errorf("%s written", saved)
	}
}

// TestCertBadInput checks every kind of bad input: one line naming what
// was wrong, one hint line, exit 2, nothing on stdout.
func TestCertBadInput(t *testing.T) {
	p := newCertPKI(t)
	full := p.file(t, "fullchain.pem", testpki.CertsPEM(p.Leaf.DER, p.Intermediate.DER))
	encrypted := p.file(t, "encrypted.pem", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"))
	missing := filepath.Join(p.dir, "missing.pem")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no file", nil, "wacheck: cert takes one or more certificate files"},
		{"not a certificate", []string{"../../testdata/not-a-cert.txt"}, "wacheck: cert ../../testdata/not-a-cert.txt: not a certificate"},
		{"empty file", []string{"../../testdata/empty.pem"}, "wacheck: cert ../../testdata/empty.pem: the file is empty"},
		{"directory", []string{p.dir}, "wacheck: cert " + p.dir + ": a directory, not a certificate file"},
		{"missing file", []string{full, missing}, "wacheck: cert " + missing + ": no such file"},
		{"a key given as the certificate", []string{p.file(t, "privkey.pem", p.Leaf.KeyPEM(t))}, "only a private key"},
		{"a key that is not PEM", []string{full, "--key", "../../testdata/key.der"}, "wacheck: cert ../../testdata/key.der: not a PEM private key (it is DER)"},
		{"an encrypted key", []string{full, "--key", encrypted}, "wacheck: cert " + encrypted + ": the private key is encrypted"},
		{"a missing key", []string{full, "--key", missing}, "wacheck: cert " + missing + ": no such file"},
		{"a staple that is not one", []string{full, "--staple", "../../testdata/not-a-cert.txt"}, "not an OCSP response"},
		{"an empty bundle", []string{full, "--fix", "--bundle", "../../testdata/empty.pem"}, "wacheck: cert ../../testdata/empty.pem: the file is empty"},
		{"a bad --name", []string{full, "--name", "https://api.example.com/"}, "wacheck: invalid --name"},
		{"a --name with a port", []string{full, "--name", "api.example.com:8443"}, "wacheck: invalid --name"},
		{"-o without --fix", []string{full, "-o", filepath.Join(p.dir, "out.pem")}, "invalid --output"},
		{"--bundle without --fix", []string{full, "--bundle", full}, "--bundle is used with --fix only"},
		{"--fix with a report flag", []string{full, "--fix", "--name", "localhost"}, "--fix writes a chain, not a report"},
		{"--fix with CA certificates only", []string{p.file(t, "chain.pem", testpki.CertsPEM(p.Intermediate.DER, p.Root.DER)), "--fix"},
			"no leaf certificate: every certificate given is a CA's"},
		{"bad --trust", []string{full, "--trust", "os"}, "invalid --trust"},
		{"--ca-file and --trust", []string{full, "--ca-file", p.root, "--trust", "system"}, "cannot be combined"},
		{"bad --format", []string{full, "--format", "xml"}, "invalid --format"},
		{"bad --fail-on", []string{full, "--fail-on", "info"}, "invalid --fail-on"},
		{"bad --sender", []string{full, "--sender", "nobody"}, "unknown --sender"},
		{"bad --expiry-warn", []string{full, "--expiry-warn", "-1"}, "--expiry-warn must not be negative"},
	}
	if mkfifo, err := exec.LookPath("mkfifo"); err == nil {
		fifo := filepath.Join(p.dir, "fifo")
		if exec.Command(mkfifo, fifo).Run() == nil {
			tests = append(tests, struct {
				name string
				args []string
				want string
			}{"a named pipe", []string{fifo}, "wacheck: cert " + fifo + ": a named pipe, not a certificate file"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCertCmd(t, nil, tt.args...)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.code != 2 || len(lines) != 2 || !strings.Contains(lines[0], tt.want) ||
				!strings.HasPrefix(lines[0], "wacheck: ") || !strings.HasPrefix(lines[1], "hint: ") || r.out != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", r.code, r.out, r.stderr, tt.want)
			}
		})
	}
}

func TestCertFix(t *testing.T) {
	p := newCertPKI(t)
	wantChain := string(testpki.CertsPEM(p.Leaf.DER, p.Intermediate.DER))

	t.Run("one shuffled file with a stray certificate and the root", func(t *testing.T) {
		shuffled := p.file(t, "shuffled.pem", testpki.CertsPEM(p.Root.DER, p.stray.DER, p.Intermediate.DER, p.Leaf.DER))
		r := runCertCmd(t, nil, shuffled, "--fix", "--ca-file", p.root)
		if r.code != 0 || r.out != wantChain {
			t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.out, r.stderr)
		}
		for _, s := range []string{"wrote 2 certificate(s) to stdout", "CN=wacheck test root CA (" + shuffled + ", a root",
			"CN=stray.example (" + shuffled + ", not on the leaf's issuing path"} {
			if !strings.Contains(r.stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
			}
		}
		// The result is judged clean.
		fixed := p.file(t, "fixed.pem", []byte(r.out))
		want(t, p.judge(t, fixed, "--name", "localhost").rep, map[string]report.Status{"chain.complete": report.Pass,
			"chain.order": report.Pass, "chain.extra": report.Pass, "chain.trusted": report.Pass})
	})
	t.Run("several files, a duplicate, to a file", func(t *testing.T) {
		out := filepath.Join(p.dir, "fullchain.pem")
		r := runCertCmd(t, nil, p.file(t, "inter.pem", p.Intermediate.PEM()), p.file(t, "leaf.der", p.Leaf.DER),
			p.file(t, "dup.pem", p.Intermediate.PEM()), "--fix", "-o", out, "--ca-file", p.root)
		got, _ := os.ReadFile(out)
		if r.code != 0 || r.out != "" || string(got) != wantChain || !strings.Contains(r.stderr, "a duplicate") {
			t.Errorf("exit %d, file:\n%s\nstderr:\n%s", r.code, got, r.stderr)
		}
	})
	t.Run("--bundle supplies the missing intermediate", func(t *testing.T) {
		bundle := p.file(t, "bundle.pem", testpki.CertsPEM(p.stray.DER, p.Root.DER, p.Intermediate.DER))
		out := filepath.Join(p.dir, "from-bundle.pem")
		r := runCertCmd(t, nil, p.file(t, "cert.pem", p.Leaf.PEM()), "--fix", "--bundle", bundle, "-o", out, "--ca-file", p.root)
		got, _ := os.ReadFile(out)
		if r.code != 0 || string(got) != wantChain || !strings.Contains(r.stderr, "(from --bundle "+bundle+")") {
			t.Errorf("exit %d, file:\n%s\nstderr:\n%s", r.code, got, r.stderr)
		}
	})
	t.Run("a root outside the store ends the chain, with a note", func(t *testing.T) {
		r := runCertCmd(t, nil, p.file(t, "with-root.pem", testpki.CertsPEM(p.Leaf.DER, p.Intermediate.DER, p.Root.DER)), "--fix")
		if r.code != 0 || r.out != wantChain || !strings.Contains(r.stderr, "not in the mozilla root store") {
			t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.out, r.stderr)
		}
	})
	t.Run("cannot complete: nothing written, exit 1", func(t *testing.T) {
		out := filepath.Join(p.dir, "never.pem")
		r := runCertCmd(t, nil, p.file(t, "cert.pem", p.Leaf.PEM()), "--fix", "-o", out, "--ca-file", p.root)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		if r.code != 1 || r.out != "" || len(lines) != 2 ||
			!strings.Contains(lines[0], "cannot complete the chain: the certificate of CN=wacheck test intermediate CA") ||
			!strings.Contains(lines[1], "--fetch-intermediates to fetch it from "+testpki.ChainIssuerURL) {
			t.Errorf("exit %d, stdout %q, stderr:\n%s", r.code, r.out, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s written", out)
		}
	})
	t.Run("self-signed: no chain to fix", func(t *testing.T) {
		self := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: certNow})
		r := runCertCmd(t, nil, p.file(t, "self.pem", self.PEM()), "--fix")
		if r.code != 1 || r.out != "" || !strings.Contains(r.stderr, "is self-signed: there is no chain to fix") {
			t.Errorf("exit %d, stdout %q, stderr:\n%s", r.code, r.out, r.stderr)
		}
	})
}

// aiaServer serves the intermediate's DER on 127.0.0.1 and counts requests.
func aiaServer(t *testing.T, der []byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/ca.crt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Write(der)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestCertFetchIntermediates(t *testing.T) {
	p := newCertPKI(t)
	srv, hits := aiaServer(t, p.Intermediate.DER)
	aiaLeaf := p.Intermediate.Leaf(t, testpki.LeafOptions{Now: certNow, DNSNames: []string{"localhost"},
		IssuingCertificateURL: []string{srv.URL + "/ca.crt"}})
	cert := p.file(t, "aia-cert.pem", aiaLeaf.PEM())

	t.Run("report: what was fetched, from where; the files are still judged incomplete", func(t *testing.T) {
		r := p.judge(t, cert, "--fetch-intermediates")
		f := r.rep.Files.Fetched
		if len(f) != 1 || f[0].URL != srv.URL+"/ca.crt" || f[0].Subject != p.Intermediate.Cert.Subject.String() || f[0].Error != "" {
			t.Errorf("fetched = %+v", f)
		}
		want(t, r.rep, map[string]report.Status{"chain.complete": report.Fail, "chain.trusted": report.Skip})
	})
	t.Run("fix", func(t *testing.T) {
		r := runCertCmd(t, nil, cert, "--fix", "--fetch-intermediates", "--ca-file", p.root)
		if r.code != 0 || r.out != string(testpki.CertsPEM(aiaLeaf.DER, p.Intermediate.DER)) ||
			!strings.Contains(r.stderr, "(fetched from "+srv.URL+"/ca.crt)") {
			t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.out, r.stderr)
		}
	})
	t.Run("a fetch that fails is reported", func(t *testing.T) {
		broken := p.Intermediate.Leaf(t, testpki.LeafOptions{Now: certNow, IssuingCertificateURL: []string{srv.URL + "/gone.crt"}})
		r := p.judge(t, p.file(t, "broken-aia.pem", broken.PEM()), "--fetch-intermediates")
		if f := r.rep.Files.Fetched; len(f) != 1 || f[0].Error != "HTTP 404" {
			t.Errorf("fetched = %+v", f)
		}
		fix := runCertCmd(t, nil, p.file(t, "broken-aia.pem", broken.PEM()), "--fix", "--fetch-intermediates", "--ca-file", p.root)
		if fix.code != 1 || !strings.Contains(fix.stderr, "fetching "+srv.URL+"/gone.crt failed: HTTP 404") {
			t.Errorf("exit %d, stderr:\n%s", fix.code, fix.stderr)
		}
	})
	t.Run("a complete chain fetches nothing", func(t *testing.T) {
		before := hits.Load()
		r := p.judge(t, p.file(t, "aia-full.pem", testpki.CertsPEM(aiaLeaf.DER, p.Intermediate.DER)), "--fetch-intermediates")
		if hits.Load() != before || len(r.rep.Files.Fetched) != 0 {
			t.Errorf("fetched %+v", r.rep.Files.Fetched)
		}
	})
}

// TestCertNoNetworkWithoutFetch checks that without --fetch-intermediates
// nothing is fetched, even where an AIA URL points at a live server.
func TestCertNoNetworkWithoutFetch(t *testing.T) {
	p := newCertPKI(t)
	srv, hits := aiaServer(t, p.Intermediate.DER)
	aiaLeaf := p.Intermediate.Leaf(t, testpki.LeafOptions{Now: certNow, IssuingCertificateURL: []string{srv.URL + "/ca.crt"}})
	cert := p.file(t, "aia-cert.pem", aiaLeaf.PEM())
	r := p.judge(t, cert)
	if len(r.rep.Files.Fetched) != 0 || status(r.rep, "chain.complete") != report.Fail {
		t.Errorf("fetched %+v, chain.complete %s", r.rep.Files.Fetched, status(r.rep, "chain.complete"))
	}
	if fix := runCertCmd(t, nil, cert, "--fix", "--ca-file", p.root); fix.code != 1 {
		t.Errorf("--fix without a source for the intermediate: exit %d", fix.code)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests to the AIA server without --fetch-intermediates", n)
	}
}
