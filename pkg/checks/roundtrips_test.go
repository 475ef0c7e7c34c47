package checks

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
)

// The cases of tls.hrr and tls.flight that real servers rarely show (the
// real-server scenarios are in cmd/wacheck/roundtrips_test.go and
// integration/roundtrips_test.go).
func TestRoundTripEdges(t *testing.T) {
	meta, _ := profile.Lookup("meta")
	stripe, _ := profile.Lookup("stripe")
	c := testpki.NewChain(t, now)
	state := func(hs probe.Handshake) *State {
		return &State{Set: &subject.Set{Handshake: &subject.Handshake{Handshake: &hs}}}
	}
	huge := make([]byte, MaxCertMessage)
	for _, tc := range []struct {
		name   string
		p      *profile.Profile
		run    func(*Context, *State) verdict
		hs     probe.Handshake
		status report.Status
		says   []string
	}{
		{"reset before a ServerHello", meta, tlsHRR, probe.Handshake{Err: &probe.NetError{Kind: probe.ErrReset, Msg: "reset"}},
			report.Skip, []string{"not a ServerHello", "reset"}},
		{"cookie only", meta, tlsHRR, probe.Handshake{HelloRetryKnown: true, HelloRetry: true, Version: tls.VersionTLS13},
			report.Warn, []string{"no key share, only a cookie"}},
		{"TLS 1.2", meta, tlsHRR, probe.Handshake{HelloRetryKnown: true, Version: tls.VersionTLS12},
			report.Pass, []string{"TLS 1.2: no HelloRetryRequest"}},
		{"another sender's shares", stripe, tlsHRR, probe.Handshake{HelloRetryKnown: true, HelloRetry: true,
			HelloRetryGroup: uint16(tls.CurveP521), Version: tls.VersionTLS13}, report.Warn, []string{"secp521r1"}},
		{"not measured", meta, tlsFlight, probe.Handshake{}, report.Skip, []string{"not measured"}},
		{"exactly the window", meta, tlsFlight, probe.Handshake{FlightBytes: InitialWindow, Certificates: [][]byte{c.Leaf.DER}},
			report.Pass, []string{"14600 bytes, within"}},
		{"one byte over", meta, tlsFlight, probe.Handshake{FlightBytes: InitialWindow + 1,
			Certificates: [][]byte{c.Leaf.DER, c.Intermediate.DER}, OCSPStaple: make([]byte, 9000)},
			report.Warn, []string{"14601 bytes", "2 certificate(s)", "an OCSP staple of 9000 bytes", "ECDSA P-256"}},
		{"unreadable certificate message", meta, tlsFlight, probe.Handshake{FlightBytes: 2 * MaxCertMessage,
			Certificates: [][]byte{huge}}, report.Info, []string{"chain.size"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.run(&Context{Profile: tc.p}, state(tc.hs))
			if v.status != tc.status {
				t.Errorf("status = %s (%s), want %s", v.status, v.detail, tc.status)
			}
			for _, w := range tc.says {
				if !strings.Contains(v.detail, w) {
					t.Errorf("detail lacks %q: %q", w, v.detail)
				}
			}
			if (v.status == report.Warn) != (v.remediation != "") {
				t.Errorf("remediation = %q with %s", v.remediation, v.status)
			}
		})
	}
}
