package probe

import (
	"crypto/tls"
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/profile"
)

func TestKeyTypeSuites(t *testing.T) {
	types, suites := keyTypeSuites(ClientFromProfile(profile.MustLookup(profile.Default)))
	if !slices.Equal(types, []string{"ECDSA", "RSA"}) {
		t.Fatalf("key types = %v", types)
	}
	if !slices.Equal(suites["ECDSA"], []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}) ||
		!slices.Equal(suites["RSA"], []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}) {
		t.Errorf("suites = %v", suites)
	}
	if types, _ := keyTypeSuites(Client{MinVersion: tls.VersionTLS13}); types != nil {
		t.Errorf("TLS 1.3 only: key types = %v, want none (Go cannot ask TLS 1.3 for one)", types)
	}
	// One key type: keyTypeHandshakes makes none (the strict handshake is that one).
	if types, _ := keyTypeSuites(Client{CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}); !slices.Equal(types, []string{"ECDSA"}) {
		t.Errorf("one key type: key types = %v", types)
	}
}

// TestKeyTypeHandshakes: a server with an ECDSA and an RSA certificate
// (Go's server picks the first the client's offer supports) serves each
// key type's handshake its own chain.
func TestKeyTypeHandshakes(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	rsa := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, KeyType: testpki.RSA2048})
	addr := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER),
		rsa.TLSCertificate()}})
	ep := run(t, addr, 5*time.Second).Endpoints[0]
	if len(ep.KeyTypes) != 2 {
		t.Fatalf("key-type handshakes = %+v, want ECDSA and RSA", ep.KeyTypes)
	}
	for _, kt := range ep.KeyTypes {
		hs := kt.Handshake
		if hs.Err != nil || hs.Version != tls.VersionTLS12 || len(hs.Certificates) == 0 {
			t.Errorf("%s handshake = %+v", kt.KeyType, hs)
			continue
		}
		leaf, err := x509.ParseCertificate(hs.Certificates[0])
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]x509.PublicKeyAlgorithm{"ECDSA": x509.ECDSA, "RSA": x509.RSA}[kt.KeyType]
		if leaf.PublicKeyAlgorithm != want || (kt.KeyType == "RSA") != (len(hs.Certificates) == 1) {
			t.Errorf("%s handshake got a %s leaf and %d certificates", kt.KeyType, leaf.PublicKeyAlgorithm, len(hs.Certificates))
		}
	}
}

func TestResumption(t *testing.T) {
	now := time.Now()
	c := testpki.NewChain(t, now)
	cert := c.TLSCertificate(c.Intermediate.DER)
	tests := []struct {
		name            string
		cfg             *tls.Config
		version         uint16
		ticket, resumed bool
	}{
		{"TLS 1.3 tickets", &tls.Config{}, tls.VersionTLS13, true, true},
		{"TLS 1.2 tickets", &tls.Config{MaxVersion: tls.VersionTLS12}, tls.VersionTLS12, true, true},
		{"TLS 1.3 no tickets", &tls.Config{SessionTicketsDisabled: true}, tls.VersionTLS13, false, false},
		{"TLS 1.2 no tickets", &tls.Config{MaxVersion: tls.VersionTLS12, SessionTicketsDisabled: true}, tls.VersionTLS12, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Certificates = []tls.Certificate{cert}
			start := time.Now()
			r := run(t, testpki.StartTLS(t, tt.cfg), 5*time.Second).Endpoints[0].Resumption
			if r == nil || r.Err != nil || r.Version != tt.version || r.Ticket != tt.ticket || r.Resumed != tt.resumed {
				t.Fatalf("resumption = %+v, want %s, ticket %v, resumed %v", r, tls.VersionName(tt.version), tt.ticket, tt.resumed)
			}
			if el := time.Since(start); el > ticketWait+time.Second {
				t.Errorf("the probe took %s: waiting for a ticket must end when it arrives", el)
			}
		})
	}
	t.Run("expired certificate", func(t *testing.T) {
		old := c.Intermediate.Leaf(t, testpki.LeafOptions{Now: now, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
		r := run(t, testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{old.TLSCertificate()}}), 5*time.Second).
			Endpoints[0].Resumption
		if r == nil || r.Err == nil || r.Err.Kind != ErrNotAttempted {
			t.Errorf("resumption = %+v, want not attempted", r)
		}
	})
}
