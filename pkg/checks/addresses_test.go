package checks

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
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
			{"chain.complete", report.Fail, nil},
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
	dn := func(cn, o string) []byte {
		b, _ := asn1.Marshal(pkix.Name{CommonName: cn, Organization: []string{o}}.ToRDNSequence())
		return b
	}
	tests := []struct {
		name     string
		cas      [][]byte
		required bool
		status   report.Status
		words    string
	}{
		{"meta listed", [][]byte{dn("Meta Outbound API CA 2025-12", "Meta Platforms, Inc.")}, true, report.Info, "would be accepted"},
		{"old digicert only", [][]byte{dn("DigiCert High Assurance EV Root CA", "DigiCert Inc")}, true, report.Fail, "expired on 2026-04-15"},
		{"other CA required", [][]byte{dn("Corp Client CA", "Corp")}, true, report.Fail, "would be refused"},
		{"other CA optional", [][]byte{dn("Corp Client CA", "Corp")}, false, report.Warn, "optional"},
		{"other CA required after the handshake", [][]byte{dn("Corp Client CA", "Corp")}, false, report.Fail, "certificate_required (116)"},
		{"no CA list", nil, false, report.Info, "lists no acceptable CA"},
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
			if tt.name == "other CA required after the handshake" {
				hs.ClientCertRejected = &probe.NetError{Kind: probe.ErrAlert, Alert: 116}
			}
			expect(t, evaluate(ev, roots(c.Root)), want{"mtls.request", tt.status, []string{tt.words}})
		})
	}
}
