package checks

import (
	"crypto/rsa"
	"fmt"
	"strings"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// rsaPSSMinBits is the smallest RSA key that can make an RSA-PSS signature
// with SHA-256 (RFC 8017: emLen >= hLen + sLen + 2 = 66 bytes): TLS 1.3
// signs with RSA-PSS only, so a smaller key cannot do TLS 1.3 at all.
const rsaPSSMinBits = 528

// handshakeCause names why the strict handshake failed when what else the
// Set shows points at one cause that "no protocol or cipher in common" would
// hide: a key too small to sign, a certificate signed with an algorithm the
// client does not accept, or a certificate key type no enabled suite can use.
// The server answers all three with handshake_failure, as it does a real
// lack of common suites; its certificates (read by the enumeration) and the
// alerts to the enumeration's hellos tell them apart.
func handshakeCause(s *State) (fix, detail string, ok bool) {
	e := s.Handshake.Err
	switch e.Kind {
	case probe.ErrNoCommon, probe.ErrAlert, probe.ErrProtocol, probe.ErrOther:
	default:
		return "", "", false
	}
	alert := alertWords(e)
	if s.chain != nil && s.chain.leaf != nil {
		leaf := s.chain.leaf
		if k, isRSA := leaf.PublicKey.(*rsa.PublicKey); isRSA && k.N.BitLen() < 1024 {
			why := "Go-based clients refuse RSA keys under 1024 bits and OpenSSL-based ones under 2048 at " +
				"their default security level"
			if k.N.BitLen() < rsaPSSMinBits {
				why += "; a key under 528 bits cannot even make the RSA-PSS signature TLS 1.3 requires"
			}
			return keyFix(s), fmt.Sprintf("the handshake failed (%s) because the server's certificate %s has an "+
				"RSA %d key: %s (see cert.key)", alert, name(leaf), k.N.BitLen(), why), true
		}
		for _, c := range judged(s) {
			if isSelfSigned(c.cert) && c.index != 0 {
				continue
			}
			if insecureSignature(c.cert.SignatureAlgorithm) {
				return "Reissue the certificate signed with SHA-256 (any public CA does; for a private CA " +
						"`openssl x509 -req -sha256 ...`): clients list only SHA-256 and better in signature_algorithms, " +
						"so the server finds no certificate it may present",
					fmt.Sprintf("the handshake failed (%s) because %s %s is signed with %s, which the client does "+
						"not accept: the server has no certificate to present under the client's signature_algorithms "+
						"(see cert.signature)", alert, role(s, c), name(c.cert), c.cert.SignatureAlgorithm), true
			}
		}
	}
	if e.Alert == 40 && s.chain == nil && keyTypeMismatch(s) {
		return "Enable suites that match the certificate's key: ECDHE-ECDSA-* suites for an ECDSA certificate, " +
				"ECDHE-RSA-* for an RSA one (Mozilla's intermediate list has both: nginx `ssl_ciphers " +
				"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
				"ECDHE-RSA-AES256-GCM-SHA384;`), and enable TLS 1.3 (`ssl_protocols TLSv1.2 TLSv1.3;`), whose suites " +
				"work with any key; see the key with `openssl x509 -noout -text -in cert.pem | grep 'Public Key Algorithm'`",
			"the server speaks TLS 1.2 (it answers handshake_failure, not protocol_version) but accepts none of " +
				"the cipher suites the enumeration offered, and never sent a certificate: its certificate's key type " +
				"does not match any suite it enables (an ECDSA certificate with only ECDHE-RSA suites, or an RSA " +
				"certificate with only ECDSA ones), or its cipher string selects nothing usable", true
	}
	return "", "", false
}

// keyTypeMismatch reports whether the enumeration found TLS 1.2 spoken but
// no suite at all accepted in any version: every TLS 1.2 hello was answered
// with handshake_failure.
func keyTypeMismatch(s *State) bool {
	scan := s.Handshake.Accepted
	if scan == nil {
		return false
	}
	spoken := false
	for _, p := range scan.Protocols {
		if len(p.Ciphers) > 0 || isTrue(p.Offered) {
			return false
		}
		if p.Version == tlshello.VersionTLS12 && handshakeFailure(p.Reason) {
			spoken = true
		}
	}
	return spoken
}

// handshakeFailure reports whether the enumeration's reason for a version is
// a handshake_failure alert: the server speaks the version but accepted
// nothing offered, which is not a refusal of the version (protocol_version).
func handshakeFailure(reason string) bool {
	return strings.HasPrefix(reason, "handshake_failure")
}

// keyFix is the fix for a weak certificate key.
func keyFix(s *State) string {
	return "Reissue with an ECDSA P-256 key (fastest) or RSA 2048+: `certbot certonly --key-type ecdsa " +
		"--elliptic-curve secp256r1 -d " + certbotName(s) + "`"
}
