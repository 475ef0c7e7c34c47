//go:build linux

package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// roundTripBlock is one server block of testdata/nginx-roundtrips.conf.tmpl.
type roundTripBlock struct {
	Name      string
	Site      *site
	Cert, Key string
	Curves    string // ssl_ecdh_curve; nginx's default when empty
}

// TestNginxExtraRoundTrips (issue 9, item 7): nginx with `ssl_ecdh_curve
// secp384r1` answers the sender's X25519MLKEM768 + X25519 key shares with a
// HelloRetryRequest (tls.hrr warns, naming secp384r1); nginx serving an RSA
// 4096 chain whose leaf has 600 names sends a first flight over 14,600
// bytes (tls.flight warns); the same nginx with a plain chain and its
// default groups passes both. Nothing else warns or fails but the test port.
func TestNginxExtraRoundTrips(t *testing.T) {
	nginx := requireBinary(t, "nginx")
	now := time.Now()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	inter := root.Intermediate(t, testpki.CAOptions{Now: now})
	bigRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA4096, CommonName: "wacheck big root"})
	bigInter := bigRoot.Intermediate(t, testpki.CAOptions{Now: now, KeyType: testpki.RSA4096})
	rootFile := write("roots.pem", append(root.PEM(), bigRoot.PEM()...))

	plain := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	names := []string{"localhost"}
	for i := range 600 {
		names = append(names, fmt.Sprintf("service-%04d.tenants.example.com", i))
	}
	big := bigInter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: names})
	plainCert, plainKey := write("plain.pem", testpki.CertsPEM(plain.DER, inter.DER)), write("plain.key", plain.KeyPEM(t))
	blocks := []roundTripBlock{
		{Name: "defaults", Site: &site{Name: "defaults"}, Cert: plainCert, Key: plainKey},
		{Name: "secp384r1 only", Site: &site{Name: "p384"}, Cert: plainCert, Key: plainKey, Curves: "secp384r1"},
		{Name: "big flight", Site: &site{Name: "bigflight"}, Cert: write("big.pem", testpki.CertsPEM(big.DER, bigInter.DER)),
			Key: write("big.key", big.KeyPEM(t))},
	}
	conf := filepath.Join(dir, "nginx.conf")
	errorLog := filepath.Join(dir, "error.log")
	startServer(t, serverSpec{name: "nginx", dir: dir, sites: []*site{blocks[0].Site, blocks[1].Site, blocks[2].Site},
		configure: func() ([]string, []string) {
			renderTemplate(t, "nginx-roundtrips.conf.tmpl", conf, struct {
				Dir           string
				Blocks        []roundTripBlock
				ModernCiphers string
			}{dir, blocks, modernCiphers})
			return []string{nginx, "-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, []string{errorLog}
		}})

	type checkResult struct{ ID, Status, Detail string }
	probe := func(t *testing.T, b roundTripBlock, allowed map[string]string) ([]checkResult, map[string]json.RawMessage) {
		res := runWacheck(t, b.Site.Port, rootFile)
		var r struct {
			Checks    []checkResult                `json:"checks"`
			Addresses []map[string]json.RawMessage `json:"addresses"`
		}
		if err := json.Unmarshal(res.stdout, &r); err != nil || len(r.Addresses) != 1 {
			t.Fatalf("report: %v\n%s", err, res)
		}
		seen := map[string]bool{}
		for _, c := range r.Checks {
			if c.Status == "fail" || c.Status == "warn" {
				if allowed[c.ID] != c.Status {
					t.Errorf("%s %s: %s", c.ID, c.Status, c.Detail)
				}
				seen[c.ID] = true
			}
		}
		for id := range allowed {
			if !seen[id] {
				t.Errorf("%s did not %s", id, allowed[id])
			}
		}
		return r.Checks, r.Addresses[0]
	}
	detail := func(checks []checkResult, id string) (string, string) {
		for _, c := range checks {
			if c.ID == id {
				return c.Status, c.Detail
			}
		}
		return "missing", ""
	}
	var tlsFacts struct {
		HelloRetryGroup string `json:"hello_retry_group"`
		FlightBytes     int    `json:"flight_bytes"`
	}

	t.Run("defaults", func(t *testing.T) {
		checks, addr := probe(t, blocks[0], map[string]string{"connect.port": "warn"})
		for _, id := range []string{"tls.hrr", "tls.flight"} {
			if st, d := detail(checks, id); st != "pass" {
				t.Errorf("%s = %s: %s", id, st, d)
			}
		}
		if err := json.Unmarshal(addr["tls"], &tlsFacts); err != nil || tlsFacts.FlightBytes <= 0 || tlsFacts.FlightBytes > 14600 ||
			tlsFacts.HelloRetryGroup != "" {
			t.Errorf("tls = %s (%v)", addr["tls"], err)
		}
	})

	t.Run("ssl_ecdh_curve secp384r1", func(t *testing.T) {
		checks, addr := probe(t, blocks[1], map[string]string{"connect.port": "warn", "tls.hrr": "warn"})
		if _, d := detail(checks, "tls.hrr"); !strings.Contains(d, "HelloRetryRequest for secp384r1") {
			t.Errorf("tls.hrr detail = %q", d)
		}
		if err := json.Unmarshal(addr["tls"], &tlsFacts); err != nil || tlsFacts.HelloRetryGroup != "secp384r1" {
			t.Errorf("tls = %s (%v)", addr["tls"], err)
		}
	})

	t.Run("RSA 4096 chain with 601 names", func(t *testing.T) {
		// cert.key says (info) that RSA 4096 is slow; it neither warns nor
		// fails.
		checks, addr := probe(t, blocks[2], map[string]string{"connect.port": "warn", "tls.flight": "warn"})
		_, d := detail(checks, "tls.flight")
		for _, w := range []string{"601 subject alternative names", "RSA 4096", "more than a 10-segment"} {
			if !strings.Contains(d, w) {
				t.Errorf("tls.flight detail lacks %q: %q", w, d)
			}
		}
		if err := json.Unmarshal(addr["tls"], &tlsFacts); err != nil || tlsFacts.FlightBytes <= 14600 {
			t.Errorf("tls = %s (%v)", addr["tls"], err)
		}
	})
}
