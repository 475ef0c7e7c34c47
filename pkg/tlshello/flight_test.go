package tlshello

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"testing"
	"testing/iotest"

	"golang.org/x/crypto/cryptobyte"
)

// Builders for handcrafted server replies.

func build(f func(b *cryptobyte.Builder)) []byte {
	b := cryptobyte.NewBuilder(nil)
	f(b)
	return b.BytesOrPanic()
}

func record(typ uint8, version uint16, payload []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8(typ)
		b.AddUint16(version)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
	})
}

func handshakeMsg(typ uint8, body []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8(typ)
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	})
}

func ext(typ uint16, data []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		addExtension(b, typ, func(b *cryptobyte.Builder) { b.AddBytes(data) })
	})
}

func u16s(vs ...uint16) []byte {
	return build(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
}

// testSessionID is the session ID the handcrafted ServerHellos echo, unless told otherwise.
var testSessionID = bytes.Repeat([]byte{7}, 32)

// serverHelloBody builds a ServerHello body; exts nil means no extensions block at all.
func serverHelloBody(version uint16, random []byte, suite uint16, exts [][]byte) []byte {
	return serverHelloBodySID(version, random, testSessionID, suite, 0, exts)
}

func serverHelloBodySID(version uint16, random, sessionID []byte, suite uint16, compression uint8, exts [][]byte) []byte {
	if random == nil {
		random = bytes.Repeat([]byte{0x42}, 32)
	}
	return build(func(b *cryptobyte.Builder) {
		b.AddUint16(version)
		b.AddBytes(random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessionID) })
		b.AddUint16(suite)
		b.AddUint8(compression)
		if exts != nil {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				for _, e := range exts {
					b.AddBytes(e)
				}
			})
		}
	})
}

func tls12Hello(suite uint16) []byte {
	return handshakeMsg(typeServerHello, serverHelloBody(VersionTLS12, nil, suite, [][]byte{ext(0xFF01, []byte{0})}))
}

func tls13Hello(suite, group uint16) []byte {
	return tls13HelloSID(testSessionID, suite, group)
}

func tls13HelloSID(sessionID []byte, suite, group uint16) []byte {
	key := append(u16s(group, 32), make([]byte, 32)...)
	return handshakeMsg(typeServerHello, serverHelloBodySID(VersionTLS12, nil, sessionID, suite, 0,
		[][]byte{ext(extSupportedVersions, u16s(VersionTLS13)), ext(extKeyShare, key)}))
}

func helloRetry(suite, group uint16) []byte {
	return helloRetrySID(testSessionID, suite, group)
}

func helloRetrySID(sessionID []byte, suite, group uint16) []byte {
	return handshakeMsg(typeServerHello, serverHelloBodySID(VersionTLS12, helloRetryRandom, sessionID, suite, 0,
		[][]byte{ext(extSupportedVersions, u16s(VersionTLS13)), ext(extKeyShare, u16s(group))}))
}

func alertRecord(level, desc uint8) []byte {
	return record(recordAlert, VersionTLS12, []byte{level, desc})
}

func ecdheKeyExchange(curve uint16) []byte {
	body := append([]byte{3}, u16s(curve)...)
	body = append(body, 32)
	body = append(body, make([]byte, 32)...)
	return handshakeMsg(typeServerKeyEx, append(body, 0x04, 0x01, 0, 2, 0xAA, 0xBB)) // signature
}

func dheKeyExchange(p []byte) []byte {
	return handshakeMsg(typeServerKeyEx, build(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(p) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(2) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, len(p))) })
	}))
}

// ffdhe2048Prime is RFC 7919's ffdhe2048 p, for ServerKeyExchange samples.
func ffdhe2048Prime() []byte {
	const hex = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617AD3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797ABC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F619172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF"
	p := make([]byte, len(hex)/2)
	for i := range p {
		var v byte
		for _, c := range hex[2*i : 2*i+2] {
			v <<= 4
			if c >= 'A' {
				v |= byte(c-'A') + 10
			} else {
				v |= byte(c - '0')
			}
		}
		p[i] = v
	}
	return p
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// flightCases are handcrafted replies with what ParseServerFlight must make of them. They are
// also fuzzing seeds.
var flightCases = []struct {
	name    string
	in      []byte
	want    Reply
	wantErr error
}{
	{
		name: "TLS 1.2 ServerHello",
		in:   record(recordHandshake, VersionTLS12, tls12Hello(0xC02F)),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0xC02F}},
	},
	{
		name: "TLS 1.0 ServerHello without extensions",
		in: record(recordHandshake, VersionTLS10,
			handshakeMsg(typeServerHello, serverHelloBody(VersionTLS10, nil, 0x002F, nil))),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS10, LegacyVersion: VersionTLS10, SessionID: testSessionID, CipherSuite: 0x002F}},
	},
	{
		name: "TLS 1.3 ServerHello",
		in:   cat(record(recordHandshake, VersionTLS12, tls13Hello(0x1302, GroupX25519)), record(recordChangeCipherSpec, VersionTLS12, []byte{1})),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS13, LegacyVersion: VersionTLS12, SupportedVersion: VersionTLS13, SessionID: testSessionID, CipherSuite: 0x1302, Group: GroupX25519}},
	},
	{
		name: "HelloRetryRequest",
		in:   record(recordHandshake, VersionTLS12, helloRetry(0x1301, GroupSecp384r1)),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS13, LegacyVersion: VersionTLS12, SupportedVersion: VersionTLS13, SessionID: testSessionID, CipherSuite: 0x1301,
			Group: GroupSecp384r1, HelloRetry: true}},
	},
	{
		name: "fatal alert",
		in:   alertRecord(2, 40),
		want: Reply{Alert: &Alert{Level: 2, Description: 40}},
	},
	{
		name: "warning alert then ServerHello",
		in:   cat(alertRecord(1, 112), record(recordHandshake, VersionTLS12, tls12Hello(0x009C))),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0x009C}},
	},
	{
		name: "close_notify",
		in:   alertRecord(1, 0),
		want: Reply{Alert: &Alert{Level: 1, Description: 0}},
	},
	{
		name: "ServerHello split over two records",
		in: func() []byte {
			m := tls12Hello(0xC030)
			return cat(record(recordHandshake, VersionTLS12, m[:10]), record(recordHandshake, VersionTLS12, m[10:]))
		}(),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0xC030}},
	},
	{
		name: "ECDHE flight up to ServerKeyExchange",
		in: cat(record(recordHandshake, VersionTLS12, cat(tls12Hello(0xC02F),
			handshakeMsg(typeCertificate, []byte{0, 0, 3, 0, 0, 0}))),
			record(recordHandshake, VersionTLS12, ecdheKeyExchange(GroupSecp384r1)),
			record(recordHandshake, VersionTLS12, handshakeMsg(typeServerDone, nil))),
		want: Reply{
			ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0xC02F},
			KeyExchange: &KeyExchange{Group: GroupSecp384r1},
		},
	},
	{
		name: "DHE flight with the ffdhe2048 prime",
		in: record(recordHandshake, VersionTLS12, cat(tls12Hello(0x009E),
			handshakeMsg(typeCertificate, []byte{0, 0, 0}), dheKeyExchange(ffdhe2048Prime()))),
		want: Reply{
			ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0x009E},
			KeyExchange: &KeyExchange{Group: GroupFFDHE2048, DHBits: 2048},
		},
	},
	{
		name: "DHE flight with a 1024-bit custom prime",
		in: record(recordHandshake, VersionTLS12, cat(tls12Hello(0x0033),
			dheKeyExchange(append([]byte{0x00, 0xC5}, bytes.Repeat([]byte{0x11}, 127)...)))),
		want: Reply{
			ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0x0033},
			KeyExchange: &KeyExchange{DHBits: 1024},
		},
	},
	{
		name: "RSA flight: no ServerKeyExchange",
		in: record(recordHandshake, VersionTLS12, cat(tls12Hello(0x002F),
			handshakeMsg(typeCertificate, []byte{0, 0, 0}), handshakeMsg(typeServerDone, nil))),
		want: Reply{ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0x002F}},
	},
	{
		name: "ServerHello then truncated certificate",
		in: cat(record(recordHandshake, VersionTLS12, tls12Hello(0xC02F)),
			record(recordHandshake, VersionTLS12, handshakeMsg(typeCertificate, make([]byte, 100)))[:50]),
		want:    Reply{ServerHello: &ServerHello{Version: VersionTLS12, LegacyVersion: VersionTLS12, SessionID: testSessionID, CipherSuite: 0xC02F}},
		wantErr: ErrTruncated,
	},
	{name: "empty", in: nil, wantErr: ErrNoReply},
	{name: "truncated header", in: []byte{22, 3, 3}, wantErr: ErrTruncated},
	{name: "truncated record", in: record(recordHandshake, VersionTLS12, tls12Hello(0xC02F))[:30], wantErr: ErrTruncated},
	{name: "truncated alert", in: []byte{21, 3, 3, 0, 2, 2}, wantErr: ErrTruncated},
	{name: "warning alert only", in: alertRecord(1, 112), wantErr: ErrTruncated},
	{name: "oversized record", in: []byte{22, 3, 3, 0xFF, 0xFF, 2}, wantErr: ErrOversized},
	{
		name:    "oversized handshake message",
		in:      record(recordHandshake, VersionTLS12, []byte{2, 0x10, 0, 0, 3, 3}),
		wantErr: ErrOversized,
	},
	{name: "empty record", in: []byte{22, 3, 3, 0, 0}, wantErr: ErrMalformed},
	{name: "bad record version", in: cat([]byte{22, 3, 3, 0, 1, 1}, []byte{22, 2, 0, 0, 1, 1}), wantErr: ErrMalformed},
	{name: "alert of odd length", in: record(recordAlert, VersionTLS12, []byte{2, 40, 1}), wantErr: ErrMalformed},
	{name: "alert level 3", in: alertRecord(3, 40), wantErr: ErrMalformed},
	{name: "change_cipher_spec first", in: record(recordChangeCipherSpec, VersionTLS12, []byte{1}), wantErr: ErrMalformed},
	{
		name:    "certificate before ServerHello",
		in:      record(recordHandshake, VersionTLS12, handshakeMsg(typeCertificate, []byte{0, 0, 0})),
		wantErr: ErrMalformed,
	},
	{
		name:    "short ServerHello",
		in:      record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello, []byte{3, 3, 1, 2})),
		wantErr: ErrMalformed,
	},
	{
		name: "bad extensions length",
		in: record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello,
			append(serverHelloBody(VersionTLS12, nil, 0xC02F, nil), 0, 9, 0))),
		wantErr: ErrMalformed,
	},
	{
		name: "duplicate extension",
		in: record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello, serverHelloBody(VersionTLS12, nil, 0x1301,
			[][]byte{ext(extSupportedVersions, u16s(VersionTLS13)), ext(extSupportedVersions, u16s(VersionTLS13))}))),
		wantErr: ErrMalformed,
	},
	{
		name: "HelloRetryRequest without supported_versions",
		in: record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello,
			serverHelloBody(VersionTLS12, helloRetryRandom, 0x1301, [][]byte{ext(extKeyShare, u16s(GroupX25519))}))),
		wantErr: ErrMalformed,
	},
	{
		name:    "alert inside a fragmented message",
		in:      cat(record(recordHandshake, VersionTLS12, tls12Hello(0xC02F)[:8]), alertRecord(2, 40)),
		wantErr: ErrMalformed,
	},
	{name: "SSLv2 server hello", in: []byte{0x80, 0x2E, 0x04, 0x00, 0x01, 0x00, 0x02}, wantErr: ErrSSLv2},
	{name: "plain HTTP", in: []byte("HTTP/1.1 400 Bad Request\r\n\r\n"), wantErr: ErrNotTLS},
	{name: "truncated HTTP", in: []byte("HTT"), wantErr: ErrNotTLS},
	{name: "SSH banner", in: []byte("SSH-2.0-OpenSSH_9.2\r\n"), wantErr: ErrNotTLS},
	{name: "garbage", in: []byte{0x16, 0x07, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5}, wantErr: ErrNotTLS},
}

func TestParseServerFlight(t *testing.T) {
	for _, tc := range flightCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseServerFlight(tc.in)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("reply = %s, want %s", replyString(got), replyString(tc.want))
			}
		})
	}
}

func replyString(r Reply) string {
	return fmt.Sprintf("{ServerHello:%+v KeyExchange:%+v Alert:%+v}", deref(r.ServerHello), deref(r.KeyExchange), deref(r.Alert))
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// stopReader fails the test if the parser reads past the bytes it was given: a server does not
// send more than its flight, so reading further would hang until the timeout.
type stopReader struct{ t *testing.T }

func (r stopReader) Read([]byte) (int, error) {
	r.t.Error("read past the end of the flight")
	return 0, io.ErrClosedPipe
}

func TestReadServerFlightStopsEarly(t *testing.T) {
	tests := []struct {
		name        string
		in          []byte
		keyExchange bool
	}{
		{"TLS 1.2 ServerHello", record(recordHandshake, VersionTLS12, tls12Hello(0xC02F)), false},
		{"TLS 1.3 ServerHello", record(recordHandshake, VersionTLS12, tls13Hello(0x1301, GroupX25519)), true},
		{"HelloRetryRequest", record(recordHandshake, VersionTLS12, helloRetry(0x1301, GroupX25519)), true},
		{"alert", alertRecord(2, 70), true},
		{"up to ServerKeyExchange", cat(record(recordHandshake, VersionTLS12, tls12Hello(0xC02F)),
			record(recordHandshake, VersionTLS12, ecdheKeyExchange(GroupX25519))), true},
		{"up to ServerHelloDone", record(recordHandshake, VersionTLS12,
			cat(tls12Hello(0x002F), handshakeMsg(typeServerDone, nil))), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := io.MultiReader(iotest.OneByteReader(bytes.NewReader(tc.in)), stopReader{t})
			if _, err := ReadServerFlight(r, tc.keyExchange); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestFFDHEGroup(t *testing.T) {
	p := ffdhe2048Prime()
	if got := ffdheGroup(p); got != GroupFFDHE2048 {
		t.Errorf("ffdheGroup(ffdhe2048) = %s", GroupName(got))
	}
	if got := ffdheGroup(append([]byte{0}, p...)); got != GroupFFDHE2048 {
		t.Errorf("ffdheGroup(0 || ffdhe2048) = %s", GroupName(got))
	}
	modp := append([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2}, p[12:]...)
	if got := ffdheGroup(modp); got != 0 {
		t.Errorf("ffdheGroup(MODP-like prime) = %s, want none", GroupName(got))
	}
	if got := ffdheGroup(p[:128]); got != 0 {
		t.Errorf("ffdheGroup(half a prime) = %s, want none", GroupName(got))
	}
}

// fuzzHellos are the hellos FuzzParseServerFlight judges every reply against, as sent.
var fuzzHellos = func() []struct {
	h    ClientHello
	sent builtHello
} {
	out := []struct {
		h    ClientHello
		sent builtHello
	}{}
	for _, h := range []ClientHello{
		{Version: VersionTLS10, CipherSuites: []uint16{0x002F, 0xC013, 0x0033}, Groups: ecGroups},
		{Version: VersionTLS12, CipherSuites: []uint16{0xC02F, 0x009C, 0xC02B, 0x009E}, Groups: ecGroups},
		{Version: VersionTLS13, CipherSuites: []uint16{0x1301, 0x1302, 0x1303}, Groups: tls13Groups, KeyShare: true},
		{Version: VersionTLS13, CipherSuites: []uint16{0x1301, 0x1302}, Groups: []uint16{GroupSecp256r1}},
	} {
		sent := builtHello{groups: h.Groups}
		if h.Version == VersionTLS13 {
			sent.sessionID = testSessionID
			if h.KeyShare {
				sent.keyShares = []uint16{GroupX25519}
			}
		}
		out = append(out, struct {
			h    ClientHello
			sent builtHello
		}{h, sent})
	}
	return out
}()

// checkJudged fails t if reply, to the hello sent, was counted as an acceptance that breaks
// the protocol.
func checkJudged(t *testing.T, h ClientHello, sent builtHello, reply Reply, err error) {
	t.Helper()
	o := judge(context.Background(), h, sent, reply, err)
	if o.verdict != accepted {
		if o.reason == "" {
			t.Fatalf("%s hello: %v outcome without a reason", versionName(h.Version), o.verdict)
		}
		return
	}
	sh := o.hello
	switch {
	case sh == nil:
		t.Fatalf("accepted without a ServerHello")
	case sh.Version != h.Version:
		t.Fatalf("%s hello accepted as %s", versionName(h.Version), versionName(sh.Version))
	case !slices.Contains(h.CipherSuites, sh.CipherSuite) || sh.Compression != 0:
		t.Fatalf("accepted suite %s, compression %d: not offered", SuiteName(sh.CipherSuite), sh.Compression)
	case h.Version == VersionTLS13 && !bytes.Equal(sh.SessionID, sent.sessionID):
		t.Fatalf("accepted without the session ID echoed")
	case sh.HelloRetry && slices.Contains(sent.keyShares, sh.Group):
		t.Fatalf("accepted a HelloRetryRequest for %s, whose key share was sent", GroupName(sh.Group))
	case h.Version == VersionTLS13 && !sh.HelloRetry && !slices.Contains(sent.keyShares, sh.Group):
		t.Fatalf("accepted a ServerHello with a key share for %s", GroupName(sh.Group))
	}
}

// FuzzParseServerFlight checks that no reply makes the parser panic or hang, that a nil error
// always comes with exactly one of ServerHello and Alert, that reading byte by byte from a
// stream gives what reading the bytes at once gives, and that no reply breaking the protocol
// is judged an acceptance of the hellos in fuzzHellos.
func FuzzParseServerFlight(f *testing.F) {
	for _, tc := range flightCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, err := ParseServerFlight(b)
		if err == nil && (reply.ServerHello == nil) == (reply.Alert == nil) {
			t.Fatalf("nil error with reply %s", replyString(reply))
		}
		if reply.ServerHello == nil && (reply.Alert != nil) == (err != nil) {
			t.Fatalf("reply %s with error %v", replyString(reply), err)
		}
		if sh := reply.ServerHello; sh != nil && sh.HelloRetry && sh.Version < VersionTLS13 {
			t.Fatalf("HelloRetryRequest for version 0x%04X", sh.Version)
		}
		for _, keyExchange := range []bool{false, true} {
			whole, err1 := ReadServerFlight(bytes.NewReader(b), keyExchange)
			bytewise, err2 := ReadServerFlight(iotest.OneByteReader(bytes.NewReader(b)), keyExchange)
			if !reflect.DeepEqual(whole, bytewise) || (err1 == nil) != (err2 == nil) {
				t.Fatalf("keyExchange=%v: read at once %s (%v), byte by byte %s (%v)", keyExchange,
					replyString(whole), err1, replyString(bytewise), err2)
			}
			if !keyExchange && err == nil && err1 == nil &&
				(!reflect.DeepEqual(whole.ServerHello, reply.ServerHello) || !reflect.DeepEqual(whole.Alert, reply.Alert)) {
				t.Fatalf("ReadServerFlight %s, ParseServerFlight %s", replyString(whole), replyString(reply))
			}
		}
		for _, fh := range fuzzHellos {
			checkJudged(t, fh.h, fh.sent, reply, err)
		}
	})
}
