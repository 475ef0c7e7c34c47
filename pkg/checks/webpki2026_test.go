package checks

import (
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/tlshello"
	"github.com/wacheck/wacheck/pkg/trust"
)

const day = 24 * time.Hour

func evaluateAt(ev *probe.Evidence, roots *trust.Store, at time.Time) map[string]report.Result {
	out := map[string]report.Result{}
	for _, r := range Evaluate(Input{Evidence: ev, Roots: roots, Thresholds: DefaultThresholds(), Now: at}) {
		out[r.ID] = r
	}
	return out
}

// TestCertLifetime: the leaf's validity is judged against the BR limit for
// its notBefore (SC-081v3), at the test clock (2026-06-01).
func TestCertLifetime(t *testing.T) {
	c := testpki.NewChain(t, now)
	tests := []struct {
		name      string
		notBefore time.Time
		life      time.Duration
		sct       bool
		store     string
		want      want
	}{
		{"90 days issued now", now.Add(-time.Hour), 90 * day, false, "test",
			want{"cert.lifetime", report.Pass, []string{"90 days", "within the 200 days", "since 2026-03-15"}}},
		{"exactly 200 days", now.Add(-time.Hour), 200 * day, false, "test",
			want{"cert.lifetime", report.Pass, []string{"200 days"}}},
		{"300 days issued 2026-05-01", date(2026, 5, 1), 300 * day, false, "test",
			want{"cert.lifetime", report.Warn, []string{"lasts 300 days", "issued 2026-05-01", "200 days", "2026-03-15", "may refuse"}}},
		{"200 days and a minute", now.Add(-time.Hour), 200*day + time.Minute, false, "test",
			want{"cert.lifetime", report.Warn, []string{"lasts 200 days", "longer than the 200 days"}}},
		{"380 days issued before 2026-03-15", date(2026, 1, 10), 380 * day, false, "test",
			want{"cert.lifetime", report.Pass, []string{"380 days", "398 days", "since 2020-09-01"}}},
		{"400 days issued 2025-07-01", date(2025, 7, 1), 400 * day, false, "test",
			want{"cert.lifetime", report.Fail, []string{"lasts 400 days", "398 days", "Chrome and Apple"}}},
		{"300 days under --ca-file", date(2026, 5, 1), 300 * day, false, "file:/etc/private-ca.pem",
			want{"cert.lifetime", report.Skip, []string{"--ca-file"}}},
		{"300 days with SCTs under --ca-file", date(2026, 5, 1), 300 * day, true, "file:/etc/public-root.pem",
			want{"cert.lifetime", report.Warn, []string{"lasts 300 days"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"},
				NotBefore: tt.notBefore, NotAfter: tt.notBefore.Add(tt.life), SCTs: tt.sct})
			ev := healthyEvidence(t, [][]byte{leaf.DER, c.Intermediate.DER}, nil)
			got := evaluate(ev, trust.New(tt.store, c.Root.Cert))
			if tt.want.status == report.Pass || tt.want.status == report.Skip {
				onlyThese(t, got, tt.want)
			} else {
				onlyThese(t, got, tt.want)
				if !strings.Contains(got["cert.lifetime"].Remediation, "automated renewal") {
					t.Errorf("remediation %q does not recommend automated renewal", got["cert.lifetime"].Remediation)
				}
			}
		})
	}
}

// TestMaxLifetime: the steps of SC-081v3 at their boundaries.
func TestMaxLifetime(t *testing.T) {
	for _, tt := range []struct {
		at   time.Time
		days int
	}{
		{date(2020, 8, 31), 0},
		{date(2020, 9, 1), 398},
		{date(2026, 3, 14).Add(23 * time.Hour), 398},
		{date(2026, 3, 15), 200},
		{date(2027, 3, 14), 200},
		{date(2027, 3, 15), 100},
		{date(2029, 3, 15), 47},
		{date(2035, 1, 1), 47},
	} {
		if got, _ := MaxLifetime(tt.at); got != tt.days {
			t.Errorf("MaxLifetime(%s) = %d, want %d", tt.at, got, tt.days)
		}
	}
}

// TestChainDistrust: a CA named in DistrustRules, by the leaf's earliest
// SCT where the rule is Chrome's and the leaf has one, else notBefore.
func TestChainDistrust(t *testing.T) {
	judged := date(2025, 1, 15) // a clock at which a 90-day leaf of November 2024 is valid
	tests := []struct {
		name      string
		cn, org   string
		clock     time.Time
		notBefore time.Time
		sct       time.Time
		want      want
	}{
		{"entrust leaf issued after the cut-off", "Entrust Root Certification Authority - G2", "Entrust, Inc.",
			now, now.Add(-day), time.Time{},
			want{"chain.distrust", report.Fail, []string{"Entrust", "issued on 2026-05-31 (notBefore)", "after the cut-off", "Chrome 131+", "mail-archive.com"}}},
		{"entrust leaf whose SCT is after the cut-off", "Entrust Root Certification Authority", "Entrust, Inc.",
			judged, date(2024, 11, 5), date(2024, 11, 20),
			want{"chain.distrust", report.Fail, []string{"issued on 2024-11-20 (earliest SCT)"}}},
		{"entrust leaf before the cut-off", "AffirmTrust Commercial", "AffirmTrust",
			judged, date(2024, 11, 1), date(2024, 11, 1),
			want{"chain.distrust", report.Info, []string{"AffirmTrust Commercial", "before the cut-off", "2024-11-11", "another CA"}}},
		{"chunghwa after 2025-07-31", "HiPKI Root CA - G1", "Chunghwa Telecom Co., Ltd.",
			now, now.Add(-day), now.Add(-day),
			want{"chain.distrust", report.Fail, []string{"Chunghwa Telecom", "Chrome 139+"}}},
		{"netlock before 2025-07-31", "NetLock Arany (Class Gold) Főtanúsítvány", "NetLock Kft.",
			judged, judged.Add(-day), time.Time{},
			want{"chain.distrust", report.Info, []string{"NetLock", "2025-07-31"}}},
		{"camerfirma", "Global Chambersign Root - 2008", "AC Camerfirma S.A.",
			now, now.Add(-day), time.Time{},
			want{"chain.distrust", report.Fail, []string{"Camerfirma", "Chrome 90+", "no certificate from it is trusted"}}},
		{"same CN, other organization", "Entrust Root Certification Authority - G2", "Not Entrust",
			now, now.Add(-day), time.Time{},
			want{"chain.distrust", report.Pass, []string{"Entrust"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := testpki.NewRoot(t, testpki.CAOptions{Now: tt.clock, NotBefore: date(2020, 1, 1),
				CommonName: tt.cn, Organization: tt.org})
			leaf := root.Leaf(t, testpki.LeafOptions{Now: tt.clock, DNSNames: []string{"localhost"},
				NotBefore: tt.notBefore, NotAfter: tt.notBefore.Add(180 * day), SCTs: !tt.sct.IsZero(), SCTTime: tt.sct})
			ev := healthyEvidence(t, [][]byte{leaf.DER}, nil)
			onlyThese(t, evaluateAt(ev, trust.New("test", root.Cert), tt.clock), tt.want)
		})
	}
	c := testpki.NewChain(t, now)
	got := evaluate(healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil), roots(c.Root))
	expect(t, got, want{"chain.distrust", report.Pass, []string{"Entrust", "Camerfirma"}})
}

// TestEarliestSCTBounded: SCT lists that lie about their lengths give no
// time and no panic.
func TestEarliestSCTBounded(t *testing.T) {
	c := testpki.NewChain(t, now)
	if _, ok := earliestSCT(c.Leaf.Cert); ok {
		t.Error("a leaf without SCTs has an SCT time")
	}
	leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, SCTs: true, SCTTime: now.Add(-time.Hour)})
	if got, ok := earliestSCT(leaf.Cert); !ok || !got.Equal(now.Add(-time.Hour)) {
		t.Errorf("earliestSCT = %s %v, want %s", got, ok, now.Add(-time.Hour))
	}
	for _, e := range leaf.Cert.Extensions {
		if !e.Id.Equal(oidSCTList) {
			continue
		}
		for cut := 0; cut < len(e.Value); cut++ {
			bad := *leaf.Cert
			bad.Extensions = []pkix.Extension{{Id: e.Id, Value: e.Value[:cut]}}
			earliestSCT(&bad) // must not panic
		}
	}
}

// TestTLSPQ: information only, from the negotiated group or the
// enumeration's TLS 1.3 groups; never a warning.
func TestTLSPQ(t *testing.T) {
	c := testpki.NewChain(t, now)
	tls13 := func(offered *bool, groups ...string) func(*probe.Evidence) {
		return func(ev *probe.Evidence) {
			ev.Endpoints[0].Scan = &tlshello.Result{Protocols: []tlshello.Protocol{
				{Version: 0x0303, Name: "TLS 1.2", Offered: b(true)},
				{Version: 0x0304, Name: "TLS 1.3", Offered: offered, Groups: groups, Reason: "timeout"},
			}}
		}
	}
	tests := []struct {
		name string
		mod  func(*probe.Evidence)
		want want
	}{
		{"negotiated", func(ev *probe.Evidence) { ev.Endpoints[0].Handshake.CurveID = 0x11EC },
			want{"tls.pq", report.Pass, []string{"negotiated X25519MLKEM768 (0x11EC)"}}},
		{"accepted in the enumeration", tls13(b(true), "x25519", "X25519MLKEM768"),
			want{"tls.pq", report.Pass, []string{"accepts X25519MLKEM768"}}},
		{"not accepted", tls13(b(true), "x25519", "secp256r1"),
			want{"tls.pq", report.Info, []string{"does not accept X25519MLKEM768", "classical"}}},
		{"no TLS 1.3", tls13(b(false)),
			want{"tls.pq", report.Info, []string{"does not offer TLS 1.3"}}},
		{"TLS 1.3 unknown", tls13(nil),
			want{"tls.pq", report.Info, []string{"not known", "timeout"}}},
		{"no enumeration", func(*probe.Evidence) {},
			want{"tls.pq", report.Info, []string{"not known"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
			tt.mod(ev)
			got := evaluate(ev, roots(c.Root))
			expect(t, got, tt.want)
		})
	}
}

// TestMTLSPublicCA: a server whose acceptable client CAs include a public
// TLS root gets the clientAuth risk named; one listing a private CA does not.
func TestMTLSPublicCA(t *testing.T) {
	c := testpki.NewChain(t, now)
	public := trust.Mozilla().Certs[0]
	for _, tt := range []struct {
		name  string
		cas   [][]byte
		named bool
	}{
		{"public root", [][]byte{c.Root.Cert.RawSubject, public.RawSubject}, true},
		{"private CA", [][]byte{c.Root.Cert.RawSubject}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ev := healthyEvidence(t, [][]byte{c.Leaf.DER, c.Intermediate.DER}, nil)
			hs := ev.Endpoints[0].Handshake
			hs.ClientCertRequested, hs.AcceptableCAs = true, tt.cas
			r := evaluate(ev, roots(c.Root))["mtls.request"]
			has := strings.Contains(r.Detail, "clientAuth") && strings.Contains(r.Detail, name(public))
			if has != tt.named {
				t.Errorf("mtls.request = %s %q: clientAuth risk named %v, want %v", r.Status, r.Detail, has, tt.named)
			}
			if tt.named && (!strings.Contains(r.Detail, "2027-03-15") || !strings.Contains(r.Detail, "2026-02-11")) {
				t.Errorf("mtls.request detail %q does not give the dates", r.Detail)
			}
		})
	}
}

// TestExpiryRelativeToLifetime: with --expiry-warn at its default, a
// certificate gets a warning when less than a third of its lifetime (at most
// 30 days) remains; any other --expiry-warn is used as given.
func TestExpiryRelativeToLifetime(t *testing.T) {
	c := testpki.NewChain(t, now)
	tests := []struct {
		name       string
		life, left time.Duration
		warnDays   int // --expiry-warn; 0: the default
		want       want
	}{
		{"47 days, 20 left", 47 * day, 20 * day, 0, want{"cert.expiry", report.Pass, []string{"in 20 days"}}},
		{"47 days, 10 left", 47 * day, 10 * day, 0, want{"cert.expiry", report.Warn, []string{"in 10 days"}}},
		{"90 days, 29 left", 90 * day, 29 * day, 0, want{"cert.expiry", report.Warn, []string{"in 29 days"}}},
		{"90 days, 31 left", 90 * day, 31 * day, 0, want{"cert.expiry", report.Pass, []string{"in 31 days"}}},
		{"180 days, 29 left", 180 * day, 29 * day, 0, want{"cert.expiry", report.Warn, []string{"in 29 days"}}},
		{"47 days, 20 left, --expiry-warn 25", 47 * day, 20 * day, 25, want{"cert.expiry", report.Warn, []string{"in 20 days"}}},
		{"90 days, 25 left, --expiry-warn 10", 90 * day, 25 * day, 10, want{"cert.expiry", report.Pass, []string{"in 25 days"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end := now.Add(tt.left + time.Hour)
			leaf := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"},
				NotBefore: end.Add(-tt.life), NotAfter: end})
			th := DefaultThresholds()
			if tt.warnDays > 0 {
				th.ExpiryWarn, th.ExpiryWarnRelative = time.Duration(tt.warnDays)*day, false
			}
			got := map[string]report.Result{}
			ev := healthyEvidence(t, [][]byte{leaf.DER, c.Intermediate.DER}, nil)
			for _, r := range Evaluate(Input{Evidence: ev, Roots: roots(c.Root), Thresholds: th, Now: now}) {
				got[r.ID] = r
			}
			onlyThese(t, got, tt.want)
		})
	}
}
