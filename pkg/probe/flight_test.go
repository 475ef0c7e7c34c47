package probe

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/profile"
)

// The strict handshake measures the server's first flight and sees a
// HelloRetryRequest (flightConn). In TLS 1.3 Go's client reads nothing
// after the server's Finished before its own, so without a
// HelloRetryRequest the flight is every byte read; with one, every byte
// but the HelloRetryRequest's record. In TLS 1.2 the server's
// ChangeCipherSpec and Finished come after the client's second flight.
func TestFlightMeasured(t *testing.T) {
	meta, ok := profile.Lookup("meta")
	if !ok {
		t.Fatal("no meta profile")
	}
	c := testpki.NewChain(t, time.Now())
	cert := c.TLSCertificate(c.Intermediate.DER)
	certBytes := len(cert.Certificate[0]) + len(cert.Certificate[1])

	t.Run("TLS 1.3, accepted key share", func(t *testing.T) {
		hs := probeAs(t, testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}}), meta)
		if hs.Err != nil || hs.Version != tls.VersionTLS13 {
			t.Fatalf("handshake: %v, version %x", hs.Err, hs.Version)
		}
		if !hs.HelloRetryKnown || hs.HelloRetry || hs.HelloRetryGroup != 0 {
			t.Errorf("hello retry = %v/%v/%d, want known, none", hs.HelloRetryKnown, hs.HelloRetry, hs.HelloRetryGroup)
		}
		if hs.FlightBytes != hs.BytesRead || hs.FlightBytes <= certBytes {
			t.Errorf("flight = %d bytes, read %d, certificates %d", hs.FlightBytes, hs.BytesRead, certBytes)
		}
	})

	t.Run("TLS 1.3, HelloRetryRequest for P-384", func(t *testing.T) {
		hs := probeAs(t, testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert},
			CurvePreferences: []tls.CurveID{tls.CurveP384}}), meta)
		if hs.Err != nil || hs.Version != tls.VersionTLS13 {
			t.Fatalf("handshake: %v, version %x", hs.Err, hs.Version)
		}
		if !hs.HelloRetry || hs.HelloRetryGroup != uint16(tls.CurveP384) {
			t.Errorf("hello retry = %v for %d, want one for P-384", hs.HelloRetry, hs.HelloRetryGroup)
		}
		// The HelloRetryRequest's record (5-byte header, ~90 bytes) is not
		// part of the flight measured.
		if d := hs.BytesRead - hs.FlightBytes; d < 50 || d > 200 || hs.FlightBytes <= certBytes {
			t.Errorf("flight = %d bytes, read %d: the difference is not one HelloRetryRequest", hs.FlightBytes, hs.BytesRead)
		}
	})

	t.Run("TLS 1.2", func(t *testing.T) {
		hs := probeAs(t, testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{cert},
			MaxVersion: tls.VersionTLS12}), meta)
		if hs.Err != nil || hs.Version != tls.VersionTLS12 {
			t.Fatalf("handshake: %v, version %x", hs.Err, hs.Version)
		}
		if !hs.HelloRetryKnown || hs.HelloRetry {
			t.Errorf("hello retry = %v/%v in TLS 1.2", hs.HelloRetryKnown, hs.HelloRetry)
		}
		// Read after the client's second flight: ChangeCipherSpec (6
		// bytes) and the encrypted Finished (45 bytes with AES-GCM).
		if d := hs.BytesRead - hs.FlightBytes; d != 6+45 || hs.FlightBytes <= certBytes {
			t.Errorf("flight = %d bytes, read %d (diff %d), certificates %d", hs.FlightBytes, hs.BytesRead, d, certBytes)
		}
	})

	t.Run("failed handshake", func(t *testing.T) {
		addr := testpki.StartRaw(t, func(c net.Conn) {
			c.Read(make([]byte, 1024))
			c.Write([]byte{21, 3, 3, 0, 2, 2, 40}) // handshake_failure
		})
		hs := probeAs(t, addr, meta)
		if hs.Err == nil || hs.FlightBytes != 0 || hs.HelloRetryKnown {
			t.Errorf("err %v, flight %d, hello retry known %v: nothing to measure", hs.Err, hs.FlightBytes, hs.HelloRetryKnown)
		}
	})
}
