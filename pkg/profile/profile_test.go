package profile

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/wacheck/wacheck/pkg/tlshello"
)

func TestProfilesOfferRecommendedSuites(t *testing.T) {
	for _, p := range All() {
		if p.Key == "" || p.Name == "" || p.Short == "" {
			t.Errorf("%+v: key, name and short name are required", p)
		}
		if p.MinVersion < tls.VersionTLS12 || p.MaxVersion < p.MinVersion {
			t.Errorf("%s: versions %x-%x", p.Key, p.MinVersion, p.MaxVersion)
		}
		for _, id := range p.Suites() {
			s, ok := tlshello.LookupSuite(id)
			if !ok {
				t.Errorf("%s offers 0x%04X, not in the registry", p.Key, id)
				continue
			}
			if s.Grade != tlshello.Recommended {
				t.Errorf("%s offers %s, graded %s", p.Key, s.Name, s.Grade)
			}
		}
		if len(p.Groups) == 0 || len(p.ALPN) == 0 {
			t.Errorf("%s: no groups or ALPN", p.Key)
		}
		if len(p.Facts) == 0 {
			t.Errorf("%s: no facts: say what is documented and what is assumed", p.Key)
		}
		for _, f := range p.Facts {
			if f.Documented && f.Source == "" {
				t.Errorf("%s: documented fact %q has no source", p.Key, f.Topic)
			}
		}
	}
}

func TestOffers(t *testing.T) {
	meta := MustLookup("meta")
	for _, tc := range []struct {
		version, suite uint16
		want           bool
	}{
		{tlshello.VersionTLS12, 0xC02F, true},
		{tlshello.VersionTLS13, 0x1303, true},
		{tlshello.VersionTLS13, 0xC02F, false}, // a TLS 1.2 suite in TLS 1.3
		{tlshello.VersionTLS12, 0x1301, false}, // a TLS 1.3 suite in TLS 1.2
		{tlshello.VersionTLS11, 0xC02F, false}, // a version Meta does not speak
		{tlshello.VersionTLS12, 0xCCA8, false}, // a suite Meta does not offer
	} {
		if got := meta.Offers(tc.version, tc.suite); got != tc.want {
			t.Errorf("meta.Offers(%x, %s) = %v", tc.version, tlshello.SuiteName(tc.suite), got)
		}
	}
	if !MustLookup("generic").Offers(tlshello.VersionTLS12, 0xCCA8) {
		t.Error("generic should offer ECDHE-RSA-CHACHA20-POLY1305 (Mozilla intermediate)")
	}
}

func TestClientCertAccepted(t *testing.T) {
	const (
		evRoot   = "CN=DigiCert High Assurance EV Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US"
		sha2     = "CN=DigiCert SHA2 High Assurance Server CA,OU=www.digicert.com,O=DigiCert Inc,C=US"
		lookLike = "CN=Metadata Services Internal CA,O=Outbound Proxy Team"
		metaCA   = "CN=Meta Outbound API CA 2025-12,O=Meta Platforms\\, Inc.,C=US"
	)
	// Meta publishes its CA's file, not its name: no name listed is taken
	// for it, however alike, and only retired CAs alone decide.
	meta := MustLookup("meta")
	for _, tc := range []struct {
		cas  []string
		want Acceptance
	}{
		{[]string{metaCA}, Unknown},
		{[]string{lookLike}, Unknown},
		{[]string{"CN=meta outbound api ca"}, Unknown},
		{[]string{evRoot}, RetiredOnly},
		{[]string{evRoot, sha2}, RetiredOnly},
		{[]string{strings.ToUpper(evRoot)}, RetiredOnly},
		{[]string{"CN=DigiCert High Assurance EV Root CA"}, Unknown}, // not the whole name
		{[]string{evRoot, lookLike}, Unknown},
		{nil, Unknown},
	} {
		if got, _ := meta.ClientCertAccepted(tc.cas); got != tc.want {
			t.Errorf("meta, %v: got %v, want %v", tc.cas, got, tc.want)
		}
	}
	// With the CA's file (--client-ca), its exact name.
	withFile := MustLookup("meta")
	withFile.ClientCert.IssuerDNs = []string{metaCA}
	for _, tc := range []struct {
		cas  []string
		want Acceptance
		dn   string
	}{
		{[]string{lookLike, metaCA}, Accepted, metaCA},
		{[]string{"cn=meta outbound api ca 2025-12,o=meta  platforms\\, inc.,c=us"}, Accepted,
			"cn=meta outbound api ca 2025-12,o=meta  platforms\\, inc.,c=us"},
		{[]string{lookLike}, NotListed, ""},
		{[]string{"CN=Meta Outbound API CA 2025-12"}, NotListed, ""},
		{[]string{metaCA + ",O=Extra"}, NotListed, ""},
		{[]string{evRoot}, RetiredOnly, ""},
		{nil, NotListed, ""},
	} {
		if got, dn := withFile.ClientCertAccepted(tc.cas); got != tc.want || dn != tc.dn {
			t.Errorf("with the CA file, %v: got %v (%q), want %v (%q)", tc.cas, got, dn, tc.want, tc.dn)
		}
	}
	if got, _ := MustLookup("generic").ClientCertAccepted([]string{"CN=x"}); got != NoClientCert {
		t.Errorf("generic has no client certificate, got %v", got)
	}
}

// TestRetiredCANamesAreExact checks the retired root's name against the
// certificate itself: from Mozilla's bundle, or from the OS's root files
// (Mozilla removed it in 2025; Debian still ships it).
func TestRetiredCANamesAreExact(t *testing.T) {
	var root *x509.Certificate
	for r := range bundle.Roots() {
		if c, err := x509.ParseCertificate(r.Certificate); err == nil && c.Subject.CommonName == "DigiCert High Assurance EV Root CA" {
			root = c
		}
	}
	if root == nil {
		if b, err := os.ReadFile("/etc/ssl/certs/DigiCert_High_Assurance_EV_Root_CA.pem"); err == nil {
			if p, _ := pem.Decode(b); p != nil {
				root, _ = x509.ParseCertificate(p.Bytes)
			}
		}
	}
	if root == nil {
		t.Skip("no copy of DigiCert High Assurance EV Root CA here")
	}
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(root.RawSubject, &seq); err != nil {
		t.Fatal(err)
	}
	if got, want := seq.String(), MustLookup("meta").ClientCert.Retired[0].DN; got != want {
		t.Errorf("the root's subject is %q, the profile says %q", got, want)
	}
}

func TestLookup(t *testing.T) {
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
	if MustLookup("nope").Key != Default {
		t.Error("MustLookup of an unknown key should give the default")
	}
	if got := Keys(); !slices.Equal(got, []string{"discord", "generic", "github", "line", "meta", "msgraph", "shopify",
		"slack", "stripe", "twilio", "twitch", "zoom"}) {
		t.Errorf("Keys() = %v", got)
	}
	// All returns fresh values: changing one must not change the next.
	All()[0].Name = "changed"
	if All()[0].Name == "changed" {
		t.Error("All() shares its values")
	}
	if All()[0].Key != Default {
		t.Errorf("All() starts with %q, want the default %q", All()[0].Key, Default)
	}
	// Lookup builds the profile asked for alone: the one All has, fresh.
	for _, want := range All() {
		p, ok := Lookup(want.Key)
		if !ok || p.Key != want.Key || p.Name != want.Name {
			t.Fatalf("Lookup(%q) = %v, %v", want.Key, p, ok)
		}
		p.Name = "changed"
		if q, _ := Lookup(want.Key); q == p || q.Name == "changed" {
			t.Errorf("Lookup(%q) shares its value", want.Key)
		}
	}
}

// goGroupOrder and goSuiteOrder are Go 1.26's own preference orders
// (crypto/tls defaults.go and cipher_suites.go, AES-GCM hardware): Go takes
// a profile's lists as sets and puts them on the wire in these orders, so a
// profile lists them the same way.
var (
	goGroupOrder = []tls.CurveID{tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024,
		tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}
	goSuiteOrder = []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	}
	goSuite13Order = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}
)

// inOrder reports whether every element of list appears in order, and
// whether all of them are known to order.
func inOrder[T comparable](list, order []T) bool {
	last := -1
	for _, x := range list {
		i := slices.Index(order, x)
		if i <= last {
			return false
		}
		last = i
	}
	return true
}

func TestListsAreInGoOrder(t *testing.T) {
	for _, p := range All() {
		if !inOrder(p.Groups, goGroupOrder) {
			t.Errorf("%s: groups %v are not in Go's order %v", p.Key, p.Groups, goGroupOrder)
		}
		if !inOrder(p.Suites12, goSuiteOrder) {
			t.Errorf("%s: TLS 1.2 suites are not in Go's order", p.Key)
		}
		if !slices.Equal(p.Suites13, goSuite13Order) {
			t.Errorf("%s: Go always offers the three TLS 1.3 suites, got %v", p.Key, p.Suites13)
		}
	}
}

func TestKeyShares(t *testing.T) {
	for _, tc := range []struct {
		groups []tls.CurveID
		max    uint16
		want   []tls.CurveID
	}{
		{[]tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}, tls.VersionTLS13, []tls.CurveID{tls.X25519MLKEM768, tls.X25519}},
		{[]tls.CurveID{tls.X25519MLKEM768, tls.CurveP256}, tls.VersionTLS13, []tls.CurveID{tls.X25519MLKEM768}},
		{[]tls.CurveID{tls.SecP256r1MLKEM768, tls.CurveP256}, tls.VersionTLS13, []tls.CurveID{tls.SecP256r1MLKEM768, tls.CurveP256}},
		{[]tls.CurveID{tls.X25519, tls.CurveP256}, tls.VersionTLS13, []tls.CurveID{tls.X25519}},
		{[]tls.CurveID{tls.X25519}, tls.VersionTLS12, nil},
		{nil, tls.VersionTLS13, nil},
	} {
		p := &Profile{Groups: tc.groups, MaxVersion: tc.max}
		if got := p.KeyShares(); !slices.Equal(got, tc.want) {
			t.Errorf("%v up to %x: key shares %v, want %v", tc.groups, tc.max, got, tc.want)
		}
	}
}
