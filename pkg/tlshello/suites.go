package tlshello

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// suiteTier ranks how likely a server is to accept a suite: 2 for the suites of common
// configurations (ECDHE, DHE or RSA key exchange authenticated by RSA or ECDSA; the AEAD
// TLS 1.3 suites), 1 for the other suites OpenSSL has had, 0 for the rest. The scan asks it
// at every sort and every estimate, so it is computed once per registry row.
func suiteTier(id uint16) int {
	if i, ok := suiteIndex[id]; ok {
		return int(suiteTiers()[i])
	}
	return 0
}

var suiteTiers = sync.OnceValue(func() []int8 {
	t := make([]int8, len(registry))
	for i, s := range registry {
		t[i] = int8(tierOf(s))
	}
	return t
})

func tierOf(s Suite) int {
	switch {
	case s.OpenSSLName == "":
		return 0
	case s.MinVersion == VersionTLS13:
		if s.Grade == Recommended {
			return 2
		}
		return 1
	case (s.KeyExchange == "ECDHE" || s.KeyExchange == "DHE" || s.KeyExchange == "RSA") &&
		(s.Auth == "RSA" || s.Auth == "ECDSA") && s.Grade != Insecure && !legacyCipher(s.Encryption):
		return 2
	}
	return 1
}

// legacyCipher reports ciphers that OpenSSL 3 no longer enables by default.
func legacyCipher(enc string) bool {
	for i, c := range legacyCiphers {
		if strings.HasPrefix(enc, c) || strings.Contains(enc, legacyCiphersAfter[i]) {
			return true
		}
	}
	return false
}

var (
	legacyCiphers      = [...]string{"RC4", "RC2", "DES", "IDEA", "SEED", "NULL"}
	legacyCiphersAfter = [...]string{"_RC4", "_RC2", "_DES", "_IDEA", "_SEED", "_NULL"}
)

// suiteKind is what a server's acceptance of a suite mostly depends on: the key exchange,
// how the server authenticates, and whether the cipher is one of the old ones.
func suiteKind(id uint16) string { return suiteKinds()[id] }

// suiteKinds is built on first use, by the scan (which starts beside the probe's first
// handshake), not at every start of the program.
var suiteKinds = sync.OnceValue(func() map[uint16]string {
	m := make(map[uint16]string, len(registry))
	for _, s := range registry {
		k := s.KeyExchange + "/" + s.Auth
		if legacyCipher(s.Encryption) || strings.Contains(s.Name, "EXPORT") {
			k += "/legacy" // RC4, DES, 3DES, EXPORT...: often disabled where the rest is not
		}
		m[s.ID] = k
	}
	return m
})

// byLikelihood returns ids sorted least likely first (then by code point): a list offers the
// unlikely suites first, so that the answer to it settles them.
func byLikelihood(ids []uint16, tier func(uint16) int) []uint16 {
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b uint16) int { return tier(a) - tier(b) })
	return out
}

// detectSize is how many of a version's likeliest suites the first hello offers: room is
// left for the ChaCha20 suites, which it leaves out, to join them in one list later. A version
// whose suites all fit in one hello (SSL 3.0, which has no ChaCha20) offers them all.
const detectSize = 120

type suiteMode int

const (
	modeUndecided suiteMode = iota
	modeClient              // the server picks the first suite of the client's list it accepts
	modeServer              // anything else: lists are peeled, without inference
)

// suitePlanner finds what one version from SSL 3.0 to TLS 1.2 accepts: its suites, the
// server's order, and, when it is the highest version offered, its groups.
type suitePlanner struct {
	s      *scanner
	v      uint16
	higher []*suitePlanner // the versions above this one, up to TLS 1.2

	f   *finder
	det []uint16 // the first hello's suites: the likeliest, without ChaCha20

	firstSent, reverseSent bool
	first, reverse         *outcome
	reverseList            []uint16

	mode     suiteMode
	inflight int // suite-discovery probes in flight
	// refusal is the reason of the first refusal; versionRefusal a later refusal of the
	// version itself; untested the first reason a probe got no usable answer.
	refusal        string
	versionRefusal string
	untested       string
	errors         []string

	order  orderFinder
	curves curveFinder
	ffdhe  ffdheFinder
	// dhBits is the smallest DH prime of the authenticated DHE suites, dhBitsAnon of the
	// anonymous ones.
	dhBits, dhBitsAnon int
	// pending are suites a handshake beside the scan got, until the mode is decided.
	pending []uint16
}

// beside takes a suite that a handshake made beside the scan got in this version. With a
// server that follows the client's order it is accepted like any answer (before the first
// two answers' inferences, when it comes first: a fact they cannot overrule). With one that
// imposes its order, it is left to the peeling, which must see every suite to give the
// order.
func (sp *suitePlanner) beside(id uint16) {
	switch sp.mode {
	case modeUndecided:
		sp.pending = append(sp.pending, id)
	case modeClient:
		sp.f.settle(id, itemAccepted)
	}
}

func newSuitePlanner(s *scanner, v uint16) *suitePlanner {
	t := versionTables()[v]
	sp := &suitePlanner{s: s, v: v, f: newFinderKinds(t.order, t.kinds), det: t.det}
	sp.f.onSettle = sp.record
	sp.f.hint = sp.hint
	sp.f.hintGen = sp.hintGen
	sp.curves.init()
	return sp
}

// versionTable is what a version's suitePlanner starts from, the same for
// every scan: its suites least likely first, their kinds (numbered alike
// for every version) and the first hello's suites. Planners only read them.
type versionTable struct {
	order []uint16
	kinds kindTable
	det   []uint16
}

// versionTables are built once per process, by Prepare's goroutine or the
// first scan.
var versionTables = sync.OnceValue(func() map[uint16]versionTable {
	m := map[uint16]versionTable{}
	intern := map[string]int32{}
	for _, v := range legacyVersions {
		t := versionTable{order: byLikelihood(suitesFor(v), suiteTier)}
		t.kinds = newKindTable(t.order, suiteTier, suiteKind, intern)
		size := detectSize
		if len(t.order) <= maxChunk {
			size = maxChunk // SSL 3.0: every suite in the first hello
		}
		for _, id := range slices.Backward(t.order) {
			if len(t.det) < size && !isChaCha(id) {
				t.det = append(t.det, id)
			}
		}
		slices.Reverse(t.det)
		m[v] = t
	}
	for v, t := range m {
		t.kinds.n = len(intern) // the same for all: the scanner's kindSeen has a row for each
		m[v] = t
	}
	return m
})

// legacyVersions are the versions a suitePlanner scans, in the order of their slots in
// the scanner's kindSeen.
var legacyVersions = [...]uint16{VersionSSL30, VersionTLS10, VersionTLS11, VersionTLS12}

// versionSlot is v's position in legacyVersions.
func versionSlot(v uint16) int { return int(v - VersionSSL30) }

// Prepare starts building, in a goroutine, the tables every Scan starts
// from (a few milliseconds in a new process, on the scan's way to its first
// hellos), once per process. A program that calls it as early as it knows it
// will scan, while it does other work, gets its first hellos out sooner;
// Scan builds what is not ready yet itself, so calling it is never needed.
var Prepare = sync.OnceFunc(func() { go versionTables() })

// record notes a suite settled in this version, for the others' hints.
func (sp *suitePlanner) record(id uint16, st itemState) {
	if st != itemAccepted && st != itemRefused {
		return
	}
	s := sp.s
	s.recorded++
	s.suiteSeen[id] = append(s.suiteSeen[id], versionState{sp.v, st})
	k := &s.kindSeen[sp.f.kindOf(id)][versionSlot(sp.v)]
	k[1]++
	if st == itemAccepted {
		k[0]++
	}
}

// hintGen changes whenever what hint reads does: the record of the versions (record) and
// whether the leaf's key type is known.
func (sp *suitePlanner) hintGen() uint64 {
	gen := sp.s.recorded << 1
	if leaf, _ := sp.s.leafAuth.Load().(string); leaf != "" {
		gen |= 1
	}
	return gen
}

// hint refines p, the estimate that this version accepts id, with what the other versions
// found, the best guess for this one: the same suite accepted or refused there, or suites of
// the same kind; and with the certificate, since a server with certificates of two key types
// is rare.
func (sp *suitePlanner) hint(i int, id uint16, p float64) float64 {
	s := sp.s
	acc, ref := false, false
	for _, seen := range s.suiteSeen[id] {
		if seen.v != sp.v {
			acc = acc || seen.st == itemAccepted
			ref = ref || seen.st == itemRefused
		}
	}
	switch {
	case acc:
		return max(p, 0.85)
	case ref:
		p *= 0.3
	}
	if leaf, _ := s.leafAuth.Load().(string); leaf != "" {
		if auth := registry[suiteIndex[id]].Auth; (auth == "RSA" || auth == "ECDSA") && auth != leaf {
			p *= 0.2
		}
	}
	var ka, kn int
	for slot, n := range s.kindSeen[sp.f.kt.at[i]] {
		if slot != versionSlot(sp.v) {
			ka += n[0]
			kn += n[1]
		}
	}
	if kn >= 4 {
		return (p + (float64(ka)+0.5)/(float64(kn)+1)) / 2
	}
	return p
}

func (sp *suitePlanner) addError(format string, args ...any) {
	sp.errors = append(sp.errors, fmt.Sprintf(format, args...))
}

func (sp *suitePlanner) noteUntested(reason string) {
	if sp.untested == "" {
		sp.untested = reason
	}
}

// settled reports whether the version's first hello decided it: refused as a version, or
// no usable answer.
func (sp *suitePlanner) settled() bool {
	return sp.first != nil && (sp.first.verdict == unknown || sp.first.wrongVersion)
}

func (sp *suitePlanner) offered() bool { return len(sp.f.found) > 0 }

// discoveryDone reports whether every suite of the version has been settled, or the
// version itself was.
func (sp *suitePlanner) discoveryDone() bool {
	switch {
	case sp.first == nil:
		return false
	case sp.settled():
		return true
	case sp.mode == modeUndecided:
		return false
	case sp.mode == modeClient:
		return sp.inflight == 0 && sp.f.complete()
	}
	return sp.f.chainsDone()
}

// notOffered reports whether this version is known to be not offered, or could not be
// told, for good: the versions below it may then report their groups.
func (sp *suitePlanner) notOffered() bool {
	return !sp.offered() && sp.discoveryDone()
}

// highest reports whether this version is the highest offered up to TLS 1.2, the one whose
// groups are probed.
func (sp *suitePlanner) highest() bool {
	if !sp.offered() {
		return false
	}
	for _, h := range sp.higher {
		if !h.notOffered() {
			return false
		}
	}
	return true
}

func (sp *suitePlanner) hello(suites []uint16) ClientHello {
	h := ClientHello{Version: sp.v, CipherSuites: sendOrder(suites)}
	if sp.v >= VersionTLS10 {
		h.Groups = sp.curves.list()
	}
	return h
}

func (sp *suitePlanner) suiteProbe(kind probeKind, suites []uint16) *probe {
	h := sp.hello(suites)
	return &probe{hello: h, keyExchange: true, kind: kind, list: h.CipherSuites}
}

func (sp *suitePlanner) priority() float64 {
	switch {
	case !sp.firstSent:
		return 1000 + float64(sp.v)
	case sp.first == nil:
		// Before the first answer, only the reverse hello, and only where slots are free:
		// TLS 1.2 is the likeliest version to be offered, and to have many suites.
		if sp.reverseSent || sp.v != VersionTLS12 {
			return 0
		}
		return 60
	case sp.settled():
		return 0
	}
	left := 1.0
	if !sp.discoveryDone() {
		left += sp.f.expected()
	}
	return 1 + max(0, left-0.8*float64(sp.inflight))
}

func (sp *suitePlanner) next(eager bool) *probe {
	switch {
	case !sp.firstSent:
		sp.firstSent = true
		return sp.suiteProbe(probeVersion, sp.det)
	case sp.first == nil:
		if sp.reverseSent || sp.v != VersionTLS12 || len(sp.det) < 2 {
			return nil
		}
		return sp.reverseProbe()
	case sp.settled():
		return nil
	case sp.first.verdict == accepted && !sp.reverseSent:
		return sp.reverseProbe()
	case sp.mode == modeUndecided:
		return nil // waiting for the reverse hello
	}
	if p := sp.discoveryProbe(eager); p != nil {
		return p
	}
	if sp.highest() {
		if p := sp.ffdhe.next(sp); p != nil {
			return p
		}
	}
	if !sp.discoveryDone() {
		return nil
	}
	if p := sp.order.next(sp); p != nil {
		return p
	}
	if !sp.highest() {
		return nil
	}
	return sp.curves.next(sp, eager)
}

// reverseProbe offers the first hello's suites in the opposite order.
func (sp *suitePlanner) reverseProbe() *probe {
	sp.reverseSent = true
	rev := slices.Clone(sp.det)
	slices.Reverse(rev)
	p := sp.suiteProbe(probeReverse, rev)
	sp.reverseList = p.list
	return p
}

func (sp *suitePlanner) discoveryProbe(eager bool) *probe {
	switch sp.mode {
	case modeClient:
		w := sp.f.nextWindow(sp.inflight, eager)
		if len(w) == 0 {
			return nil
		}
		sp.inflight++
		return sp.suiteProbe(probeSuites, w)
	case modeServer:
		c := sp.f.nextChain()
		if c == nil {
			return nil
		}
		c.busy = true
		sp.inflight++
		p := sp.suiteProbe(probeSuites, c.rest)
		p.chain = c
		return p
	}
	return nil
}

func (sp *suitePlanner) done(p *probe, o outcome) {
	switch p.kind {
	case probeVersion:
		sp.first = &o
		sp.piggyback(p, o)
		if o.verdict == accepted {
			sp.f.settle(o.hello.CipherSuite, itemAccepted)
		}
		sp.decide()
	case probeReverse:
		sp.reverse = &o
		sp.piggyback(p, o)
		sp.decide()
	case probeSuites:
		sp.inflight--
		sp.piggyback(p, o)
		sp.suitesDone(p, o)
	case probeOrder:
		sp.order.done(sp, p, o)
	case probeCurves, probeCurve:
		sp.piggyback(p, o)
		sp.curves.done(sp, p, o)
	case probeFFDHE:
		sp.piggyback(p, o)
		sp.ffdhe.done(sp, p, o)
	}
}

// decide sets the mode once the first hello and, when it was accepted, the reverse hello
// have been answered.
func (sp *suitePlanner) decide() {
	if sp.mode != modeUndecided || sp.first == nil || sp.settled() {
		return
	}
	first := sp.first
	if first.verdict == refused {
		// None of the likeliest suites: peel the others, without inference.
		sp.refusal = first.reason
		sp.f.settleAll(sp.det, itemRefused)
		sp.mode = modeServer
		sp.f.makeChains(0)
		return
	}
	if sp.reverse == nil {
		return
	}
	x := first.hello.CipherSuite
	if r := sp.reverse; r.verdict == accepted && r.hello.CipherSuite != x {
		// Two different choices from the same suites: the client's order decides.
		sp.mode = modeClient
		for _, id := range sp.pending {
			sp.f.settle(id, itemAccepted)
		}
		sp.f.answer(sp.det, x, true)
		sp.f.answer(sp.reverseList, r.hello.CipherSuite, true)
		return
	}
	switch r := sp.reverse; r.verdict {
	case unknown:
		sp.addError("server order: %s", r.reason)
	case refused:
		sp.addError("server order: %s for suites it accepted in the other order", r.reason)
	}
	sp.mode = modeServer
	sp.order.detected = true
	// The first hello's suites in the server's order, from x on; the others apart.
	sp.f.chains = append(sp.f.chains, &chain{rest: slices.Clone(sp.det), found: []uint16{x}})
	sp.f.makeChains(0, sp.det...)
}

func (sp *suitePlanner) suitesDone(p *probe, o outcome) {
	switch o.verdict {
	case accepted:
		x := o.hello.CipherSuite
		if p.chain != nil {
			sp.f.chainAnswer(p.chain, p.list, x, sp.mode == modeClient)
		} else {
			sp.f.answer(p.list, x, true)
			sp.f.release(p.list)
		}
		return
	case refused:
		if sp.refusal == "" {
			sp.refusal = o.reason
		}
		if o.wrongVersion && sp.versionRefusal == "" {
			sp.versionRefusal = o.reason
		}
		if p.chain != nil {
			sp.f.chainEnd(p.chain, p.list, itemRefused)
		} else {
			sp.f.settleAll(p.list, itemRefused)
			sp.f.release(p.list)
		}
		return
	}
	sp.noteUntested(o.reason)
	sp.addError("some suites could not be tested: %s", o.reason)
	if p.chain != nil {
		sp.f.chainEnd(p.chain, p.list, itemUntested)
	} else {
		sp.f.settleAll(p.list, itemUntested)
		sp.f.release(p.list)
	}
}

// piggyback takes what an accepted answer says about groups: the curve of an ECDHE key
// exchange, the prime of a DHE one.
func (sp *suitePlanner) piggyback(p *probe, o outcome) {
	if o.verdict != accepted || o.kx == nil {
		return
	}
	suite, _ := LookupSuite(o.hello.CipherSuite)
	switch ec, ff := suite.ephemeral(); {
	case ec && o.kx.Group != 0:
		sp.curves.observe(p, o.kx.Group)
	case ff:
		// Anonymous suites apart: OpenSSL gives them a smaller automatic prime, and they
		// are insecure whatever their prime.
		bits := &sp.dhBits
		if suite.Auth == "anon" {
			bits = &sp.dhBitsAnon
		}
		if o.kx.DHBits > 0 && (*bits == 0 || o.kx.DHBits < *bits) {
			*bits = o.kx.DHBits
		}
		if o.kx.Group != 0 && (p.kind != probeFFDHE || slices.Contains(p.list, o.kx.Group)) {
			sp.ffdhe.seen(o.kx.Group)
		}
	}
}

// reportedGroups returns the groups accepted when this version is the one whose groups
// are reported, in the order of Result.Groups.
func (sp *suitePlanner) reportedGroups() []uint16 {
	if !sp.highest() {
		return nil
	}
	var gs []uint16
	for _, g := range ecGroups {
		if sp.curves.f.is(g, itemAccepted) {
			gs = append(gs, g)
		}
	}
	for _, g := range ffdheGroups {
		if sp.ffdhe.accepted[g] {
			gs = append(gs, g)
		}
	}
	return gs
}

// protocol turns the evidence about the version into its report. stopped, when not empty,
// is why the scan ended early.
func (sp *suitePlanner) protocol(stopped string) Protocol {
	p := Protocol{Version: sp.v, Name: versionName(sp.v)}
	p.Offered, p.Reason = sp.verdict(stopped)
	ids := sp.order.list
	if ids == nil {
		ids = slices.Sorted(slices.Values(sp.f.accepted()))
	}
	for _, id := range ids {
		suite, _ := LookupSuite(id)
		p.Ciphers = append(p.Ciphers, Cipher{ID: id, Name: suite.Name, OpenSSLName: suite.OpenSSLName, Grade: suite.Grade})
	}
	if len(ids) >= 2 {
		switch {
		case sp.mode == modeClient:
			p.ServerOrder = new(false)
		case sp.order.serverOrder != nil:
			p.ServerOrder = new(*sp.order.serverOrder)
		}
	}
	errs := slices.Clone(sp.errors)
	if sp.highest() {
		for _, g := range sp.reportedGroups() {
			p.Groups = append(p.Groups, GroupName(g))
		}
		p.DHBits = cmp.Or(sp.dhBits, sp.dhBitsAnon)
		errs = append(errs, sp.curves.errors...)
		errs = append(errs, sp.ffdhe.errors...)
		if stopped != "" && (!sp.curves.finished || !sp.ffdhe.finished) {
			errs = append(errs, "groups: "+stopped)
		}
	}
	if stopped != "" && sp.offered() && (!sp.discoveryDone() || !sp.order.finished(sp)) {
		errs = append(errs, "suites: "+stopped)
	}
	p.Errors = slices.Sorted(slices.Values(errs))
	return p
}

// verdict decides whether the version is offered: yes when a hello for it was accepted; no
// when the server refused the version itself, or refused every suite with an alert;
// otherwise it could not tell.
func (sp *suitePlanner) verdict(stopped string) (*bool, string) {
	switch {
	case sp.offered():
		return new(true), ""
	case sp.first == nil:
		return nil, orDefault(stopped, "not probed")
	case sp.first.verdict == unknown, sp.first.wrongVersion:
		if sp.first.verdict == unknown {
			return nil, sp.first.reason
		}
		return new(false), sp.first.reason
	case sp.versionRefusal != "":
		return new(false), sp.versionRefusal
	case sp.untested != "":
		return nil, sp.untested
	case !sp.discoveryDone() || !sp.f.complete():
		return nil, orDefault(stopped, "not every suite could be tested")
	}
	return new(false), sp.refusal
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// orderFinder finds, for a server that does not follow the client's order, whether it
// imposes its own and what it is.
type orderFinder struct {
	// detected: the first hello and the reverse hello got the same choice.
	detected    bool
	started     bool
	fwd, rev    []uint16
	sent        int // order-test hellos sent
	a, b        *outcome
	busy        bool // a merge probe in flight
	serverOrder *bool
	lists       [][]uint16 // merging: each chain's suites, in the server's order
	merged      []uint16
	top         uint16
	topKnown    bool
	list        []uint16 // the server's order, when derived
	complete    bool
	// pairs, for a merge of two lists by pairs: the pairs to offer, how many are in
	// flight, and the server's choice from each.
	pairs    [][2]uint16
	pairBusy int
	winner   map[[2]uint16]uint16
}

const (
	orderForward = iota
	orderReverse
	orderMerge
	orderPair
)

// maxPairs bounds the hellos of a merge by pairs (see startMerge).
const maxPairs = 16

func (of *orderFinder) finished(sp *suitePlanner) bool {
	return sp.mode == modeClient || of.complete
}

// next returns the next probe finding the server's order, once the suites are known.
//
// It offers the accepted suites in two opposite orders, unless the first hello and the
// reverse hello already did for two of them or more: the same choice both times means the
// server's order. Each chain was peeled in the server's order already, so the full order is
// a merge of the chains' lists, one probe of their heads per step.
func (of *orderFinder) next(sp *suitePlanner) *probe {
	if of.complete || sp.mode == modeClient || of.busy {
		return nil
	}
	all := sp.f.accepted()
	if !of.started {
		of.started = true
		if len(all) < 2 {
			of.complete = true
			return nil
		}
		inDet := 0
		for _, id := range all {
			if slices.Contains(sp.det, id) {
				inDet++
			}
		}
		if of.detected && inDet >= 2 {
			of.serverOrder = new(true)
			of.startMerge(sp)
		} else {
			// Test the order on the suites other than ChaCha20 when there are two: see
			// sendOrder.
			fwd := all[:min(len(all), maxChunk)]
			if rest := slices.DeleteFunc(slices.Clone(fwd), isChaCha); len(rest) >= 2 {
				fwd = rest
			}
			of.fwd = fwd
			of.rev = slices.Clone(fwd)
			slices.Reverse(of.rev)
			of.topKnown = len(fwd) == len(all)
		}
	}
	if of.serverOrder == nil {
		switch of.sent {
		case 0:
			of.sent++
			return sp.orderProbe(of.fwd, orderForward)
		case 1:
			of.sent++
			return sp.orderProbe(of.rev, orderReverse)
		}
		return nil
	}
	return of.mergeProbe(sp)
}

func (sp *suitePlanner) orderProbe(suites []uint16, tag int) *probe {
	h := ClientHello{Version: sp.v, CipherSuites: suites}
	if tag == orderPair {
		h.CipherSuites = sendOrder(suites)
	}
	if sp.v >= VersionTLS10 {
		h.Groups = ecGroups
	}
	return &probe{hello: h, kind: probeOrder, list: suites, tag: tag}
}

// startMerge starts merging the chains' lists. Two lists, one of them short (typically the
// ChaCha20 suites, peeled apart), are merged by offering every pair of their suites at once:
// a round trip instead of one per suite.
func (of *orderFinder) startMerge(sp *suitePlanner) {
	for _, c := range sp.f.chains {
		if len(c.found) > 0 {
			of.lists = append(of.lists, slices.Clone(c.found))
		}
	}
	if len(of.lists) == 2 && len(of.lists[0])*len(of.lists[1]) <= maxPairs {
		of.winner = map[[2]uint16]uint16{}
		for _, a := range of.lists[0] {
			for _, b := range of.lists[1] {
				of.pairs = append(of.pairs, [2]uint16{a, b})
			}
		}
	}
}

// pairProbe returns the next pair to offer, or nil; once every pair is answered it merges
// the two lists by the server's choices.
func (of *orderFinder) pairProbe(sp *suitePlanner) *probe {
	if len(of.pairs) > 0 {
		pair := of.pairs[0]
		of.pairs = of.pairs[1:]
		of.pairBusy++
		return sp.orderProbe([]uint16{pair[0], pair[1]}, orderPair)
	}
	if of.pairBusy > 0 {
		return nil
	}
	a, b := of.lists[0], of.lists[1]
	for len(a) > 0 && len(b) > 0 {
		w, ok := of.winner[[2]uint16{a[0], b[0]}]
		switch {
		case !ok:
			sp.addError("server order incomplete: no choice between %s and %s", SuiteName(a[0]), SuiteName(b[0]))
			of.complete = true
			return nil
		case w == a[0]:
			of.merged, a = append(of.merged, a[0]), a[1:]
		default:
			of.merged, b = append(of.merged, b[0]), b[1:]
		}
	}
	of.list = append(append(of.merged, a...), b...)
	of.complete = true
	return nil
}

// mergeProbe advances the merge of the chains' lists and returns the probe of the heads
// when it needs one.
func (of *orderFinder) mergeProbe(sp *suitePlanner) *probe {
	if of.winner != nil {
		return of.pairProbe(sp)
	}
	for {
		of.lists = slices.DeleteFunc(of.lists, func(l []uint16) bool { return len(l) == 0 })
		switch len(of.lists) {
		case 0:
			of.list, of.complete = of.merged, true
			return nil
		case 1:
			of.merged = append(of.merged, of.lists[0]...)
			of.lists = nil
			continue
		}
		var heads []uint16
		for _, l := range of.lists {
			heads = append(heads, l[0])
		}
		if !of.topKnown {
			// ChaCha20 suites last, so that a server prioritising ChaCha20 for clients
			// that prefer it still shows its own order.
			offer := append(slices.DeleteFunc(slices.Clone(heads), isChaCha), slices.DeleteFunc(slices.Clone(heads), notChaCha)...)
			of.busy = true
			return sp.orderProbe(offer, orderMerge)
		}
		i := slices.Index(heads, of.top)
		if i < 0 {
			sp.addError("server order incomplete: %s chosen out of order", SuiteName(of.top))
			of.complete = true
			return nil
		}
		of.merged = append(of.merged, of.top)
		of.lists[i] = of.lists[i][1:]
		of.topKnown = false
	}
}

func (of *orderFinder) done(sp *suitePlanner, p *probe, o outcome) {
	if p.tag == orderPair {
		of.pairBusy--
		if o.verdict == accepted {
			of.winner[[2]uint16{p.list[0], p.list[1]}] = o.hello.CipherSuite
		} else {
			sp.addError("server order: %s", o.reason)
		}
		return
	}
	if p.tag == orderMerge {
		of.busy = false
		if o.verdict != accepted {
			sp.addError("server order incomplete: %s", o.reason)
			of.complete = true
			return
		}
		of.top, of.topKnown = o.hello.CipherSuite, true
		return
	}
	if p.tag == orderForward {
		of.a = &o
	} else {
		of.b = &o
	}
	if of.a == nil || of.b == nil {
		return
	}
	for _, r := range []*outcome{of.a, of.b} {
		if r.verdict != accepted {
			sp.addError("server order: %s", r.reason)
			of.complete = true
			return
		}
	}
	ca, cb := of.a.hello.CipherSuite, of.b.hello.CipherSuite
	switch {
	case ca == of.fwd[0] && cb == of.rev[0]:
		of.serverOrder = new(false)
		of.complete = true
		return
	case ca != cb:
		sp.addError("server order: chose %s and %s from the same suites", SuiteName(ca), SuiteName(cb))
		of.complete = true
		return
	}
	of.serverOrder = new(true)
	of.top = ca
	of.startMerge(sp)
}

// curveFinder finds the curves a TLS 1.0 to 1.2 server accepts for ECDHE. Every hello
// offering suites lists all the curves, so that the curves never decide which suite the
// server chooses, the ones not settled yet first and rotated from hello to hello: a server
// that picks the first curve of the client's list it accepts then names a different curve
// from time to time, which shows that it follows the client's order, and every curve listed
// before the one it names is refused. The curves still unknown once the suites are are
// probed in lists (client's order) or one at a time.
type curveFinder struct {
	f        *finder
	rot      int
	obs      []curveObs
	client   bool // the server follows the client's order of curves
	inferred int  // observations applied
	// per-curve probes, when the server follows its own order
	singles  map[uint16]*curveSingle
	inflight int
	started  bool
	finished bool
	errors   []string
}

type curveObs struct {
	list  []uint16
	curve uint16
}

type curveSingle struct {
	hellos []ClientHello
	next   int
	busy   bool
	done   bool
}

func curveTier(g uint16) int {
	switch g {
	case GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1, GroupX448:
		return 2
	}
	return 0
}

func (cf *curveFinder) init() {
	cf.f = newFinder(byLikelihood(ecGroups, curveTier), curveTier, nil)
}

// list returns the curves for the next hello offering suites: all of them, those not
// settled first, rotated.
func (cf *curveFinder) list() []uint16 {
	var unlikely, likely, known []uint16
	for _, g := range cf.f.order {
		switch {
		case !cf.f.is(g, itemUnknown):
			known = append(known, g)
		case curveTier(g) == 0:
			unlikely = append(unlikely, g)
		default:
			likely = append(likely, g)
		}
	}
	l := append(unlikely, rotate(likely, cf.rot)...)
	cf.rot++
	return append(l, known...)
}

// observe takes the curve of an accepted ECDHE answer to p.
func (cf *curveFinder) observe(p *probe, c uint16) {
	if !slices.Contains(ecGroups, c) {
		return
	}
	list := p.hello.Groups
	if p.kind == probeCurves || p.kind == probeCurve {
		// A list of unknown curves only: the answer settles it as a client-mode answer
		// does, when the mode is known, in done.
		cf.f.settle(c, itemAccepted)
		return
	}
	if len(list) != len(ecGroups) {
		cf.f.settle(c, itemAccepted)
		return
	}
	cf.obs = append(cf.obs, curveObs{list: list, curve: c})
	cf.f.settle(c, itemAccepted)
	if !cf.client && cf.obs[0].curve != c {
		cf.client = true
	}
	if cf.client {
		for ; cf.inferred < len(cf.obs); cf.inferred++ {
			o := cf.obs[cf.inferred]
			cf.f.answer(o.list, o.curve, true)
		}
	}
}

// ecdheSuites returns the accepted ECDHE suites authenticated otherwise than by ECDSA, and
// those authenticated by ECDSA.
func (sp *suitePlanner) ecdheSuites() (ec, ecdsa, ff []uint16) {
	for _, id := range sp.f.accepted() {
		suite, _ := LookupSuite(id)
		switch isEC, isFF := suite.ephemeral(); {
		case isEC && suite.Auth == "ECDSA":
			ecdsa = append(ecdsa, id)
		case isEC:
			ec = append(ec, id)
		case isFF:
			ff = append(ff, id)
		}
	}
	return ec, ecdsa, ff
}

// certCurves are the curves an ECDSA certificate is likely to be on.
var certCurves = []uint16{GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}

// next returns the next probe of the curves still unknown once the suites are known.
//
// With ECDHE suites authenticated otherwise than by ECDSA, and a server that follows the
// client's order, lists of unknown curves. Otherwise one curve per hello: up to TLS 1.2 the
// curve list also covers the certificate, so a server with only ECDSA suites may refuse a
// hello that does not list its certificate's curve. Such a refusal is retried with the
// usual certificate curves after the one probed, so a server that ranks one of them above
// the probed curve hides the latter.
func (cf *curveFinder) next(sp *suitePlanner, eager bool) *probe {
	if cf.finished {
		return nil
	}
	ec, ecdsa, _ := sp.ecdheSuites()
	if len(ec)+len(ecdsa) == 0 || cf.f.complete() && cf.inflight == 0 && cf.singles == nil {
		cf.finished = cf.inflight == 0
		return nil
	}
	hello := func(suites, groups []uint16) ClientHello {
		return ClientHello{Version: sp.v, CipherSuites: sendOrder(suites[:min(len(suites), maxChunk)]), Groups: groups}
	}
	if cf.client {
		// A window of unknown curves, then the curves found (and, for ECDSA suites alone,
		// the usual certificate curves), so that the answer settles the window.
		w := cf.f.nextWindow(cf.inflight, eager)
		if len(w) == 0 {
			if cf.inflight == 0 {
				cf.finished = true
			}
			return nil
		}
		groups := append(slices.Clone(w), cf.f.accepted()...)
		suites := ec
		if len(ec) == 0 {
			suites = ecdsa
			for _, c := range certCurves {
				if !slices.Contains(groups, c) {
					groups = append(groups, c)
				}
			}
		}
		cf.inflight++
		return &probe{hello: hello(suites, groups), keyExchange: true, kind: probeCurves, list: w}
	}
	if cf.singles == nil {
		cf.singles = map[uint16]*curveSingle{}
		for _, g := range cf.f.unknown() {
			var hs []ClientHello
			if len(ec) > 0 {
				hs = []ClientHello{hello(ec, []uint16{g})}
			} else {
				others := slices.DeleteFunc(slices.Clone(certCurves), func(c uint16) bool { return c == g })
				hs = []ClientHello{hello(ecdsa, []uint16{g}), hello(ecdsa, append([]uint16{g}, others...))}
			}
			cf.singles[g] = &curveSingle{hellos: hs}
		}
	}
	for _, g := range ecGroups {
		c := cf.singles[g]
		if c == nil || c.busy || c.done {
			continue
		}
		c.busy = true
		cf.inflight++
		p := &probe{hello: c.hellos[c.next], keyExchange: true, kind: probeCurve, list: []uint16{g}}
		c.next++
		return p
	}
	if cf.inflight == 0 {
		cf.finished = true
	}
	return nil
}

func (cf *curveFinder) done(sp *suitePlanner, p *probe, o outcome) {
	cf.inflight--
	if p.kind == probeCurves {
		defer cf.f.release(p.list)
		switch {
		case o.verdict == accepted && o.kx != nil && slices.Contains(p.hello.Groups, o.kx.Group):
			// Every curve listed before the one chosen is refused, the window's included
			// when a curve found before is chosen.
			cf.f.answer(p.hello.Groups, o.kx.Group, true)
		case o.verdict == refused:
			// The hello listed a curve the server accepted before, too.
			cf.errors = append(cf.errors, fmt.Sprintf("groups %s: %s", listGroups(p.list), o.reason))
			cf.f.settleAll(p.list, itemUntested)
		case o.verdict == accepted && o.kxErr != "":
			cf.errors = append(cf.errors, fmt.Sprintf("groups %s: %s", listGroups(p.list), o.kxErr))
			cf.f.settleAll(p.list, itemUntested)
		case o.verdict == accepted:
			// An ECDHE suite without a named curve from the list: nothing settled.
			cf.f.settleAll(p.list, itemUntested)
		default:
			cf.errors = append(cf.errors, fmt.Sprintf("groups %s: %s", listGroups(p.list), o.reason))
			cf.f.settleAll(p.list, itemUntested)
		}
		return
	}
	g := p.list[0]
	c := cf.singles[g]
	c.busy = false
	if o.verdict == refused && c.next < len(c.hellos) {
		return // retried with the certificate curves
	}
	c.done = true
	switch {
	case o.verdict == unknown:
		cf.errors = append(cf.errors, fmt.Sprintf("group %s: %s", GroupName(g), o.reason))
		cf.f.settle(g, itemUntested)
	case o.verdict == accepted && o.kxErr != "":
		cf.errors = append(cf.errors, fmt.Sprintf("group %s: %s", GroupName(g), o.kxErr))
		cf.f.settle(g, itemUntested)
	case o.verdict == accepted && o.kx != nil && o.kx.Group == g:
		cf.f.settle(g, itemAccepted)
	default:
		cf.f.settle(g, itemRefused)
	}
}

func listGroups(gs []uint16) string {
	var names []string
	for _, g := range gs {
		names = append(names, GroupName(g))
	}
	return strings.Join(names, ", ")
}

// ffdheFinder finds the RFC 7919 groups a TLS 1.0 to 1.2 server uses for DHE. A group
// counts when the server's DHE prime is that group's while the group was offered, or while
// no group at all was (a server that uses that prime unasked uses it when asked). A server
// that ignores the groups offered, as most DHE servers do, shows its one prime whatever the
// client lists, and does not count as accepting the others: the groups not seen so are
// offered together, and the ones the answer names are removed until it names none.
type ffdheFinder struct {
	accepted map[uint16]bool
	refused  map[uint16]bool
	busy     bool
	finished bool
	errors   []string
}

func (ff *ffdheFinder) seen(g uint16) {
	if ff.accepted == nil {
		ff.accepted = map[uint16]bool{}
	}
	ff.accepted[g] = true
}

func (ff *ffdheFinder) next(sp *suitePlanner) *probe {
	if ff.finished || ff.busy {
		return nil
	}
	_, _, dhe := sp.ecdheSuites()
	var left []uint16
	for _, g := range ffdheGroups {
		if !ff.accepted[g] && !ff.refused[g] {
			left = append(left, g)
		}
	}
	if len(dhe) == 0 || len(left) == 0 {
		ff.finished = true
		return nil
	}
	ff.busy = true
	h := ClientHello{Version: sp.v, CipherSuites: dhe[:min(len(dhe), maxChunk)], Groups: left}
	return &probe{hello: h, keyExchange: true, kind: probeFFDHE, list: left}
}

func (ff *ffdheFinder) done(sp *suitePlanner, p *probe, o outcome) {
	ff.busy = false
	if ff.refused == nil {
		ff.refused = map[uint16]bool{}
	}
	switch {
	case o.verdict == accepted && o.kx != nil && slices.Contains(p.list, o.kx.Group):
		return // seen by piggyback: the rest is offered again
	case o.verdict == unknown:
		ff.errors = append(ff.errors, fmt.Sprintf("groups %s: %s", listGroups(p.list), o.reason))
	case o.verdict == accepted && o.kxErr != "":
		ff.errors = append(ff.errors, fmt.Sprintf("groups %s: %s", listGroups(p.list), o.kxErr))
	}
	for _, g := range p.list {
		ff.refused[g] = true
	}
	ff.finished = true
}
