//go:build linux

package integration

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// stapleKind is the OCSP response a scenario's server staples.
type stapleKind int

const (
	noStaple stapleKind = iota
	stapleGood
	stapleRevoked
	// stapleGoodWithSignerCert is a good response that embeds the
	// signer's (the issuing CA's) certificate, openssl ocsp's default.
	stapleGoodWithSignerCert
)

// scenario is one server configuration and what wacheck must say about it.
type scenario struct {
	name string

	// The server's configuration.
	leafOnly bool     // serve the leaf without its intermediate
	expired  bool     // the leaf expired yesterday
	dnsNames []string // the leaf's names; default localhost
	rsa      bool     // RSA 2048 leaf (the legacy RSA key-exchange ciphers need one)
	legacy   bool     // TLS 1.0 to 1.2, every cipher at @SECLEVEL=0
	staple   stapleKind
	mtls     string // "", "optional" or "required": ask for a client certificate
	metaCA   bool   // with mtls: Meta's outbound API CA (a stand-in) is acceptable too
	// tls, for nginx only, replaces the template's protocols and ciphers;
	// verify then checks the enumeration against it.
	tls *tlsConf
	// chain, when set, gives the leaf's issuer and the certificates served
	// after the leaf (default: the intermediate, which signs the staples).
	chain      func(p *pki) (issuer *testpki.CA, after [][]byte)
	mustStaple bool // the leaf demands a staple (TLS Feature status_request)
	noOCSPURL  bool // the leaf names no OCSP responder: no staple is expected
	// staticRSA: TLS 1.2 with static RSA key exchange only (AES-GCM), on
	// every server: nothing in common with the sender's client.
	staticRSA bool
	// curves limits the key-exchange groups the server accepts (OpenSSL's
	// names: nginx ssl_ecdh_curve, Apache SSLOpenSSLConfCmd Curves,
	// HAProxy curves); "" leaves the server's default.
	curves string

	// want holds the statuses that differ from a clean endpoint (clean);
	// servers holds further differences for one server ("nginx",
	// "apache2", "haproxy").
	want    map[string]string
	servers map[string]map[string]string
	// assert checks more of the report.
	assert func(t *testing.T, server string, r *jsonReport)
	// confirm checks, with another client, that the server really is
	// configured as the scenario says (wacheck cannot see all of it).
	confirm func(t *testing.T, server string, port int, p *pki)

	// flags are more wacheck flags for both of verify's runs (a later
	// --timeout overrides runWacheck's).
	flags []string
	// unsettled holds, for a check whose status depends on a race the
	// scenario does not control, the other status it may take; assert
	// checks what it says then.
	unsettled map[string]string

	// knownBug, when set, describes a wacheck bug this scenario shows:
	// a mismatch skips the scenario with that description, and a match
	// fails it so that whoever fixes the bug removes the marker.
	knownBug string
}

// clean is every check's status for a healthy endpoint on port 443,
// probed through --resolve (hence no DNS query and no AAAA lookup).
var clean = map[string]string{
	"dns.resolve":      "info",
	"dns.time":         "skip",
	"connect.port":     "pass",
	"connect.ipv6":     "skip", // pinned to IPv4: no AAAA was looked up
	"connect.agree":    "skip", // one address
	"connect.tcp":      "pass",
	"timing.connect":   "pass",
	"tls.handshake":    "pass",
	"timing.handshake": "pass",
	"tls.negotiated":   "info",
	"tls.sni":          "pass",
	"tls.resumption":   "pass",
	"protocol.modern":  "pass",
	"protocol.tls13":   "pass",
	"protocol.legacy":  "pass",
	"cipher.sender":    "pass",
	"cipher.insecure":  "pass",
	"cipher.weak":      "pass",
	"cipher.order":     "info", // nginx and Apache let the client's order win
	"cipher.dh":        "pass",
	"chain.complete":   "pass",
	"chain.trusted":    "pass",
	"chain.order":      "pass",
	"chain.extra":      "pass",
	"chain.size":       "pass",
	"cert.expiry":      "pass",
	"cert.validity":    "pass",
	"cert.hostname":    "pass",
	"cert.key":         "pass",
	"cert.signature":   "pass",
	"ocsp.stapled":     "pass",
	"ocsp.status":      "pass",
	"ocsp.valid":       "pass",
	"http.alpn":        "pass",
	"http.response":    "skip", // no URL path
	"mtls.request":     "pass",
}

// serverDefaults are the differences every scenario sees on one server.
var serverDefaults = map[string]map[string]string{
	// HAProxy enforces its cipher order unless told prefer-client-ciphers.
	"haproxy": {"cipher.order": "pass"},
}

// unstapled is what wacheck says about a leaf that names an OCSP responder
// when the server staples nothing.
var unstapled = map[string]string{
	"ocsp.stapled": "warn",
	"ocsp.status":  "skip",
	"ocsp.valid":   "skip",
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

// scenarios are run against every server. healthy must come first: it is
// the one served on port 443 when the test may bind it (see healthyPort).
var scenarios = []scenario{
	{
		// The configuration users copy: full chain, TLS 1.2 and 1.3,
		// ECDHE with AES-GCM, a stapled good response, HTTP/2.
		name:   "healthy",
		staple: stapleGood,
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if r.TLS == nil || r.TLS.ALPN != "h2" || r.TLS.Version != "TLS 1.3" {
				t.Errorf("tls = %+v, want TLS 1.3 with ALPN h2", r.TLS)
			}
			if r.OCSP == nil || !r.OCSP.Stapled || r.OCSP.Status != "good" || !r.OCSP.Verified {
				t.Errorf("ocsp = %+v, want a stapled, verified, good response", r.OCSP)
			}
			if r.Chain == nil || !r.Chain.Verified || len(r.Certificates) != 2 {
				t.Errorf("chain = %+v with %d certificates, want verified with leaf and intermediate",
					r.Chain, len(r.Certificates))
			}
		},
	},
	{
		// certbot's cert.pem instead of fullchain.pem.
		name:     "missing-intermediate",
		leafOnly: true,
		want: merge(unstapled, map[string]string{
			"chain.complete": "fail",
			"chain.trusted":  "skip",
		}),
		assert: func(t *testing.T, _ string, r *jsonReport) {
			_, detail, _ := r.check("chain.complete")
			for _, s := range []string{"wacheck test intermediate CA", "http://127.0.0.1:1/ca.crt"} {
				if !strings.Contains(detail, s) {
					t.Errorf("chain.complete detail %q does not name %q", detail, s)
				}
			}
			if len(r.Certificates) != 1 {
				t.Errorf("%d certificates served, want the leaf alone", len(r.Certificates))
			}
		},
	},
	{
		name:    "expired",
		expired: true,
		// Go's client does not resume a session whose certificate expired.
		want: merge(unstapled, map[string]string{"cert.expiry": "fail", "tls.resumption": "skip"}),
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if len(r.Certificates) == 0 || r.Certificates[0].DaysLeft >= 0 {
				t.Errorf("certificates = %+v, want a leaf with negative days_left", r.Certificates)
			}
		},
	},
	{
		// The same wrong-name certificate with and without SNI: SNI is not
		// the cause, so tls.sni passes and cert.hostname alone fails.
		name:     "wrong-name",
		dnsNames: []string{"hooks.other.example"},
		staple:   stapleGood,
		want:     map[string]string{"cert.hostname": "fail"},
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if _, detail, _ := r.check("cert.hostname"); !strings.Contains(detail, "hooks.other.example") {
				t.Errorf("cert.hostname detail %q does not list the certificate's names", detail)
			}
		},
	},
	{
		// TLS 1.0 to 1.2 and every cipher OpenSSL still has, at
		// @SECLEVEL=0. wacheck's own handshake offers TLS 1.2 and 1.3 only
		// and completes at TLS 1.2; its enumeration finds the rest.
		// confirm proves TLS 1.0 with AES128-SHA works.
		name:    "legacy-tls10",
		rsa:     true,
		legacy:  true,
		staple:  stapleGood,
		confirm: confirmLegacy,
		want: map[string]string{
			"protocol.tls13":  "warn",
			"protocol.legacy": "warn",
			"cipher.weak":     "warn",
			// Anonymous ECDH suites: nginx and HAProxy pass "ALL" on to
			// OpenSSL as it is; mod_ssl appends !aNULL:!eNULL:!EXP.
			"cipher.insecure": "fail",
		},
		servers: map[string]map[string]string{
			"apache2": {"cipher.insecure": "pass"},
			// HAProxy enforces its order here too, with ChaCha20
			// prioritised for clients that put it first.
			"haproxy": {"cipher.order": "pass"},
		},
		assert: func(t *testing.T, server string, r *jsonReport) {
			if r.TLS == nil || r.TLS.Version != "TLS 1.2" {
				t.Errorf("tls = %+v, want TLS 1.2: the server offers nothing newer", r.TLS)
			}
			_, legacy, _ := r.check("protocol.legacy")
			_, weak, _ := r.check("cipher.weak")
			if !strings.Contains(legacy, "TLS 1.0") || !strings.Contains(weak, "TLS_RSA_WITH_AES_128_CBC_SHA (TLS 1.0") {
				t.Errorf("protocol.legacy %q and cipher.weak %q, want TLS 1.0 and TLS_RSA_WITH_AES_128_CBC_SHA named", legacy, weak)
			}
			if server == "nginx" {
				enumeratedAsConfigured(t, r, legacyNginx, true)
			}
		},
	},
	{
		name:   "revoked",
		staple: stapleRevoked,
		want:   map[string]string{"ocsp.status": "fail"},
		assert: func(t *testing.T, _ string, r *jsonReport) {
			_, detail, _ := r.check("ocsp.status")
			if !strings.Contains(detail, "revoked") || !strings.Contains(detail, "keyCompromise") {
				t.Errorf("ocsp.status detail %q, want the revocation and its reason", detail)
			}
			if r.OCSP == nil || r.OCSP.Status != "revoked" {
				t.Errorf("ocsp = %+v, want status revoked", r.OCSP)
			}
		},
	},
	{
		name: "no-staple",
		want: unstapled,
	},
	{
		// Client certificates optional, from Meta's outbound API CA among
		// others: the handshake completes and the acceptable CAs are listed.
		name:   "mtls-optional",
		staple: stapleGood,
		mtls:   "optional",
		metaCA: true,
		want:   map[string]string{"mtls.request": "info", "tls.resumption": "skip"},
		assert: clientCAsListed(metaClientCA, privateClientCA),
	},
	{
		// Optional, but only from a private CA: Meta's certificate would
		// not verify.
		name:   "mtls-optional-private",
		staple: stapleGood,
		mtls:   "optional",
		want:   map[string]string{"mtls.request": "warn", "tls.resumption": "skip"},
		assert: clientCAsListed(privateClientCA),
	},
	{
		// Required, from Meta's CA among others. Apache (SSLVerifyClient
		// require) and HAProxy (verify required) answer a handshake
		// without a certificate with the certificate_required alert, in
		// TLS 1.3 after the client's Finished; nginx (ssl_verify_client
		// on) completes it and answers the first request with 400 "No
		// required SSL certificate was sent". wacheck sees all three;
		// confirm proves all three refuse.
		name:    "mtls-required",
		staple:  stapleGood,
		mtls:    "required",
		metaCA:  true,
		want:    map[string]string{"mtls.request": "info", "tls.resumption": "skip"},
		assert:  all(clientCAsListed(metaClientCA, privateClientCA), requiredSeen),
		confirm: confirmClientCertRequired,
	},
	{
		// Required, from a private CA only: Meta's certificate would be
		// refused.
		name:    "mtls-required-private",
		staple:  stapleGood,
		mtls:    "required",
		want:    map[string]string{"mtls.request": "fail", "tls.resumption": "skip"},
		assert:  all(clientCAsListed(privateClientCA), requiredSeen),
		confirm: confirmClientCertRequired,
	},
	{
		// A good response that embeds the signer's certificate, as
		// `openssl ocsp` makes by default (and as some CAs' responders
		// send): signed by the issuer itself, so valid.
		name:   "staple-with-signer-cert",
		staple: stapleGoodWithSignerCert,
	},
	{
		// A private CA's leaf and intermediate, whose root is not in the
		// store: trust fails, naming the root; the chain is as complete as
		// a server can make it, so serving more would change nothing.
		name:      "untrusted-root",
		noOCSPURL: true,
		chain: func(p *pki) (*testpki.CA, [][]byte) {
			root := testpki.NewRoot(p.t, testpki.CAOptions{Now: p.now, CommonName: "Corp Root CA", Organization: "Corp"})
			inter := root.Intermediate(p.t, testpki.CAOptions{Now: p.now, CommonName: "Corp Issuing CA", Organization: "Corp"})
			return inter, [][]byte{inter.DER}
		},
		want:   merge(noResponder, map[string]string{"chain.trusted": "fail"}),
		assert: detailSays("chain.trusted", "issued by CN=Corp Root CA", "not in the file:"),
	},
	{
		// The 2021 Let's Encrypt shape: the root in the store was
		// cross-signed by an old root, and that expired cross-signed
		// certificate is served after the intermediate. Senders verify
		// through the self-signed root: chain.extra warns, cert.expiry
		// does not fail.
		name:   "expired-cross-signed-root",
		staple: stapleGood,
		chain: func(p *pki) (*testpki.CA, [][]byte) {
			old := testpki.NewRoot(p.t, testpki.CAOptions{Now: p.now, CommonName: "Old Root X3",
				Organization: "Old Trust Co.", NotBefore: p.now.AddDate(-20, 0, 0)})
			cross := old.CrossSign(p.t, p.root, testpki.CAOptions{Now: p.now, NotBefore: p.now.AddDate(-5, 0, 0),
				NotAfter: p.now.AddDate(0, -1, 0)})
			return p.inter, [][]byte{p.inter.DER, cross.DER}
		},
		want:   map[string]string{"chain.extra": "warn"},
		assert: detailSays("chain.extra", "cross-signed certificate for CN=wacheck test root CA", "expired on"),
	},
	{
		// An expired intermediate on the only path (an old copy, expired
		// before the leaf was issued): cert.expiry alone; chain.trusted
		// does not fail beside it.
		name:      "expired-intermediate",
		noOCSPURL: true,
		chain: func(p *pki) (*testpki.CA, [][]byte) {
			inter := p.root.Intermediate(p.t, testpki.CAOptions{Now: p.now, CommonName: "Expired Issuing CA",
				NotBefore: p.now.AddDate(-2, 0, 0), NotAfter: p.now.AddDate(0, 0, -3)})
			return inter, [][]byte{inter.DER}
		},
		want:   merge(noResponder, map[string]string{"cert.expiry": "fail"}),
		assert: detailSays("cert.expiry", "intermediate CN=Expired Issuing CA (#1) expired"),
	},
	{
		// A must-staple certificate (TLS Feature status_request) served
		// without a staple: clients that honour it refuse the handshake.
		name:       "must-staple-unstapled",
		mustStaple: true,
		want:       merge(unstapled, map[string]string{"ocsp.stapled": "fail"}),
		assert:     detailSays("ocsp.stapled", "must-staple"),
	},
	{
		// Static RSA key exchange alone: the sender's client has none of
		// those suites, so its handshake fails, but the certificates of
		// the enumeration's TLS 1.2 replies are judged (and pass).
		name:      "static-rsa",
		rsa:       true,
		staticRSA: true,
		want: merge(noHandshake, map[string]string{
			"protocol.tls13": "warn",
			"cipher.sender":  "fail",
			"cipher.weak":    "warn", // static RSA key exchange
		}),
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if r.Chain == nil || r.Chain.Source != "enumeration" || !r.Chain.Verified || len(r.Certificates) != 2 {
				t.Errorf("chain = %+v with %d certificates, want the served chain from the enumeration, verified",
					r.Chain, len(r.Certificates))
			}
		},
	},
	{
		// secp384r1 as the only group (issue 9, item 7): the sender's
		// first ClientHello carries X25519MLKEM768 and X25519 key shares,
		// so the server answers with a HelloRetryRequest for secp384r1,
		// one more round trip on every delivery. The handshake completes;
		// nothing else is blamed.
		name:   "hrr-secp384r1",
		staple: stapleGood,
		curves: "secp384r1",
		want:   map[string]string{"tls.hrr": "warn"},
		assert: helloRetried("secp384r1"),
	},
}

// helloRetried asserts that tls.hrr names the HelloRetryRequest, the group
// the server wants and the round trip, and that its fix names the server's
// own directive; and that the handshake completed with that group.
func helloRetried(group string) func(t *testing.T, server string, r *jsonReport) {
	directive := map[string]string{
		"nginx":   "ssl_ecdh_curve",
		"apache2": "SSLOpenSSLConfCmd Curves",
		"haproxy": "`curves",
	}
	return func(t *testing.T, server string, r *jsonReport) {
		for _, c := range r.Checks {
			if c.ID != "tls.hrr" {
				continue
			}
			for _, s := range []string{"HelloRetryRequest for " + group, "one more round trip"} {
				if !strings.Contains(c.Detail, s) {
					t.Errorf("tls.hrr detail %q does not say %q", c.Detail, s)
				}
			}
			if d := directive[server]; !strings.Contains(c.Remediation, d) {
				t.Errorf("tls.hrr remediation %q does not name %s's %s", c.Remediation, server, d)
			}
		}
		if _, detail, _ := r.check("tls.negotiated"); !strings.Contains(detail, group) {
			t.Errorf("tls.negotiated %q, want the key exchange %s", detail, group)
		}
	}
}

// noResponder is what wacheck says about the OCSP of a leaf that names no
// responder, when the server staples nothing.
var noResponder = map[string]string{
	"ocsp.stapled": "info",
	"ocsp.status":  "skip",
	"ocsp.valid":   "skip",
}

// detailSays asserts that the check's detail has every one of subs.
func detailSays(id string, subs ...string) func(t *testing.T, _ string, r *jsonReport) {
	return func(t *testing.T, _ string, r *jsonReport) {
		_, detail, _ := r.check(id)
		for _, sub := range subs {
			if !strings.Contains(detail, sub) {
				t.Errorf("%s detail %q does not say %q", id, detail, sub)
			}
		}
	}
}

// clientCAsListed asserts that the report lists these acceptable client CAs,
// in client_auth and in the mtls.request detail.
func clientCAsListed(names ...string) func(t *testing.T, _ string, r *jsonReport) {
	return func(t *testing.T, _ string, r *jsonReport) {
		if r.ClientAuth == nil || !r.ClientAuth.Requested {
			t.Fatalf("client_auth = %+v, want a request", r.ClientAuth)
		}
		_, detail, _ := r.check("mtls.request")
		for _, name := range names {
			if !slices.ContainsFunc(r.ClientAuth.AcceptableCAs, func(s string) bool { return strings.Contains(s, name) }) {
				t.Errorf("client_auth.acceptable_cas = %q, want %q among them", r.ClientAuth.AcceptableCAs, name)
			}
			if !strings.Contains(detail, name) {
				t.Errorf("mtls.request detail %q does not name the acceptable CA %q", detail, name)
			}
		}
	}
}

// expected returns every check's expected status for sc on server, served
// on port.
func (sc scenario) expected(server string, port int) map[string]string {
	want := merge(clean, serverDefaults[server], sc.want, sc.servers[server])
	if port != 443 {
		want["connect.port"] = "warn"
	}
	return want
}

// verify probes the scenario's endpoint twice, with --fail-on warn and
// --fail-on fail, and checks every check's status, the overall status, both
// exit codes and the scenario's own assertions.
func (sc scenario) verify(t *testing.T, server string, port int, p *pki) *jsonReport {
	if sc.confirm != nil {
		sc.confirm(t, server, port, p)
	}
	want := sc.expected(server, port)
	outputs, outputFlags := newRenderedOutputs(t)
	res := runWacheck(t, port, p.rootFile, slices.Concat([]string{"--fail-on", "warn", "--client-ca", p.metaCAFile}, outputFlags, sc.flags)...)
	r := res.report
	outputs.check(t, r)

	var problems []string
	worst := 0
	for _, id := range slices.Sorted(maps.Keys(want)) {
		worst = max(worst, severity(want[id]))
		got, detail, ok := r.check(id)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("check %s missing from the report", id))
		case got != want[id] && got != sc.unsettled[id]:
			problems = append(problems, fmt.Sprintf("%s is %s, want %s: %s", id, got, want[id], detail))
		}
	}
	var unknown []string
	for _, c := range r.Checks {
		if _, ok := want[c.ID]; !ok {
			// A check this test does not know yet (another issue added
			// it): it may pass, skip or inform, but a warning or failure
			// would blame a cause the scenario does not have.
			unknown = append(unknown, c.ID+"="+c.Status)
			if severity(c.Status) > 0 {
				problems = append(problems, fmt.Sprintf("%s is %s, want no warning or failure: %s", c.ID, c.Status, c.Detail))
			}
			worst = max(worst, severity(c.Status))
		}
	}
	if *dump {
		t.Logf("%s", res)
	}
	if len(unknown) > 0 {
		t.Logf("checks without an expectation here: %s", strings.Join(unknown, ", "))
	}
	if r.Status != overall(worst) {
		problems = append(problems, fmt.Sprintf("overall status %s, want %s", r.Status, overall(worst)))
	}
	if wantExit := btoi(worst >= 1); res.exitCode != wantExit {
		problems = append(problems, fmt.Sprintf("exit code %d with --fail-on warn, want %d", res.exitCode, wantExit))
	}
	if failOnFail := runWacheck(t, port, p.rootFile, append([]string{"--fail-on", "fail", "--client-ca", p.metaCAFile}, sc.flags...)...); failOnFail.exitCode != btoi(worst >= 2) {
		problems = append(problems, fmt.Sprintf("exit code %d with --fail-on fail, want %d",
			failOnFail.exitCode, btoi(worst >= 2)))
	}

	switch {
	case sc.knownBug != "" && len(problems) > 0:
		t.Skipf("known wacheck bug: %s:\n  %s", sc.knownBug, strings.Join(problems, "\n  "))
	case sc.knownBug != "":
		t.Fatalf("the known bug %q no longer shows: remove knownBug from scenario %s", sc.knownBug, sc.name)
	case len(problems) > 0:
		t.Errorf("%s against %s:\n  %s\n%s", sc.name, server, strings.Join(problems, "\n  "), res)
	}
	if sc.tls != nil {
		enumeratedAsConfigured(t, r, *sc.tls, sc.rsa)
	}
	if sc.assert != nil {
		sc.assert(t, server, r)
	}
	return r
}

// certAgrees runs `wacheck cert` on the file the server serves its chain
// from and asserts that every chain.* and cert.* check has the status the
// probe of that server gave: files and handshakes are judged alike.
func certAgrees(t *testing.T, served string, p *pki, probed *jsonReport) {
	t.Helper()
	args := []string{"cert", served, "--name", "localhost", "--ca-file", p.rootFile, "--format", "json"}
	out := wacheckOutput(t, args...)
	var files jsonReport
	if err := json.Unmarshal(out, &files); err != nil {
		t.Fatalf("wacheck %s printed no JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	validateSchema(t, &probeResult{args: args, stdout: out})
	compared := 0
	for _, c := range probed.Checks {
		if cat, _, _ := strings.Cut(c.ID, "."); cat != "chain" && cat != "cert" {
			continue
		}
		got, detail, ok := files.check(c.ID)
		switch {
		case !ok:
			t.Errorf("wacheck cert %s: no %s", served, c.ID)
		case got != c.Status:
			t.Errorf("wacheck cert %s: %s is %s (%s), the probe said %s (%s)", served, c.ID, got, detail, c.Status, c.Detail)
		}
		compared++
	}
	if compared < 9 {
		t.Errorf("compared %d chain.* and cert.* checks, want all 9", compared)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// requiredSeen asserts that mtls.request says the certificate is required,
// except for nginx, which refuses only over HTTP.
func requiredSeen(t *testing.T, server string, r *jsonReport) {
	_, detail, _ := r.check("mtls.request")
	if !strings.Contains(detail, "required") {
		t.Errorf("mtls.request detail %q, want the certificate called required", detail)
	}
}

func all(fs ...func(*testing.T, string, *jsonReport)) func(*testing.T, string, *jsonReport) {
	return func(t *testing.T, server string, r *jsonReport) {
		for _, f := range fs {
			f(t, server, r)
		}
	}
}

// confirmLegacy proves with openssl s_client that the server speaks TLS 1.0
// with a weak cipher (RSA key exchange, CBC, SHA-1).
func confirmLegacy(t *testing.T, _ string, port int, _ *pki) {
	cmd := exec.Command(requireBinary(t, "openssl"), "s_client", "-brief",
		"-connect", "127.0.0.1:"+strconv.Itoa(port), "-servername", "localhost",
		"-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0")
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Protocol version: TLSv1\n") ||
		!strings.Contains(string(out), "Ciphersuite: AES128-SHA\n") {
		t.Fatalf("the server does not speak TLS 1.0 with AES128-SHA: %v\n%s", err, out)
	}
}

// confirmClientCertRequired proves that a request without a client
// certificate is refused: nginx answers 400, Apache and HAProxy end the
// connection with the certificate_required alert.
func confirmClientCertRequired(t *testing.T, server string, port int, p *pki) {
	pem, err := os.ReadFile(p.rootFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"},
		},
	}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://127.0.0.1:" + strconv.Itoa(port) + "/")
	switch {
	case server == "nginx" && err == nil && resp.StatusCode == http.StatusBadRequest:
	case server != "nginx" && err != nil && strings.Contains(err.Error(), "certificate required"):
	default:
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
		t.Fatalf("%s does not refuse a request without a client certificate: %v", server, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
}
