package checks

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/trust"
)

// onlyThese asserts that of the chain, cert and ocsp checks exactly the
// wanted ones warn or fail: no other check blames another cause.
func onlyThese(t *testing.T, got map[string]report.Result, wants ...want) {
	t.Helper()
	expect(t, got, wants...)
	for id, r := range got {
		cat, _, _ := strings.Cut(id, ".")
		if cat != "chain" && cat != "cert" && cat != "ocsp" || r.Status != report.Warn && r.Status != report.Fail {
			continue
		}
		wanted := false
		for _, w := range wants {
			wanted = wanted || w.id == id
		}
		if !wanted {
			t.Errorf("%s = %s (%s): only the wanted checks may warn or fail", id, r.Status, r.Detail)
		}
	}
}

// mozillaRoot is a root of Mozilla's list with a key identifier, for
// certificates that claim it as their issuer.
func mozillaRoot(t *testing.T) *x509.Certificate {
	for _, c := range trust.Mozilla().Certs {
		if len(c.SubjectKeyId) > 0 && c.Subject.CommonName != "" {
			return c
		}
	}
	t.Fatal("no root of Mozilla's list has a key identifier")
	return nil
}

// TestUntrustedRootOrMissingIntermediate: a chain that stops at an issuer
// neither served nor in the pool is a missing intermediate (chain.complete)
// or a root outside the pool (chain.trusted), told apart without the
// network as docs/checks.md explains: each shape once.
func TestUntrustedRootOrMissingIntermediate(t *testing.T) {
	mozilla := trust.Mozilla()
	leafOf := func(ca *testpki.CA, o testpki.LeafOptions) *testpki.Leaf {
		o.Now, o.DNSNames = now, []string{"localhost"}
		o.IssuingCertificateURL = []string{testpki.ChainIssuerURL}
		return ca.Leaf(t, o)
	}
	// A private CA: root and intermediate of their own organization.
	privRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Corp Root CA", Organization: "Corp"})
	privInter := privRoot.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Corp Issuing CA", Organization: "Corp"})
	privLeaf := leafOf(privInter, testpki.LeafOptions{})
	// An interception proxy's root, issuing leaves directly.
	proxy := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Superfish, Inc.", Organization: "Superfish, Inc."})
	proxyLeaf := leafOf(proxy, testpki.LeafOptions{})
	// A public-looking CA: its leaves carry CT proofs.
	pubRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Public Root R1", Organization: "Public CA"})
	pubInter := pubRoot.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Public Issuing R3", Organization: "Public CA"})
	pubLeaf := leafOf(pubInter, testpki.LeafOptions{SCTs: true})
	// Three levels: root, policy CA, issuing CA.
	policy := privRoot.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Corp Policy CA", Organization: "Corp"})
	issuing := policy.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Corp TLS CA", Organization: "Corp"})
	deepLeaf := leafOf(issuing, testpki.LeafOptions{})
	// An intermediate naming a root of Mozilla's list as its issuer.
	known := mozillaRoot(t)
	claims := privRoot.IntermediateNamingIssuer(t, known, testpki.CAOptions{Now: now, CommonName: "Claims Public CA", Organization: "Claims"})
	claimsLeaf := leafOf(claims, testpki.LeafOptions{})
	otherStore := trust.New("test", testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Other Root", Organization: "Other"}).Cert)

	tests := []struct {
		name  string
		certs [][]byte
		roots *trust.Store
		wants []want
	}{
		{"private CA, leaf and intermediate, Mozilla's store", [][]byte{privLeaf.DER, privInter.DER}, mozilla, []want{
			{"chain.trusted", report.Fail, []string{"ends at CN=Corp Issuing CA, issued by CN=Corp Root CA", "not in the mozilla root store", "private CA"}},
			{"chain.complete", report.Pass, []string{"CN=Corp Root CA is a root"}},
		}},
		{"private CA, leaf and intermediate, another --ca-file", [][]byte{privLeaf.DER, privInter.DER}, otherStore, []want{
			{"chain.trusted", report.Fail, []string{"CN=Corp Root CA", "not in the test root store"}},
			{"chain.complete", report.Pass, nil},
		}},
		{"interception root, leaf alone, Mozilla's store", [][]byte{proxyLeaf.DER}, mozilla, []want{
			{"chain.trusted", report.Fail, []string{"issued by CN=Superfish, Inc.", "no Certificate Transparency proof"}},
		}},
		{"private CA, leaf alone, Mozilla's store", [][]byte{privLeaf.DER}, mozilla, []want{
			{"chain.trusted", report.Fail, []string{"CN=Corp Issuing CA", "private CA"}},
		}},
		{"private CA, leaf alone, its own root given", [][]byte{privLeaf.DER}, roots(privRoot), []want{
			{"chain.complete", report.Fail, []string{"did not send the certificate of CN=Corp Issuing CA"}},
		}},
		{"public CA, leaf alone", [][]byte{pubLeaf.DER}, mozilla, []want{
			{"chain.complete", report.Fail, []string{"did not send the certificate of CN=Public Issuing R3"}},
		}},
		{"public CA, intermediate's issuer missing", [][]byte{pubLeaf.DER, pubInter.DER}, mozilla, []want{
			{"chain.complete", report.Fail, []string{"CN=Public Root R1", "Mozilla's list, which holds every public root"}},
		}},
		{"private CA, a gap between the served certificates", [][]byte{deepLeaf.DER, issuing.DER, privRoot.DER}, roots(privRoot), []want{
			{"chain.complete", report.Fail, []string{"CN=Corp Policy CA", "does not connect to it"}},
			{"chain.extra", report.Warn, []string{"#2 CN=Corp Root CA"}},
		}},
		{"private CA, the policy CA missing, its root given", [][]byte{deepLeaf.DER, issuing.DER}, roots(privRoot), []want{
			{"chain.complete", report.Fail, []string{"CN=Corp Policy CA", "organization of the root CN=Corp Root CA"}},
		}},
		{"issuer named as a public root the --ca-file lacks", [][]byte{claimsLeaf.DER, claims.DER}, otherStore, []want{
			{"chain.trusted", report.Fail, []string{name(known), "public root (in Mozilla's list)"}},
			{"chain.complete", report.Pass, nil},
		}},
		{"issuer named as a root of the store that did not sign", [][]byte{claimsLeaf.DER, claims.DER}, mozilla, []want{
			{"chain.trusted", report.Fail, []string{"names " + name(known), "does not verify"}},
			{"chain.complete", report.Pass, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(healthyEvidence(t, tt.certs, nil), tt.roots)
			onlyThese(t, got, append(tt.wants, want{"ocsp.stapled", got["ocsp.stapled"].Status, nil})...)
			for _, id := range []string{"chain.complete", "chain.trusted"} {
				if d := got[id].Detail; got[id].Status == report.Pass && strings.Contains(d, "did not send") {
					t.Errorf("%s passes saying %q", id, d)
				}
			}
		})
	}
}

// TestCrossSignedShapes: a new root cross-signed by an old one, with
// either root in the pool, and the 2021 Let's Encrypt shape (an expired
// cross-signed root served after the intermediate while the path to the
// self-signed root in the store is valid).
func TestCrossSignedShapes(t *testing.T) {
	oldRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "Old Root X3", Organization: "Old Trust Co.",
		NotBefore: now.AddDate(-20, 0, 0)})
	newRoot := testpki.NewRoot(t, testpki.CAOptions{Now: now, CommonName: "New Root X1", Organization: "New Group",
		NotBefore: now.AddDate(-10, 0, 0)})
	cross := oldRoot.CrossSign(t, newRoot, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0)})
	expiredCross := oldRoot.CrossSign(t, newRoot, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0),
		NotAfter: now.AddDate(0, -2, 0)})
	expiringCross := oldRoot.CrossSign(t, newRoot, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0),
		NotAfter: now.AddDate(0, 0, 10)})
	inter := newRoot.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "Issuing R3", Organization: "New Group"})
	leaf := inter.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})

	tests := []struct {
		name  string
		certs [][]byte
		roots *trust.Store
		wants []want
	}{
		{"cross-signed root served, new root in the store", [][]byte{leaf.DER, inter.DER, cross.DER}, roots(newRoot), []want{
			{"chain.extra", report.Warn, []string{"#2 CN=New Root X1", "cross-signed certificate for CN=New Root X1", "older clients may choose it"}},
		}},
		{"cross-signed root served, old store", [][]byte{leaf.DER, inter.DER, cross.DER}, roots(oldRoot), nil},
		{"2021 shape: expired cross-signed root served", [][]byte{leaf.DER, inter.DER, expiredCross.DER}, roots(newRoot), []want{
			{"chain.extra", report.Warn, []string{"cross-signed", "expired on", "clients that build their path through it fail"}},
		}},
		{"expiring cross-signed root served", [][]byte{leaf.DER, inter.DER, expiringCross.DER}, roots(newRoot), []want{
			{"chain.extra", report.Warn, []string{"cross-signed", "expires on"}},
		}},
		{"old store, cross-signed root not served", [][]byte{leaf.DER, inter.DER}, roots(oldRoot), []want{
			{"chain.trusted", report.Fail, []string{"issued by CN=New Root X1", "not in the test root store"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(healthyEvidence(t, tt.certs, nil), tt.roots)
			onlyThese(t, got, append(tt.wants, want{"ocsp.stapled", got["ocsp.stapled"].Status, nil})...)
			if len(tt.wants) > 0 && tt.wants[0].id == "chain.extra" {
				expect(t, got, want{"cert.expiry", report.Pass, []string{"the leaf expires"}},
					want{"chain.trusted", report.Pass, []string{"CN=New Root X1"}},
					want{"chain.complete", report.Pass, []string{"CN=Issuing R3 → CN=New Root X1"}})
			}
		})
	}
}

// TestExpiredIntermediateOnThePath: an expired intermediate on the only
// path is cert.expiry's finding alone, also when it expired before the leaf
// was issued (an old copy served after a renewal).
func TestExpiredIntermediateOnThePath(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0)})
	key := testpki.NewKey(t, testpki.ECDSAP256)
	old := root.Intermediate(t, testpki.CAOptions{Now: now, Key: key, NotBefore: now.AddDate(-3, 0, 0),
		NotAfter: now.AddDate(0, -2, 0)})
	renewed := root.Intermediate(t, testpki.CAOptions{Now: now, Key: key, NotBefore: now.AddDate(0, -3, 0)})
	early := old.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, NotBefore: now.AddDate(0, -4, 0),
		NotAfter: now.AddDate(0, 2, 0)})
	late := renewed.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	for _, tt := range []struct {
		name  string
		certs [][]byte
	}{
		{"leaf issued while the intermediate was valid", [][]byte{early.DER, old.DER}},
		{"leaf issued after the served intermediate expired", [][]byte{late.DER, old.DER}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(healthyEvidence(t, tt.certs, nil), roots(root))
			onlyThese(t, got, want{"cert.expiry", report.Fail, []string{"intermediate CN=wacheck test intermediate CA (#1) expired"}})
			expect(t, got, want{"chain.trusted", report.Pass, []string{"judged apart from validity periods"}},
				want{"chain.complete", report.Pass, nil})
			for id, r := range got {
				if strings.Contains(r.Detail, "current time") {
					t.Errorf("%s quotes Go's verifier: %s", id, r.Detail)
				}
			}
			if !strings.Contains(got["cert.expiry"].Remediation, "current intermediate") {
				t.Errorf("cert.expiry remediation %q does not say to serve the current intermediate", got["cert.expiry"].Remediation)
			}
		})
	}
}

// TestChainMisshapes: certificates that were sent are never "not sent".
func TestChainMisshapes(t *testing.T) {
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now})
	keyA, keyB := testpki.NewKey(t, testpki.ECDSAP256), testpki.NewKey(t, testpki.ECDSAP256)
	// A and B issue each other: leaf ← A ← B ← A.
	a0 := testpki.NewRoot(t, testpki.CAOptions{Now: now, Key: keyA, CommonName: "Loop A", Organization: "Loop"})
	b := a0.Intermediate(t, testpki.CAOptions{Now: now, Key: keyB, CommonName: "Loop B", Organization: "Loop"})
	a := b.Intermediate(t, testpki.CAOptions{Now: now, Key: keyA, CommonName: "Loop A", Organization: "Loop"})
	loopLeaf := a.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}})
	c := testpki.NewChain(t, now)
	stranger := root.Intermediate(t, testpki.CAOptions{Now: now}) // same name as c's intermediate, other key

	tests := []struct {
		name  string
		certs [][]byte
		wants []want
	}{
		{"loop", [][]byte{loopLeaf.DER, a.DER, b.DER}, []want{
			{"chain.complete", report.Fail, []string{"loop", "CN=Loop B was issued by CN=Loop A (#1)"}},
		}},
		{"truncated intermediate", [][]byte{c.Leaf.DER, c.Intermediate.DER[:len(c.Intermediate.DER)/2]}, []want{
			{"chain.complete", report.Fail, []string{"#1 was served but could not be parsed", "CN=wacheck test intermediate CA"}},
			{"chain.extra", report.Warn, []string{"#1 (unparsable)"}},
		}},
		{"another intermediate of the same name", [][]byte{c.Leaf.DER, stranger.DER}, []want{
			{"chain.complete", report.Fail, []string{"(#1) was served, but it did not issue"}},
			{"chain.extra", report.Warn, []string{"#1"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate(healthyEvidence(t, tt.certs, nil), roots(c.Root))
			onlyThese(t, got, append(tt.wants, want{"ocsp.stapled", got["ocsp.stapled"].Status, nil})...)
			if d := got["chain.complete"].Detail; strings.Contains(d, "did not send") {
				t.Errorf("chain.complete says a sent certificate was not sent: %s", d)
			}
		})
	}
}

// TestHostileChainIsBounded judges the chain of issue 10: 331 certificates
// named CN=Same with P-521 keys, each issued by the next and served in
// reverse, with and without key identifiers. The analysis stays within
// its bounds and says what it cut; nothing claims a certificate was not
// sent.
func TestHostileChainIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 662 P-521 keys")
	}
	for _, keyIDs := range []bool{false, true} {
		ch := testpki.NewSameNameChain(t, 331, now, keyIDs)
		start := time.Now()
		out := Run(Context{Roots: trust.Mozilla(), Thresholds: DefaultThresholds(), Now: now},
			[]*subject.Set{{Chain: &subject.Chain{Certs: ch.Served, Name: "localhost", Source: "files"}}})
		took := time.Since(start)
		// 64 + Go's own 100 checks at about 4 ms each, on a slow machine.
		if took > 1500*time.Millisecond {
			t.Errorf("key IDs %t: judging took %s", keyIDs, took)
		}
		cuts := out.Analyses[0].Cuts()
		if len(cuts) == 0 || cuts[0].Limit != "certificates" || cuts[0].Total != 331 || cuts[0].Max != MaxChainCerts {
			t.Errorf("key IDs %t: cuts %+v, want the certificates cut at %d of 331", keyIDs, cuts, MaxChainCerts)
		}
		if n := len(out.Analyses[0].Certificates()); n != MaxChainCerts {
			t.Errorf("key IDs %t: %d certificates described, want %d", keyIDs, n, MaxChainCerts)
		}
		got := map[string]report.Result{}
		for _, r := range out.Results {
			got[r.ID] = r
		}
		expect(t, got,
			want{"chain.extra", report.Warn, []string{"331", "#16 to #330, not analysed"}},
			want{"chain.complete", report.Skip, []string{"could not tell", "331 certificates were served"}},
			want{"chain.trusted", report.Skip, []string{"could not tell"}})
	}
}

// TestJudgingDeadline: a deadline that has passed still leaves
// MinJudgeBudget; judging many addresses serving many hostile chains stops
// at the deadline and says so.
func TestJudgingDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("generates P-521 keys")
	}
	var sets []*subject.Set
	for range 12 {
		ch := testpki.NewSameNameChain(t, MaxChainCerts, now, false)
		sets = append(sets, &subject.Set{Chain: &subject.Chain{Certs: ch.Served, Name: "localhost", Source: "files"}})
	}
	start := time.Now()
	out := Run(Context{Roots: trust.Mozilla(), Thresholds: DefaultThresholds(), Now: now, Deadline: start.Add(-time.Hour)}, sets)
	if took := time.Since(start); took > MinJudgeBudget+700*time.Millisecond {
		t.Errorf("judging took %s past a deadline of %s", took, MinJudgeBudget)
	}
	last := out.Analyses[len(sets)-1].Cuts()
	if len(last) == 0 || last[len(last)-1].Limit != "deadline" {
		t.Errorf("the last chain's cuts are %+v, want the deadline", last)
	}
}

// TestBuildPathIsBounded: the --fix path builder over the hostile chain.
func TestBuildPathIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates P-521 keys")
	}
	ch := testpki.NewSameNameChain(t, 120, now, false)
	var cands []*x509.Certificate
	for _, der := range ch.Served[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, c)
	}
	start := time.Now()
	p := BuildPath(ch.Leaf.Cert, cands, trust.Mozilla())
	if took := time.Since(start); took > time.Second || !p.Cut || p.Complete() {
		t.Errorf("BuildPath took %s, cut %t, complete %t", took, p.Cut, p.Complete())
	}
}

// TestCheapPathWithKeyIDs: key identifiers pick the issuer before any
// signature is tried, so a chain of the maximum length with one name
// verifies each link once.
func TestCheapPathWithKeyIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("generates P-521 keys")
	}
	ch := testpki.NewSameNameChain(t, MaxChainCerts, now, true)
	w := newWork(time.Time{})
	a := analyzeChain(ch.Served, trust.New("empty"), now, w)
	if len(a.path) != MaxChainCerts || !a.topSelfSigned {
		t.Errorf("path %v, top self-signed %t: want all %d certificates to the self-signed one", a.path, a.topSelfSigned, MaxChainCerts)
	}
	// One self-signature check per certificate naming itself, one per link.
	if spent := MaxSignatureChecks - w.sigLeft; spent > 2*MaxChainCerts {
		t.Errorf("%d signature checks for %d certificates", spent, MaxChainCerts)
	}
}
