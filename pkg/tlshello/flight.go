package tlshello

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
)

// Record content types.
const (
	recordChangeCipherSpec uint8 = 20
	recordAlert            uint8 = 21
	recordHandshake        uint8 = 22
	recordApplicationData  uint8 = 23
)

// Limits on what a first flight may hold. A certificate chain fits well within them.
const (
	maxRecordLen = 1<<14 + 2048 // TLSCiphertext limit
	maxFlightLen = 1 << 17      // all bytes read from one server
	maxMessage   = 1 << 16      // one handshake message
)

// Errors from ParseServerFlight and ReadServerFlight. Each is wrapped with details.
var (
	ErrNoReply   = errors.New("connection closed without a reply")
	ErrTruncated = errors.New("truncated reply")
	ErrOversized = errors.New("oversized reply")
	ErrMalformed = errors.New("malformed reply")
	ErrNotTLS    = errors.New("not a TLS reply")
	ErrSSLv2     = errors.New("SSLv2 reply")
)

// helloRetryRandom is the ServerHello.random that marks a HelloRetryRequest (RFC 8446 4.1.3).
var helloRetryRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// Reply is what a server answered to a ClientHello. When the error returned with it is nil,
// exactly one of ServerHello and Alert is set.
type Reply struct {
	ServerHello *ServerHello // a ServerHello or HelloRetryRequest
	KeyExchange *KeyExchange // up to TLS 1.2, from the ServerKeyExchange, when it was read
	Alert       *Alert       // the first fatal alert (or close_notify); warnings are skipped
	// Certificates are the DER certificates of a TLS 1.0 to 1.2 server's Certificate message,
	// as served, when the flight was read that far; nil otherwise (TLS 1.3 encrypts them).
	Certificates [][]byte
}

// maxCertificates bounds how many certificates of a Certificate message are kept.
const maxCertificates = 16

// ServerHello holds the fields of a ServerHello or HelloRetryRequest that a scan needs.
type ServerHello struct {
	Version       uint16 // negotiated: SupportedVersion when set, else LegacyVersion
	LegacyVersion uint16
	// SupportedVersion is the version in the supported_versions extension; 0 when absent.
	SupportedVersion uint16
	SessionID        []byte // legacy_session_id_echo
	CipherSuite      uint16
	Compression      uint8
	Group            uint16 // key_share group (TLS 1.3); 0 when absent
	HelloRetry       bool   // a HelloRetryRequest: Group is the group the server asks for
}

// KeyExchange holds what a TLS 1.0 to 1.2 ServerKeyExchange says about the group.
type KeyExchange struct {
	// Group is the named curve of an ECDHE exchange, or the RFC 7919 group whose prime a DHE
	// exchange uses; 0 for other DH primes, explicit curves and key exchanges without a group.
	Group  uint16
	DHBits int // DHE: size of the prime in bits
}

// ParseServerFlight parses a server's first flight. It reads a ServerHello (or
// HelloRetryRequest) or an alert and, when more bytes follow a TLS 1.0 to 1.2 ServerHello,
// the messages up to the ServerKeyExchange or ServerHelloDone. Errors wrap ErrNoReply,
// ErrTruncated, ErrOversized, ErrMalformed, ErrNotTLS or ErrSSLv2. A Reply with a ServerHello
// can come with an error: the ServerHello was intact and only what followed it was not.
func ParseServerFlight(b []byte) (Reply, error) {
	return readFlight(bytes.NewReader(b), true, true, nil)
}

// ReadServerFlight reads a server's first flight from r, no further than needed: up to the
// ServerHello or alert or, with keyExchange, up to a TLS 1.0 to 1.2 server's
// ServerKeyExchange or ServerHelloDone. It never reads past the record holding what it needs,
// so it does not wait for bytes a server will not send. Errors are as for ParseServerFlight,
// or r's own (a timeout, a reset).
func ReadServerFlight(r io.Reader, keyExchange bool) (Reply, error) {
	return readFlight(r, keyExchange, false, nil)
}

// readFlight reads a flight; afterHello, when set, is called once a ServerHello that is
// followed by more of the flight has been read.
func readFlight(r io.Reader, keyExchange, stopAtEOF bool, afterHello func()) (Reply, error) {
	f := &flightReader{r: r}
	typ, body, alert, err := f.message()
	if err != nil {
		return Reply{}, err
	}
	if alert != nil {
		return Reply{Alert: alert}, nil
	}
	if typ != typeServerHello {
		return Reply{}, fmt.Errorf("%w: handshake message %d before ServerHello", ErrMalformed, typ)
	}
	sh, err := parseServerHello(body)
	if err != nil {
		return Reply{}, err
	}
	reply := Reply{ServerHello: sh}
	if !keyExchange || sh.HelloRetry || sh.Version >= VersionTLS13 {
		return reply, nil
	}
	if stopAtEOF && len(f.hs) == 0 && f.atEOF() {
		return reply, nil
	}
	if afterHello != nil {
		afterHello()
	}
	reply.KeyExchange, err = f.keyExchange(sh.CipherSuite)
	reply.Certificates = f.certs
	return reply, err
}

// keyExchange reads the messages after a TLS 1.0 to 1.2 ServerHello up to the
// ServerKeyExchange (parsed) or ServerHelloDone (no key exchange message: nil).
func (f *flightReader) keyExchange(suite uint16) (*KeyExchange, error) {
	for {
		typ, body, alert, err := f.message()
		if err != nil {
			return nil, err
		}
		if alert != nil {
			return nil, fmt.Errorf("%w: %v after ServerHello", ErrMalformed, alert)
		}
		switch typ {
		case typeCertificate:
			f.certs = parseCertificates(body)
		case typeCertStatus, typeCertRequest:
			continue
		case typeServerDone:
			return nil, nil
		case typeServerKeyEx:
			return parseServerKeyExchange(body, suite)
		default:
			return nil, fmt.Errorf("%w: unexpected handshake message %d after ServerHello", ErrMalformed, typ)
		}
	}
}

// parseCertificates reads a TLS 1.0 to 1.2 Certificate message's list. A malformed list
// gives nil: the certificates are a by-product of the scan, never a reason to fail it.
func parseCertificates(body []byte) [][]byte {
	in := cryptobyte.String(body)
	var list cryptobyte.String
	if !in.ReadUint24LengthPrefixed(&list) || !in.Empty() {
		return nil
	}
	var certs [][]byte
	for !list.Empty() && len(certs) < maxCertificates {
		var cert cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&cert) || cert.Empty() {
			return nil
		}
		certs = append(certs, bytes.Clone(cert))
	}
	return certs
}

// flightReader reads records and reassembles handshake messages from them.
type flightReader struct {
	certs   [][]byte // from the Certificate message, when one was read
	r       io.Reader
	n       int    // bytes read so far
	hs      []byte // handshake bytes not yet returned as messages
	records int
}

// atEOF reports whether r has nothing more; only used on readers over a byte slice.
func (f *flightReader) atEOF() bool {
	if br, ok := f.r.(*bytes.Reader); ok {
		return br.Len() == 0
	}
	return false
}

// message returns the next handshake message, or the next fatal alert (or close_notify).
func (f *flightReader) message() (typ uint8, body []byte, alert *Alert, err error) {
	for {
		hs := cryptobyte.String(f.hs)
		var n uint32
		if hs.ReadUint8(&typ) && hs.ReadUint24(&n) {
			if n > maxMessage {
				return 0, nil, nil, fmt.Errorf("%w: %d-byte handshake message", ErrOversized, n)
			}
			if hs.ReadBytes(&body, int(n)) {
				f.hs = hs
				return typ, body, nil, nil
			}
		}
		rtyp, payload, err := f.record()
		if err != nil {
			return 0, nil, nil, err
		}
		switch rtyp {
		case recordHandshake:
			f.hs = append(f.hs, payload...)
		case recordAlert:
			if len(f.hs) > 0 {
				return 0, nil, nil, fmt.Errorf("%w: alert inside a handshake message", ErrMalformed)
			}
			if len(payload)%2 != 0 {
				return 0, nil, nil, fmt.Errorf("%w: %d-byte alert record", ErrMalformed, len(payload))
			}
			for i := 0; i < len(payload); i += 2 {
				a := Alert{Level: payload[i], Description: payload[i+1]}
				if a.Level != 1 && a.Level != 2 {
					return 0, nil, nil, fmt.Errorf("%w: alert level %d", ErrMalformed, a.Level)
				}
				if a.Level == 2 || a.Description == 0 {
					return 0, nil, &a, nil
				}
			}
		case recordChangeCipherSpec, recordApplicationData:
			return 0, nil, nil, fmt.Errorf("%w: record type %d before the handshake messages", ErrMalformed, rtyp)
		}
	}
}

// record reads one record. The first record's header is checked hardest: that is where a
// server speaking something else than TLS shows.
func (f *flightReader) record() (typ uint8, payload []byte, err error) {
	var hdr [5]byte
	if n, err := io.ReadFull(f.r, hdr[:]); err != nil {
		switch {
		case err == io.EOF && f.n == 0:
			return 0, nil, ErrNoReply
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			if f.records == 0 {
				if err := notTLS(hdr[:n]); err != nil {
					return 0, nil, err
				}
			}
			return 0, nil, fmt.Errorf("%w: %d bytes into the reply", ErrTruncated, f.n+n)
		}
		return 0, nil, err
	}
	if f.records == 0 {
		if err := notTLS(hdr[:]); err != nil {
			return 0, nil, err
		}
	}
	f.n += len(hdr)
	f.records++
	var version, length uint16
	h := cryptobyte.String(hdr[:])
	h.ReadUint8(&typ)
	h.ReadUint16(&version)
	h.ReadUint16(&length)
	switch {
	case typ < recordChangeCipherSpec || typ > recordApplicationData:
		return 0, nil, fmt.Errorf("%w: record type %d", ErrMalformed, typ)
	case version>>8 != 3:
		return 0, nil, fmt.Errorf("%w: record version 0x%04X", ErrMalformed, version)
	case length == 0:
		return 0, nil, fmt.Errorf("%w: empty record", ErrMalformed)
	case length > maxRecordLen:
		return 0, nil, fmt.Errorf("%w: %d-byte record", ErrOversized, length)
	case f.n+int(length) > maxFlightLen:
		return 0, nil, fmt.Errorf("%w: more than %d bytes before the end of the flight", ErrOversized, maxFlightLen)
	}
	payload = make([]byte, length)
	if n, err := io.ReadFull(f.r, payload); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, nil, fmt.Errorf("%w: %d of %d record bytes", ErrTruncated, n, length)
		}
		return 0, nil, err
	}
	f.n += int(length)
	return typ, payload, nil
}

// notTLS recognises, from the first bytes of a reply, a server that does not speak TLS.
func notTLS(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	// SSLv2 record: two-byte length with the top bit set, then SERVER-HELLO (4) or ERROR (0).
	if b[0]&0x80 != 0 && (len(b) < 3 || b[2] == 4 || b[2] == 0) {
		return ErrSSLv2
	}
	if bytes.HasPrefix(b, []byte("HTTP/")) || len(b) < 5 && bytes.HasPrefix([]byte("HTTP/"), b) {
		return fmt.Errorf("%w: the server answered in plain HTTP", ErrNotTLS)
	}
	if b[0] < recordChangeCipherSpec || b[0] > recordApplicationData || len(b) > 1 && b[1] != 3 {
		return fmt.Errorf("%w: reply starts with % X", ErrNotTLS, b)
	}
	return nil
}

func parseServerHello(body []byte) (*ServerHello, error) {
	in := cryptobyte.String(body)
	var sh ServerHello
	var random []byte
	var sessionID, exts cryptobyte.String
	if !in.ReadUint16(&sh.LegacyVersion) || !in.ReadBytes(&random, 32) || !in.ReadUint8LengthPrefixed(&sessionID) ||
		!in.ReadUint16(&sh.CipherSuite) || !in.ReadUint8(&sh.Compression) {
		return nil, fmt.Errorf("%w: short ServerHello", ErrMalformed)
	}
	if len(sessionID) > 32 {
		return nil, fmt.Errorf("%w: %d-byte session ID", ErrMalformed, len(sessionID))
	}
	sh.SessionID = bytes.Clone(sessionID)
	sh.HelloRetry = bytes.Equal(random, helloRetryRandom)
	if !in.Empty() && (!in.ReadUint16LengthPrefixed(&exts) || !in.Empty()) {
		return nil, fmt.Errorf("%w: bad ServerHello extensions length", ErrMalformed)
	}
	// A message is at most maxMessage bytes, so there are at most maxMessage/4 extensions.
	seen := map[uint16]bool{}
	for !exts.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&typ) || !exts.ReadUint16LengthPrefixed(&data) {
			return nil, fmt.Errorf("%w: bad ServerHello extension", ErrMalformed)
		}
		if seen[typ] {
			return nil, fmt.Errorf("%w: duplicate extension %d", ErrMalformed, typ)
		}
		seen[typ] = true
		switch typ {
		case extSupportedVersions:
			if !data.ReadUint16(&sh.SupportedVersion) || !data.Empty() || sh.SupportedVersion == 0 {
				return nil, fmt.Errorf("%w: bad supported_versions", ErrMalformed)
			}
		case extKeyShare:
			var key cryptobyte.String
			if !data.ReadUint16(&sh.Group) || !sh.HelloRetry && (!data.ReadUint16LengthPrefixed(&key) || key.Empty()) ||
				!data.Empty() || sh.Group == 0 {
				return nil, fmt.Errorf("%w: bad key_share", ErrMalformed)
			}
		}
	}
	sh.Version = sh.LegacyVersion
	if sh.SupportedVersion != 0 {
		sh.Version = sh.SupportedVersion
	}
	if sh.HelloRetry && sh.Version < VersionTLS13 {
		return nil, fmt.Errorf("%w: HelloRetryRequest without TLS 1.3", ErrMalformed)
	}
	return &sh, nil
}

// parseServerKeyExchange reads the group from a ServerKeyExchange; suite says how it is laid out.
func parseServerKeyExchange(body []byte, suite uint16) (*KeyExchange, error) {
	s, ok := LookupSuite(suite)
	if !ok {
		return &KeyExchange{}, nil
	}
	in := cryptobyte.String(body)
	short := fmt.Errorf("%w: short ServerKeyExchange", ErrMalformed)
	if s.KeyExchange == "ECDHE_PSK" || s.KeyExchange == "DHE_PSK" {
		var hint cryptobyte.String
		if !in.ReadUint16LengthPrefixed(&hint) {
			return nil, short
		}
	}
	switch ec, ff := s.ephemeral(); {
	case ec:
		var curveType uint8
		var curve uint16
		if !in.ReadUint8(&curveType) {
			return nil, short
		}
		if curveType != 3 { // explicit curve parameters: no named group
			return &KeyExchange{}, nil
		}
		if !in.ReadUint16(&curve) {
			return nil, short
		}
		return &KeyExchange{Group: curve}, nil
	case ff:
		var prime cryptobyte.String
		if !in.ReadUint16LengthPrefixed(&prime) {
			return nil, short
		}
		p := bytes.TrimLeft(prime, "\x00")
		bits := 0
		if len(p) > 0 {
			bits = (len(p)-1)*8 + bitLen(p[0])
		}
		return &KeyExchange{Group: ffdheGroup(p), DHBits: bits}, nil
	}
	return &KeyExchange{}, nil
}

func bitLen(b byte) int {
	n := 0
	for ; b != 0; b >>= 1 {
		n++
	}
	return n
}
