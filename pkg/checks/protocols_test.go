package checks

import (
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

func b(v bool) *bool { return &v }

func suite(t *testing.T, id uint16) tlshello.Cipher {
	t.Helper()
	s, ok := tlshello.LookupSuite(id)
	if !ok {
		t.Fatalf("suite %#04x not in the registry", id)
	}
	return tlshello.Cipher{ID: id, Name: s.Name, OpenSSLName: s.OpenSSLName, Grade: s.Grade}
}

func TestProtocolAndCipherChecks(t *testing.T) {
	c := testpki.NewChain(t, now)
	var (
		ecdheGCM = suite(t, 0xC02F) // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: recommended, Meta's
		ecdheCBC = suite(t, 0xC013) // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: weak
		rc4      = suite(t, 0x0005) // TLS_RSA_WITH_RC4_128_SHA: insecure
		dheGCM   = suite(t, 0x009E) // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: not Meta's
		aes128   = suite(t, 0x1301)
	)
	no := func(v uint16, name, reason string) tlshello.Protocol {
		return tlshello.Protocol{Version: v, Name: name, Offered: b(false), Reason: reason}
	}
	yes := func(v uint16, name string, order *bool, cs ...tlshello.Cipher) tlshello.Protocol {
		return tlshello.Protocol{Version: v, Name: name, Offered: b(true), Ciphers: cs, ServerOrder: order}
	}
	unknown := func(v uint16, name string) tlshello.Protocol {
		return tlshello.Protocol{Version: v, Name: name, Reason: "timeout"}
	}
	modern := []tlshello.Protocol{
		no(tlshello.VersionSSL30, "SSLv3", "handshake_failure alert"), no(tlshello.VersionTLS10, "TLS 1.0", "protocol_version alert"),
		no(tlshello.VersionTLS11, "TLS 1.1", "protocol_version alert"),
		yes(tlshello.VersionTLS12, "TLS 1.2", b(true), ecdheGCM), yes(tlshello.VersionTLS13, "TLS 1.3", nil, aes128),
	}
	// The strict handshake in each case agrees with the enumeration: TLS
	// 1.3 where it is offered, TLS 1.2 where only it is, failed where
	// neither is or the enumeration could not tell.
	tests := []struct {
		name      string
		protocols []tlshello.Protocol
		scanErr   *probe.NetError
		wants     []want
	}{
		{"modern", modern, nil, []want{
			{"protocol.modern", report.Pass, []string{"TLS 1.2 and TLS 1.3"}},
			{"protocol.tls13", report.Pass, nil},
			{"protocol.legacy", report.Pass, nil},
			{"cipher.weak", report.Pass, nil},
			{"cipher.insecure", report.Pass, nil},
			{"cipher.sender", report.Pass, []string{"2 suite(s) in common with Meta", "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}},
			{"cipher.order", report.Pass, []string{"own order"}},
		}},
		{"legacy and weak", []tlshello.Protocol{
			no(tlshello.VersionSSL30, "SSLv3", "handshake_failure alert"),
			yes(tlshello.VersionTLS10, "TLS 1.0", b(false), ecdheCBC, rc4), yes(tlshello.VersionTLS11, "TLS 1.1", b(false), ecdheCBC),
			yes(tlshello.VersionTLS12, "TLS 1.2", b(false), ecdheGCM, ecdheCBC, rc4), no(tlshello.VersionTLS13, "TLS 1.3", "protocol_version alert"),
		}, nil, []want{
			{"protocol.legacy", report.Warn, []string{"TLS 1.0 and TLS 1.1 accepted"}},
			{"protocol.tls13", report.Warn, []string{"not offered", "protocol_version alert"}},
			{"protocol.modern", report.Pass, []string{"TLS 1.2 offered"}},
			{"cipher.weak", report.Warn, []string{"1 weak", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (TLS 1.0, TLS 1.1, TLS 1.2)"}},
			{"cipher.insecure", report.Fail, []string{"TLS_RSA_WITH_RC4_128_SHA (TLS 1.0, TLS 1.2)"}},
			{"cipher.order", report.Info, []string{"does not enforce"}},
		}},
		{"SSLv3", []tlshello.Protocol{yes(tlshello.VersionSSL30, "SSLv3", nil, rc4), yes(tlshello.VersionTLS10, "TLS 1.0", nil, rc4),
			no(tlshello.VersionTLS11, "TLS 1.1", "x"), no(tlshello.VersionTLS12, "TLS 1.2", "x"), no(tlshello.VersionTLS13, "TLS 1.3", "x")}, nil, []want{
			{"protocol.legacy", report.Fail, []string{"SSLv3 is accepted", "also TLS 1.0"}},
			{"protocol.modern", report.Fail, []string{"neither TLS 1.2 nor TLS 1.3"}},
			{"cipher.sender", report.Fail, []string{"no cipher suite in common", "TLS_AES_128_GCM_SHA256"}},
			{"cipher.order", report.Skip, []string{"not offered"}},
		}},
		{"nothing in common with the sender", []tlshello.Protocol{no(tlshello.VersionSSL30, "SSLv3", "x"), no(tlshello.VersionTLS10, "TLS 1.0", "x"),
			no(tlshello.VersionTLS11, "TLS 1.1", "x"), yes(tlshello.VersionTLS12, "TLS 1.2", b(true), dheGCM), no(tlshello.VersionTLS13, "TLS 1.3", "x")}, nil, []want{
			{"cipher.sender", report.Fail, []string{"no cipher suite in common with Meta"}},
		}},
		{"could not tell", []tlshello.Protocol{unknown(tlshello.VersionSSL30, "SSLv3"), unknown(tlshello.VersionTLS10, "TLS 1.0"),
			unknown(tlshello.VersionTLS11, "TLS 1.1"), unknown(tlshello.VersionTLS12, "TLS 1.2"), unknown(tlshello.VersionTLS13, "TLS 1.3")},
			&probe.NetError{Kind: probe.ErrTimeout, Msg: "context deadline exceeded"}, []want{
				{"protocol.modern", report.Skip, nil},
				{"protocol.tls13", report.Skip, []string{"timeout"}},
				{"protocol.legacy", report.Skip, []string{"could not tell"}},
				{"cipher.sender", report.Skip, []string{"cut short"}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
			ev.Endpoints[0].Scan = &tlshello.Result{Protocols: tt.protocols}
			ev.Endpoints[0].ScanErr = tt.scanErr
			agreeWithScan(ev, tt.protocols)
			expect(t, evaluate(ev, roots(c.Root)), tt.wants...)
		})
	}
}

func TestProtocolChecksSkipWithoutScan(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
	expect(t, evaluate(ev, roots(c.Root)),
		want{"protocol.modern", report.Skip, []string{"--enumerate=false"}},
		want{"cipher.weak", report.Skip, []string{"not enumerated"}})
	failHandshake(ev, probe.ErrPlainHTTP, 0)
	expect(t, evaluate(ev, roots(c.Root)), want{"protocol.tls13", report.Skip, []string{"does not speak TLS"}})
}

func TestCertificatesFromTheEnumeration(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := healthyEvidence(t, nil, nil)
	failHandshake(ev, probe.ErrNoCommon, 40)
	ev.Endpoints[0].Scan = &tlshello.Result{Certificates: [][]byte{c.Leaf.DER}}
	expect(t, evaluate(ev, roots(c.Root)),
		want{"chain.complete", report.Fail, []string{"did not send the certificate", "enumeration's TLS 1.0-1.2 reply"}},
		want{"cert.hostname", report.Pass, []string{"localhost"}},
		want{"ocsp.stapled", report.Skip, []string{"no staple was read"}},
		want{"tls.sni", report.Skip, []string{"strict handshake failed"}},
		want{"tls.handshake", report.Fail, []string{"no TLS 1.2+ protocol or cipher in common", "enumeration found no protocol"}})
	ev.Endpoints[0].Scan.Protocols = []tlshello.Protocol{{Version: tlshello.VersionTLS10, Name: "TLS 1.0", Offered: b(true),
		Ciphers: []tlshello.Cipher{suite(t, 0x002F)}}}
	expect(t, evaluate(ev, roots(c.Root)),
		want{"tls.handshake", report.Fail, []string{"the server accepts TLS 1.0 (1 suite(s): TLS_RSA_WITH_AES_128_CBC_SHA)"}})
}

// agreeWithScan makes the strict handshake agree with the enumeration:
// TLS 1.3 when it found TLS 1.3, TLS 1.2 with a sender's suite when it found
// one there, failed otherwise.
func agreeWithScan(ev *probe.Evidence, protocols []tlshello.Protocol) {
	hs := ev.Endpoints[0].Handshake
	for _, p := range protocols {
		if p.Version == tlshello.VersionTLS13 && isTrue(p.Offered) {
			return
		}
	}
	for _, p := range protocols {
		if p.Version == tlshello.VersionTLS12 && isTrue(p.Offered) {
			for _, c := range p.Ciphers {
				if c.ID == 0xC02F {
					hs.Version, hs.CipherSuite = tlshello.VersionTLS12, c.ID
					return
				}
			}
		}
	}
	failHandshake(ev, probe.ErrNoCommon, 40)
}

// TestHandshakeOverrulesTheEnumeration: when the hand-built hellos got
// resets or odd replies while the strict handshake completed with TLS 1.3,
// the report never says TLS 1.2 and 1.3 are not offered, and no cipher pass
// rests on a scan that could not tell.
func TestHandshakeOverrulesTheEnumeration(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil) // TLS 1.3, TLS_AES_128_GCM_SHA256
	reset := func(v uint16, name string) tlshello.Protocol {
		return tlshello.Protocol{Version: v, Name: name, Reason: "connection reset", Errors: []string{"reset"}}
	}
	closed := func(v uint16, name string) tlshello.Protocol {
		return tlshello.Protocol{Version: v, Name: name, Offered: b(false), Reason: "closed without an alert"}
	}
	ev.Endpoints[0].Scan = &tlshello.Result{Protocols: []tlshello.Protocol{
		closed(tlshello.VersionSSL30, "SSLv3"), closed(tlshello.VersionTLS10, "TLS 1.0"), closed(tlshello.VersionTLS11, "TLS 1.1"),
		reset(tlshello.VersionTLS12, "TLS 1.2"), closed(tlshello.VersionTLS13, "TLS 1.3"),
	}}
	got := evaluate(ev, roots(c.Root))
	expect(t, got,
		want{"tls.handshake", report.Pass, []string{"TLS 1.3"}},
		want{"protocol.modern", report.Pass, []string{"TLS 1.3 offered", "the strict handshake negotiated it", "closed without an alert"}},
		want{"protocol.tls13", report.Pass, []string{"strict handshake negotiated it"}},
		want{"cipher.sender", report.Pass, []string{"negotiated TLS_AES_128_GCM_SHA256"}},
	)
	for _, r := range got {
		if r.Category() == "protocol" || r.Category() == "cipher" {
			if r.Status == report.Fail {
				t.Errorf("%s fails on an enumeration the handshake contradicts: %s", r.ID, r.Detail)
			}
		}
	}

	// Probes that got no usable answer in an offered version: no pass on
	// the cipher lists, which may be incomplete.
	ev.Endpoints[0].Scan.Protocols[4] = tlshello.Protocol{Version: tlshello.VersionTLS13, Name: "TLS 1.3", Offered: b(true),
		Ciphers: []tlshello.Cipher{suite(t, 0x1301)}, Errors: []string{"TLS_AES_256_GCM_SHA384: connection reset"}}
	expect(t, evaluate(ev, roots(c.Root)),
		want{"cipher.insecure", report.Skip, []string{"could not tell", "1 TLS 1.3 probe(s) got no usable answer"}},
		want{"cipher.weak", report.Skip, []string{"could not tell"}})

	// A scan cut short: no pass either, though facts found stand.
	ev.Endpoints[0].Scan.Protocols[4].Errors = nil
	ev.Endpoints[0].ScanErr = &probe.NetError{Kind: probe.ErrTimeout, Msg: "the time budget ran out"}
	expect(t, evaluate(ev, roots(c.Root)),
		want{"cipher.insecure", report.Skip, []string{"cut short: the time budget ran out"}},
		want{"protocol.legacy", report.Pass, nil}) // refusals seen before the cut are facts

	// Every hello reset (integration/couldnottell_test.go shows it against
	// nginx): the strict handshake's facts stand, nothing else passes.
	ev.Endpoints[0].ScanErr = nil
	for i, p := range ev.Endpoints[0].Scan.Protocols {
		ev.Endpoints[0].Scan.Protocols[i] = tlshello.Protocol{Version: p.Version, Name: p.Name, Reason: "connection reset"}
	}
	expect(t, evaluate(ev, roots(c.Root)),
		want{"protocol.tls13", report.Pass, []string{"strict handshake negotiated it"}},
		want{"cipher.sender", report.Pass, []string{"negotiated TLS_AES_128_GCM_SHA256"}},
		want{"protocol.legacy", report.Skip, []string{"could not tell", "connection reset"}},
		want{"cipher.weak", report.Skip, []string{"could not tell", "no usable answer for any version", "TLS 1.3 (connection reset)"}},
		want{"cipher.insecure", report.Skip, []string{"could not tell", "connection reset"}},
		want{"cipher.dh", report.Skip, []string{"could not tell", "connection reset"}},
		want{"cipher.order", report.Skip, []string{"could not tell", "TLS 1.2 hello got connection reset"}})

	// TLS 1.2 refused, TLS 1.3's own hello reset: TLS 1.3's suites were
	// not enumerated.
	ev.Endpoints[0].Scan.Protocols[3] = closed(tlshello.VersionTLS12, "TLS 1.2")
	expect(t, evaluate(ev, roots(c.Root)),
		want{"cipher.weak", report.Skip, []string{"could not tell", "the TLS 1.3 suites were not enumerated (its hello got connection reset)"}},
		want{"cipher.order", report.Skip, []string{"TLS 1.2 is not offered"}})
}
