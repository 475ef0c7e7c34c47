package main

// Certificate chains named by their right cause (issue 9, items 1, 2, 5, 9;
// issue 10, items 1, 8, 12): Go TLS servers on loopback serving each shape,
// probed by the built binary, asserting the check that names the cause and
// that no other check warns or fails blaming another.

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// baseline is what every probe of serveAEAD's servers on a test port warns
// about, whatever their chain.
var baseline = map[string]string{"connect.port": "warn"}

// serveAEAD serves cert with ECDHE and AEAD suites only (Go's defaults
// include CBC ones, which cipher.weak would rightly warn about).
func serveAEAD(t *testing.T, cert tls.Certificate) string {
	return testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"},
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}})
}

func with(extra map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{baseline, extra} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestChainCauses(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0)})
	rootFile := writeFile(t, "root.pem", root.PEM())
	inter := root.Intermediate(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-1, 0, 0)})
	leafOf := func(ca *testpki.CA, o testpki.LeafOptions) *testpki.Leaf {
		o.Now = now
		if o.DNSNames == nil {
			o.DNSNames = []string{"localhost"}
		}
		return ca.Leaf(t, o)
	}
	// A private CA of its own.
	corpRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Corp Root CA", Organization: "Corp"})
	corpInter := corpRoot.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Corp Issuing CA", Organization: "Corp"})
	// The 2021 shape: the root in the store was cross-signed by an old
	// root, and that cross-signed certificate has expired.
	oldRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Old Root X3", Organization: "Old Trust Co.",
		NotBefore: now.AddDate(-20, 0, 0)})
	expiredCross := oldRoot.CrossSign(t, root, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0),
		NotAfter: now.AddDate(0, -2, 0)})
	expiredInter := root.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Expired Issuing CA",
		NotBefore: now.AddDate(-2, 0, 0), NotAfter: now.AddDate(0, 0, -3)})
	// leaf ← A ← B ← A
	keyA, keyB := testpki.NewKey(t, testpki.ECDSAP256), testpki.NewKey(t, testpki.ECDSAP256)
	a0 := testpki.NewRoot(t, testpki.CAOptions{Now: now, Key: keyA, CommonName: "Loop A", Organization: "Loop"})
	loopB := a0.Intermediate(t, testpki.CAOptions{Now: now, Key: keyB, CommonName: "Loop B", Organization: "Loop"})
	loopA := loopB.Intermediate(t, testpki.CAOptions{Now: now, Key: keyA, CommonName: "Loop A", Organization: "Loop"})
	anotherCA := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Another CA", Organization: "Another"})

	mustStaple := leafOf(inter, testpki.LeafOptions{MustStaple: true, OCSPServer: []string{testpki.ChainOCSPURL}})
	wrongIssuerStaple := leafOf(inter, testpki.LeafOptions{OCSPServer: []string{testpki.ChainOCSPURL}})
	otherIssuerStaple := wrongIssuerStaple.TLSCertificate(inter.DER)
	otherIssuerStaple.OCSPStaple = inter.OCSPResponse(t, testpki.OCSPOptions{Now: now, Cert: wrongIssuerStaple.Cert,
		CertIDIssuer: anotherCA.Cert})
	good := leafOf(inter, testpki.LeafOptions{})

	tests := []struct {
		name   string
		cert   tls.Certificate
		extra  []string
		allow  map[string]string
		detail map[string]string // id → a substring its detail must have
	}{
		{"private CA's root outside the store", leafOf(corpInter, testpki.LeafOptions{}).TLSCertificate(corpInter.DER), nil,
			with(map[string]string{"chain.trusted": "fail"}),
			map[string]string{"chain.trusted": "issued by CN=Corp Root CA", "chain.complete": "is a root"}},
		{"expired cross-signed root off the path", good.TLSCertificate(inter.DER, expiredCross.DER), nil,
			with(map[string]string{"chain.extra": "warn"}),
			map[string]string{"chain.extra": "older clients may choose it", "cert.expiry": "the leaf expires"}},
		{"expired intermediate on the only path", leafOf(expiredInter, testpki.LeafOptions{NotBefore: now.AddDate(0, -2, 0)}).TLSCertificate(expiredInter.DER), nil,
			with(map[string]string{"cert.expiry": "fail"}),
			map[string]string{"cert.expiry": "intermediate CN=Expired Issuing CA (#1) expired", "chain.trusted": "judged apart"}},
		{"wrong name, alike with and without SNI", leafOf(inter, testpki.LeafOptions{DNSNames: []string{"hooks.other.example"}}).TLSCertificate(inter.DER), nil,
			with(map[string]string{"cert.hostname": "fail"}),
			map[string]string{"tls.sni": "same certificate with and without SNI"}},
		{"must-staple without a staple", mustStaple.TLSCertificate(inter.DER), nil,
			with(map[string]string{"ocsp.stapled": "fail"}),
			map[string]string{"ocsp.stapled": "must-staple"}},
		{"staple about another CA", otherIssuerStaple, nil,
			with(map[string]string{"ocsp.valid": "fail"}),
			map[string]string{"ocsp.valid": "another CA", "ocsp.status": "another certificate"}},
		{"chain loop", leafOf(loopA, testpki.LeafOptions{}).TLSCertificate(loopA.DER, loopB.DER), nil,
			with(map[string]string{"chain.complete": "fail"}),
			map[string]string{"chain.complete": "loop"}},
		// Go's client refuses the handshake on a certificate it cannot
		// parse; the enumeration's TLS 1.2 reply carries the chain.
		{"truncated intermediate", good.TLSCertificate(inter.DER[:len(inter.DER)-40]), nil,
			with(map[string]string{"tls.handshake": "fail", "chain.complete": "fail", "chain.extra": "warn"}),
			map[string]string{"chain.complete": "#1 was served but could not be parsed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := serveAEAD(t, tt.cert)
			res := runBinary(t, append(probeArgs(t, addr, rootFile), tt.extra...)...)
			onlyAllowed(t, res.json, tt.allow)
			for id, sub := range tt.detail {
				if d := res.json.detail(id); !strings.Contains(d, sub) {
					t.Errorf("%s detail %q does not say %q", id, d, sub)
				}
			}
			for _, c := range res.json.Checks {
				if strings.Contains(c.Detail, "did not send") {
					t.Errorf("%s says a certificate was not sent: %s", c.ID, c.Detail)
				}
			}
			if tt.name == "staple about another CA" && (res.json.OCSP == nil || res.json.OCSP.Status != "") {
				t.Errorf("ocsp = %+v: a staple that did not verify has no status", res.json.OCSP)
			}
		})
	}
}

// TestHostileChainEndsInTime serves issue 10's chain (331 certificates
// named CN=Same, P-521 keys, in reverse issuing order) from a Go server and
// gives it to `wacheck cert` as files: both end within --timeout + 1 s of
// wall and CPU time, and the JSON says what was cut.
func TestHostileChainEndsInTime(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 331 P-521 keys")
	}
	ch := testpki.NewSameNameChain(t, 331, time.Now(), false)
	addr := serve(t, ch.TLSCertificate())
	const timeout = 5 * time.Second
	args := append(probeArgs(t, addr, ""), "--timeout", timeout.String(), "--enumerate=false")
	out, wall, cpu := timedRun(t, args...)
	t.Logf("probe: %s wall, %s CPU", wall, cpu)
	if wall > timeout+time.Second || cpu > timeout+time.Second {
		t.Errorf("probe: %s wall, %s CPU; want within --timeout %s + 1 s", wall, cpu, timeout)
	}
	cutSaid(t, out, "probe")

	// As files: one file of 331 is not a chain file (refused at once);
	// four files of at most 100 are judged within the default budget.
	dir := t.TempDir()
	one := filepath.Join(dir, "all.pem")
	os.WriteFile(one, testpki.CertsPEM(ch.Served...), 0o644)
	if res := runBinary(t, "cert", one, "--name", "localhost"); res.code != 2 || !strings.Contains(res.stderr, "hint:") {
		t.Errorf("cert with 331 certificates in one file: exit %d, stderr %q; want a usage error", res.code, res.stderr)
	}
	files := []string{"cert"}
	for i := 0; i < len(ch.Served); i += 100 {
		f := filepath.Join(dir, "part"+strconv.Itoa(i)+".pem")
		os.WriteFile(f, testpki.CertsPEM(ch.Served[i:min(i+100, len(ch.Served))]...), 0o644)
		files = append(files, f)
	}
	out, wall, cpu = timedRun(t, append(files, "--name", "localhost", "--format", "json")...)
	t.Logf("cert: %s wall, %s CPU", wall, cpu)
	if wall > 3*time.Second || cpu > 3*time.Second {
		t.Errorf("cert: %s wall, %s CPU; want within the judging budget + 1 s", wall, cpu)
	}
	cutSaid(t, out, "cert")
}

// timedRun runs the binary and returns its stdout, wall and CPU time.
func timedRun(t *testing.T, args ...string) ([]byte, time.Duration, time.Duration) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("wacheck %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(stderr.String(), "goroutine ") {
		t.Fatalf("stack trace:\n%s", stderr.String())
	}
	validateReport(t, stdout.Bytes())
	return stdout.Bytes(), wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// cutChain is a chain's cuts in the JSON report.
type cutChain struct {
	Chain *struct {
		Cut []struct {
			Limit      string
			Max, Total int
		}
	}
}

// cutSaid asserts the JSON report says the certificates were cut at 16 of
// 331, and that chain.complete could not tell.
func cutSaid(t *testing.T, out []byte, what string) {
	t.Helper()
	var r struct {
		Checks    []struct{ ID, Status, Detail string }
		Addresses []cutChain
		Files     *cutChain
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, out)
	}
	c := r.Files
	if len(r.Addresses) > 0 {
		c = &r.Addresses[0]
	}
	if c == nil || c.Chain == nil || len(c.Chain.Cut) == 0 || c.Chain.Cut[0].Limit != "certificates" ||
		c.Chain.Cut[0].Total != 331 {
		t.Errorf("%s: the report does not say the certificates were cut: %.2000s", what, out)
	}
	for _, ch := range r.Checks {
		if ch.ID == "chain.complete" && ch.Status != "skip" {
			t.Errorf("%s: chain.complete = %s (%s), want could not tell", what, ch.Status, ch.Detail)
		}
	}
}
