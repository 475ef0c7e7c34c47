package checks

import (
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
	"github.com/wacheck/wacheck/pkg/target"
)

func TestNetworkChecks(t *testing.T) {
	c := testpki.NewChain(t, now)
	certs := [][]byte{c.Leaf.DER, c.Intermediate.DER}
	nameDER, _ := asn1.Marshal(pkix.Name{CommonName: "Meta Outbound API CA"}.ToRDNSequence())
	ms := time.Millisecond
	tests := []struct {
		name  string
		mod   func(ev *probe.Evidence)
		wants []want
	}{
		{"healthy", func(ev *probe.Evidence) {}, []want{
			{"dns.resolve", report.Pass, []string{"127.0.0.1"}},
			{"dns.time", report.Pass, []string{"5 ms"}},
			{"connect.port", report.Pass, nil},
			{"connect.tcp", report.Pass, nil},
			{"timing.connect", report.Pass, []string{"1 ms"}},
			{"tls.handshake", report.Pass, []string{"TLS 1.3", "SNI localhost"}},
			{"timing.handshake", report.Pass, []string{"14 ms"}},
			{"http.alpn", report.Pass, nil},
			{"mtls.request", report.Pass, nil},
		}},
		{"nxdomain", func(ev *probe.Evidence) {
			ev.DNS.Addresses, ev.Endpoints = nil, nil
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrNXDomain, Msg: "no such host"}
		}, []want{
			{"dns.resolve", report.Fail, []string{"does not exist (NXDOMAIN)"}},
			{"connect.tcp", report.Skip, []string{"NXDOMAIN"}},
			{"chain.complete", report.Skip, nil},
		}},
		{"dns timeout", func(ev *probe.Evidence) {
			ev.DNS.Addresses, ev.Endpoints = nil, nil
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrDNSTimeout, Msg: "i/o timeout"}
			ev.DNS.End = ev.DNS.Start.Add(3 * time.Second)
		}, []want{
			{"dns.resolve", report.Fail, []string{"did not answer in time"}},
			{"dns.time", report.Fail, []string{"3000 ms"}},
		}},
		{"slow dns", func(ev *probe.Evidence) { ev.DNS.End = ev.DNS.Start.Add(700 * ms) }, []want{
			{"dns.time", report.Warn, []string{"700 ms", "warning at 500 ms"}},
		}},
		{"pinned", func(ev *probe.Evidence) {
			ev.DNS = probe.DNS{Pinned: true, Resolver: "--resolve", Addresses: []string{"127.0.0.1"}}
		}, []want{
			{"dns.resolve", report.Info, []string{"--resolve"}},
			{"dns.time", report.Skip, []string{"pinned"}},
		}},
		{"other port", func(ev *probe.Evidence) { ev.Target.Port = 8443 }, []want{
			{"connect.port", report.Warn, []string{"8443"}},
		}},
		{"refused", func(ev *probe.Evidence) {
			ev.Endpoints[0].ConnectErr = &probe.NetError{Kind: probe.ErrRefused, Msg: "connection refused"}
			ev.Endpoints[0].Handshake = nil
		}, []want{
			{"connect.tcp", report.Fail, []string{"refused"}},
			{"tls.handshake", report.Skip, []string{"TCP connection failed"}},
			{"timing.connect", report.Skip, nil},
		}},
		{"unreachable", func(ev *probe.Evidence) {
			ev.Endpoints[0].ConnectErr = &probe.NetError{Kind: probe.ErrUnreachable, Msg: "no route to host"}
			ev.Endpoints[0].Handshake = nil
		}, []want{{"connect.tcp", report.Fail, []string{"unreachable"}}}},
		{"connect timeout", func(ev *probe.Evidence) {
			ev.Endpoints[0].ConnectErr = &probe.NetError{Kind: probe.ErrTimeout, Msg: "i/o timeout"}
			ev.Endpoints[0].Handshake = nil
		}, []want{{"connect.tcp", report.Fail, []string{"no answer", "10s"}}}},
		{"slow connect", func(ev *probe.Evidence) { ev.Endpoints[0].ConnectEnd = ev.Endpoints[0].ConnectStart.Add(600 * ms) }, []want{
			{"timing.connect", report.Warn, []string{"600 ms"}},
		}},
		{"plain http", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrPlainHTTP, 0) }, []want{
			{"tls.handshake", report.Fail, []string{"plain HTTP"}},
			{"timing.handshake", report.Skip, nil},
			{"chain.complete", report.Skip, []string{"no certificate"}},
		}},
		{"reset", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrReset, 0) }, []want{
			{"tls.handshake", report.Fail, []string{"reset after the ClientHello"}},
		}},
		{"closed", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrClosed, 0) }, []want{
			{"tls.handshake", report.Fail, []string{"closed the connection"}},
		}},
		{"no common", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrNoCommon, 70) }, []want{
			{"tls.handshake", report.Fail, []string{"no TLS 1.2+ protocol or cipher in common", "protocol_version (70)"}},
		}},
		{"alert", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrAlert, 112) }, []want{
			{"tls.handshake", report.Fail, []string{"unrecognized_name (112)"}},
		}},
		{"silent", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrTimeout, 0) }, []want{
			{"tls.handshake", report.Fail, []string{"no answer to the ClientHello within 10s"}},
		}},
		{"drip", func(ev *probe.Evidence) {
			failHandshake(ev, probe.ErrTimeout, 0)
			ev.Endpoints[0].Handshake.BytesRead = 9
		}, []want{
			{"tls.handshake", report.Fail, []string{"began to answer", "only 9 bytes within 10s"}},
			{"protocol.modern", report.Skip, []string{"answers the ClientHello too slowly"}},
		}},
		{"slot got too late", func(ev *probe.Evidence) {
			failHandshake(ev, probe.ErrNotAttempted, 0)
			ev.Endpoints[0].Handshake.Err.Msg = "it got a connection slot only 40 ms before the time limit"
		}, []want{
			{"tls.handshake", report.Skip, []string{"could not tell", "only 40 ms before the time limit"}},
		}},
		{"DNS garbage", func(ev *probe.Evidence) {
			ev.DNS.Addresses, ev.Endpoints = nil, nil
			ev.DNS.Err = &probe.NetError{Kind: probe.ErrDNSGarbage, Msg: "the DNS server answered with 64 bytes in " +
				"2 replies that are not DNS answers to the query (lookup localhost: i/o timeout)"}
		}, []want{
			{"dns.resolve", report.Fail, []string{"not DNS answers"}},
		}},
		{"not tls", func(ev *probe.Evidence) { failHandshake(ev, probe.ErrNotTLS, 0) }, []want{
			{"tls.handshake", report.Fail, []string{"not TLS"}},
		}},
		{"slow handshake", func(ev *probe.Evidence) { hs := ev.Endpoints[0].Handshake; hs.End = hs.Start.Add(800 * ms) }, []want{
			{"timing.handshake", report.Warn, []string{"800 ms"}},
		}},
		{"very slow handshake", func(ev *probe.Evidence) { hs := ev.Endpoints[0].Handshake; hs.End = hs.Start.Add(2500 * ms) }, []want{
			{"timing.handshake", report.Fail, []string{"2500 ms", "limit 2000 ms"}},
		}},
		{"http/1.1 only", func(ev *probe.Evidence) { ev.Endpoints[0].Handshake.ALPN = "http/1.1" }, []want{
			{"http.alpn", report.Warn, []string{"http/1.1"}},
		}},
		{"no alpn", func(ev *probe.Evidence) { ev.Endpoints[0].Handshake.ALPN = "" }, []want{
			{"http.alpn", report.Warn, []string{"no ALPN"}},
		}},
		{"mtls", func(ev *probe.Evidence) {
			hs := ev.Endpoints[0].Handshake
			hs.ClientCertRequested, hs.AcceptableCAs = true, [][]byte{nameDER, {0x01}}
		}, []want{
			{"mtls.request", report.Info, []string{"CN=Meta Outbound API CA", "undecodable", "client.webhooks.fbclientcerts.com"}},
		}},
		{"ip target", func(ev *probe.Evidence) {
			ev.Target, _ = target.Parse("127.0.0.1", "")
			ev.Endpoints[0].Handshake.ServerName = ""
		}, []want{
			{"cert.hostname", report.Pass, []string{"127.0.0.1"}},
			{"tls.handshake", report.Pass, []string{"none: the target is an IP address"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, certs, nil)
			tt.mod(ev)
			expect(t, evaluate(ev, roots(c.Root)), tt.wants...)
		})
	}
}

// failHandshake makes the evidence's handshake fail before any certificate.
func failHandshake(ev *probe.Evidence, kind probe.ErrorKind, alert int) {
	hs := ev.Endpoints[0].Handshake
	*hs = probe.Handshake{ServerName: hs.ServerName, Start: hs.Start, End: hs.End,
		Err: &probe.NetError{Kind: kind, Alert: alert, Msg: string(kind)}}
}

func TestThresholdsComeFromInput(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
	th := DefaultThresholds()
	th.HandshakeWarn = 10 * time.Millisecond
	th.ExpiryWarn, th.ExpiryWarnRelative = 100*24*time.Hour, false // as --expiry-warn 100 sets them
	got := map[string]report.Result{}
	for _, r := range Evaluate(Input{Evidence: ev, Roots: roots(c.Root), Thresholds: th, Now: now}) {
		got[r.ID] = r
	}
	expect(t, got,
		want{"timing.handshake", report.Warn, []string{"warning at 10 ms"}},
		want{"cert.expiry", report.Warn, []string{"in 90 days"}},
	)
}

// TestConnectPortDocumented: a sender that documents its ports (Twitch:
// 443 only) fails any other port and names the source; one that documents
// none only warns.
func TestConnectPortDocumented(t *testing.T) {
	for _, tc := range []struct {
		sender string
		port   int
		st     report.Status
		in     []string
	}{
		{"twitch", 8443, report.Fail, []string{"8443", "Twitch delivers to port 443 only", "dev.twitch.tv"}},
		{"twitch", 443, report.Pass, []string{"443"}},
		{"meta", 8443, report.Warn, []string{"8443"}},
	} {
		p, _ := profile.Lookup(tc.sender)
		st := &State{Set: &subject.Set{Name: &subject.Name{Target: target.Target{Host: "example.com", Port: tc.port}}}}
		v := connectPort(&Context{Profile: p}, st)
		if v.status != tc.st {
			t.Errorf("%s port %d: %s (%s), want %s", tc.sender, tc.port, v.status, v.detail, tc.st)
		}
		for _, s := range tc.in {
			if !strings.Contains(v.detail, s) {
				t.Errorf("%s port %d: %q lacks %q", tc.sender, tc.port, v.detail, s)
			}
		}
	}
}
