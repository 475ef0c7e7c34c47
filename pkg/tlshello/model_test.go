package tlshello

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// serverModel is a TLS server's configuration as the scan sees it: which versions, suites,
// curves and groups it accepts and whose order picks among them. modelServer answers hellos
// by it, so that a scan's findings can be checked against the truth for configurations no
// real server in the tests has.
type serverModel struct {
	suites map[uint16][]uint16 // per version: the suites accepted, in the server's order
	// serverOrder: the server picks by its own order of suites (and curves and TLS 1.3
	// groups when the flags below say so), else by the client's.
	serverOrder, curveServerOrder, groupServerOrder bool
	// chachaFirst: a server imposing its order that honours a client putting ChaCha20
	// first (OpenSSL's PRIORITIZE_CHACHA; Go's server does much the same).
	chachaFirst bool
	curves      []uint16 // ECDHE curves, in the server's order
	groups13    []uint16 // TLS 1.3 groups, in the server's order
}

func (m *serverModel) String() string {
	s := ""
	for _, v := range []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13} {
		s += fmt.Sprintf("%s %x; ", versionName(v), m.suites[v])
	}
	return s + fmt.Sprintf("server order %v/%v/%v (chacha first %v), curves %x, groups %x", m.serverOrder,
		m.curveServerOrder, m.groupServerOrder, m.chachaFirst, m.curves, m.groups13)
}

// pickFrom returns the first item of offered that is in accepted and passes ok, or of
// accepted that is in offered, by serverOrder.
func pickFrom(offered, accepted []uint16, serverOrder bool, ok func(uint16) bool) (uint16, bool) {
	prio, allow := offered, accepted
	if serverOrder {
		prio, allow = accepted, offered
	}
	for _, id := range prio {
		if slices.Contains(allow, id) && ok(id) {
			return id, true
		}
	}
	return 0, false
}

func (m *serverModel) answer(o offered) []byte {
	suites, ok := m.suites[o.version]
	if !ok || len(suites) == 0 {
		return alertRecord(2, 70)
	}
	if m.serverOrder && m.chachaFirst && len(o.suites) > 0 && isChaCha(o.suites[0]) {
		suites = append(slices.DeleteFunc(slices.Clone(suites), notChaCha), slices.DeleteFunc(slices.Clone(suites), isChaCha)...)
	}
	any := func(uint16) bool { return true }
	if o.version == VersionTLS13 {
		suite, ok := pickFrom(o.suites, suites, m.serverOrder, any)
		if !ok {
			return alertRecord(2, 40)
		}
		for _, g := range o.keyShares {
			if slices.Contains(m.groups13, g) && slices.Contains(o.groups, g) {
				return record(recordHandshake, VersionTLS12, tls13HelloSID(o.sessionID, suite, g))
			}
		}
		g, ok := pickFrom(o.groups, m.groups13, m.groupServerOrder, any)
		if !ok {
			return alertRecord(2, 40)
		}
		return record(recordHandshake, VersionTLS12, helloRetrySID(o.sessionID, suite, g))
	}
	curve := func() (uint16, bool) { return pickFrom(o.groups, m.curves, m.curveServerOrder, any) }
	usable := func(id uint16) bool {
		s, _ := LookupSuite(id)
		if ec, _ := s.ephemeral(); ec {
			_, ok := curve()
			return ok
		}
		return true
	}
	suite, ok := pickFrom(o.suites, suites, m.serverOrder, usable)
	if !ok {
		return alertRecord(2, 40)
	}
	flight := [][]byte{handshakeMsg(typeServerHello, serverHelloBody(o.version, nil, suite, nil))}
	s, _ := LookupSuite(suite)
	var kx []byte
	switch ec, ff := s.ephemeral(); {
	case ec:
		c, _ := curve()
		kx = ecdheKeyExchange(c)
	case ff:
		kx = dheKeyExchange(ffdhe2048Prime())
	}
	if kx != nil {
		if strings.HasSuffix(s.KeyExchange, "_PSK") { // an empty PSK identity hint first
			kx = handshakeMsg(typeServerKeyEx, append([]byte{0, 0}, kx[4:]...))
		}
		flight = append(flight, kx)
	}
	flight = append(flight, handshakeMsg(typeServerDone, nil))
	return record(recordHandshake, o.version, cat(flight...))
}

// modelServer serves m on a loopback port.
func modelServer(t testing.TB, m *serverModel) string {
	return startRawServer(t, func(c net.Conn) {
		o, ok := readHelloFull(c)
		if !ok {
			return
		}
		c.Write(m.answer(o))
		io.Copy(io.Discard, c)
	})
}

// readHelloFull reads a hello that may span several records.
func readHelloFull(c net.Conn) (offered, bool) {
	var msg []byte
	for {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return offered{}, false
		}
		rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(c, rec); err != nil {
			return offered{}, false
		}
		msg = append(msg, rec...)
		in := cryptobyte.String(msg)
		var typ uint8
		var body cryptobyte.String
		if in.ReadUint8(&typ) && in.ReadUint24LengthPrefixed(&body) {
			return parseHello(msg)
		}
	}
}

// randomModel draws a server: some versions, a random share of each version's likely and
// unlikely suites, random curves and groups, random orders.
func randomModel(r *rand.Rand) *serverModel {
	m := &serverModel{suites: map[uint16][]uint16{}, serverOrder: r.IntN(2) == 0,
		curveServerOrder: r.IntN(2) == 0, groupServerOrder: r.IntN(2) == 0, chachaFirst: r.IntN(2) == 0}
	pick := func(ids []uint16, p func(uint16) float64) []uint16 {
		var out []uint16
		for _, id := range ids {
			if r.Float64() < p(id) {
				out = append(out, id)
			}
		}
		r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
		return out
	}
	density := []float64{0.02, 0.2, 0.6}[r.IntN(3)]
	for _, v := range []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13} {
		if r.IntN(3) == 0 {
			continue
		}
		m.suites[v] = pick(suitesFor(v), func(id uint16) float64 {
			return []float64{density / 10, density / 2, density}[suiteTier(id)]
		})
	}
	m.curves = pick(ecGroups, func(uint16) float64 { return 0.6 })
	if len(m.curves) == 0 {
		m.curves = []uint16{GroupSecp256r1}
	}
	m.groups13 = pick(tls13Groups, func(uint16) float64 { return 0.5 })
	if len(m.groups13) == 0 {
		m.groups13 = []uint16{GroupX25519}
	}
	return m
}

var models = flag.Int("models", 32, "how many random server models TestScanModels scans (400 and more pass)")

// TestScanModels scans servers drawn at random and checks that the scan finds exactly what
// they accept: every version, suite, curve and group, and the server's order when it
// imposes one. The inference a scan draws from a server that follows the client's order
// must never claim or miss anything.
func TestScanModels(t *testing.T) {
	for seed := range uint64(*models) {
		r := rand.New(rand.NewPCG(seed, 7))
		m := randomModel(r)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			res := scanLoopback(t, modelServer(t, m), Options{})
			checkModel(t, m, res)
		})
	}
}

func checkModel(t *testing.T, m *serverModel, res *Result) {
	t.Helper()
	highest := uint16(0)
	for _, v := range []uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12} {
		if len(m.suites[v]) > 0 {
			highest = v
		}
	}
	for _, p := range res.Protocols {
		want := m.suites[p.Version]
		if p.Version == VersionSSL30 {
			// No extensions, so no curve: ECDHE is out of reach.
			want = slices.DeleteFunc(slices.Clone(want), func(id uint16) bool {
				s, _ := LookupSuite(id)
				ec, _ := s.ephemeral()
				return ec
			})
		}
		if p.Offered == nil || *p.Offered != (len(want) > 0) {
			t.Errorf("%s offered %s (%s), want %v; %s", p.Name, fmtBool(p.Offered), p.Reason, len(want) > 0, m)
			continue
		}
		if len(p.Errors) > 0 {
			t.Errorf("%s errors %v", p.Name, p.Errors)
		}
		got := cipherIDs(p.Ciphers)
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("%s suites:\ngot  %x\nwant %x\nmodel %s", p.Name, slices.Sorted(slices.Values(got)),
				slices.Sorted(slices.Values(want)), m)
		}
		if p.Version == VersionTLS13 {
			var groups []string
			for _, g := range tls13Groups {
				if slices.Contains(m.groups13, g) {
					groups = append(groups, GroupName(g))
				}
			}
			if len(want) > 0 && !slices.Equal(p.Groups, groups) {
				t.Errorf("TLS 1.3 groups %v, want %v; %s", p.Groups, groups, m)
			}
			continue
		}
		if len(want) >= 2 {
			if p.ServerOrder == nil || *p.ServerOrder != m.serverOrder {
				t.Errorf("%s server order %s, want %v", p.Name, fmtBool(p.ServerOrder), m.serverOrder)
			} else if m.serverOrder && !slices.Equal(got, want) {
				t.Errorf("%s order:\ngot  %x\nwant %x", p.Name, got, want)
			}
		}
		if p.Version != highest {
			if len(p.Groups) > 0 {
				t.Errorf("%s groups %v, want none (not the highest version)", p.Name, p.Groups)
			}
			continue
		}
		var curves []string
		hasEC, hasDHE := false, false
		for _, id := range want {
			s, _ := LookupSuite(id)
			ec, ff := s.ephemeral()
			hasEC, hasDHE = hasEC || ec, hasDHE || ff
		}
		if hasEC && p.Version > VersionSSL30 {
			for _, g := range ecGroups {
				if slices.Contains(m.curves, g) {
					curves = append(curves, GroupName(g))
				}
			}
		}
		if hasDHE {
			curves = append(curves, "ffdhe2048")
		}
		if !slices.Equal(p.Groups, curves) && !(len(p.Groups) == 0 && len(curves) == 0) {
			t.Errorf("%s groups %v, want %v; %s", p.Name, p.Groups, curves, m)
		}
	}
}
