//go:build linux

package integration

import (
	"cmp"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tlsConf is a scenario's own protocol and cipher configuration, as nginx
// directives: only nginx's template reads it, so only nginxScenarios set it.
type tlsConf struct {
	protocols    string // ssl_protocols
	ciphers      string // ssl_ciphers, for TLS 1.0 to 1.2; "" leaves nginx's default
	ciphersuites string // ssl_conf_command Ciphersuites, for TLS 1.3; "" leaves OpenSSL's default
	dhparam      bool   // ssl_dhparam with RFC 7919's ffdhe2048: nginx offers finite-field DHE only then
	preferServer bool   // ssl_prefer_server_ciphers on
}

// legacyNginx is what testdata/nginx.conf.tmpl configures for a legacy
// scenario.
var legacyNginx = tlsConf{protocols: "TLSv1 TLSv1.1 TLSv1.2", ciphers: "ALL:@SECLEVEL=0"}

// orderCiphers is a TLS 1.2 list whose order is neither the registry's nor
// strength's, so that an order found by the client's preference cannot pass
// for the server's.
const orderCiphers = "ECDHE+AES128:ECDHE+CHACHA20:ECDHE+AES256"

// nginxScenarios are the enumeration scenarios, run against nginx only: each
// configures its versions and suites, and enumeratedAsConfigured checks
// that wacheck finds exactly those (pkg/tlshello's openssl_test.go does the
// same against openssl s_server).
var nginxScenarios = []scenario{
	{
		// Finite-field DHE alone: Go's TLS client, which makes wacheck's
		// own handshake, has no DHE suite, so the handshake fails (no
		// staple is read); the enumeration still finds every suite, and
		// the certificates its TLS 1.2 replies carried are judged.
		name: "enum-dhe-only",
		rsa:  true,
		tls:  &tlsConf{protocols: "TLSv1.2", ciphers: "DHE:@SECLEVEL=0", dhparam: true},
		want: merge(noHandshake, map[string]string{
			"protocol.tls13": "warn",
			"cipher.sender":  "fail", // DHE: nothing in common with Meta
			"cipher.weak":    "warn", // DHE, CBC, SHA-1
		}),
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if p := r.protocol("TLS 1.2"); p == nil || p.DHBits != 2048 || !slices.Equal(p.Groups, []string{"ffdhe2048"}) {
				t.Errorf("TLS 1.2 = %+v, want DH bits 2048 and group ffdhe2048 alone", p)
			}
			if r.Chain == nil || r.Chain.Source != "enumeration" || !r.Chain.Verified || len(r.Certificates) != 2 {
				t.Errorf("chain = %+v with %d certificates, want the served chain from the enumeration, verified",
					r.Chain, len(r.Certificates))
			}
		},
	},
	{
		// CAMELLIA and ARIA, without ssl_dhparam: the DHE-RSA and
		// anonymous (ADH) CAMELLIA and ARIA suites the string names must
		// not be claimed. Go's TLS client has neither cipher.
		name: "enum-camellia-aria",
		rsa:  true,
		tls:  &tlsConf{protocols: "TLSv1.2", ciphers: "CAMELLIA:ARIA:@SECLEVEL=0"},
		want: merge(noHandshake, map[string]string{
			"protocol.tls13": "warn",
			"cipher.sender":  "fail",
			"cipher.weak":    "warn", // RSA key exchange, CBC, SHA-1
		}),
	},
	{
		// TLS 1.3 alone, narrowed to one suite: TLS 1.2 is refused, so
		// there is no order to judge.
		name:   "enum-tls13-aes256",
		staple: stapleGood,
		tls:    &tlsConf{protocols: "TLSv1.3", ciphersuites: "TLS_AES_256_GCM_SHA384"},
		want:   map[string]string{"cipher.order": "skip"},
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if p := r.protocol("TLS 1.3"); p == nil || len(p.Ciphers) != 1 || p.Ciphers[0].Name != "TLS_AES_256_GCM_SHA384" {
				t.Errorf("TLS 1.3 = %+v, want TLS_AES_256_GCM_SHA384 alone", p)
			}
		},
	},
	{
		// TLS 1.2 alone, ECDHE with AES-GCM: every handshake takes an
		// extra round trip.
		name:   "enum-tls12-only",
		staple: stapleGood,
		tls:    &tlsConf{protocols: "TLSv1.2", ciphers: modernCiphers},
		want:   map[string]string{"protocol.tls13": "warn"},
	},
	{
		// The server's order wins: wacheck must find it, suite by suite.
		name:   "enum-server-order",
		staple: stapleGood,
		tls:    &tlsConf{protocols: "TLSv1.2 TLSv1.3", ciphers: orderCiphers, preferServer: true},
		want:   map[string]string{"cipher.weak": "warn", "cipher.order": "pass"},
	},
	{
		// The same suites, the client's order winning.
		name:   "enum-client-order",
		staple: stapleGood,
		tls:    &tlsConf{protocols: "TLSv1.2 TLSv1.3", ciphers: orderCiphers},
		want:   map[string]string{"cipher.weak": "warn"},
	},
	{
		// The server of issue 10's timings: TLS 1.0 to 1.3, every cipher
		// OpenSSL has at @SECLEVEL=0 and finite-field DHE, 91 suites in
		// all, the client's order winning. The enumeration infers most
		// refusals from the order of the answers; every suite must still
		// be exactly what the configuration allows.
		name:   "enum-legacy-dhe",
		rsa:    true,
		staple: stapleGood,
		tls:    &tlsConf{protocols: "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", ciphers: "ALL:@SECLEVEL=0", dhparam: true},
		want: map[string]string{
			"protocol.legacy": "warn",
			"cipher.weak":     "warn",
			"cipher.insecure": "fail", // anonymous DH and ECDH suites
		},
		assert: func(t *testing.T, _ string, r *jsonReport) {
			if p := r.protocol("TLS 1.2"); p == nil || p.DHBits != 2048 || !slices.Contains(p.Groups, "ffdhe2048") {
				t.Errorf("TLS 1.2 = %+v, want DH bits 2048 and ffdhe2048 among the groups", p)
			}
		},
	},
	{
		// The same, the server's order winning: peeled, and the order
		// found must be OpenSSL's for the string.
		name:   "enum-legacy-dhe-server-order",
		rsa:    true,
		staple: stapleGood,
		tls: &tlsConf{protocols: "TLSv1 TLSv1.1 TLSv1.2 TLSv1.3", ciphers: "ALL:@SECLEVEL=0", dhparam: true,
			preferServer: true},
		want: map[string]string{
			"protocol.legacy": "warn",
			"cipher.weak":     "warn",
			"cipher.insecure": "fail",
			"cipher.order":    "pass",
		},
	},
}

// noHandshake is what wacheck says when its own handshake cannot complete
// (no suite in common with Go's TLS client) although the enumeration finds
// the server's suites: the chain and certificate checks judge what the
// enumeration's TLS 1.2 replies carried (and so pass here), the rest skip.
var noHandshake = map[string]string{
	"tls.handshake":    "fail",
	"timing.handshake": "skip",
	"tls.negotiated":   "skip",
	"tls.sni":          "skip",
	"ocsp.stapled":     "skip",
	"ocsp.status":      "skip",
	"ocsp.valid":       "skip",
	"http.alpn":        "skip",
	"mtls.request":     "skip",
	"tls.resumption":   "skip", // no handshake to resume
}

// nginxVersions maps ssl_protocols' names to the report's, with the flag
// `openssl ciphers` takes for each.
var nginxVersions = []struct{ directive, version, flag string }{
	{"SSLv3", "SSLv3", "-ssl3"},
	{"TLSv1", "TLS 1.0", "-tls1"},
	{"TLSv1.1", "TLS 1.1", "-tls1_1"},
	{"TLSv1.2", "TLS 1.2", "-tls1_2"},
	{"TLSv1.3", "TLS 1.3", "-tls1_3"},
}

// enumeratedAsConfigured checks the protocols wacheck found on nginx against
// conf: the versions ssl_protocols names are offered and the others are
// refused; each offered version's suites are exactly what conf allows for the
// leaf's key (see allowedSuites), nothing claimed that it does not allow and
// nothing missed. Below TLS 1.3, with two suites or more, server_order is
// conf's ssl_prefer_server_ciphers and, when that is on, the suites come in
// the order OpenSSL lists them for the configured string.
func enumeratedAsConfigured(t *testing.T, r *jsonReport, conf tlsConf, rsa bool) {
	t.Helper()
	configured := strings.Fields(conf.protocols)
	for _, v := range nginxVersions {
		p := r.protocol(v.version)
		offered := slices.Contains(configured, v.directive)
		switch {
		case p == nil:
			t.Errorf("%s missing from protocols", v.version)
			continue
		case p.Offered == nil || *p.Offered != offered:
			t.Errorf("%s offered = %s (%s), want %t", v.version, fmtBool(p.Offered), p.Reason, offered)
			continue
		case !offered:
			if len(p.Ciphers) > 0 {
				t.Errorf("%s is refused but has suites %v", v.version, p.names())
			}
			continue
		}
		if len(p.Errors) > 0 {
			t.Errorf("%s enumeration errors: %v", v.version, p.Errors)
		}
		want := allowedSuites(t, v.flag, conf, rsa)
		got := p.names()
		for _, name := range got {
			if !slices.Contains(want, name) {
				t.Errorf("%s: wacheck claims %s, which the configuration does not allow", v.version, name)
			}
		}
		for _, name := range want {
			if !slices.Contains(got, name) {
				t.Errorf("%s: wacheck missed %s, which the configuration allows", v.version, name)
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: the configuration allows no suite: the scenario is wrong", v.version)
		}
		if v.version == "TLS 1.3" || len(want) < 2 {
			continue
		}
		if fmtBool(p.ServerOrder) != fmtBool(&conf.preferServer) {
			t.Errorf("%s server_order = %s, want %t", v.version, fmtBool(p.ServerOrder), conf.preferServer)
		} else if conf.preferServer && !slices.Equal(got, want) {
			t.Errorf("%s in the server's order:\ngot  %s\nwant %s", v.version, got, want)
		}
	}
}

// allowedSuites returns the IANA names of the suites nginx configured with
// conf can negotiate in one version (versionFlag as `openssl ciphers` takes
// it), in OpenSSL's order, which is the server's: those
//
//	openssl ciphers -V -stdname -s <versionFlag> [-ciphersuites ...] '<ciphers>'
//
// lists, less the suites whose authentication the leaf's key cannot give
// (RSA leaf: Au=RSA or Au=None; ECDSA leaf: Au=ECDSA or Au=None), PSK and
// SRP (nginx configures neither), and finite-field DHE (Kx=DH) unless
// ssl_dhparam is set.
func allowedSuites(t *testing.T, versionFlag string, conf tlsConf, rsa bool) []string {
	t.Helper()
	args := []string{"ciphers", "-V", "-stdname", "-s", versionFlag}
	if conf.ciphersuites != "" {
		args = append(args, "-ciphersuites", conf.ciphersuites)
	}
	// nginx's default ssl_ciphers; for TLS 1.3 alone the string only has
	// to match something.
	args = append(args, cmp.Or(conf.ciphers, "HIGH:!aNULL:!MD5"))
	out, err := exec.Command(requireBinary(t, "openssl"), args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatal(err)
	}
	auth := "Au=ECDSA"
	if rsa {
		auth = "Au=RSA"
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		// 0xC0,0x2F - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=... Mac=...
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasPrefix(f[2], "TLS_") {
			continue
		}
		if tls13 := f[5] == "TLSv1.3"; tls13 != (versionFlag == "-tls1_3") {
			continue
		}
		kx, au := f[6], f[7]
		if versionFlag != "-tls1_3" &&
			(au != auth && au != "Au=None" || strings.Contains(kx, "PSK") || kx == "Kx=SRP" || kx == "Kx=DH" && !conf.dhparam) {
			continue
		}
		names = append(names, f[2])
	}
	return names
}

func fmtBool(b *bool) string {
	if b == nil {
		return "null"
	}
	if *b {
		return "true"
	}
	return "false"
}

// ffdhe2048 writes RFC 7919's 2048-bit group as DH parameters into dir, as an
// operator makes the file for nginx's ssl_dhparam, and returns its path.
func ffdhe2048(t *testing.T, dir string) string {
	t.Helper()
	file := filepath.Join(dir, "ffdhe2048.pem")
	out, err := exec.Command(requireBinary(t, "openssl"), "genpkey", "-genparam", "-algorithm", "DH",
		"-pkeyopt", "group:ffdhe2048", "-out", file).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	return file
}
