// Package tlsnames names TLS code points (versions, alerts, groups) the way
// reports show them. The tables themselves live in package tlshello, which
// builds and parses the messages that carry these code points.
package tlsnames

import (
	"crypto/tls"
	"fmt"

	"github.com/wacheck/wacheck/pkg/tlshello"
)

// Version names a protocol version in Go's tls.VersionName form ("TLS 1.3").
func Version(v uint16) string {
	if v == 0 {
		return "none"
	}
	return tls.VersionName(v)
}

// AlertName is the IANA name of a TLS alert description ("handshake_failure").
func AlertName(a int) string {
	if a < 0 || a > 255 {
		return fmt.Sprintf("alert_%d", a)
	}
	return tlshello.AlertName(uint8(a))
}

// Alert names an alert with its number: "handshake_failure (40)".
func Alert(a int) string {
	return fmt.Sprintf("%s (%d)", AlertName(a), a)
}

// Group is the IANA name of a supported group ("x25519"); "none" for 0,
// which is what Go reports for RSA key exchange.
func Group(id uint16) string {
	if id == 0 {
		return "none"
	}
	return tlshello.GroupName(id)
}
