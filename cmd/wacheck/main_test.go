package main

// End-to-end tests: the built binary against real TLS servers on loopback,
// checking exact exit codes and the JSON verdicts.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/testpki"
)

var binary string

var reportSchema struct {
	once sync.Once
	sch  *jsonschema.Schema
	err  error
}

// validateReport checks a JSON report the binary printed against
// docs/schema/report.v2.json: every report these tests see is validated.
func validateReport(t *testing.T, out []byte) {
	t.Helper()
	reportSchema.once.Do(func() {
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		reportSchema.sch, reportSchema.err = c.Compile("../../docs/schema/report.v2.json")
	})
	if reportSchema.err != nil {
		t.Fatalf("compile the schema: %v", reportSchema.err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("re-read the JSON report: %v", err)
	}
	if err := reportSchema.sch.Validate(inst); err != nil {
		t.Errorf("the report does not validate against report.v2.json: %v", err)
	}
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wacheck-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "wacheck")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code   int
	stdout string
	stderr string
	json   jsonReport
}

type jsonReport struct {
	SchemaVersion int    `json:"schema_version"`
	Status        string `json:"status"`
	Checks        []struct {
		ID, Status, Detail, Remediation, Address string
	} `json:"checks"`
	Addresses []jsonAddress `json:"addresses"`
	// The first address's facts, copied by flatten.
	jsonAddress `json:"-"`
}

// jsonAddress is what one address served (schema v2).
type jsonAddress struct {
	Certificates []struct {
		Index   int    `json:"index"`
		Subject string `json:"subject"`
	} `json:"certificates"`
	TLS *struct {
		Version, ALPN string
	} `json:"tls"`
	OCSP *struct {
		Stapled bool   `json:"stapled"`
		Status  string `json:"status"`
	} `json:"ocsp"`
}

// flatten copies the first address's facts to the top.
func (r *jsonReport) flatten() {
	if len(r.Addresses) > 0 {
		r.jsonAddress = r.Addresses[0]
	}
}

func (r jsonReport) status(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "missing"
}

func (r jsonReport) detail(id string) string {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Detail
		}
	}
	return ""
}

// runBinary runs the binary (runPlain), and checks a JSON report on stdout
// against the schema.
func runBinary(t *testing.T, args ...string) result {
	t.Helper()
	res := runPlain(t, "", args...)
	for _, a := range args {
		if a == "json" && res.stdout != "" {
			if err := json.Unmarshal([]byte(res.stdout), &res.json); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, res.stdout)
			}
			res.json.flatten()
			if args[0] == "probe" || args[0] == "cert" {
				validateReport(t, []byte(res.stdout))
			}
		}
	}
	return res
}

// probeArgs probes the loopback server at addr as "localhost", trusting root.
func probeArgs(t *testing.T, addr, rootPEM string, extra ...string) []string {
	_, port, _ := net.SplitHostPort(addr)
	args := []string{"probe", "localhost:" + port, "--resolve", "localhost:" + port + ":127.0.0.1",
		"--format", "json", "--timeout", "3s"}
	if rootPEM != "" {
		args = append(args, "--ca-file", rootPEM)
	}
	return append(args, extra...)
}

func serve(t *testing.T, cert tls.Certificate) string {
	return testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})
}

func TestScenarios(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	other := testpki.NewChain(t, now)
	rsaRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA2048})
	rsaRootPEM := filepath.Join(t.TempDir(), "rsa-root.pem")
	os.WriteFile(rsaRootPEM, rsaRoot.PEM(), 0o644)
	leafWith := func(ca *testpki.CA, o testpki.LeafOptions) *testpki.Leaf {
		o.Now = now
		if o.DNSNames == nil {
			o.DNSNames = []string{"localhost"}
		}
		o.OCSPServer = []string{testpki.ChainOCSPURL}
		o.IssuingCertificateURL = []string{testpki.ChainIssuerURL}
		return ca.Leaf(t, o)
	}
	staple := func(o testpki.OCSPOptions) tls.Certificate {
		o.Now = now
		cert := c.TLSCertificate(c.Intermediate.DER)
		cert.OCSPStaple = c.OCSPResponse(t, o)
		return cert
	}
	healthy := staple(testpki.OCSPOptions{})

	tests := []struct {
		name   string
		addr   string
		root   string
		extra  []string
		code   int // with --fail-on warn
		checks map[string]string
	}{
		{"healthy", serve(t, healthy), root, nil, 1, map[string]string{
			// the only warning: the test server is not on port 443
			"connect.port": "warn", "chain.complete": "pass", "chain.trusted": "pass", "ocsp.status": "pass",
			"ocsp.valid": "pass", "http.alpn": "pass", "tls.handshake": "pass", "cert.hostname": "pass"}},
		{"missing intermediate", serve(t, c.TLSCertificate()), root, nil, 1, map[string]string{
			"chain.complete": "fail", "chain.trusted": "skip", "cert.expiry": "pass"}},
		{"wrong order", serve(t, c.TLSCertificate(c.Root.DER, c.Intermediate.DER)), root, nil, 1, map[string]string{
			"chain.order": "warn", "chain.complete": "pass", "chain.extra": "info"}},
		{"extra root", serve(t, c.TLSCertificate(c.Intermediate.DER, c.Root.DER)), root, nil, 1, map[string]string{
			"chain.extra": "info", "chain.order": "pass"}},
		{"unrelated extra", serve(t, c.TLSCertificate(c.Intermediate.DER, other.Intermediate.DER)), root, nil, 1, map[string]string{
			"chain.extra": "warn"}},
		{"expired", serve(t, leafWith(c.Intermediate, testpki.LeafOptions{NotBefore: now.Add(-90 * 24 * time.Hour), NotAfter: now.Add(-24 * time.Hour)}).TLSCertificate(c.Intermediate.DER)), root, nil, 1, map[string]string{
			"cert.expiry": "fail", "chain.complete": "pass"}},
		{"not yet valid", serve(t, leafWith(c.Intermediate, testpki.LeafOptions{NotBefore: now.Add(24 * time.Hour), NotAfter: now.Add(90 * 24 * time.Hour)}).TLSCertificate(c.Intermediate.DER)), root, nil, 1, map[string]string{
			"cert.validity": "fail"}},
		{"expiring soon", serve(t, leafWith(c.Intermediate, testpki.LeafOptions{NotBefore: now.AddDate(0, 0, -80), NotAfter: now.Add(10 * 24 * time.Hour)}).TLSCertificate(c.Intermediate.DER)), root, nil, 1, map[string]string{
			"cert.expiry": "warn"}},
		{"wrong name", serve(t, leafWith(c.Intermediate, testpki.LeafOptions{DNSNames: []string{"other.example"}}).TLSCertificate(c.Intermediate.DER)), root, nil, 1, map[string]string{
			"cert.hostname": "fail"}},
		{"self-signed", serve(t, testpki.NewSelfSigned(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}}).TLSCertificate()), root, nil, 1, map[string]string{
			"chain.trusted": "fail", "chain.complete": "skip"}},
		{"unknown root", serve(t, c.TLSCertificate(c.Intermediate.DER, c.Root.DER)), "", nil, 1, map[string]string{
			"chain.trusted": "fail", "chain.complete": "pass"}},
		{"RSA 1024", serve(t, leafWith(c.Intermediate, testpki.LeafOptions{KeyType: testpki.RSA1024}).TLSCertificate(c.Intermediate.DER)), root, nil, 1, map[string]string{
			"cert.key": "fail"}},
		{"SHA-1 signed", serve(t, leafWith(rsaRoot, testpki.LeafOptions{SignatureAlgorithm: x509.SHA1WithRSA}).TLSCertificate()), rsaRootPEM, nil, 1, map[string]string{
			"cert.signature": "fail"}},
		{"staple revoked", serve(t, staple(testpki.OCSPOptions{Status: ocsp.Revoked})), root, nil, 1, map[string]string{
			"ocsp.status": "fail", "ocsp.valid": "pass"}},
		{"staple stale", serve(t, staple(testpki.OCSPOptions{ThisUpdate: now.Add(-72 * time.Hour), NextUpdate: now.Add(-time.Hour)})), root, nil, 1, map[string]string{
			"ocsp.valid": "warn", "ocsp.status": "pass"}},
		{"staple for another certificate", serve(t, staple(testpki.OCSPOptions{SerialNumber: big.NewInt(7)})), root, nil, 1, map[string]string{
			"ocsp.valid": "fail"}},
		{"no staple", serve(t, c.TLSCertificate(c.Intermediate.DER)), root, nil, 1, map[string]string{
			"ocsp.stapled": "warn"}},
		{"slow handshake", testpki.StartSlowTLS(t, &tls.Config{Certificates: []tls.Certificate{healthy}}, 600*time.Millisecond), root, nil, 1, map[string]string{
			"timing.handshake": "warn"}},
		{"refused", testpki.ClosedPort(t), root, nil, 1, map[string]string{
			"connect.tcp": "fail", "tls.handshake": "skip"}},
		{"reset", testpki.StartReset(t), root, nil, 1, map[string]string{"tls.handshake": "fail"}},
		{"silent", testpki.StartSilent(t), root, []string{"--timeout", "500ms"}, 1, map[string]string{"tls.handshake": "fail"}},
		{"plain HTTP", testpki.StartPlainHTTP(t), root, nil, 1, map[string]string{"tls.handshake": "fail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runBinary(t, append(probeArgs(t, tt.addr, tt.root, "--fail-on", "warn"), tt.extra...)...)
			if res.code != tt.code {
				t.Errorf("exit code = %d, want %d; stderr: %s", res.code, tt.code, res.stderr)
			}
			for id, want := range tt.checks {
				if got := res.json.status(id); got != want {
					t.Errorf("%s = %s (%s), want %s", id, got, res.json.detail(id), want)
				}
			}
		})
	}
}

func TestHandshakeFailureWords(t *testing.T) {
	tests := []struct {
		name, addr string
		extra      []string
		words      string
	}{
		{"plain HTTP", testpki.StartPlainHTTP(t), nil, "the server answered with plain HTTP"},
		{"reset", testpki.StartReset(t), nil, "the connection was reset after the ClientHello"},
		{"silent", testpki.StartSilent(t), []string{"--timeout", "300ms"}, "no answer to the ClientHello within 300ms"},
		{"alert", testpki.StartAlert(t, 70), nil, "no TLS 1.2+ protocol or cipher in common"},
		{"alert by name", testpki.StartAlert(t, 112), nil, "TLS alert unrecognized_name (112)"},
		{"garbage", testpki.StartGarbage(t), nil, "bytes that are not TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runBinary(t, append(probeArgs(t, tt.addr, ""), tt.extra...)...)
			if d := res.json.detail("tls.handshake"); !strings.Contains(d, tt.words) {
				t.Errorf("tls.handshake detail = %q, want %q", d, tt.words)
			}
			if res.code != 1 {
				t.Errorf("exit code = %d, want 1", res.code)
			}
		})
	}
}

func TestFailOnLevels(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	cert := c.TLSCertificate(c.Intermediate.DER)
	cert.OCSPStaple = c.OCSPResponse(t, testpki.OCSPOptions{})
	warnOnly := serve(t, cert) // only connect.port warns: not port 443
	failing := serve(t, c.TLSCertificate())
	tests := []struct {
		addr, failOn string
		code         int
	}{
		{warnOnly, "fail", 0}, {warnOnly, "warn", 1}, {warnOnly, "never", 0},
		{failing, "fail", 1}, {failing, "warn", 1}, {failing, "never", 0},
	}
	for _, tt := range tests {
		res := runBinary(t, probeArgs(t, tt.addr, root, "--fail-on", tt.failOn)...)
		if res.code != tt.code {
			t.Errorf("%s --fail-on %s: exit %d, want %d", tt.addr, tt.failOn, res.code, tt.code)
		}
	}
}

func TestTextOutput(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	addr := serve(t, c.TLSCertificate())
	args := probeArgs(t, addr, root)
	for i, a := range args {
		if a == "json" {
			args[i] = "text"
		}
	}
	res := runBinary(t, args...)
	for _, want := range []string{"Certificate chain", "✗", "fix: Serve the full chain", "FAIL", "failure"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Error("colour escape codes written to a pipe")
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"probe"}, "probe takes one target"},
		{[]string{"probe", ""}, "empty target"},
		{[]string{"probe", "api example.com"}, "contains white space"},
		{[]string{"probe", "http://api.example.com"}, `scheme "http" is not https`},
		{[]string{"probe", "api.example.com:99999"}, "out of range"},
		{[]string{"probe", "api.example.com", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"probe", "api.example.com", "--format", "xml"}, `invalid --format "xml"`},
		{[]string{"probe", "api.example.com", "--fail-on", "info"}, `invalid --fail-on "info"`},
		{[]string{"probe", "api.example.com", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"probe", "api.example.com", "--timeout", "soon"}, "invalid argument"},
		{[]string{"probe", "api.example.com", "--ca-file", "/nonexistent.pem"}, "--ca-file"},
		{[]string{"probe", "api.example.com", "--resolve", "api.example.com:443"}, "--resolve"},
		{[]string{"probe", "api.example.com", "--resolve", "other.example.com:443:127.0.0.1"}, "does not match the target"},
		{[]string{"probe", "127.0.0.1", "--sni", "127.0.0.2"}, "--sni must be a DNS name"},
		{[]string{"probe", "api.example.com", "--trust", "nss"}, `invalid --trust "nss"`},
		{[]string{"nonsense"}, `unknown command "nonsense"`},
	}
	for _, tt := range tests {
		res := runBinary(t, tt.args...)
		if res.code != 2 {
			t.Errorf("%q: exit %d, want 2", tt.args, res.code)
		}
		lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
		if !strings.HasPrefix(lines[0], "wacheck: ") || !strings.Contains(lines[0], tt.msg) {
			t.Errorf("%q: stderr = %q, want a first line with %q", tt.args, res.stderr, tt.msg)
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "hint: ") {
			t.Errorf("%q: stderr = %q, want the error and one hint line", tt.args, res.stderr)
		}
		if res.stdout != "" {
			t.Errorf("%q: wrote to stdout: %q", tt.args, res.stdout)
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	res := runBinary(t, "version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "wacheck ") {
		t.Errorf("version: exit %d, %q", res.code, res.stdout)
	}
	res = runBinary(t, "completion", "bash")
	if res.code != 0 || !strings.Contains(res.stdout, "__start_wacheck") {
		t.Errorf("completion bash: exit %d", res.code)
	}
	res = runBinary(t, "--help")
	if res.code != 0 || !strings.Contains(res.stdout, "Exit codes:") {
		t.Errorf("--help lacks the exit codes: %s", res.stdout)
	}
}

func TestMTLSRequests(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	root := c.WriteRootPEM(t, "")
	meta := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Meta Outbound API CA 2025-12"})
	corp := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Corp Client CA"})
	tests := []struct {
		name   string
		ca     *testpki.CA
		mode   tls.ClientAuthType
		status string
		words  string
	}{
		// Meta does not publish its CA's name: without its file
		// (--client-ca, TestClientCAIsMatchedExactly) no name is taken
		// for it, however alike.
		{"meta's name, required", meta, tls.RequireAndVerifyClientCert, "warn", "cannot be told from names alone"},
		{"other CA, required", corp, tls.RequireAndVerifyClientCert, "warn", "cannot be told from names alone"},
		{"other CA, optional", corp, tls.VerifyClientCertIfGiven, "info", "optional"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)},
				ClientAuth: tt.mode, ClientCAs: tt.ca.Pool()})
			res := runBinary(t, probeArgs(t, addr, root)...)
			if got := res.json.status("mtls.request"); got != tt.status {
				t.Errorf("mtls.request = %s (%s), want %s", got, res.json.detail("mtls.request"), tt.status)
			}
			if d := res.json.detail("mtls.request"); !strings.Contains(d, tt.words) || !strings.Contains(d, tt.ca.Cert.Subject.CommonName) {
				t.Errorf("mtls.request detail = %q, want %q and the CA's name", d, tt.words)
			}
		})
	}
}

// TestTrustSystem verifies against the OS root files, here pointed at the
// test's root with SSL_CERT_FILE as OpenSSL allows, and still verified by
// wacheck: the served chain must be complete.
func TestTrustSystem(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	full := serve(t, c.TLSCertificate(c.Intermediate.DER))
	leafOnly := serve(t, c.TLSCertificate())
	for addr, want := range map[string]string{full: "pass", leafOnly: "fail"} {
		cmd := exec.Command(binary, probeArgs(t, addr, "", "--trust", "system")...)
		cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+root, "SSL_CERT_DIR=/nonexistent")
		out, _ := cmd.Output()
		var r struct {
			jsonReport
			Settings struct{ Roots string } `json:"settings"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		if r.Settings.Roots != "system" || r.status("chain.complete") != want {
			t.Errorf("roots %q, chain.complete = %s (%s), want %s", r.Settings.Roots, r.status("chain.complete"),
				r.detail("chain.complete"), want)
		}
	}
}
