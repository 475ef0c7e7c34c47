// Package tlsnames names TLS code points (versions, alerts, groups) the way
// reports show them.
package tlsnames

import (
	"crypto/tls"
	"fmt"
)

// Version names a protocol version in Go's tls.VersionName form ("TLS 1.3").
func Version(v uint16) string {
	if v == 0 {
		return "none"
	}
	return tls.VersionName(v)
}

var alerts = map[int]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
	22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
	42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
	70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
	110: "unsupported_extension", 111: "certificate_unobtainable", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 114: "bad_certificate_hash_value", 115: "unknown_psk_identity",
	116: "certificate_required", 120: "no_application_protocol", 121: "ech_required",
}

// AlertName is the IANA name of a TLS alert description ("handshake_failure").
func AlertName(a int) string {
	if n, ok := alerts[a]; ok {
		return n
	}
	return fmt.Sprintf("unknown_alert_%d", a)
}

// Alert names an alert with its number: "handshake_failure (40)".
func Alert(a int) string {
	return fmt.Sprintf("%s (%d)", AlertName(a), a)
}

var groups = map[uint16]string{
	23: "secp256r1", 24: "secp384r1", 25: "secp521r1", 29: "x25519", 30: "x448",
	256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
	0x11EB: "SecP256r1MLKEM768", 0x11EC: "X25519MLKEM768", 0x11ED: "SecP384r1MLKEM1024",
	0x6399: "X25519Kyber768Draft00",
}

// Group is the IANA name of a supported group ("x25519"); "none" for 0,
// which is what Go reports for RSA key exchange.
func Group(id uint16) string {
	if id == 0 {
		return "none"
	}
	if n, ok := groups[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04x", id)
}
