package tlshello

import "fmt"

// Protocol versions, as they appear on the wire.
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Signalling cipher-suite values: sent in cipher-suite lists but not suites, so not in the registry.
const (
	scsvRenegotiation uint16 = 0x00FF // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
	scsvFallback      uint16 = 0x5600 // TLS_FALLBACK_SCSV
)

// Grade says how a cipher suite should be judged. The rule, applied to the registry fields:
//
//   - Insecure: no encryption (NULL, including the TLS 1.3 integrity-only suites), EXPORT
//     strength, anonymous or NULL authentication, an MD5 MAC, or a broken or 64-bit-block
//     cipher: RC4, RC2, DES, 3DES, IDEA, GOST 28147-89.
//   - Recommended: otherwise, an AEAD cipher (GCM, CCM, CHACHA20-POLY1305, MGM, AEGIS) with a
//     full-length tag (not CCM_8) in a TLS 1.3 suite or with ECDHE key exchange (ECDHE_PSK too).
//   - Weak: everything else: CBC modes and other MAC-then-encrypt suites, static RSA, static DH
//     or ECDH, plain or RSA PSK, SRP, and DHE (with AEAD too: the server picks the DH group, often
//     too small, and clients have dropped DHE), and CCM_8's truncated tag.
type Grade string

// The grades, best first.
const (
	Recommended Grade = "recommended"
	Weak        Grade = "weak"
	Insecure    Grade = "insecure"
)

// Suite is one entry of the IANA TLS Cipher Suites registry.
type Suite struct {
	ID          uint16
	Name        string // IANA name, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	OpenSSLName string // e.g. ECDHE-RSA-AES128-GCM-SHA256; empty if OpenSSL never had it
	// KeyExchange is the key agreement: RSA, DH (static, from the certificate), DHE, ECDH
	// (static), ECDHE, PSK, DHE_PSK, ECDHE_PSK, RSA_PSK, SRP, KRB5, ECCPWD, GOST, NULL, or
	// "any" for TLS 1.3 suites, which do not fix it. Anonymous suites are DHE or ECDHE.
	KeyExchange string
	// Auth is how the server authenticates: RSA, DSS, ECDSA, PSK, SRP, KRB5, ECCPWD, GOST,
	// anon, NULL, or "any" for TLS 1.3.
	Auth       string
	Encryption string // IANA spelling: AES_128_GCM, 3DES_EDE_CBC, RC4_40, NULL, ...
	MAC        string // SHA, SHA256, SHA384, MD5, OMAC, IMIT, or AEAD when the cipher authenticates
	MinVersion uint16 // oldest version the suite is offered in: VersionSSL30, VersionTLS12 or VersionTLS13
	MaxVersion uint16 // VersionTLS12, or VersionTLS13 for TLS 1.3 suites
	Grade      Grade
}

// Registry returns the whole IANA cipher-suite registry, in code-point order.
func Registry() []Suite {
	return append([]Suite(nil), registry[:]...)
}

var suiteIndex = func() map[uint16]int {
	m := make(map[uint16]int, len(registry))
	for i, s := range registry {
		m[s.ID] = i
	}
	return m
}()

// LookupSuite returns the registry entry for a cipher-suite code point.
func LookupSuite(id uint16) (Suite, bool) {
	i, ok := suiteIndex[id]
	if !ok {
		return Suite{}, false
	}
	return registry[i], true
}

// SuiteName returns the IANA name of a suite, or its code point in hex if it is unassigned.
func SuiteName(id uint16) string {
	if s, ok := LookupSuite(id); ok {
		return s.Name
	}
	return fmt.Sprintf("0x%04X", id)
}

// suitesFor returns the code points of every registry suite that can be negotiated in version v.
//
// In SSL 3.0 that leaves out the suites whose MAC is SHA-256 or SHA-384 (the PSK suites of RFC
// 5487, 5489, 6209 and 6367, defined for TLS 1.0 and later): SSL 3.0's MAC (RFC 6101, 5.2.3.1)
// is defined for MD5 and SHA-1 only, and OpenSSL never had them below TLS 1.0. What is left,
// 126 suites, fits in one hello, so a server refusing SSL 3.0 takes one connection to tell.
func suitesFor(v uint16) []uint16 {
	var ids []uint16
	for _, s := range registry {
		if s.MinVersion <= v && v <= s.MaxVersion && !(v == VersionSSL30 && sha2MAC(s.MAC)) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func sha2MAC(mac string) bool { return mac == "SHA256" || mac == "SHA384" }

// ephemeral reports whether a suite's key exchange is ephemeral elliptic-curve or finite-field
// Diffie-Hellman: the suites whose ServerKeyExchange names the group the server chose.
func (s Suite) ephemeral() (ec, ff bool) {
	switch s.KeyExchange {
	case "ECDHE", "ECDHE_PSK":
		return true, false
	case "DHE", "DHE_PSK":
		return false, true
	}
	return false, false
}
