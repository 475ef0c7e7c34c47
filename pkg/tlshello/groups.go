package tlshello

import (
	"bytes"
	"fmt"
)

// Named groups (supported_groups code points) this package offers and reports.
const (
	GroupSecp256r1          uint16 = 0x0017
	GroupSecp384r1          uint16 = 0x0018
	GroupSecp521r1          uint16 = 0x0019
	GroupBrainpoolP256r1    uint16 = 0x001A
	GroupBrainpoolP384r1    uint16 = 0x001B
	GroupBrainpoolP512r1    uint16 = 0x001C
	GroupX25519             uint16 = 0x001D
	GroupX448               uint16 = 0x001E
	GroupFFDHE2048          uint16 = 0x0100
	GroupFFDHE3072          uint16 = 0x0101
	GroupFFDHE4096          uint16 = 0x0102
	GroupFFDHE6144          uint16 = 0x0103
	GroupFFDHE8192          uint16 = 0x0104
	GroupSecP256r1MLKEM768  uint16 = 0x11EB
	GroupX25519MLKEM768     uint16 = 0x11EC
	GroupSecP384r1MLKEM1024 uint16 = 0x11ED
)

var groupNames = map[uint16]string{
	GroupSecp256r1:          "secp256r1",
	GroupSecp384r1:          "secp384r1",
	GroupSecp521r1:          "secp521r1",
	GroupBrainpoolP256r1:    "brainpoolP256r1",
	GroupBrainpoolP384r1:    "brainpoolP384r1",
	GroupBrainpoolP512r1:    "brainpoolP512r1",
	GroupX25519:             "x25519",
	GroupX448:               "x448",
	GroupFFDHE2048:          "ffdhe2048",
	GroupFFDHE3072:          "ffdhe3072",
	GroupFFDHE4096:          "ffdhe4096",
	GroupFFDHE6144:          "ffdhe6144",
	GroupFFDHE8192:          "ffdhe8192",
	GroupSecP256r1MLKEM768:  "SecP256r1MLKEM768",
	GroupX25519MLKEM768:     "X25519MLKEM768",
	GroupSecP384r1MLKEM1024: "SecP384r1MLKEM1024",
}

// GroupName returns the IANA name of a named group, or its code point in hex.
func GroupName(id uint16) string {
	if n, ok := groupNames[id]; ok {
		return n
	}
	return fmt.Sprintf("0x%04X", id)
}

// Groups offered, one at a time, to find which ones a server accepts. The order is the order
// of Result.Groups.
var (
	// tls13Groups: any of them can be named in a TLS 1.3 HelloRetryRequest.
	tls13Groups = []uint16{
		GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1, GroupX448,
		GroupX25519MLKEM768, GroupSecP256r1MLKEM768, GroupSecP384r1MLKEM1024,
		GroupFFDHE2048, GroupFFDHE3072, GroupFFDHE4096, GroupFFDHE6144, GroupFFDHE8192,
	}
	// ecGroups: curves an ECDHE ServerKeyExchange can name in TLS 1.0 to 1.2.
	ecGroups = []uint16{
		GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1, GroupX448,
		GroupBrainpoolP256r1, GroupBrainpoolP384r1, GroupBrainpoolP512r1,
	}
	// ffdheGroups: RFC 7919 groups, recognised in a DHE ServerKeyExchange by their prime.
	ffdheGroups = []uint16{GroupFFDHE2048, GroupFFDHE3072, GroupFFDHE4096, GroupFFDHE6144, GroupFFDHE8192}
)

// groupOrder ranks every group for sorting Result.Groups.
var groupOrder = func() map[uint16]int {
	m := map[uint16]int{}
	for _, g := range append(append([]uint16{}, tls13Groups...), ecGroups...) {
		if _, ok := m[g]; !ok {
			m[g] = len(m)
		}
	}
	return m
}()

// defaultGroups is the supported_groups list of a hello that is not probing groups. Up to TLS
// 1.2 it lists elliptic curves only: under RFC 7919 a server that sees FFDHE groups it does not
// support must not choose a DHE suite, which would hide DHE suites from the scan.
func defaultGroups(v uint16) []uint16 {
	if v >= VersionTLS13 {
		return tls13Groups
	}
	return ecGroups
}

// ffdhePrefix and ffdheSuffix are shared by all RFC 7919 primes: 64 one bits, then the leading
// bits of e (the primes are built from e), and 64 one bits at the end. No other common DH prime
// has e's bits there; the RFC 3526 MODP primes, for one, continue with the bits of pi.
var (
	ffdhePrefix = []byte{
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		0xAD, 0xF8, 0x54, 0x58, 0xA2, 0xBB, 0x4A, 0x9A,
	}
	ffdheSuffix = bytes.Repeat([]byte{0xFF}, 8)
)

// ffdheGroup returns the RFC 7919 group whose prime p is, or 0 for any other prime.
func ffdheGroup(p []byte) uint16 {
	p = bytes.TrimLeft(p, "\x00")
	if !bytes.HasPrefix(p, ffdhePrefix) || !bytes.HasSuffix(p, ffdheSuffix) {
		return 0
	}
	switch len(p) * 8 {
	case 2048:
		return GroupFFDHE2048
	case 3072:
		return GroupFFDHE3072
	case 4096:
		return GroupFFDHE4096
	case 6144:
		return GroupFFDHE6144
	case 8192:
		return GroupFFDHE8192
	}
	return 0
}
