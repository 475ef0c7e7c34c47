package tlshello

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// besideOf is what a Go-like client's TLS 1.3 handshake with the model negotiates: its three
// suites, its groups, an x25519 key share, following a HelloRetryRequest. The zero value
// when the model does not complete it in TLS 1.3.
func besideOf(m *serverModel) Handshake {
	o := offered{version: VersionTLS13, suites: []uint16{0x1301, 0x1302, 0x1303}, sessionID: make([]byte, 32),
		groups: []uint16{GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}, keyShares: []uint16{GroupX25519}}
	reply, err := ParseServerFlight(m.answer(o))
	if err != nil || reply.ServerHello == nil {
		return Handshake{}
	}
	sh := reply.ServerHello
	if sh.Version != VersionTLS13 {
		return Handshake{}
	}
	return Handshake{Version: VersionTLS13, CipherSuite: sh.CipherSuite, Group: sh.Group}
}

// keyTypesOf is what the handshakes per key type of pkg/probe (TLS 1.2 only, Meta's ECDSA
// suites, then its RSA ones) get from the model: the suites chosen, without a group (they
// are taken when the certificate arrives, before the ServerKeyExchange).
func keyTypesOf(m *serverModel) []Handshake {
	var out []Handshake
	for _, suites := range [][]uint16{{0xC02B, 0xC02C}, {0xC02F, 0xC030}} {
		o := offered{version: VersionTLS12, suites: suites, groups: []uint16{GroupX25519, GroupSecp256r1, GroupSecp384r1}}
		reply, err := ParseServerFlight(m.answer(o))
		if err == nil && reply.ServerHello != nil && reply.ServerHello.Version == VersionTLS12 {
			out = append(out, Handshake{Version: VersionTLS12, CipherSuite: reply.ServerHello.CipherSuite})
		}
	}
	return out
}

// p256Of is what a Go-like client offering P-256 first (with its key share), P-384 and
// P-521 gets in TLS 1.3 from the model, following a HelloRetryRequest: pkg/probe's resumed
// handshake, which answers the P-256 the scan is promised (Options.Promised). The zero
// value when the model does not complete it.
func p256Of(m *serverModel) Handshake {
	o := offered{version: VersionTLS13, suites: []uint16{0x1301, 0x1302, 0x1303}, sessionID: make([]byte, 32),
		groups: []uint16{GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}, keyShares: []uint16{GroupSecp256r1}}
	reply, err := ParseServerFlight(m.answer(o))
	if err != nil || reply.ServerHello == nil || reply.ServerHello.Version != VersionTLS13 {
		return Handshake{}
	}
	return Handshake{Version: VersionTLS13, CipherSuite: reply.ServerHello.CipherSuite, Group: reply.ServerHello.Group}
}

// TestScanModelsBeside scans random server models with the handshakes of a client beside
// the scan (Options.Handshakes): the TLS 1.3 one, delivered late, early, as the zero value
// or not at all (the channel closed), then the TLS 1.2 ones per key type. The scan must
// find exactly what the model accepts every time, the server's order included.
func TestScanModelsBeside(t *testing.T) {
	for seed := range uint64(max(1, *models/2)) {
		r := rand.New(rand.NewPCG(seed, 11))
		m := randomModel(r)
		h, more := besideOf(m), keyTypesOf(m)
		// Every other seed, P-256 is promised to a later handshake: its answer comes
		// after the key types' when the model takes it (pkg/probe's resumed handshake),
		// or never.
		var promised []uint16
		if seed%2 == 1 {
			promised = []uint16{GroupSecp256r1}
			if p := p256Of(m); p.Version != 0 {
				more = append(more, p)
			}
		}
		for _, how := range []string{"late", "early", "zero", "closed"} {
			t.Run(fmt.Sprint(seed, "/", how), func(t *testing.T) {
				t.Parallel()
				addr := modelServer(t, m)
				ch := make(chan Handshake, 4)
				go func() {
					defer close(ch)
					switch how {
					case "late":
						time.Sleep(20 * time.Millisecond)
						ch <- h
						time.Sleep(5 * time.Millisecond)
					case "early":
						ch <- h
					case "zero":
						time.Sleep(5 * time.Millisecond)
						ch <- Handshake{}
					case "closed":
						time.Sleep(5 * time.Millisecond)
						return
					}
					for _, k := range more {
						ch <- k
					}
				}()
				res := scanLoopback(t, addr, Options{Handshakes: ch, Promised: promised})
				checkModel(t, m, res)
			})
		}
	}
}

// TestScanBesideSavesTheFirstHello: against the legacy model (the client's order wins; one
// connection at a time, so the scan is the same every time), a TLS 1.3 handshake beside the
// scan saves exactly the TLS 1.3 first hello, a TLS 1.2 one the hello that would have found
// its suite, and the result is the same.
func TestScanBesideSavesTheFirstHello(t *testing.T) {
	addr := modelServer(t, legacyModel)
	alone := scanLoopback(t, addr, Options{Concurrency: 1})
	h := besideOf(legacyModel)
	if h.Version != VersionTLS13 || h.CipherSuite != 0x1301 || h.Group != GroupX25519 {
		t.Fatalf("handshake beside: %+v", h)
	}
	ch := make(chan Handshake, 1)
	ch <- h
	with := scanLoopback(t, addr, Options{Concurrency: 1, Handshakes: ch})
	checkModel(t, legacyModel, with)
	if with.Connections != alone.Connections-1 {
		t.Errorf("%d connections with the handshake beside, %d without: want one fewer", with.Connections, alone.Connections)
	}

	// The RSA key type's handshake found a TLS 1.2 suite: one fewer again.
	kt := keyTypesOf(legacyModel)
	if len(kt) != 1 || kt[0].CipherSuite != 0xC02F {
		t.Fatalf("key-type handshakes: %+v", kt)
	}
	ch = make(chan Handshake, 2)
	ch <- h
	ch <- kt[0]
	close(ch)
	both := scanLoopback(t, addr, Options{Concurrency: 1, Handshakes: ch})
	checkModel(t, legacyModel, both)
	if both.Connections != alone.Connections-2 {
		t.Errorf("%d connections with both handshakes beside, %d without: want two fewer", both.Connections, alone.Connections)
	}

	// P-256 promised to a handshake beside (pkg/probe's resumed one), which comes late, with
	// the strict handshake's suite: its test is not sent. Promised, but the channel closed
	// without it: the scan tests it itself, at the end.
	p256 := Handshake{Version: VersionTLS13, CipherSuite: h.CipherSuite, Group: GroupSecp256r1}
	for _, kept := range []bool{true, false} {
		ch := make(chan Handshake, 3)
		ch <- h
		ch <- kt[0]
		go func() {
			time.Sleep(50 * time.Millisecond)
			if kept {
				ch <- p256
			}
			close(ch)
		}()
		promised := scanLoopback(t, addr, Options{Concurrency: 1, Handshakes: ch, Promised: []uint16{GroupSecp256r1}})
		checkModel(t, legacyModel, promised)
		want := both.Connections
		if kept {
			want--
		}
		if promised.Connections != want {
			t.Errorf("P-256 promised, answered %v: %d connections, want %d", kept, promised.Connections, want)
		}
	}

	// Promised, and the handshake that was to answer stalls (the channel stays open): the
	// scan waits for it no longer than for a hello's answer (Timeout), then tests P-256.
	ch = make(chan Handshake, 3)
	ch <- h
	ch <- kt[0]
	defer close(ch)
	start := time.Now()
	stalled := scanLoopback(t, addr, Options{Concurrency: 1, Handshakes: ch, Promised: []uint16{GroupSecp256r1},
		Timeout: 300 * time.Millisecond})
	checkModel(t, legacyModel, stalled)
	if el := time.Since(start); el > 3*time.Second || stalled.Connections != both.Connections {
		t.Errorf("P-256 promised, its answer stalled: %v, %d connections; want under 3s and %d", el,
			stalled.Connections, both.Connections)
	}
}

// TestScanBesideGo: a real Go client's handshake with a Go server, passed beside a scan of
// that server, gives the same findings as a scan alone.
func TestScanBesideGo(t *testing.T) {
	cert := certFor(t, ecdsaKey)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{cert.tls},
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}})
	alone := scanLoopback(t, addr, Options{ServerName: "localhost"})

	ch := make(chan Handshake, 1)
	go func() {
		defer close(ch)
		c, err := tls.Dial("tcp", addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		cs := c.ConnectionState()
		ch <- Handshake{Version: cs.Version, CipherSuite: cs.CipherSuite, Group: uint16(cs.CurveID)}
	}()
	with := scanLoopback(t, addr, Options{ServerName: "localhost", Handshakes: ch})
	for i, p := range with.Protocols {
		q := alone.Protocols[i]
		if fmtBool(p.Offered) != fmtBool(q.Offered) || !slices.Equal(cipherIDs(p.Ciphers), cipherIDs(q.Ciphers)) ||
			!slices.Equal(p.Groups, q.Groups) || fmtBool(p.ServerOrder) != fmtBool(q.ServerOrder) || len(p.Errors) > 0 {
			t.Errorf("%s with the handshake beside: %+v\nalone: %+v", p.Name, p, q)
		}
	}
	if !slices.Equal(with.Groups, alone.Groups) {
		t.Errorf("groups %v, alone %v", with.Groups, alone.Groups)
	}
	if !slices.Contains(with.Protocols[4].Groups, "X25519MLKEM768") {
		t.Errorf("TLS 1.3 groups %v lack the group the handshake beside negotiated", with.Protocols[4].Groups)
	}
}

// TestScanBesideNeverSent: a scan whose handshake beside never comes ends with its context,
// and what it could not probe is "could not tell", not a verdict.
func TestScanBesideNeverSent(t *testing.T) {
	addr := modelServer(t, legacyModel)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Scan(ctx, addr, Options{Handshakes: make(chan Handshake)})
	if err == nil {
		t.Fatal("no error from a scan cut short")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the scan took %v after its context ended", d)
	}
	p := res.Protocols[4]
	if p.Offered != nil || p.Reason == "" {
		t.Errorf("TLS 1.3: offered %s (%s), want could not tell", fmtBool(p.Offered), p.Reason)
	}
	if res.Protocols[3].Offered == nil || !*res.Protocols[3].Offered {
		t.Errorf("TLS 1.2: offered %s, want true (it does not wait)", fmtBool(res.Protocols[3].Offered))
	}
}

// TestSpecGroupsAfterAPromiseEnds: the two order-finding tests of TLS 1.3 take two
// different groups, also when the promise of P-256 ends between them (the channel closed
// without its answer): P-384 first (P-256 promised), then P-256, not P-384 again; and
// groups still unknown when the promised answer came before them.
func TestSpecGroupsAfterAPromiseEnds(t *testing.T) {
	tp := newTLS13Planner(&scanner{})
	tp.promised = []uint16{GroupSecp256r1}
	tp.firstSent = true // the first hello is the strict handshake's, not answered yet
	tp.awaiting = false
	var got []uint16
	p := tp.next(false)
	if p == nil || p.kind != probeGroups {
		t.Fatalf("first probe = %+v, want an order-finding group test", p)
	}
	got = append(got, p.list...)
	tp.release()
	if p = tp.next(false); p == nil || p.kind != probeGroups {
		t.Fatalf("second probe = %+v, want an order-finding group test", p)
	}
	got = append(got, p.list...)
	if !slices.Equal(got, []uint16{GroupSecp384r1, GroupSecp256r1}) {
		t.Errorf("order-finding groups = %v, want P-384 then P-256", got)
	}

	// The promised answer came (P-256 accepted) and the promise ended before the first
	// test was chosen (a slow scan): the tests take groups still unknown.
	tp = newTLS13Planner(&scanner{})
	tp.promised = []uint16{GroupSecp256r1}
	tp.firstSent = true
	tp.groups.settle(GroupSecp256r1, itemAccepted)
	tp.release()
	got = nil
	for range 2 {
		if p := tp.next(false); p != nil && p.kind == probeGroups {
			got = append(got, p.list...)
		}
	}
	if !slices.Equal(got, []uint16{GroupSecp384r1, GroupSecp521r1}) {
		t.Errorf("order-finding groups with P-256 settled = %v, want P-384 then P-521", got)
	}
}
