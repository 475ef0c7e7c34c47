package checks

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/wacheck/wacheck/pkg/tlsnames"
)

// InitialWindow is a 10-segment initial congestion window (RFC 6928) of
// 1,460-byte segments: what a server sends before it waits for the
// client's acknowledgement. A first flight larger than that costs the
// sender one more round trip.
const InitialWindow = 10 * 1460

// maxFlightCerts bounds the certificates parsed to say what makes a
// flight big.
const maxFlightCerts = 16

// tlsHRR judges whether the server accepted one of the key shares the
// sender's first ClientHello carries, or answered with a
// HelloRetryRequest, which costs one more round trip on every delivery.
func tlsHRR(cx *Context, s *State) verdict {
	hs := s.Handshake
	shares := groupNames(cx.Profile.KeyShares())
	if !hs.HelloRetryKnown {
		why := "the server's first reply was not a ServerHello"
		if hs.Err != nil {
			why += " (the handshake failed: " + hs.Err.Msg + ")"
		}
		return skip("%s", why)
	}
	if hs.HelloRetry {
		wants := "no key share, only a cookie"
		if hs.HelloRetryGroup != 0 {
			wants = tlsnames.Group(hs.HelloRetryGroup)
		}
		return warn(hrrFix(cx), "the server answered the first ClientHello (key shares: %s) with a HelloRetryRequest "+
			"for %s: one more round trip on every delivery", shares, wants)
	}
	if hs.Version == tls.VersionTLS13 {
		return pass("the server accepted the %s key share of the first ClientHello (key shares: %s)",
			tlsnames.Group(hs.CurveID), shares)
	}
	if hs.Version != 0 {
		return pass("%s: no HelloRetryRequest (key shares are TLS 1.3's)", tlsnames.Version(hs.Version))
	}
	return pass("the server answered the first ClientHello with a ServerHello, no HelloRetryRequest")
}

// hrrFix names the directives listing the groups a server accepts, with a
// classical group the sender sends a key share for first.
func hrrFix(cx *Context) string {
	first := "X25519"
	if ks := cx.Profile.KeyShares(); len(ks) > 0 {
		first = tlsnames.Group(uint16(ks[len(ks)-1]))
	}
	// OpenSSL's names, as the directives take them.
	var list string
	switch strings.ToLower(first) {
	case "x25519":
		list = "X25519:prime256v1:secp384r1"
	case "secp256r1", "prime256v1":
		list = "prime256v1:X25519:secp384r1"
	default:
		list = first + ":X25519:prime256v1:secp384r1"
	}
	return fmt.Sprintf("Accept a group the sender sends a key share for, first in the server's list: nginx "+
		"`ssl_ecdh_curve %s;`; Apache `SSLOpenSSLConfCmd Curves %s`; HAProxy `curves %s` on the bind line "+
		"(or `ssl-default-bind-curves %s`)", list, list, list, list)
}

func groupNames(ids []tls.CurveID) string {
	if len(ids) == 0 {
		return "none"
	}
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = tlsnames.Group(uint16(id))
	}
	return strings.Join(names, " + ")
}

const flightFix = "Make the first flight smaller: an ECDSA P-256 certificate (and an ECDSA intermediate) instead of " +
	"RSA 4096; fewer names per certificate; serve only the leaf and its intermediates (not the root, nor a " +
	"cross-signed extra); or raise the server's initial congestion window (Linux `ip route change default via " +
	"GATEWAY initcwnd 20 initrwnd 20`)"

// tlsFlight judges the size of the server's first flight, measured in the
// strict handshake (package probe, flightConn): over a 10-segment initial
// congestion window the server must wait for an acknowledgement before
// sending the rest, one more round trip.
func tlsFlight(cx *Context, s *State) verdict {
	hs := s.Handshake
	n := hs.FlightBytes
	if n == 0 {
		return skip("the first flight was not measured: the handshake did not get as far as the client's second flight")
	}
	if m := CertMessageSize(hs.Certificates); m > MaxCertMessage {
		// chain.size fails on this very certificate message: the round
		// trip it costs is not a second finding.
		return info("the server's first flight is %d bytes (%s): its certificate message alone (about %s) is over "+
			"the %s OpenSSL-based clients read, chain.size's finding", n, kib(n), kib(m), kib(MaxCertMessage))
	}
	if n <= InitialWindow {
		return pass("the server's first flight is %d bytes, within a 10-segment initial congestion window (%d bytes)",
			n, InitialWindow)
	}
	return warn(flightFix, "the server's first flight is %d bytes (%s), more than a 10-segment initial congestion "+
		"window (about %d bytes): one more round trip on every new connection; %s", n, kib(n), InitialWindow,
		flightParts(hs.Certificates, len(hs.OCSPStaple)))
}

// flightParts says what makes a flight big: the certificates (their sizes
// and keys), the leaf's names, the staple.
func flightParts(certs [][]byte, staple int) string {
	total := 0
	for _, c := range certs {
		total += len(c)
	}
	var parts []string
	parts = append(parts, fmt.Sprintf("%d certificate(s) of %d bytes in all", len(certs), total))
	var keys []string
	for i, der := range certs {
		if i == maxFlightCerts {
			keys = append(keys, "...")
			break
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			keys = append(keys, fmt.Sprintf("#%d unparsable (%d bytes)", i, len(der)))
			continue
		}
		keys = append(keys, fmt.Sprintf("#%d %s, %d bytes", i, KeyDescription(c), len(der)))
		if i == 0 {
			parts = append(parts, fmt.Sprintf("the leaf has %d subject alternative names",
				len(c.DNSNames)+len(c.IPAddresses)+len(c.EmailAddresses)+len(c.URIs)))
		}
	}
	if len(keys) > 0 {
		parts = append(parts, "keys: "+strings.Join(keys, "; "))
	}
	if staple > 0 {
		parts = append(parts, fmt.Sprintf("an OCSP staple of %d bytes", staple))
	}
	return strings.Join(parts, "; ")
}
