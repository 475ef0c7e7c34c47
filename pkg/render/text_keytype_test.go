package render

import (
	"strings"
	"testing"

	"github.com/wacheck/wacheck/internal/reportcheck"
)

const keyTypeHeading = "RSA chain, for clients offering only RSA suites"

// TestKeyTypeChainTables: with -v, a server that serves an RSA chain
// besides its ECDSA one (the dual-key sample, probed on loopback) gets a
// short table of that chain, which shows the leaf served alone that
// chain.complete fails for the RSA chain; without -v, and for the reports
// with one chain, there is none.
func TestKeyTypeChainTables(t *testing.T) {
	for _, s := range samples(t) {
		verbose := string(renderText(t, s.r, TextOptions{Verbose: true, Width: 80}))
		plain := string(renderText(t, s.r, TextOptions{Width: 80}))
		if strings.Contains(plain, "chain, for clients offering only") {
			t.Errorf("%s: a key-type chain table outside verbose mode", s.name)
		}
		has := false
		for _, a := range s.r.Addresses {
			has = has || len(a.KeyTypeChains) > 0
		}
		if s.name == "dual-key" && !has {
			t.Fatal("dual-key: the probe found no second chain (addresses[].key_type_chains)")
		}
		if !has {
			if strings.Contains(verbose, "chain, for clients offering only") {
				t.Errorf("%s: a key-type chain table without key_type_chains", s.name)
			}
			continue
		}
		i := strings.Index(verbose, keyTypeHeading)
		if i < 0 {
			t.Fatalf("%s: no table of the RSA chain in:\n%s", s.name, verbose)
		}
		if err := reportcheck.TextWidth([]byte(verbose), 80); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		table := verbose[i:]
		table = table[:strings.Index(table, "\n\n")]
		if !strings.Contains(table, "(1 certificate, leaf first;") || !strings.Contains(table, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)") ||
			strings.Count(table, "│ pay.example.com ") != 1 || strings.Contains(table, "│ Example TLS Issuing CA G2 │ Example Root CA R1") {
			t.Errorf("%s: the RSA chain's table is not the leaf alone:\n%s", s.name, table)
		}
		// The main chain's table comes first, with the intermediate.
		if j := strings.Index(verbose, "Chain (2 certificates, leaf first)"); j < 0 || j > i {
			t.Errorf("%s: the strict handshake's chain is not shown before the RSA chain", s.name)
		}

		// Two addresses serving the same RSA chain: one table, naming both.
		r := sampleNamed(t, s.name)
		second := r.Addresses[0]
		second.Address = "203.0.113.41"
		r.Addresses = append(r.Addresses, second)
		two := string(renderText(t, r, TextOptions{Verbose: true, Width: 80}))
		if n := strings.Count(two, keyTypeHeading); n != 1 || !strings.Contains(two, "served by all 2 addresses)") {
			t.Errorf("%s with two addresses: %d RSA tables, or they are not named:\n%s", s.name, n, two)
		}
	}
}
