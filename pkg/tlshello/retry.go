package tlshello

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// HelloRetryGroup reads the start of a server's reply to a ClientHello (the
// bytes as they came, at least the first record) and says whether it is a
// HelloRetryRequest and, if so, the group whose key share it asks for (0
// when it asks for none, only a cookie). A client whose first key shares
// the server accepts gets a ServerHello: retry false. The ServerHello must
// sit whole in the first record, as every server sends it; anything else is
// an error (ErrMalformed, ErrTruncated, ErrNotTLS, ErrOversized).
func HelloRetryGroup(reply []byte) (group uint16, retry bool, err error) {
	if err := notTLS(reply[:min(len(reply), 5)]); err != nil {
		return 0, false, err
	}
	in := cryptobyte.String(reply)
	var typ uint8
	var version uint16
	var record cryptobyte.String
	if !in.ReadUint8(&typ) || !in.ReadUint16(&version) {
		return 0, false, fmt.Errorf("%w: %d bytes", ErrTruncated, len(reply))
	}
	if !in.ReadUint16LengthPrefixed(&record) {
		return 0, false, fmt.Errorf("%w: the first record is cut short", ErrTruncated)
	}
	switch {
	case len(record) > maxRecordLen:
		return 0, false, fmt.Errorf("%w: %d-byte record", ErrOversized, len(record))
	case typ == recordAlert:
		return 0, false, fmt.Errorf("%w: the server answered with an alert", ErrMalformed)
	case typ != recordHandshake:
		return 0, false, fmt.Errorf("%w: record type %d before the ServerHello", ErrMalformed, typ)
	}
	var msg uint8
	var body cryptobyte.String
	if !record.ReadUint8(&msg) || !record.ReadUint24LengthPrefixed(&body) {
		return 0, false, fmt.Errorf("%w: the ServerHello does not fit in the first record", ErrMalformed)
	}
	if msg != typeServerHello {
		return 0, false, fmt.Errorf("%w: handshake message %d before the ServerHello", ErrMalformed, msg)
	}
	sh, err := parseServerHello(body)
	if err != nil {
		return 0, false, err
	}
	if !sh.HelloRetry {
		return 0, false, nil
	}
	return sh.Group, true, nil
}
