package tlshello

import (
	"fmt"
	"slices"
)

// groupPrior13 is how likely a TLS 1.3 server is to accept each group: OpenSSL 3.0 to 3.4
// offers x25519, the NIST curves, x448 and the five FFDHE groups by default; OpenSSL 3.5, Go
// and BoringSSL offer X25519MLKEM768, x25519 and the NIST curves. A group at 0.3 or more is
// tested alone (a refusal then costs a hello), the others together.
var groupPrior13 = map[uint16]float64{
	GroupX25519: 0.9, GroupSecp256r1: 0.9, GroupSecp384r1: 0.8, GroupSecp521r1: 0.6,
	GroupX25519MLKEM768: 0.25, GroupX448: 0.5, GroupFFDHE2048: 0.5, GroupFFDHE3072: 0.45,
	GroupFFDHE4096: 0.4, GroupFFDHE6144: 0.4, GroupFFDHE8192: 0.4,
	GroupSecP256r1MLKEM768: 0.1, GroupSecP384r1MLKEM1024: 0.1,
}

// groupTier13 ranks how likely a TLS 1.3 server is to accept a group.
func groupTier13(g uint16) int {
	switch p := groupPrior13[g]; {
	case p >= 0.8:
		return 2
	case p >= 0.3:
		return 1
	}
	return 0
}

// tls13Planner finds the TLS 1.3 suites and groups a server accepts.
//
// The first hello offers every suite and group with an x25519 key share, as clients do:
// only a ServerHello or a HelloRetryRequest that keeps the rules answers it. The groups are
// then tested without a key share, so that a server accepting the hello names its group in a
// HelloRetryRequest (OpenSSL picks it by its own order, whatever the client's): each likely
// group alone, all at once, and the unlikely ones together, peeled. The first two group
// tests offer the suites other than ChaCha20 in opposite orders: two different choices show
// a server that follows the client's order, and then each test lists the suites not settled
// yet first and those found last, so that every answer settles the suites listed before the
// one chosen. Otherwise the unlikely suites are peeled apart, and the likely ones that the
// tests did not find are offered one per hello.
type tls13Planner struct {
	s      *scanner
	suites *finder
	groups *finder

	firstSent bool
	// awaiting: the first answer may come from a handshake made beside the scan (see
	// Options.Handshake), so the first hello is not sent until beside has been called.
	awaiting bool
	// promised: groups a handshake beside the scan is to test (Options.Promised), left to
	// it until beside is closed or the scan stops waiting for them (release).
	promised []uint16
	first    *outcome
	held     []heldAnswer // answers sent before the first hello's, until it is known

	tests      []*chain // group tests: single likely groups, and the unlikely ones together
	testsMade  bool
	unlikely   *chain   // the unlikely suites, peeled
	singles    []*chain // the likely suites the group tests did not find, one per hello
	singlesOn  bool
	rot        int
	inflight   int
	untested   string
	errors     []string
	specGroups []uint16 // the groups of the two order-finding tests
	// The suites' order: the two order-finding tests' choices, and whether the server
	// follows the client's order.
	orderSeen [2]*uint16
	client    bool
	suiteObs  []heldAnswer // accepted answers from before the order was known
}

type heldAnswer struct {
	p *probe
	o outcome
}

func newTLS13Planner(s *scanner) *tls13Planner {
	return &tls13Planner{
		s:      s,
		suites: newFinder(byLikelihood(suitesFor(VersionTLS13), suiteTier), suiteTier, nil),
		groups: newFinder(byLikelihood(tls13Groups, groupTier13), groupTier13, nil),
	}
}

func (tp *tls13Planner) addError(format string, args ...any) {
	tp.errors = append(tp.errors, fmt.Sprintf(format, args...))
}

func (tp *tls13Planner) clean() bool {
	return tp.first != nil && tp.first.verdict == accepted
}

// suiteList returns the suites for a group test: the likely ones not found yet, rotated,
// then those found.
func (tp *tls13Planner) suiteList() []uint16 {
	if tp.client {
		return append(tp.suites.unknown(), tp.suites.accepted()...)
	}
	var likely []uint16
	for _, id := range tp.suites.unknown() {
		if suiteTier(id) == 2 {
			likely = append(likely, id)
		}
	}
	l := rotate(likely, tp.rot)
	tp.rot++
	l = append(l, tp.suites.accepted()...)
	if len(l) == 0 {
		return tp.suites.order
	}
	return l
}

// hello returns a TLS 1.3 hello. With a server that follows the client's order the suites
// go as listed (ChaCha20 first too: see sendOrder), so that every answer settles the
// suites listed before it.
func (tp *tls13Planner) hello(suites, groups []uint16, keyShare bool) ClientHello {
	if !tp.client {
		suites = sendOrder(suites)
	}
	return ClientHello{Version: VersionTLS13, CipherSuites: suites, Groups: groups, KeyShare: keyShare}
}

func (tp *tls13Planner) finished() bool {
	if tp.first == nil {
		return false
	}
	if !tp.clean() {
		return true
	}
	return tp.inflight == 0 && tp.testsMade && (tp.client || tp.unlikely != nil && tp.singlesOn) &&
		tp.suites.complete() && tp.groups.complete()
}

func (tp *tls13Planner) priority() float64 {
	switch {
	case !tp.firstSent && !tp.awaiting:
		return 1000 + float64(VersionTLS13)
	case tp.first == nil:
		if len(tp.specGroups) >= 2 {
			return 0
		}
		return 50
	case tp.finished():
		return 0
	}
	left := 1 + tp.groups.expected() + tp.suites.expected()
	return 1 + max(0, left-0.8*float64(tp.inflight))
}

func (tp *tls13Planner) next(bool) *probe {
	switch {
	case !tp.firstSent && !tp.awaiting:
		tp.firstSent = true
		h := tp.hello(tp.suites.order, tp.groups.order, true)
		return &probe{hello: h, kind: probeVersion, list: h.CipherSuites}
	case len(tp.specGroups) < 2 && (tp.first == nil || tp.clean()):
		// The likeliest groups after x25519 (which the first hello tests), with the suites
		// other than ChaCha20 in opposite orders: sent before the first answer when
		// connections are free. A group promised to a handshake beside is left to it.
		g := tp.specGroup()
		suites := slices.DeleteFunc(slices.Clone(tp.suites.order), isChaCha)
		if len(tp.specGroups) == 1 {
			slices.Reverse(suites)
		}
		c := &chain{rest: []uint16{g}, busy: true}
		tp.tests = append(tp.tests, c)
		tp.inflight++
		p := &probe{hello: tp.hello(suites, c.rest, false), kind: probeGroups, list: c.rest, chain: c, tag: 1 + len(tp.specGroups)}
		tp.specGroups = append(tp.specGroups, g)
		return p
	case tp.first == nil, !tp.clean():
		return nil
	}
	if !tp.testsMade {
		tp.testsMade = true
		var rare []uint16
		for _, g := range tp.groups.unknown() {
			if slices.Contains(tp.specGroups, g) || slices.Contains(tp.promised, g) {
				continue
			}
			if groupPrior13[g] >= 0.3 {
				tp.tests = append(tp.tests, &chain{rest: []uint16{g}})
			} else {
				rare = append(rare, g)
			}
		}
		if len(rare) > 0 {
			tp.tests = append(tp.tests, &chain{rest: rare})
		}
	}
	for _, c := range tp.tests {
		if c.busy || c.done {
			continue
		}
		c.rest = slices.DeleteFunc(c.rest, func(g uint16) bool { return !tp.groups.is(g, itemUnknown) })
		if len(c.rest) == 0 {
			c.done = true
			continue
		}
		c.busy = true
		tp.inflight++
		h := tp.hello(tp.suiteList(), c.rest, false)
		return &probe{hello: h, kind: probeGroups, list: c.rest, chain: c}
	}
	if tp.client {
		return tp.suiteSweep()
	}
	if tp.orderSeen[0] == nil || tp.orderSeen[1] == nil {
		return nil // the order is not known yet
	}
	if tp.unlikely == nil {
		tp.unlikely = &chain{}
		for _, id := range tp.suites.unknown() {
			if suiteTier(id) < 2 {
				tp.unlikely.rest = append(tp.unlikely.rest, id)
			}
		}
	}
	if p := tp.suiteChain(tp.unlikely); p != nil {
		return p
	}
	if !tp.singlesOn {
		for _, c := range tp.tests {
			if !c.done {
				return nil // the group tests may find them
			}
		}
		tp.singlesOn = true
		for _, id := range tp.suites.unknown() {
			if !slices.Contains(tp.unlikely.rest, id) {
				tp.singles = append(tp.singles, &chain{rest: []uint16{id}})
			}
		}
	}
	for _, c := range tp.singles {
		if p := tp.suiteChain(c); p != nil {
			return p
		}
	}
	return nil
}

// specGroups are the groups of the two order-finding tests, in the order they are taken,
// the promised ones left out.
var specGroups = []uint16{GroupSecp256r1, GroupSecp384r1, GroupSecp521r1}

// specGroup returns the group of the next order-finding test: the first of specGroups
// neither tested yet nor promised (a promise may end between the two tests), and not
// settled by a handshake beside when another is left (the test then settles a group too).
func (tp *tls13Planner) specGroup() uint16 {
	for _, unknownOnly := range []bool{true, false} {
		for _, g := range specGroups {
			if !slices.Contains(tp.promised, g) && !slices.Contains(tp.specGroups, g) &&
				(!unknownOnly || tp.groups.is(g, itemUnknown)) {
				return g
			}
		}
	}
	return specGroups[len(specGroups)-1] // not reached: Scan lets one at most be promised
}

// waiting reports whether the scan waits for beside: for its first value, or for the
// answer to a promised group not settled yet.
func (tp *tls13Planner) waiting() bool {
	switch {
	case tp.awaiting:
		return true
	case tp.first != nil && !tp.clean():
		return false // no TLS 1.3 to find groups in
	}
	return slices.ContainsFunc(tp.promised, func(g uint16) bool { return tp.groups.is(g, itemUnknown) })
}

// release ends the promises (beside closed, or no answer in time): the promised groups
// still unknown are tested like the others.
func (tp *tls13Planner) release() {
	promised := tp.promised
	tp.promised = nil
	if !tp.testsMade {
		return // they will be among the tests made
	}
	for _, g := range promised {
		if tp.groups.is(g, itemUnknown) {
			tp.tests = append(tp.tests, &chain{rest: []uint16{g}})
		}
	}
}

// beside takes the handshake made beside the scan (Options.Handshake) that the first hello
// waited for. A completed TLS 1.3 handshake is the first hello's answer: its client offered
// TLS 1.3 and the server accepted it with that suite and group, a fact like a ServerHello to
// one of the scan's own hellos (only the suite and group chosen are taken, nothing about the
// others: that client's lists were not the scan's). Anything else leaves the first hello to
// be sent now.
//
// Later TLS 1.3 handshakes add their suite and group to what was found, once the first
// answer was an acceptance.
func (tp *tls13Planner) beside(h Handshake) {
	if !tp.awaiting {
		if h.Version == VersionTLS13 && tp.clean() {
			tp.suites.settle(h.CipherSuite, itemAccepted)
			tp.groups.settle(h.Group, itemAccepted)
		}
		return
	}
	tp.awaiting = false
	if tp.firstSent || h.Version != VersionTLS13 || !slices.Contains(tp.suites.order, h.CipherSuite) {
		return
	}
	tp.firstSent = true
	hello := ClientHello{Version: VersionTLS13, CipherSuites: []uint16{h.CipherSuite}, KeyShare: true}
	sh := &ServerHello{Version: VersionTLS13, LegacyVersion: VersionTLS12, SupportedVersion: VersionTLS13,
		CipherSuite: h.CipherSuite}
	if slices.Contains(tp.groups.order, h.Group) {
		hello.Groups = []uint16{h.Group}
		sh.Group = h.Group
	}
	p := &probe{owner: tp, hello: hello, kind: probeVersion, list: hello.CipherSuites}
	tp.done(p, outcome{verdict: accepted, hello: sh})
}

// suiteSweep, for a server that follows the client's order, offers the suites still unknown
// before those found, once the group tests are done: one hello settles them all.
func (tp *tls13Planner) suiteSweep() *probe {
	for _, c := range tp.tests {
		if !c.done {
			return nil
		}
	}
	unknown := tp.suites.unknown()
	if len(unknown) == 0 || tp.inflight > 0 {
		return nil
	}
	tp.inflight++
	h := tp.hello(append(unknown, tp.suites.accepted()...), tp.groups.order, false)
	return &probe{hello: h, kind: probeSuites, list: h.CipherSuites}
}

// suiteChain returns the next probe of a chain of suites, listing every group, or nil.
func (tp *tls13Planner) suiteChain(c *chain) *probe {
	if c.busy || c.done {
		return nil
	}
	c.rest = slices.DeleteFunc(c.rest, func(id uint16) bool { return !tp.suites.is(id, itemUnknown) })
	if len(c.rest) == 0 {
		c.done = true
		return nil
	}
	c.busy = true
	tp.inflight++
	h := tp.hello(c.rest, tp.groups.order, false)
	return &probe{hello: h, kind: probeSuites, list: h.CipherSuites, chain: c}
}

func (tp *tls13Planner) done(p *probe, o outcome) {
	if p.kind == probeVersion {
		tp.first = &o
		if o.verdict == accepted {
			tp.suiteAnswer(p, o)
			if o.hello.Group != 0 {
				tp.groups.settle(o.hello.Group, itemAccepted)
			}
		}
		held := tp.held
		tp.held = nil
		for _, h := range held {
			tp.done(h.p, h.o)
		}
		return
	}
	if tp.first == nil {
		tp.held = append(tp.held, heldAnswer{p, o})
		return
	}
	tp.inflight--
	if !tp.clean() {
		return
	}
	if o.verdict == accepted {
		tp.suiteAnswer(p, o)
	}
	if p.tag != 0 {
		tp.orderDone(p, o)
	}
	c := p.chain
	if c == nil { // a sweep of the suites
		switch o.verdict {
		case accepted:
			if o.hello.Group != 0 {
				tp.groups.settle(o.hello.Group, itemAccepted)
			}
		case refused:
			// The suites found were offered too: the server refused the others.
			tp.suites.settleAll(p.list, itemRefused)
		default:
			tp.addError("%s: %s", tp.what(p), o.reason)
			tp.suites.settleAll(p.list, itemUntested)
		}
		return
	}
	c.busy = false
	items := tp.groups
	if p.kind == probeSuites {
		items = tp.suites
	}
	switch o.verdict {
	case accepted:
		if o.hello.Group != 0 {
			tp.groups.settle(o.hello.Group, itemAccepted)
		}
		x := o.hello.CipherSuite
		if p.kind == probeGroups {
			x = o.hello.Group
		}
		if slices.Contains(p.list, x) {
			items.chainAnswer(c, p.list, x, false)
			return
		}
		tp.addError("%s: the server named no group", tp.what(p))
		items.chainEnd(c, p.list, itemUntested)
	case refused:
		if p.kind == probeGroups && !slices.ContainsFunc(p.hello.CipherSuites, func(id uint16) bool {
			return tp.suites.is(id, itemAccepted)
		}) {
			// Sent before any suite was found, and none of its suites was accepted: the
			// refusal may be the suites'. The test is made again with the suites found.
			return
		}
		items.chainEnd(c, p.list, itemRefused)
	default:
		if tp.untested == "" {
			tp.untested = o.reason
		}
		tp.addError("%s: %s", tp.what(p), o.reason)
		items.chainEnd(c, p.list, itemUntested)
	}
}

// suiteAnswer takes the suite a hello got: accepted and, with a server that follows the
// client's order, every suite listed before it refused.
func (tp *tls13Planner) suiteAnswer(p *probe, o outcome) {
	if tp.client {
		tp.suites.answer(p.hello.CipherSuites, o.hello.CipherSuite, true)
		return
	}
	tp.suites.settle(o.hello.CipherSuite, itemAccepted)
	if p.kind == probeVersion || p.tag != 0 {
		tp.suiteObs = append(tp.suiteObs, heldAnswer{p, o})
	}
}

// orderDone takes the answer to one of the two order-finding group tests.
func (tp *tls13Planner) orderDone(p *probe, o outcome) {
	var s uint16
	if o.verdict == accepted {
		s = o.hello.CipherSuite
	}
	tp.orderSeen[p.tag-1] = &s
	a, b := tp.orderSeen[0], tp.orderSeen[1]
	if a == nil || b == nil || *a == 0 || *b == 0 || *a == *b || tp.unlikely != nil {
		return
	}
	// Two different choices from the same suites: the client's order decides.
	tp.client = true
	for _, seen := range tp.suiteObs {
		tp.suites.answer(seen.p.hello.CipherSuites, seen.o.hello.CipherSuite, true)
	}
	tp.suiteObs = nil
}

// what names what a probe tested, for its error.
func (tp *tls13Planner) what(p *probe) string {
	switch {
	case p.kind == probeSuites:
		return "some suites could not be tested"
	case len(p.list) == 1:
		return "group " + GroupName(p.list[0])
	}
	return "groups " + listGroups(p.list)
}

func (tp *tls13Planner) protocol(stopped string) Protocol {
	p := Protocol{Version: VersionTLS13, Name: versionName(VersionTLS13)}
	switch {
	case len(tp.suites.found) > 0:
		p.Offered = new(true)
	case tp.first == nil:
		p.Reason = orDefault(stopped, "not probed")
	case tp.first.verdict == unknown:
		p.Reason = tp.first.reason
	case tp.first.verdict == refused:
		p.Offered, p.Reason = new(false), tp.first.reason
	}
	for _, id := range slices.Sorted(slices.Values(tp.suites.accepted())) {
		suite, _ := LookupSuite(id)
		p.Ciphers = append(p.Ciphers, Cipher{ID: id, Name: suite.Name, OpenSSLName: suite.OpenSSLName, Grade: suite.Grade})
	}
	errs := slices.Clone(tp.errors)
	if p.Offered != nil && *p.Offered {
		for _, g := range tls13Groups {
			if tp.groups.is(g, itemAccepted) {
				p.Groups = append(p.Groups, GroupName(g))
			}
		}
		if stopped != "" && !tp.finished() {
			errs = append(errs, "suites and groups: "+stopped)
		}
	}
	p.Errors = slices.Sorted(slices.Values(errs))
	return p
}
