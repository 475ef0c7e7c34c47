package main

// The 2026 Web PKI facts (issue 13): certificate lifetime limits
// (cert.lifetime), CA distrust events (chain.distrust), post-quantum key
// exchange (tls.pq) and public CAs trusted for client certificates
// (mtls.request), each from a Go TLS server on loopback probed by the built
// binary, asserting the check that names the cause and that no other check
// warns or fails blaming another.

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/trust"
)

func TestWebPKI2026(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	root := testpki.NewRoot(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0)})
	rootFile := writeFile(t, "root.pem", root.PEM())
	inter := root.Intermediate(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-1, 0, 0)})
	// A leaf with SCTs is a public CA's: the lifetime limits apply even
	// under --ca-file.
	leaf := func(ca *testpki.CA, life time.Duration, scts bool) *testpki.Leaf {
		return ca.Leaf(t, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, SCTs: scts,
			SCTTime: now.Add(-day), NotBefore: now.Add(-day), NotAfter: now.Add(-day).Add(life)})
	}
	entrust := testpki.NewRoot(t, testpki.CAOptions{Now: now, NotBefore: now.AddDate(-5, 0, 0),
		CommonName: "Entrust Root Certification Authority - G2", Organization: "Entrust, Inc."})
	entrustFile := writeFile(t, "entrust.pem", entrust.PEM())
	publicRoot := trust.Mozilla().Certs[0]
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(publicRoot)

	tests := []struct {
		name   string
		config *tls.Config
		roots  string
		allow  map[string]string
		detail map[string]string // id → a substring its detail must have
		status map[string]string // id → the status it must have (pass, info, skip)
	}{
		{"300-day public leaf", &tls.Config{Certificates: []tls.Certificate{leaf(inter, 300*day, true).TLSCertificate(inter.DER)}},
			rootFile, with(map[string]string{"cert.lifetime": "warn"}),
			map[string]string{"cert.lifetime": "lasts 300 days"}, nil},
		{"45-day public leaf", &tls.Config{Certificates: []tls.Certificate{leaf(inter, 45*day, true).TLSCertificate(inter.DER)}},
			rootFile, baseline, map[string]string{"cert.lifetime": "45 days"}, map[string]string{"cert.lifetime": "pass"}},
		{"300-day private leaf", &tls.Config{Certificates: []tls.Certificate{leaf(inter, 300*day, false).TLSCertificate(inter.DER)}},
			rootFile, baseline, map[string]string{"cert.lifetime": "--ca-file"}, map[string]string{"cert.lifetime": "skip"}},
		{"47-day leaf with 20 days left", &tls.Config{Certificates: []tls.Certificate{inter.Leaf(t, testpki.LeafOptions{Now: now,
			DNSNames: []string{"localhost"}, NotBefore: now.Add(-27 * day), NotAfter: now.Add(20*day + time.Hour)}).TLSCertificate(inter.DER)}},
			rootFile, baseline, map[string]string{"cert.expiry": "in 20 days"}, map[string]string{"cert.expiry": "pass"}},
		{"entrust leaf issued now", &tls.Config{Certificates: []tls.Certificate{leaf(entrust, 45*day, false).TLSCertificate()}},
			entrustFile, with(map[string]string{"chain.distrust": "fail"}),
			map[string]string{"chain.distrust": "Entrust"}, nil},
		{"post-quantum key exchange", &tls.Config{Certificates: []tls.Certificate{leaf(inter, 45*day, false).TLSCertificate(inter.DER)}},
			rootFile, baseline, map[string]string{"tls.pq": "X25519MLKEM768"}, map[string]string{"tls.pq": "pass"}},
		{"classical key exchange only", &tls.Config{Certificates: []tls.Certificate{leaf(inter, 45*day, false).TLSCertificate(inter.DER)},
			CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}},
			rootFile, baseline, map[string]string{"tls.pq": "does not accept X25519MLKEM768"}, map[string]string{"tls.pq": "info"}},
		{"client certificates from a public TLS root", &tls.Config{Certificates: []tls.Certificate{leaf(inter, 45*day, false).TLSCertificate(inter.DER)},
			ClientAuth: tls.RequestClientCert, ClientCAs: clientCAs},
			rootFile, baseline, map[string]string{"mtls.request": "clientAuth"}, map[string]string{"mtls.request": "info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.config
			cfg.NextProtos = []string{"h2", "http/1.1"}
			cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
				tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}
			addr := testpki.StartTLS(t, cfg)
			res := runBinary(t, probeArgs(t, addr, tt.roots)...)
			onlyAllowed(t, res.json, tt.allow)
			for id, sub := range tt.detail {
				if d := res.json.detail(id); !strings.Contains(d, sub) {
					t.Errorf("%s detail %q does not say %q", id, d, sub)
				}
			}
			for id, st := range tt.status {
				if got := res.json.status(id); got != st {
					t.Errorf("%s = %s (%s), want %s", id, got, res.json.detail(id), st)
				}
			}
		})
	}
}
