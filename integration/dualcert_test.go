//go:build linux

package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// dualBlock is one server block of testdata/nginx-dualcert.conf.tmpl.
type dualBlock struct {
	Name       string
	Site       *site
	Certs      []dualCert
	Resumption bool // a shared session cache and tickets; neither when false
}

type dualCert struct{ Cert, Key string }

// TestNginxTwoCertificates: nginx with two ssl_certificate lines (issue 9,
// item 10) serves its ECDSA chain, complete, to the strict handshake and its
// RSA chain, without the intermediate, to a client offering only ECDHE-RSA
// suites: chain.complete warns for the RSA chain alone, naming the key type
// (the sender's own handshake got the complete ECDSA chain).
// A second server block, without session cache or tickets, is
// tls.resumption's warning (item 11); the first resumes.
func TestNginxTwoCertificates(t *testing.T) {
	nginx := requireBinary(t, "nginx")
	now := time.Now()
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	inter := root.Intermediate(t, testpki.CAOptions{Now: now})
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootFile := write("root.pem", root.PEM())
	leaf := func(kt testpki.KeyType) *testpki.Leaf {
		// No OCSP responder named, so no staple is expected (nginx's
		// ssl_stapling_file would staple one response to both leaves).
		return inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, KeyType: kt})
	}
	ec, rsa := leaf(testpki.ECDSAP256), leaf(testpki.RSA2048)
	certs := []dualCert{
		{write("ec.pem", testpki.CertsPEM(ec.DER, inter.DER)), write("ec.key", ec.KeyPEM(t))},
		{write("rsa.pem", testpki.CertsPEM(rsa.DER)), write("rsa.key", rsa.KeyPEM(t))}, // no intermediate
	}
	blocks := []dualBlock{
		{Name: "two certificates", Site: &site{Name: "dual"}, Certs: certs, Resumption: true},
		{Name: "no resumption", Site: &site{Name: "noresume"}, Certs: certs[:1]},
	}
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	startServer(t, serverSpec{name: "nginx", dir: dir, sites: []*site{blocks[0].Site, blocks[1].Site},
		configure: func() ([]string, []string) {
			renderTemplate(t, "nginx-dualcert.conf.tmpl", conf, struct {
				Dir           string
				Blocks        []dualBlock
				ModernCiphers string
			}{dir, blocks, modernCiphers})
			return []string{nginx, "-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, []string{errorLog}
		}})

	type checkResult struct {
		ID, Status, Detail string
		KeyType            string `json:"key_type"`
	}
	probe := func(t *testing.T, b dualBlock) ([]checkResult, map[string]json.RawMessage) {
		res := runWacheck(t, b.Site.Port, rootFile)
		var r struct {
			Checks    []checkResult                `json:"checks"`
			Addresses []map[string]json.RawMessage `json:"addresses"`
		}
		if err := json.Unmarshal(res.stdout, &r); err != nil || len(r.Addresses) != 1 {
			t.Fatalf("report: %v\n%s", err, res)
		}
		return r.Checks, r.Addresses[0]
	}
	// allowedOnly fails on any warning or failure outside allowed
	// (id[/key type] to status), and on an allowed one missing.
	allowedOnly := func(t *testing.T, checks []checkResult, allowed map[string]string) {
		seen := map[string]bool{}
		for _, c := range checks {
			key := c.ID
			if c.KeyType != "" {
				key += "/" + c.KeyType
			}
			if c.Status == "fail" || c.Status == "warn" {
				if allowed[key] != c.Status {
					t.Errorf("%s %s: %s", key, c.Status, c.Detail)
				}
				seen[key] = true
			}
		}
		for k := range allowed {
			if !seen[k] {
				t.Errorf("%s did not %s", k, allowed[k])
			}
		}
	}

	t.Run("two certificates", func(t *testing.T) {
		checks, addr := probe(t, blocks[0])
		// Which chain the strict handshake gets is OpenSSL's choice (with
		// Go's TLS 1.3 signature algorithms, RSA-PSS first: the RSA one);
		// the other is the key-type handshake's. Either way the RSA chain,
		// and only it, is incomplete, and the finding names RSA.
		var kt []struct {
			KeyType      string            `json:"key_type"`
			Certificates []json.RawMessage `json:"certificates"`
		}
		if err := json.Unmarshal(addr["key_type_chains"], &kt); err != nil || len(kt) != 1 {
			t.Fatalf("key_type_chains = %s, want one", addr["key_type_chains"])
		}
		allowed := map[string]string{"connect.port": "warn"}
		switch kt[0].KeyType {
		case "RSA":
			// Meta's handshake got the complete ECDSA chain: a risk, not a failure.
			allowed["chain.complete/RSA"] = "warn"
			if len(kt[0].Certificates) != 1 {
				t.Errorf("the RSA chain has %d certificates, want the leaf alone", len(kt[0].Certificates))
			}
		case "ECDSA":
			allowed["chain.complete"] = "fail"
			if len(kt[0].Certificates) != 2 {
				t.Errorf("the ECDSA chain has %d certificates, want leaf and intermediate", len(kt[0].Certificates))
			}
		default:
			t.Fatalf("key_type_chains[0].key_type = %q", kt[0].KeyType)
		}
		allowedOnly(t, checks, allowed)
		for _, c := range checks {
			if c.ID == "chain.complete" && c.Status != "pass" && kt[0].KeyType == "RSA" && !strings.HasPrefix(c.Detail, "RSA chain") {
				t.Errorf("chain.complete does not name the RSA chain: %q", c.Detail)
			}
			if c.ID == "tls.resumption" && c.Status != "pass" {
				t.Errorf("tls.resumption = %s: %s (ssl_session_cache and tickets are on)", c.Status, c.Detail)
			}
		}
	})

	t.Run("no session cache, no tickets", func(t *testing.T) {
		checks, addr := probe(t, blocks[1])
		allowedOnly(t, checks, map[string]string{"connect.port": "warn", "tls.resumption": "warn"})
		for _, c := range checks {
			if c.ID == "tls.resumption" && !strings.Contains(c.Detail, "TLS 1.3 sessions are not resumed") {
				t.Errorf("tls.resumption detail = %q", c.Detail)
			}
		}
		if _, ok := addr["key_type_chains"]; ok {
			t.Errorf("key_type_chains = %s with one certificate", addr["key_type_chains"])
		}
	})
}
