package checks

import "fmt"

// MaxCertMessage is the largest Certificate message OpenSSL reads by
// default (SSL_CTX_set_max_cert_list: 100 KiB); a larger one ends the
// handshake with "excessive message size".
const MaxCertMessage = 100 * 1024

const certSizeFix = "Make the certificate message smaller: split the names over several certificates " +
	"(one per service or per group of names) instead of one with thousands of SANs, and serve only the leaf " +
	"and its intermediates (nginx `ssl_certificate` with the fullchain file, not the root nor unrelated " +
	"certificates)"

// CertMessageSize estimates the TLS Certificate handshake message carrying
// certs: the DER lengths plus the framing, taken as TLS 1.3's, which is
// the larger (4-byte handshake header, request context, 3-byte list
// length, and per certificate a 3-byte length and an empty extensions
// block). A stapled OCSP response rides in TLS 1.3's leaf extensions and
// is not counted.
func CertMessageSize(certs [][]byte) int {
	n := 4 + 1 + 3
	for _, c := range certs {
		n += 3 + len(c) + 2
	}
	return n
}

// chainSize judges the size of the Certificate message: OpenSSL-based
// clients (and most senders' stacks) refuse one over 100 KiB.
func chainSize(cx *Context, s *State) verdict {
	n := CertMessageSize(s.Chain.Certs)
	if n > MaxCertMessage {
		return fail(certSizeFix, "the certificate message is about %s (%d certificate(s)%s): OpenSSL-based clients "+
			"refuse one over %s (\"excessive message size\")", kib(n), len(s.Chain.Certs), sanNote(s), kib(MaxCertMessage))
	}
	return pass("the certificate message is about %s (%d certificate(s)), under the %s OpenSSL reads", kib(n),
		len(s.Chain.Certs), kib(MaxCertMessage))
}

// sanNote names the leaf's SAN count when the leaf parsed.
func sanNote(s *State) string {
	if s.chain == nil || s.chain.leaf == nil {
		return ""
	}
	l := s.chain.leaf
	return fmt.Sprintf("; the leaf has %d subject alternative names", len(l.DNSNames)+len(l.IPAddresses))
}

func kib(n int) string {
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}
