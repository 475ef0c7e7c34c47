package tlshello

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// hostileServer answers each hello by what reply returns for it, and every version the
// tests expect could not be told nor said otherwise.
type hostileServer struct {
	name  string
	reply func(o offered) []byte
	// versions the server breaks the protocol for, and the reason the scan must give;
	// the others it refuses with a protocol_version alert.
	broken []uint16
	reason string
}

// firstSuite returns the first suite offered, as a server echoing the client would choose.
func firstSuite(o offered) uint16 {
	if len(o.suites) == 0 {
		return 0x002F
	}
	return o.suites[0]
}

var hostileServers = []hostileServer{
	{
		// The server of issue 10: a HelloRetryRequest for the group whose key share the
		// client sent (RFC 8446 4.1.4 forbids it), choosing whatever suite comes first.
		name: "HelloRetryRequest for the key share's group",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			g := GroupX25519
			if len(o.keyShares) > 0 {
				g = o.keyShares[0]
			}
			return record(recordHandshake, VersionTLS12, helloRetrySID(o.sessionID, firstSuite(o), g))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: HelloRetryRequest asks for x25519, whose key share was sent",
	},
	{
		name: "HelloRetryRequest choosing a suite not offered",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, helloRetrySID(o.sessionID, 0xC02F, GroupSecp256r1))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: server chose TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, which was not offered",
	},
	{
		name: "HelloRetryRequest for a group not offered",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, helloRetrySID(o.sessionID, firstSuite(o), 0x0A0A))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: HelloRetryRequest asks for 0x0A0A, which was not offered",
	},
	{
		name: "TLS 1.3 ServerHello with a key share for a group not shared",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, tls13HelloSID(o.sessionID, firstSuite(o), GroupSecp384r1))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: ServerHello key share for secp384r1, for which none was sent",
	},
	{
		name: "TLS 1.3 ServerHello not echoing the session ID",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, tls13HelloSID(make([]byte, 32), firstSuite(o), GroupX25519))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: the server did not echo the session ID",
	},
	{
		name: "compression method not offered",
		reply: func(o offered) []byte {
			if o.version == VersionTLS13 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, o.version, handshakeMsg(typeServerHello,
				serverHelloBodySID(o.version, nil, testSessionID, firstSuite(o), 1, nil)))
		},
		broken: []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12},
		reason: "protocol violation: server chose compression method 1, which was not offered",
	},
	{
		name: "supported_versions in a TLS 1.2 ServerHello",
		reply: func(o offered) []byte {
			if o.version != VersionTLS12 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello, serverHelloBody(VersionTLS12, nil,
				firstSuite(o), [][]byte{ext(extSupportedVersions, u16s(VersionTLS12))})))
		},
		broken: []uint16{VersionTLS12},
		reason: "protocol violation: server answered a TLS 1.2 hello with supported_versions, which was not offered",
	},
	{
		name: "TLS 1.3 negotiated without supported_versions",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello,
				serverHelloBodySID(VersionTLS13, nil, o.sessionID, firstSuite(o), 0, nil)))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: ServerHello legacy_version TLS 1.3 without supported_versions",
	},
	{
		name: "supported_versions naming a version not offered",
		reply: func(o offered) []byte {
			if o.version != VersionTLS13 {
				return alertRecord(2, 70)
			}
			key := append(u16s(GroupX25519, 32), make([]byte, 32)...)
			return record(recordHandshake, VersionTLS12, handshakeMsg(typeServerHello,
				serverHelloBodySID(VersionTLS12, nil, o.sessionID, firstSuite(o), 0,
					[][]byte{ext(extSupportedVersions, u16s(0x7F1C)), ext(extKeyShare, key)})))
		},
		broken: []uint16{VersionTLS13},
		reason: "protocol violation: supported_versions names 0x7F1C, which was not offered",
	},
	{
		name: "higher version than asked",
		reply: func(o offered) []byte {
			if o.version >= VersionTLS12 {
				return alertRecord(2, 70)
			}
			return record(recordHandshake, VersionTLS12, tls12Hello(firstSuite(o)))
		},
		broken: []uint16{VersionSSL30, VersionTLS10, VersionTLS11},
		reason: "protocol violation: server answered a %s hello with TLS 1.2",
	},
	{
		name: "ECDHE with a curve not offered",
		reply: func(o offered) []byte {
			if o.version != VersionTLS12 {
				return alertRecord(2, 70)
			}
			for _, id := range o.suites {
				if s, _ := LookupSuite(id); s.KeyExchange == "ECDHE" {
					return record(recordHandshake, VersionTLS12, cat(tls12Hello(id),
						ecdheKeyExchange(0x0015), handshakeMsg(typeServerDone, nil)))
				}
			}
			return alertRecord(2, 40)
		},
		broken: []uint16{VersionTLS12},
		reason: "protocol violation: ServerKeyExchange uses 0x0015, which was not offered",
	},
}

// TestScanHostileServers checks that a reply breaking the protocol never counts as an
// acceptance: the version it answers is "could not tell", with the violation as the reason,
// and no suite or group of it is claimed.
func TestScanHostileServers(t *testing.T) {
	for _, hs := range hostileServers {
		t.Run(hs.name, func(t *testing.T) {
			t.Parallel()
			addr := startRawServer(t, func(c net.Conn) {
				o, ok := readHelloFull(c)
				if !ok {
					return
				}
				c.Write(hs.reply(o))
				io.Copy(io.Discard, c)
			})
			start := time.Now()
			res := scanLoopback(t, addr, Options{Timeout: time.Second})
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("scan took %v", d)
			}
			for _, p := range res.Protocols {
				broken := false
				for _, v := range hs.broken {
					broken = broken || v == p.Version
				}
				if !broken {
					if p.Offered == nil || *p.Offered {
						t.Errorf("%s: offered %s (%s), want false", p.Name, fmtBool(p.Offered), p.Reason)
					}
					continue
				}
				reason := hs.reason
				if strings.Contains(reason, "%s") {
					reason = strings.ReplaceAll(reason, "%s", p.Name)
				}
				if p.Offered != nil || p.Reason != reason {
					t.Errorf("%s: offered %s (%q), want could not tell (%q)", p.Name, fmtBool(p.Offered), p.Reason, reason)
				}
				if len(p.Ciphers) > 0 || len(p.Groups) > 0 || p.ServerOrder != nil {
					t.Errorf("%s: claims suites %v, groups %v, server order %s", p.Name, cipherIDs(p.Ciphers), p.Groups, fmtBool(p.ServerOrder))
				}
			}
			if len(res.Groups) > 0 {
				t.Errorf("groups %v", res.Groups)
			}
		})
	}
}

// TestScanStallAfterServerHello checks that a server that stalls after its ServerHello
// costs a few round trips, not a timeout per hello: the ServerHello is the answer.
func TestScanStallAfterServerHello(t *testing.T) {
	addr := startRawServer(t, func(c net.Conn) {
		o, ok := readHelloFull(c)
		if !ok {
			return
		}
		if o.version != VersionTLS12 {
			c.Write(alertRecord(2, 70))
			return
		}
		for _, id := range o.suites {
			if id == 0xC02F || id == 0x009C {
				c.Write(record(recordHandshake, VersionTLS12, tls12Hello(id)))
				io.Copy(io.Discard, c) // and nothing more
				return
			}
		}
		c.Write(alertRecord(2, 40))
	})
	start := time.Now()
	res := scanLoopback(t, addr, Options{Timeout: 5 * time.Second})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("scan took %v", d)
	}
	checkOffered(t, res, VersionTLS12)
	checkSuites(t, res.Protocols[3], []uint16{0x009C, 0xC02F})
}
