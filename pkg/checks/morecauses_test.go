package checks

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

func yes() *bool { b := true; return &b }

func TestCipherDH(t *testing.T) {
	dhe := tlshello.Cipher{Name: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}
	ecdhe := tlshello.Cipher{Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
	tests := []struct {
		name   string
		scan   subject.Scan
		status report.Status
		detail string
	}{
		{"512-bit prime", subject.Scan{Result: &tlshello.Result{Protocols: []tlshello.Protocol{
			{Version: tls.VersionTLS12, Name: "TLS 1.2", Offered: yes(), Ciphers: []tlshello.Cipher{dhe}, DHBits: 512}}}},
			report.Fail, "512-bit DH prime (TLS 1.2)"},
		{"1024-bit prime", subject.Scan{Result: &tlshello.Result{Protocols: []tlshello.Protocol{
			{Version: tls.VersionTLS11, Name: "TLS 1.1", Offered: yes(), Ciphers: []tlshello.Cipher{dhe}, DHBits: 2048},
			{Version: tls.VersionTLS12, Name: "TLS 1.2", Offered: yes(), Ciphers: []tlshello.Cipher{dhe}, DHBits: 1024}}}},
			report.Warn, "1024-bit DH prime (TLS 1.1, TLS 1.2)"},
		{"2048-bit prime", subject.Scan{Result: &tlshello.Result{Protocols: []tlshello.Protocol{
			{Version: tls.VersionTLS12, Name: "TLS 1.2", Offered: yes(), Ciphers: []tlshello.Cipher{dhe}, DHBits: 2048}}}},
			report.Pass, "2048-bit"},
		{"no DHE", subject.Scan{Result: &tlshello.Result{Protocols: []tlshello.Protocol{
			{Version: tls.VersionTLS12, Name: "TLS 1.2", Offered: yes(), Ciphers: []tlshello.Cipher{ecdhe}}}}},
			report.Pass, "no DHE suite accepted"},
		{"DHE, size unread", subject.Scan{Result: &tlshello.Result{Protocols: []tlshello.Protocol{
			{Version: tls.VersionTLS12, Name: "TLS 1.2", Offered: yes(), Ciphers: []tlshello.Cipher{dhe}}}}},
			report.Skip, "not read"},
		{"cut short", subject.Scan{Result: &tlshello.Result{Protocols: []tlshello.Protocol{
			{Version: tls.VersionTLS12, Name: "TLS 1.2", Ciphers: []tlshello.Cipher{ecdhe}}}},
			Err: &probe.NetError{Kind: probe.ErrTimeout, Msg: "time limit"}},
			report.Skip, "could not tell"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := cipherDH(&Context{}, &State{Set: &subject.Set{Scan: &tt.scan}})
			if v.status != tt.status || !strings.Contains(v.detail, tt.detail) {
				t.Errorf("= %s %q, want %s with %q", v.status, v.detail, tt.status, tt.detail)
			}
			if (v.status == report.Warn || v.status == report.Fail) && !strings.Contains(v.remediation, "ssl_dhparam") {
				t.Errorf("remediation %q names no directive", v.remediation)
			}
		})
	}
}

func TestTLSResumption(t *testing.T) {
	start := now
	tests := []struct {
		name   string
		hs     subject.Handshake
		status report.Status
		detail string
	}{
		{"TLS 1.3 resumed", subject.Handshake{Resumption: &probe.Resumption{Version: tls.VersionTLS13, Ticket: true,
			Resumed: true, Start: start, End: start.Add(2 * time.Millisecond)}}, report.Pass, "TLS 1.3 PSK"},
		{"TLS 1.2 resumed", subject.Handshake{Resumption: &probe.Resumption{Version: tls.VersionTLS12, Ticket: true,
			Resumed: true, Start: start, End: start.Add(time.Millisecond)}}, report.Pass, "session ticket in 1 ms"},
		{"TLS 1.3 no ticket", subject.Handshake{Resumption: &probe.Resumption{Version: tls.VersionTLS13}},
			report.Warn, "no session ticket"},
		{"TLS 1.3 ticket refused", subject.Handshake{Resumption: &probe.Resumption{Version: tls.VersionTLS13, Ticket: true}},
			report.Warn, "did not accept it back"},
		{"TLS 1.2 no ticket", subject.Handshake{Resumption: &probe.Resumption{Version: tls.VersionTLS12}},
			report.Info, "session ID was not tried"},
		{"second connection failed", subject.Handshake{Resumption: &probe.Resumption{Version: tls.VersionTLS13,
			Err: &probe.NetError{Kind: probe.ErrReset, Msg: "connection reset by the server"}}}, report.Skip, "could not tell"},
		{"not tried", subject.Handshake{NoResumption: "resumption not tried: the server asks for a client certificate"},
			report.Skip, "client certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tlsResumption(&Context{}, &State{Set: &subject.Set{Handshake: &tt.hs}})
			if v.status != tt.status || !strings.Contains(v.detail, tt.detail) {
				t.Errorf("= %s %q, want %s with %q", v.status, v.detail, tt.status, tt.detail)
			}
			if (v.status == report.Warn || v.status == report.Info) && !strings.Contains(v.remediation, "ssl_session_cache") {
				t.Errorf("remediation %q names no directive", v.remediation)
			}
		})
	}
}

func TestChainSize(t *testing.T) {
	c := testpki.NewChain(t, now)
	small := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	if n, want := CertMessageSize(small), 8+5+len(c.Leaf.DER)+5+len(c.Intermediate.DER); n != want {
		t.Errorf("CertMessageSize = %d, want %d", n, want)
	}
	out := Run(Context{Now: now, Roots: roots(c.Root)}, []*subject.Set{{Chain: &subject.Chain{Certs: small, Name: "localhost"}}})
	got := map[string]report.Result{}
	for _, r := range out.Results {
		got[r.ID] = r
	}
	expect(t, got, want{"chain.size", report.Pass, []string{"KiB (2 certificate(s))"}})

	// 101 KiB of certificates (they need not parse to be counted).
	big := [][]byte{c.Leaf.DER, make([]byte, 101*1024)}
	v := chainSize(&Context{}, &State{Set: &subject.Set{Chain: &subject.Chain{Certs: big}}})
	if v.status != report.Fail || !strings.Contains(v.detail, "excessive message size") {
		t.Errorf("= %s %q", v.status, v.detail)
	}
}

// TestKeyTypeChainsAreJudged: a second chain (subject.KeyTypeSets) is judged
// by the chain checks, each result naming its key type, and the strict
// handshake's chain says there is another.
func TestKeyTypeChainsAreJudged(t *testing.T) {
	c := testpki.NewChain(t, now)
	rsa := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, KeyType: testpki.RSA2048})
	ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
	ep := &ev.Endpoints[0]
	ep.KeyTypes = []probe.KeyTypeHandshake{
		// Stopped once it got the strict handshake's chain: nothing more to judge.
		{KeyType: "ECDSA", Handshake: &probe.Handshake{Certificates: ep.Handshake.Certificates, Stopped: true}},
		{KeyType: "RSA", Handshake: &probe.Handshake{Certificates: [][]byte{rsa.DER},
			CipherSuite: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
	}
	sets := subject.FromProbe(ev)
	if n := len(sets); n != 3 {
		t.Fatalf("%d sets, want name, address and the RSA chain", n)
	}
	if a := sets[1].Chain.Alongside; len(a) != 1 || a[0] != "RSA" {
		t.Errorf("strict chain's Alongside = %v", a)
	}
	out := Run(Context{Now: now, Roots: roots(c.Root), Thresholds: DefaultThresholds()}, sets)
	var rsaComplete, strictComplete *report.Result
	for i, r := range out.Results {
		if r.ID != "chain.complete" {
			continue
		}
		if r.KeyType == "RSA" {
			rsaComplete = &out.Results[i]
		} else {
			strictComplete = &out.Results[i]
		}
	}
	// A warning: the sender's own handshake got the complete ECDSA chain.
	if rsaComplete == nil || rsaComplete.Status != report.Warn || !strings.HasPrefix(rsaComplete.Detail, "RSA chain") ||
		!strings.Contains(rsaComplete.Detail, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") ||
		!strings.Contains(rsaComplete.Detail, "A warning, not a failure") {
		t.Errorf("RSA chain.complete = %+v", rsaComplete)
	}
	if strictComplete == nil || strictComplete.Status != report.Pass ||
		!strings.HasPrefix(strictComplete.Detail, "ECDSA chain (the strict handshake's; the server also serves an RSA chain)") {
		t.Errorf("strict chain.complete = %+v", strictComplete)
	}
	// The RSA handshake not made (the enumeration found no RSA suite): no
	// second chain, and the strict one names none beside it.
	ep.KeyTypes[1] = probe.KeyTypeHandshake{KeyType: "RSA", Skipped: "not made: the enumeration found none of these suites accepted in TLS 1.2"}
	if sets := subject.FromProbe(ev); len(sets) != 2 || len(sets[1].Chain.Alongside) != 0 {
		t.Errorf("with the RSA handshake not made: %d sets, Alongside %v; want 2 and none", len(sets), sets[1].Chain.Alongside)
	}
}
