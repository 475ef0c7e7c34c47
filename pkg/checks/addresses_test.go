package checks

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
)

// twoAddresses is healthy evidence with a second address added by mod.
func twoAddresses(t *testing.T, certs [][]byte, addr string, mod func(ep *probe.Endpoint)) *probe.Evidence {
	ev := healthyEvidence(t, certs, nil)
	ep := ev.Endpoints[0]
	hs := *ep.Handshake
	ep.Handshake = &hs
	ep.Address = addr
	mod(&ep)
	ev.Endpoints = append(ev.Endpoints, ep)
	ev.DNS.Addresses = append(ev.DNS.Addresses, addr)
	return ev
}

func resultsFor(ev *probe.Evidence, c *testpki.Chain, addr string) map[string]report.Result {
	out := map[string]report.Result{}
	for _, r := range Evaluate(Input{Evidence: ev, Roots: roots(c.Root), Thresholds: DefaultThresholds(), Now: now}) {
		if r.Address == addr || r.Address == "" {
			out[r.ID] = r
		}
	}
	return out
}

func TestSeveralAddresses(t *testing.T) {
	c := testpki.NewChain(t, now)
	other := testpki.NewChain(t, now)
	good := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	tests := []struct {
		name, addr string
		mod        func(ep *probe.Endpoint)
		wants      []want
	}{
		{"all agree", "127.0.0.2", func(ep *probe.Endpoint) {}, []want{
			{"connect.agree", report.Pass, []string{"all 2 addresses"}},
			{"connect.ipv6", report.Info, []string{"no AAAA"}},
		}},
		{"one broken chain", "127.0.0.2", func(ep *probe.Endpoint) { ep.Handshake.Certificates = good[:1] }, []want{
			{"connect.agree", report.Warn, []string{"127.0.0.2 serves a different certificate chain"}},
			{"chain.complete", report.Fail, nil},
		}},
		{"one node refuses", "127.0.0.2", func(ep *probe.Endpoint) {
			ep.ConnectErr, ep.Handshake = &probe.NetError{Kind: probe.ErrRefused, Msg: "refused"}, nil
		}, []want{
			{"connect.agree", report.Fail, []string{"1 of 2 addresses fail", "127.0.0.2 (TCP refused)"}},
			{"connect.tcp", report.Fail, nil},
		}},
		{"dead AAAA", "::1", func(ep *probe.Endpoint) {
			ep.ConnectErr, ep.Handshake = &probe.NetError{Kind: probe.ErrTimeout, Msg: "timeout"}, nil
		}, []want{
			{"connect.ipv6", report.Warn, []string{"IPv4 works", "::1 (TCP timeout)"}},
		}},
		{"working AAAA", "::1", func(ep *probe.Endpoint) {}, []want{
			{"connect.ipv6", report.Pass, []string{"::1"}},
		}},
		{"other certificate", "127.0.0.2", func(ep *probe.Endpoint) {
			ep.Handshake.Certificates = [][]byte{other.Leaf.DER, other.Intermediate.DER}
		}, []want{
			{"connect.agree", report.Warn, []string{"different certificate chain"}},
			{"chain.trusted", report.Fail, nil}, // another CA's root: trust, not completeness
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, resultsFor(twoAddresses(t, good, tt.addr, tt.mod), c, tt.addr), tt.wants...)
		})
	}
}

func TestSamplesAndSNIAndHTTP(t *testing.T) {
	c := testpki.NewChain(t, now)
	wrong := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"default.example"}})
	good := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	sample := func(connect, hs time.Duration, err *probe.NetError) probe.Sample {
		return probe.Sample{ConnectStart: now, ConnectEnd: now.Add(connect), HandshakeStart: now.Add(connect),
			HandshakeEnd: now.Add(connect + hs), Err: err}
	}
	ms := time.Millisecond
	tests := []struct {
		name  string
		mod   func(ev *probe.Evidence)
		wants []want
	}{
		{"p95 judged", func(ev *probe.Evidence) {
			ep := &ev.Endpoints[0]
			for i := 0; i < 17; i++ {
				ep.Samples = append(ep.Samples, sample(ms, 10*ms, nil))
			}
			// 2 of 20 slow: the p95 (19th of 20) is slow.
			ep.Samples = append(ep.Samples, sample(ms, 900*ms, nil), sample(ms, 900*ms, nil))
			ev.Samples = 20
		}, []want{
			{"timing.handshake", report.Warn, []string{"p95 900 ms over 20 samples", "median 10 ms"}},
		}},
		{"one slow outlier under p95", func(ev *probe.Evidence) {
			ep := &ev.Endpoints[0]
			for i := 0; i < 38; i++ {
				ep.Samples = append(ep.Samples, sample(ms, 10*ms, nil))
			}
			ep.Samples = append(ep.Samples, sample(ms, 3000*ms, nil))
		}, []want{
			{"timing.handshake", report.Pass, []string{"p95 10 ms over 40 samples", "max 3000 ms"}},
		}},
		{"intermittent failure", func(ev *probe.Evidence) {
			ep := &ev.Endpoints[0]
			ep.Samples = append(ep.Samples, sample(ms, 10*ms, nil), probe.Sample{ConnectStart: now, ConnectEnd: now.Add(ms),
				Err: &probe.NetError{Kind: probe.ErrReset, Msg: "connection reset by peer"}})
		}, []want{
			{"tls.handshake", report.Fail, []string{"1 of 3 connections failed", "reset"}},
		}},
		{"needs SNI", func(ev *probe.Evidence) {
			ev.Endpoints[0].NoSNI = &probe.Handshake{Err: &probe.NetError{Kind: probe.ErrAlert, Alert: 112}}
		}, []want{{"tls.sni", report.Info, []string{"needs SNI", "alert 112"}}}},
		{"no handshake without SNI: no slot in time", func(ev *probe.Evidence) {
			ev.Endpoints[0].NoSNI = nil
			ev.Endpoints[0].NoSNIErr = &probe.NetError{Kind: probe.ErrNotAttempted,
				Msg: "no connection was attempted: the 8 connection slots (--concurrency) were held by other connections until the time limit"}
		}, []want{{"tls.sni", report.Skip, []string{"could not tell", "without SNI", "8 connection slots"}}}},
		{"default certificate without SNI", func(ev *probe.Evidence) {
			ev.Endpoints[0].NoSNI = &probe.Handshake{Certificates: [][]byte{wrong.DER}}
		}, []want{{"tls.sni", report.Info, []string{"default.example"}}}},
		{"wrong certificate for the name", func(ev *probe.Evidence) {
			ev.Endpoints[0].Handshake.Certificates = [][]byte{wrong.DER, c.Intermediate.DER}
			ev.Endpoints[0].NoSNI = &probe.Handshake{Certificates: good}
		}, []want{
			{"tls.sni", report.Fail, []string{"does not cover the name", "without SNI it serves a certificate that does"}},
			{"cert.hostname", report.Fail, nil},
		}},
		{"http ok", func(ev *probe.Evidence) {
			ev.Target.Path = "/webhook"
			ev.Endpoints[0].HTTP = &probe.HTTPExchange{Path: "/webhook", Proto: "HTTP/2.0", Start: now, FirstByte: now.Add(30 * ms), StatusCode: 403}
		}, []want{{"http.response", report.Info, []string{"GET /webhook answered 403 Forbidden over HTTP/2.0", "30 ms"}}}},
		{"http slow", func(ev *probe.Evidence) {
			ev.Target.Path = "/webhook"
			ev.Endpoints[0].HTTP = &probe.HTTPExchange{Path: "/webhook", Proto: "HTTP/1.1", Start: now, FirstByte: now.Add(1500 * ms), StatusCode: 200}
		}, []want{{"http.response", report.Warn, []string{"over 1 s"}}}},
		{"http error", func(ev *probe.Evidence) {
			ev.Target.Path = "/webhook"
			ev.Endpoints[0].HTTP = &probe.HTTPExchange{Path: "/webhook", Err: &probe.NetError{Kind: probe.ErrClosed, Msg: "EOF"}}
		}, []want{{"http.response", report.Fail, []string{"GET /webhook failed"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, good, nil)
			tt.mod(ev)
			expect(t, evaluate(ev, roots(c.Root)), tt.wants...)
		})
	}
}

func TestMTLSMetaAcceptance(t *testing.T) {
	c := testpki.NewChain(t, now)
	der := func(n pkix.Name) []byte {
		b, _ := asn1.Marshal(n.ToRDNSequence())
		return b
	}
	evRoot := der(pkix.Name{Country: []string{"US"}, Organization: []string{"DigiCert Inc"},
		OrganizationalUnit: []string{"www.digicert.com"}, CommonName: "DigiCert High Assurance EV Root CA"})
	evRootCNOnly := der(pkix.Name{CommonName: "DigiCert High Assurance EV Root CA"})
	lookalike := der(pkix.Name{CommonName: "Metadata Services Internal CA", Organization: []string{"Outbound Proxy Team"}})
	metaCA := pkix.Name{CommonName: "Meta Outbound API CA 2025-12", Organization: []string{"Meta Platforms, Inc."}}
	corp := der(pkix.Name{CommonName: "Corp Client CA", Organization: []string{"Corp"}})

	// withCA is Meta's profile with the CA file given (--client-ca).
	withCA := profile.MustLookup("meta")
	withCA.ClientCert.IssuerDNs = []string{metaCA.ToRDNSequence().String()}
	withCA.ClientCert.IssuerSource = "meta-outbound-api-ca-2025-12.pem"

	tests := []struct {
		name     string
		p        *profile.Profile
		cas      [][]byte
		required bool
		status   report.Status
		words    []string
	}{
		// Meta does not publish its CA's name: no name is taken for it.
		{"look-alike name, required", nil, [][]byte{lookalike}, true, report.Warn,
			[]string{"cannot be told from names alone", "Metadata Services Internal CA", "--client-ca"}},
		{"Meta's name, required", nil, [][]byte{der(metaCA)}, true, report.Warn, []string{"cannot be told"}},
		{"other CA, optional", nil, [][]byte{corp}, false, report.Info, []string{"cannot be told", "optional"}},
		{"old DigiCert only", nil, [][]byte{evRoot}, true, report.Fail, []string{"expired on 2026-04-15"}},
		{"old DigiCert by CN only", nil, [][]byte{evRootCNOnly}, true, report.Warn, []string{"cannot be told"}},
		{"no CA list", nil, nil, false, report.Info, []string{"lists no acceptable CA"}},
		// With the CA's file: its exact name.
		{"the CA file's name listed", withCA, [][]byte{corp, der(metaCA)}, true, report.Info,
			[]string{"would be accepted by name", "meta-outbound-api-ca-2025-12.pem", "names CAs, not keys"}},
		{"look-alike with the CA file, required", withCA, [][]byte{lookalike}, true, report.Fail,
			[]string{"would be refused", "none of them is exactly the CA in meta-outbound-api-ca-2025-12.pem"}},
		{"look-alike with the CA file, optional", withCA, [][]byte{lookalike}, false, report.Warn,
			[]string{"optional", "would not verify"}},
		{"required after the handshake", withCA, [][]byte{corp}, false, report.Fail,
			[]string{"certificate_required (116)", "would be refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
			hs := ev.Endpoints[0].Handshake
			hs.ClientCertRequested, hs.AcceptableCAs = true, tt.cas
			if tt.required {
				hs.Err = &probe.NetError{Kind: probe.ErrAlert, Alert: 116}
				hs.Version = tls.VersionTLS13
			}
			if tt.name == "required after the handshake" {
				hs.ClientCertRejected = &probe.NetError{Kind: probe.ErrAlert, Alert: 116}
			}
			got := map[string]report.Result{}
			for _, r := range Run(Context{Profile: tt.p, Roots: roots(c.Root), Thresholds: DefaultThresholds(), Now: now},
				subject.FromProbe(ev)).Results {
				got[r.ID] = r
			}
			expect(t, got, want{"mtls.request", tt.status, tt.words})
			if d := got["mtls.request"].Detail; tt.status != report.Info && strings.Contains(d, "would be accepted") {
				t.Errorf("claims acceptance: %q", d)
			}
		})
	}
}

// TestIPv6WordsSayWhy: connect.ipv6 claims "no AAAA record" only when DNS
// answered without one; a failed lookup, --address, an IP target and
// --resolve each say what they are.
func TestIPv6WordsSayWhy(t *testing.T) {
	c := testpki.NewChain(t, now)
	good := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	tests := []struct {
		name  string
		mod   func(ev *probe.Evidence)
		want  want
		never string
	}{
		{"no AAAA", func(ev *probe.Evidence) {}, want{"connect.ipv6", report.Info, []string{"no AAAA record"}}, ""},
		{"DNS failed", func(ev *probe.Evidence) {
			ev.DNS.Addresses = nil
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrServFail, Msg: "server misbehaving"}
			ev.Endpoints = nil
		}, want{"connect.ipv6", report.Skip, []string{"DNS did not resolve the name", "SERVFAIL"}}, "no AAAA"},
		{"DNS failed, --address", func(ev *probe.Evidence) {
			ev.DNS.Addresses = nil
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrDNSTimeout, Msg: "i/o timeout"}
			ev.Only = "127.0.0.1"
		}, want{"connect.ipv6", report.Skip, []string{"DNS did not resolve", "--address 127.0.0.1"}}, "no AAAA"},
		{"--address leaves the AAAA out", func(ev *probe.Evidence) {
			ev.DNS.Addresses = []string{"127.0.0.1", "::1"}
			ev.Only = "127.0.0.1"
		}, want{"connect.ipv6", report.Skip, []string{"::1 were not probed", "--address 127.0.0.1"}}, "no AAAA"},
		{"IP target", func(ev *probe.Evidence) {
			ev.DNS = probe.DNS{Pinned: true, Resolver: "literal", Addresses: []string{"127.0.0.1"}}
		}, want{"connect.ipv6", report.Skip, []string{"IPv4 address"}}, "no AAAA record"},
		{"--resolve", func(ev *probe.Evidence) {
			ev.DNS = probe.DNS{Pinned: true, Resolver: "--resolve", Addresses: []string{"127.0.0.1"}}
		}, want{"connect.ipv6", report.Skip, []string{"--resolve", "not looked up"}}, "no AAAA record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, good, nil)
			tt.mod(ev)
			got := resultsFor(ev, c, "")
			expect(t, got, tt.want)
			if d := got["connect.ipv6"].Detail; tt.never != "" && strings.Contains(d, tt.never) {
				t.Errorf("detail %q says %q", d, tt.never)
			}
		})
	}
}

// TestAddressesNotTried: an address the connection budget never reached
// is said, neither failed nor compared.
func TestAddressesNotTried(t *testing.T) {
	c := testpki.NewChain(t, now)
	good := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	ev := twoAddresses(t, good, "::1", func(ep *probe.Endpoint) {
		ep.ConnectErr = &probe.NetError{Kind: probe.ErrNotAttempted,
			Msg: "no connection was attempted: the 8 connection slots (--concurrency) were held by other connections until the time limit"}
		ep.Handshake = nil
	})
	all := Evaluate(Input{Evidence: ev, Roots: roots(c.Root), Thresholds: DefaultThresholds(), Now: now})
	got := map[string]report.Result{}
	for _, r := range all {
		if r.Address == "::1" || r.Address == "" {
			got[r.ID] = r
		}
	}
	expect(t, got,
		want{"connect.tcp", report.Skip, []string{"::1 was not tried", "--address ::1"}},
		want{"connect.agree", report.Skip, []string{"1 address(es) not tried", "::1"}},
		want{"connect.ipv6", report.Skip, []string{"::1 were not tried"}},
	)
}
