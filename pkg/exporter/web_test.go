package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/wacheck/wacheck/internal/testpki"
)

// webPKI is a server certificate for 127.0.0.1 and a client CA, written
// to a directory with a web config.
type webPKI struct {
	dir        string
	server     *testpki.Chain
	clientCA   *testpki.CA
	clientCert tls.Certificate // issued by clientCA
	hash       string          // bcrypt of "s3cret"
}

func newWebPKI(t *testing.T) *webPKI {
	t.Helper()
	p := &webPKI{dir: t.TempDir(), server: testpki.NewChain(t, time.Now())}
	p.clientCA = testpki.NewRoot(t, testpki.CAOptions{CommonName: "wacheck test client CA"})
	leaf := p.clientCA.Leaf(t, testpki.LeafOptions{CommonName: "prometheus",
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	p.clientCert = leaf.TLSCertificate()
	p.writeServerCert(t, p.server)
	p.write(t, "client-ca.pem", string(p.clientCA.PEM()))
	// The cheapest cost: the tests count bcrypt's calls, not its time.
	h, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	p.hash = string(h)
	return p
}

func (p *webPKI) write(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeServerCert writes c's leaf and intermediate to server.pem and its
// key to server.key.
func (p *webPKI) writeServerCert(t *testing.T, c *testpki.Chain) {
	t.Helper()
	p.write(t, "server.pem", string(testpki.CertsPEM(c.Leaf.DER, c.Intermediate.DER)))
	p.write(t, "server.key", string(c.Leaf.KeyPEM(t)))
}

// serveWeb runs the exporter with the web config text (written beside the
// PKI, its paths relative) on a 127.0.0.1 port and returns it and its
// address.
func serveWeb(t *testing.T, p *webPKI, config string) (*Server, string) {
	t.Helper()
	w, err := LoadWebConfig(p.write(t, "web.yml", config))
	if err != nil {
		t.Fatal(err)
	}
	cfg := *DefaultConfig()
	cfg.Web = w
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe(ctx, ln, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// client trusts p's server root and presents certs.
func (p *webPKI) client(certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.server.Pool(), Certificates: certs},
	}}
}

type answer struct {
	code   int
	header http.Header
	body   string
}

func fetch(t *testing.T, c *http.Client, url, user, password string) (answer, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return answer{resp.StatusCode, resp.Header, string(body)}, err
}

func mustFetch(t *testing.T, c *http.Client, url, user, password string) answer {
	t.Helper()
	a, err := fetch(t, c, url, user, password)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return a
}

// countCompares counts s's bcrypt checks.
func countCompares(s *Server) *atomic.Int64 {
	var n atomic.Int64
	real := s.auth.compare
	s.auth.compare = func(hash, password []byte) error {
		n.Add(1)
		return real(hash, password)
	}
	return &n
}

// TestWebBasicAuth: over HTTPS, every page asks for credentials; a wrong
// password and an unknown user both cost one bcrypt check and get 401;
// the right ones get the page, and again without a second bcrypt check.
func TestWebBasicAuth(t *testing.T) {
	p := newWebPKI(t)
	s, addr := serveWeb(t, p, fmt.Sprintf(`tls_server_config:
  cert_file: server.pem
  key_file: server.key
basic_auth_users:
  prometheus: %s
  grafana: %s
http_server_config:
  headers:
    X-Frame-Options: deny
`, p.hash, p.hash))
	compares := countCompares(s)
	c := p.client()
	base := "https://" + addr

	for _, path := range []string{"/metrics", "/probe?target=localhost:1&module=meta", "/"} {
		a := mustFetch(t, c, base+path, "", "")
		if a.code != http.StatusUnauthorized || a.header.Get("WWW-Authenticate") != `Basic realm="wacheck"` {
			t.Errorf("%s without credentials: %d, WWW-Authenticate %q; want 401, Basic realm=\"wacheck\"",
				path, a.code, a.header.Get("WWW-Authenticate"))
		}
		if strings.Contains(a.body, "wacheck_") {
			t.Errorf("%s without credentials shows metrics: %q", path, a.body)
		}
		if a.header.Get("X-Frame-Options") != "deny" {
			t.Errorf("%s: the configured header is missing on a 401: %v", path, a.header)
		}
	}
	if n := compares.Load(); n != 0 {
		t.Errorf("%d bcrypt checks without credentials, want 0", n)
	}

	for i, tt := range []struct{ user, password string }{
		{"prometheus", "wrong"},
		{"nobody", "s3cret"}, // another user's password
		{"Prometheus", "s3cret"},
		{"prometheus\x00", "s3cret"},
	} {
		a := mustFetch(t, c, base+"/metrics", tt.user, tt.password)
		if a.code != http.StatusUnauthorized || a.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q/%q: %d, want 401 with WWW-Authenticate", tt.user, tt.password, a.code)
		}
		// An unknown user is checked against a hash too: the same cost.
		if n := compares.Load(); n != int64(i+1) {
			t.Errorf("%q/%q: %d bcrypt checks so far, want %d", tt.user, tt.password, n, i+1)
		}
	}

	before := compares.Load()
	a := mustFetch(t, c, base+"/metrics", "prometheus", "s3cret")
	if a.code != http.StatusOK || !strings.Contains(a.body, "\nwacheck_exporter_build_info{") {
		t.Fatalf("the right credentials: %d\n%s", a.code, a.body)
	}
	if n := compares.Load() - before; n != 1 {
		t.Errorf("first good request: %d bcrypt checks, want 1", n)
	}
	for _, path := range []string{"/metrics", "/", "/probe?module=no-such-module&target=localhost:1"} {
		a := mustFetch(t, c, base+path, "prometheus", "s3cret")
		if a.code == http.StatusUnauthorized {
			t.Errorf("%s with the right credentials: 401", path)
		}
	}
	if n := compares.Load() - before; n != 1 {
		t.Errorf("good requests after the first: %d bcrypt checks in all, want 1 (the cache)", n)
	}
	// The other user is checked once too, and the cached one is not
	// taken for it.
	if a := mustFetch(t, c, base+"/metrics", "grafana", "s3cret"); a.code != http.StatusOK {
		t.Errorf("second user: %d", a.code)
	}
	if a := mustFetch(t, c, base+"/metrics", "grafana", "s3cret!"); a.code != http.StatusUnauthorized {
		t.Errorf("second user, wrong password after a good one: %d", a.code)
	}
	if n := compares.Load() - before; n != 3 {
		t.Errorf("%d bcrypt checks, want 3", n)
	}
}

// TestBcryptSlots: a flood of wrong passwords runs at most bcryptSlots
// checks at once, and every one is checked.
func TestBcryptSlots(t *testing.T) {
	a := newBasicAuth(map[string]string{"prometheus": "$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze"})
	var now, peak, calls atomic.Int64
	a.compare = func(hash, password []byte) error {
		calls.Add(1)
		n := now.Add(1)
		defer now.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return bcrypt.ErrMismatchedHashAndPassword
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if r := a.check(context.Background(), "prometheus", fmt.Sprint("guess", i)); r != authDenied {
				t.Errorf("guess %d: %v, want denied", i, r)
			}
		})
	}
	wg.Wait()
	if calls.Load() != 12 || peak.Load() > bcryptSlots || peak.Load() < 1 {
		t.Errorf("%d checks, at most %d at once; want 12, at most %d", calls.Load(), peak.Load(), bcryptSlots)
	}
	// A client that goes away while waiting for a slot is not checked.
	for range bcryptSlots {
		a.slots <- struct{}{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := a.check(ctx, "prometheus", "late"); r != authGone {
		t.Errorf("a cancelled wait: %v, want gone", r)
	}
	if calls.Load() != 12 {
		t.Errorf("a cancelled wait ran bcrypt")
	}
}

// TestAuthCacheBound: passwords that differ after bcrypt's 72 bytes all
// match, and the cache of good checks stays within its bound.
func TestAuthCacheBound(t *testing.T) {
	a := newBasicAuth(map[string]string{"u": "$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze"})
	a.compare = func(hash, password []byte) error { return nil }
	for i := range maxAuthCache + 50 {
		if r := a.check(context.Background(), "u", fmt.Sprint("p", i)); r != authOK {
			t.Fatalf("check %d: %v", i, r)
		}
	}
	if n := len(a.good); n > maxAuthCache {
		t.Errorf("%d cached checks, at most %d", n, maxAuthCache)
	}
}

// TestWebClientCertificates: with RequireAndVerifyClientCert the
// handshake fails without a certificate and with one of another CA, and
// succeeds with one of client_ca_file's.
func TestWebClientCertificates(t *testing.T) {
	p := newWebPKI(t)
	_, addr := serveWeb(t, p, `tls_server_config:
  cert_file: server.pem
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: client-ca.pem
  min_version: TLS13
`)
	url := "https://" + addr + "/metrics"
	if a, err := fetch(t, p.client(), url, "", ""); err == nil {
		t.Errorf("no client certificate: %d, want a failed handshake", a.code)
	}
	other := testpki.NewRoot(t, testpki.CAOptions{CommonName: "another CA"}).Leaf(t, testpki.LeafOptions{
		CommonName: "intruder", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	// Sent although the server names another CA (Go's client would send
	// none).
	withOther := p.client()
	withOther.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		c := other.TLSCertificate()
		return &c, nil
	}
	if a, err := fetch(t, withOther, url, "", ""); err == nil {
		t.Errorf("a certificate of another CA: %d, want a failed handshake", a.code)
	}
	a := mustFetch(t, p.client(p.clientCert), url, "", "")
	if a.code != http.StatusOK || !strings.Contains(a.body, "wacheck_exporter_build_info") {
		t.Errorf("the client CA's certificate: %d\n%s", a.code, a.body)
	}
	// min_version TLS13: a TLS 1.2 client is refused.
	c12 := p.client(p.clientCert)
	c12.Transport.(*http.Transport).TLSClientConfig.MaxVersion = tls.VersionTLS12
	if a, err := fetch(t, c12, url, "", ""); err == nil {
		t.Errorf("TLS 1.2 with min_version TLS13: %d, want a failed handshake", a.code)
	}
}

// TestWebPlainHTTPRefused: plain HTTP to the TLS port gets no page.
func TestWebPlainHTTPRefused(t *testing.T) {
	p := newWebPKI(t)
	_, addr := serveWeb(t, p, "tls_server_config: {cert_file: server.pem, key_file: server.key}\n")
	a, err := fetch(t, &http.Client{Timeout: 5 * time.Second}, "http://"+addr+"/metrics", "", "")
	if err == nil && (a.code == http.StatusOK || strings.Contains(a.body, "wacheck_")) {
		t.Errorf("plain HTTP to the TLS port: %d\n%s", a.code, a.body)
	}
	if err == nil && a.code != http.StatusBadRequest {
		t.Errorf("plain HTTP to the TLS port: %d, want 400", a.code)
	}
	// And HTTPS works on it.
	if a := mustFetch(t, p.client(), "https://"+addr+"/metrics", "", ""); a.code != http.StatusOK {
		t.Errorf("HTTPS: %d", a.code)
	}
}

// TestWebCertificateReload: a renewed certificate written over the files
// is served at the next handshake; a half-written renewal leaves the last
// good one in use.
func TestWebCertificateReload(t *testing.T) {
	p := newWebPKI(t)
	_, addr := serveWeb(t, p, "tls_server_config: {cert_file: server.pem, key_file: server.key}\n")
	served := func() *x509.Certificate {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: p.server.Pool(), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0]
	}
	if got := served(); !got.Equal(p.server.Leaf.Cert) {
		t.Fatalf("serves %v, want the first leaf", got.SerialNumber)
	}
	touch := func(at time.Time) {
		for _, f := range []string{"server.pem", "server.key"} {
			if err := os.Chtimes(filepath.Join(p.dir, f), at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	renewed := p.server.Intermediate.Leaf(t, testpki.LeafOptions{})
	p.write(t, "server.pem", string(testpki.CertsPEM(renewed.DER, p.server.Intermediate.DER)))
	touch(time.Now().Add(time.Minute))
	// The key is still the old one: the pair does not load.
	if got := served(); !got.Equal(p.server.Leaf.Cert) {
		t.Errorf("half-written renewal: serves %v, want the last good leaf", got.SerialNumber)
	}
	p.write(t, "server.key", string(renewed.KeyPEM(t)))
	touch(time.Now().Add(2 * time.Minute))
	if got := served(); !got.Equal(renewed.Cert) {
		t.Errorf("after the renewal: serves %v, want the renewed leaf %v", got.SerialNumber, renewed.Cert.SerialNumber)
	}
}

func TestLoadWebConfig(t *testing.T) {
	p := newWebPKI(t)
	w, err := LoadWebConfig(p.write(t, "web.yml", fmt.Sprintf(`tls_server_config:
  cert_file: server.pem
  key_file: %s
  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: client-ca.pem
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: true
http_server_config:
  http2: false
basic_auth_users:
  prometheus: %s
`, filepath.Join(p.dir, "server.key"), p.hash)))
	if err != nil {
		t.Fatal(err)
	}
	if w.TLS == nil || w.TLS.CertFile != filepath.Join(p.dir, "server.pem") || w.TLS.ClientAuth != tls.VerifyClientCertIfGiven ||
		w.TLS.ClientCAs == nil || w.TLS.MinVersion != tls.VersionTLS12 || len(w.TLS.CipherSuites) != 1 || w.HTTP2 ||
		w.Users["prometheus"] != p.hash {
		t.Errorf("web config: %+v, TLS %+v", w, w.TLS)
	}
	// An empty file: plain HTTP, no authentication.
	if w, err := LoadWebConfig(p.write(t, "empty.yml", "")); err != nil || w.TLS != nil || len(w.Users) != 0 {
		t.Errorf("empty file: %+v, %v", w, err)
	}
}

func TestLoadWebConfigErrors(t *testing.T) {
	p := newWebPKI(t)
	tlsCfg := "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
	for _, tt := range []struct {
		name, config, want string
		hint               bool
	}{
		{"missing key file", "tls_server_config:\n  cert_file: server.pem\n  key_file: none.key\n",
			"line 3: key_file " + filepath.Join(p.dir, "none.key") + ": no such file", true},
		{"key of another certificate", "tls_server_config:\n  cert_file: server.pem\n  key_file: client-ca.pem\n",
			"line 2: cert_file", true},
		{"no key_file", "tls_server_config:\n  cert_file: server.pem\n", "needs cert_file and key_file", false},
		{"unknown key", "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  client_auth: RequireAndVerifyClientCert\n",
			`line 4: unknown key "client_auth"`, false},
		{"unknown top key", "basic_auth:\n  u: x\n", `line 1: unknown key "basic_auth"`, false},
		{"bad hash", "basic_auth_users:\n  prometheus: s3cret\n", `line 2: user "prometheus": the password is not a bcrypt hash`, true},
		{"costly hash", "basic_auth_users:\n  p: $2y$17$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n", "bcrypt cost 17 is above 16", true},
		{"colon in user", "basic_auth_users:\n  'a:b': " + p.hash + "\n", `cannot hold ':'`, false},
		{"unknown client_auth_type", tlsCfg + "  client_auth_type: RequireClientCert\n", `line 4: invalid client_auth_type "RequireClientCert"`, false},
		{"verify without CA", tlsCfg + "  client_auth_type: RequireAndVerifyClientCert\n", "line 4: client_auth_type RequireAndVerifyClientCert needs client_ca_file", false},
		{"CA without auth type", tlsCfg + "  client_ca_file: client-ca.pem\n", "line 4: client_ca_file without a client_auth_type", true},
		{"CA not PEM", tlsCfg + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: web.yml\n", "no PEM certificate", false},
		{"TLS 1.0", tlsCfg + "  min_version: TLS10\n", `line 4: invalid min_version "TLS10" (use TLS12 or TLS13)`, false},
		{"min above max", tlsCfg + "  min_version: TLS13\n  max_version: TLS12\n", "min_version is above max_version", false},
		{"insecure suite", tlsCfg + "  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n", `line 4: unknown or insecure cipher suite "TLS_RSA_WITH_RC4_128_SHA"`, true},
		{"inline cert", "tls_server_config:\n  cert: abc\n", "line 2: tls_server_config.cert is not supported by wacheck serve", false},
		{"rate limit", "rate_limit: {interval: 1s, burst: 2}\n", "line 1: rate_limit is not supported", false},
		{"bad header", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n", `line 3: headers.X-Frame-Options: invalid value "allow"`, false},
		{"unknown header", "http_server_config:\n  headers:\n    Set-Cookie: a\n", `line 3: unknown header "Set-Cookie"`, false},
		{"two documents", tlsCfg + "---\na: 1\n", "more than one YAML document", false},
		{"oversize", "basic_auth_users:\n" + strings.Repeat("# padding\n", maxWebConfigSize/10+1), "larger than 64 KiB", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadWebConfig(p.write(t, "web.yml", tt.config))
			var we *ConfigError
			if !errors.As(err, &we) || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v, want one line with %q", err, tt.want)
			}
			if (we.Hint != "") != tt.hint {
				t.Errorf("hint %q, want one: %v", we.Hint, tt.hint)
			}
		})
	}
	// Not a regular file.
	if _, err := LoadWebConfig(p.dir); err == nil || !strings.Contains(err.Error(), "a directory") {
		t.Errorf("a directory: %v", err)
	}
}

// TestShippedWebConfigLoads: docs/prometheus/web.yml, beside a certificate
// and key of the names it gives, loads, and its user's password is the one
// its comment says.
func TestShippedWebConfigLoads(t *testing.T) {
	p := newWebPKI(t)
	data, err := os.ReadFile("../../docs/prometheus/web.yml")
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, "wacheck.crt", string(testpki.CertsPEM(p.server.Leaf.DER, p.server.Intermediate.DER)))
	p.write(t, "wacheck.key", string(p.server.Leaf.KeyPEM(t)))
	w, err := LoadWebConfig(p.write(t, "web.yml", string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if w.TLS == nil || len(w.Users) != 1 {
		t.Fatalf("web.yml: TLS %v, users %v; want TLS and one user", w.TLS, w.Users)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(w.Users["prometheus"]), []byte("change-this-password")); err != nil {
		t.Errorf("web.yml's user prometheus: %v", err)
	}
}
