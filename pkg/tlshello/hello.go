package tlshello

import (
	"crypto/rand"
	"io"
	"net"
	"slices"
	"strings"

	"golang.org/x/crypto/cryptobyte"
)

// ClientHello describes one hand-built ClientHello.
type ClientHello struct {
	// Version is the single protocol version offered: VersionSSL30 to VersionTLS12 in
	// legacy_version, or VersionTLS13 in supported_versions (legacy_version is then TLS 1.2).
	Version      uint16
	CipherSuites []uint16
	// ServerName goes into the server_name extension. Empty, an IP address, or a name longer
	// than 255 bytes (no DNS name is) sends none.
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

// maxRecordPlaintext is the most a TLS record may carry (RFC 8446 5.1).
const maxRecordPlaintext = 1 << 14

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
//
// It panics when h cannot be encoded: more than 32,000 cipher suites or groups.
func BuildClientHello(h ClientHello) []byte {
	return h.build().records
}

// builtHello is a ClientHello as sent, with what judging the reply needs to know of it.
type builtHello struct {
	records   []byte
	sessionID []byte   // the legacy_session_id sent
	groups    []uint16 // the supported_groups sent; nil for SSL 3.0
	keyShares []uint16 // the groups of the key shares sent
}

func (h ClientHello) build() builtHello {
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

	var out builtHello
	clientRandom := random(32)
	if h.Version >= VersionTLS13 {
		out.sessionID = random(32)
	}
	body := cryptobyte.NewBuilder(nil)
	body.AddUint16(min(h.Version, VersionTLS12))
	body.AddBytes(clientRandom)
	body.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(out.sessionID) })
	body.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, s := range h.CipherSuites {
			b.AddUint16(s)
		}
		if h.Version < VersionTLS13 {
			b.AddUint16(scsvRenegotiation)
		}
	})
	body.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // null compression only

	if h.Version >= VersionTLS10 {
		exts := h.extensions(random, &out)
		// RFC 7685 padding, sized as BoringSSL does: lengths counted with the handshake header.
		if n := 4 + len(body.BytesOrPanic()) + 2 + len(exts.BytesOrPanic()); n > 0xFF && n < 0x200 {
			pad := 0x200 - n
			if pad >= 4+1 {
				pad -= 4
			} else {
				pad = 1
			}
			addExtension(exts, extPadding, func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, pad)) })
		}
		body.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(exts.BytesOrPanic()) })
	}

	msg := cryptobyte.NewBuilder(nil)
	msg.AddUint8(typeClientHello)
	msg.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body.BytesOrPanic()) })

	recordVersion := VersionTLS10
	if h.Version == VersionSSL30 {
		recordVersion = VersionSSL30
	}
	records := cryptobyte.NewBuilder(nil)
	for rest := msg.BytesOrPanic(); len(rest) > 0; {
		n := min(len(rest), maxRecordPlaintext)
		records.AddUint8(recordHandshake)
		records.AddUint16(recordVersion)
		records.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(rest[:n]) })
		rest = rest[n:]
	}
	out.records = records.BytesOrPanic()
	return out
}

func (h ClientHello) extensions(random func(int) []byte, out *builtHello) *cryptobyte.Builder {
	groups := h.Groups
	if groups == nil {
		groups = defaultGroups(h.Version)
	}
	out.groups = groups
	exts := cryptobyte.NewBuilder(nil)
	if name := sniName(h.ServerName); name != "" {
		addExtension(exts, extServerName, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8(0) // host_name
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(name)) })
			})
		})
	}
	addExtension(exts, extECPointFormats, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) }) // uncompressed
	})
	addExtension(exts, extSupportedGroups, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, g := range groups {
				b.AddUint16(g)
			}
		})
	})
	if h.Version < VersionTLS13 {
		addExtension(exts, extExtendedMasterSec, func(*cryptobyte.Builder) {})
	}
	if h.Version >= VersionTLS12 {
		addExtension(exts, extSignatureAlgorithms, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, s := range signatureAlgorithms {
					b.AddUint16(s)
				}
			})
		})
	}
	if h.Version >= VersionTLS13 {
		addExtension(exts, extSupportedVersions, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(VersionTLS13) })
		})
		addExtension(exts, extPSKModes, func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(1) }) // psk_dhe_ke
		})
		addExtension(exts, extKeyShare, func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				if h.KeyShare && slices.Contains(groups, GroupX25519) {
					out.keyShares = []uint16{GroupX25519}
					b.AddUint16(GroupX25519)
					b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(random(32)) })
				}
			})
		})
	}
	return exts
}

func addExtension(b *cryptobyte.Builder, typ uint16, data cryptobyte.BuilderContinuation) {
	b.AddUint16(typ)
	b.AddUint16LengthPrefixed(data)
}

// sniName returns the host name to send in server_name: none for IP addresses (RFC 6066
// forbids them) or names no DNS name can be, and no trailing dot.
func sniName(s string) string {
	s = strings.TrimSuffix(s, ".")
	if net.ParseIP(s) != nil || len(s) > 255 {
		return ""
	}
	return s
}
