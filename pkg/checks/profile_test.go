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
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// evaluateAs judges ev as the sender with profile key.
func evaluateAs(t *testing.T, ev *probe.Evidence, c *testpki.Chain, key string) map[string]report.Result {
	t.Helper()
	out := map[string]report.Result{}
	for _, r := range Evaluate(Input{Evidence: ev, Roots: roots(c.Root), Thresholds: DefaultThresholds(), Now: now, Sender: key}) {
		out[r.ID] = r
	}
	return out
}

// TestProfileDrivesJudgement: the same evidence judged as two senders gets
// each sender's rules and words, and no check names a sender it is not
// judging for.
func TestProfileDrivesJudgement(t *testing.T) {
	c := testpki.NewChain(t, now)
	good := [][]byte{c.Leaf.DER, c.Intermediate.DER}

	slow := func() *probe.Evidence {
		ev := healthyEvidence(t, good, nil)
		ev.Target.Path = "/webhook"
		ev.Endpoints[0].HTTP = &probe.HTTPExchange{Path: "/webhook", Proto: "HTTP/1.1", Start: now,
			FirstByte: now.Add(6 * time.Second), StatusCode: 200}
		return ev
	}
	// Meta gives up after 5 s (its profile's response deadline); the
	// generic client has no documented deadline, so it is a warning.
	expect(t, evaluateAs(t, slow(), c, "meta"), want{"http.response", report.Fail, []string{"Meta gives up after 5000 ms"}})
	expect(t, evaluateAs(t, slow(), c, "generic"), want{"http.response", report.Warn, []string{"over 1 s"}})
	if r := evaluateAs(t, slow(), c, "generic")["http.response"]; strings.Contains(r.Remediation, "Meta") ||
		strings.Contains(r.Remediation, "360dialog") {
		t.Errorf("generic's fix names Meta: %q", r.Remediation)
	}

	required := func(cas ...string) *probe.Evidence {
		ev := healthyEvidence(t, good, nil)
		hs := ev.Endpoints[0].Handshake
		hs.ClientCertRequested = true
		hs.ClientCertRejected = &probe.NetError{Kind: probe.ErrAlert, Alert: 116, Msg: "certificate required"}
		for _, cn := range cas {
			der, _ := asn1.Marshal(pkix.Name{CommonName: cn}.ToRDNSequence())
			hs.AcceptableCAs = append(hs.AcceptableCAs, der)
		}
		return ev
	}
	// Meta does not publish its CA's name: a required client certificate
	// from an unknown CA cannot be judged without --client-ca; a list of
	// only its retired CA can.
	expect(t, evaluateAs(t, required("Internal CA"), c, "meta"),
		want{"mtls.request", report.Warn, []string{"client.webhooks.fbclientcerts.com", "Meta's outbound API CA",
			"cannot be told"}})
	retired := required()
	retired.Endpoints[0].Handshake.AcceptableCAs = [][]byte{func() []byte {
		der, _ := asn1.Marshal(pkix.Name{Country: []string{"US"}, Organization: []string{"DigiCert Inc"},
			OrganizationalUnit: []string{"www.digicert.com"}, CommonName: "DigiCert High Assurance EV Root CA"}.ToRDNSequence())
		return der
	}()}
	expect(t, evaluateAs(t, retired, c, "meta"),
		want{"mtls.request", report.Fail, []string{"expired on 2026-04-15"}})
	gen := evaluateAs(t, required("Internal CA"), c, "generic")
	expect(t, gen, want{"mtls.request", report.Fail, []string{"has none to send"}})
	if strings.Contains(gen["mtls.request"].Detail, "Meta") {
		t.Errorf("generic's mtls.request names Meta: %q", gen["mtls.request"].Detail)
	}

	selfSigned := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	ss := func() *probe.Evidence { return healthyEvidence(t, [][]byte{selfSigned.DER}, nil) }
	expect(t, evaluateAs(t, ss(), c, "meta"),
		want{"chain.trusted", report.Fail, []string{"self-signed"}})
	if fix := evaluateAs(t, ss(), c, "meta")["chain.trusted"].Remediation; !strings.Contains(fix, "Meta does not support self-signed") {
		t.Errorf("meta's fix lacks Meta's own words: %q", fix)
	}
	if fix := evaluateAs(t, ss(), c, "generic")["chain.trusted"].Remediation; strings.Contains(fix, "Meta") {
		t.Errorf("generic's fix names Meta: %q", fix)
	}
}

// TestCipherSenderUsesTheProfile: a server with only ChaCha20 for TLS 1.2
// shares a suite with the generic client (Mozilla intermediate) but not with
// Meta's (ECDHE with AES-GCM only).
func TestCipherSenderUsesTheProfile(t *testing.T) {
	c := testpki.NewChain(t, now)
	ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
	ev.Endpoints[0].Scan = scanOf(t, 0xCCA8) // ECDHE-RSA-CHACHA20-POLY1305, TLS 1.2 only
	failHandshake(ev, probe.ErrNoCommon, 40) // as Meta: nothing in common
	expect(t, evaluateAs(t, ev, c, "meta"), want{"cipher.sender", report.Fail, []string{"no cipher suite in common with Meta"}})
	expect(t, evaluateAs(t, ev, c, "generic"), want{"cipher.sender", report.Pass, []string{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}})
	if p := profile.MustLookup("generic"); !strings.Contains(evaluateAs(t, ev, c, "generic")["cipher.sender"].Detail, p.Name) {
		t.Error("cipher.sender does not name the generic client")
	}
}

// scanOf is an enumeration that found only the given TLS 1.2 suites.
func scanOf(t *testing.T, ids ...uint16) *tlshello.Result {
	var ciphers []tlshello.Cipher
	for _, id := range ids {
		ciphers = append(ciphers, suite(t, id))
	}
	return &tlshello.Result{Protocols: []tlshello.Protocol{
		{Version: tlshello.VersionTLS12, Name: "TLS 1.2", Offered: b(true), Ciphers: ciphers},
		{Version: tlshello.VersionTLS13, Name: "TLS 1.3", Offered: b(false), Reason: "alert"},
	}}
}
