package tlshello

import (
	"crypto/rand"
	"io"
	"net"
	"slices"
	"strings"
)

// ClientHello describes one hand-built ClientHello.
type ClientHello struct {
	// Version is the single protocol version offered: VersionSSL30 to VersionTLS12 in
	// legacy_version, or VersionTLS13 in supported_versions (legacy_version is then TLS 1.2).
	Version      uint16
	CipherSuites []uint16
	// ServerName goes into the server_name extension. Empty, or an IP address, sends none.
	ServerName string
	// Groups is the supported_groups list; nil means a default for Version: elliptic curves up
	// to TLS 1.2, every group this package knows for TLS 1.3.
	Groups []uint16
	// KeyShare, for TLS 1.3, sends an x25519 key share when Groups lists x25519. It is random
	// bytes: the handshake is never finished. Without it the key_share list is empty and a
	// server that accepts the hello answers with a HelloRetryRequest naming its group.
	KeyShare bool
	// Rand supplies the random, session ID and key share; nil means crypto/rand. Build
	// panics if it fails.
	Rand io.Reader
}

// Extension code points.
const (
	extServerName          uint16 = 0
	extSupportedGroups     uint16 = 10
	extECPointFormats      uint16 = 11
	extSignatureAlgorithms uint16 = 13
	extPadding             uint16 = 21
	extExtendedMasterSec   uint16 = 23
	extSupportedVersions   uint16 = 43
	extPSKModes            uint16 = 45
	extKeyShare            uint16 = 51
)

const (
	typeClientHello uint8 = 1
	typeServerHello uint8 = 2
	typeCertificate uint8 = 11
	typeServerKeyEx uint8 = 12
	typeCertRequest uint8 = 13
	typeServerDone  uint8 = 14
	typeCertStatus  uint8 = 22
)

// signatureAlgorithms is broad on purpose, SHA-1 and DSA included, so that old servers find
// something they can sign with.
var signatureAlgorithms = []uint16{
	0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384, ecdsa_secp521r1_sha512
	0x0807, 0x0808, // ed25519, ed448
	0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256/384/512
	0x0809, 0x080A, 0x080B, // rsa_pss_pss_sha256/384/512
	0x081A, 0x081B, 0x081C, // ecdsa_brainpoolP256r1tls13_sha256 ... P512r1tls13_sha512
	0x0904, 0x0905, 0x0906, // mldsa44, mldsa65, mldsa87
	0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256/384/512
	0x0303, 0x0301, 0x0302, // ecdsa_sha224, rsa_pkcs1_sha224, dsa_sha224
	0x0402, 0x0502, 0x0602, // dsa_sha256/384/512
	0x0203, 0x0201, 0x0202, // ecdsa_sha1, rsa_pkcs1_sha1, dsa_sha1
}

// BuildClientHello returns the ClientHello h describes, as TLS records ready to write.
//
// SSL 3.0 hellos carry no extensions. TLS 1.0 to 1.2 hellos carry server_name, ec_point_formats,
// supported_groups and extended_master_secret, plus signature_algorithms for TLS 1.2, and end
// the suite list with TLS_EMPTY_RENEGOTIATION_INFO_SCSV. TLS 1.3 hellos add supported_versions,
// psk_key_exchange_modes and key_share and send a 32-byte session ID, as browsers do. A hello
// whose length falls between 256 and 511 bytes is padded to 512 (RFC 7685), since some
// servers hang on those lengths.
func BuildClientHello(h ClientHello) []byte {
	rnd := h.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		if _, err := io.ReadFull(rnd, b); err != nil {
			panic("tlshello: reading random bytes: " + err.Error())
		}
		return b
	}

	var body builder
	body.u16(min(h.Version, VersionTLS12))
	body.raw(random(32))
	body.prefixed8(func(b *builder) {
		if h.Version >= VersionTLS13 {
			b.raw(random(32))
		}
	})
	body.prefixed16(func(b *builder) {
		for _, s := range h.CipherSuites {
			b.u16(s)
		}
		if h.Version < VersionTLS13 {
			b.u16(scsvRenegotiation)
		}
	})
	body.prefixed8(func(b *builder) { b.u8(0) }) // null compression only

	if h.Version >= VersionTLS10 {
		exts := h.extensions(random)
		// RFC 7685 padding, sized as BoringSSL does: lengths counted with the handshake header.
		if n := 4 + len(body) + 2 + len(exts); n > 0xFF && n < 0x200 {
			pad := 0x200 - n
			if pad >= 4+1 {
				pad -= 4
			} else {
				pad = 1
			}
			exts.extension(extPadding, func(b *builder) { b.raw(make([]byte, pad)) })
		}
		body.prefixed16(func(b *builder) { b.raw(exts) })
	}

	var msg builder
	msg.u8(typeClientHello)
	msg.prefixed24(func(b *builder) { b.raw(body) })

	recordVersion := VersionTLS10
	if h.Version == VersionSSL30 {
		recordVersion = VersionSSL30
	}
	var out builder
	for rest := []byte(msg); len(rest) > 0; {
		n := min(len(rest), 1<<14)
		out.u8(recordHandshake)
		out.u16(recordVersion)
		out.prefixed16(func(b *builder) { b.raw(rest[:n]) })
		rest = rest[n:]
	}
	return out
}

func (h ClientHello) extensions(random func(int) []byte) builder {
	groups := h.Groups
	if groups == nil {
		groups = defaultGroups(h.Version)
	}
	var exts builder
	if name := sniName(h.ServerName); name != "" {
		exts.extension(extServerName, func(b *builder) {
			b.prefixed16(func(b *builder) {
				b.u8(0) // host_name
				b.prefixed16(func(b *builder) { b.raw([]byte(name)) })
			})
		})
	}
	exts.extension(extECPointFormats, func(b *builder) {
		b.prefixed8(func(b *builder) { b.u8(0) }) // uncompressed
	})
	exts.extension(extSupportedGroups, func(b *builder) {
		b.prefixed16(func(b *builder) {
			for _, g := range groups {
				b.u16(g)
			}
		})
	})
	if h.Version < VersionTLS13 {
		exts.extension(extExtendedMasterSec, func(*builder) {})
	}
	if h.Version >= VersionTLS12 {
		exts.extension(extSignatureAlgorithms, func(b *builder) {
			b.prefixed16(func(b *builder) {
				for _, s := range signatureAlgorithms {
					b.u16(s)
				}
			})
		})
	}
	if h.Version >= VersionTLS13 {
		exts.extension(extSupportedVersions, func(b *builder) {
			b.prefixed8(func(b *builder) { b.u16(VersionTLS13) })
		})
		exts.extension(extPSKModes, func(b *builder) {
			b.prefixed8(func(b *builder) { b.u8(1) }) // psk_dhe_ke
		})
		exts.extension(extKeyShare, func(b *builder) {
			b.prefixed16(func(b *builder) {
				if h.KeyShare && slices.Contains(groups, GroupX25519) {
					b.u16(GroupX25519)
					b.prefixed16(func(b *builder) { b.raw(random(32)) })
				}
			})
		})
	}
	return exts
}

// sniName returns the host name to send in server_name: none for IP addresses (RFC 6066
// forbids them), and no trailing dot.
func sniName(s string) string {
	s = strings.TrimSuffix(s, ".")
	if net.ParseIP(s) != nil {
		return ""
	}
	return s
}

// builder appends big-endian fields and length-prefixed blocks.
type builder []byte

func (b *builder) u8(v uint8)   { *b = append(*b, v) }
func (b *builder) u16(v uint16) { *b = append(*b, byte(v>>8), byte(v)) }
func (b *builder) raw(p []byte) { *b = append(*b, p...) }

func (b *builder) prefixed(lenBytes int, f func(*builder)) {
	start := len(*b)
	*b = append(*b, make([]byte, lenBytes)...)
	f(b)
	n := len(*b) - start - lenBytes
	for i := lenBytes - 1; i >= 0; i-- {
		(*b)[start+i] = byte(n)
		n >>= 8
	}
}

func (b *builder) prefixed8(f func(*builder))  { b.prefixed(1, f) }
func (b *builder) prefixed16(f func(*builder)) { b.prefixed(2, f) }
func (b *builder) prefixed24(f func(*builder)) { b.prefixed(3, f) }

func (b *builder) extension(typ uint16, f func(*builder)) {
	b.u16(typ)
	b.prefixed16(f)
}
