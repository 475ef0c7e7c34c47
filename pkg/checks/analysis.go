package checks

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/trust"
)

// Bounds on the work one chain analysis does on what a server sent: a
// hostile chain (hundreds of certificates with one name and slow keys)
// must not keep wacheck busy. What a bound cuts is said in the report
// (report.Cut) and turns the verdicts that depend on it into "could not
// tell".
const (
	// MaxChainCerts is how many certificates of a chain are analysed, in
	// the order served; the rest are counted, not parsed. Real chains
	// have two to five.
	MaxChainCerts = 16
	// MaxSignatureChecks is how many signatures one chain analysis
	// verifies while building the path (Go's verifier has its own bound
	// of 100 per verification).
	MaxSignatureChecks = 64
	// MaxSameSubject is how many served certificates with one subject are
	// handed to Go's verifier as candidate issuers (those on the path
	// first): a legitimate chain has at most a certificate and its
	// cross-signed twin.
	MaxSameSubject = 4
	// DefaultJudgeBudget is how long Run may judge when the Context sets no
	// deadline, and MinJudgeBudget how long it may always take, even when
	// the deadline has passed (the network may have used the whole
	// --timeout).
	DefaultJudgeBudget = 2 * time.Second
	MinJudgeBudget     = 500 * time.Millisecond
)

// judgeDeadline is when judging that starts at start must end: deadline,
// but never sooner than MinJudgeBudget from start; DefaultJudgeBudget from
// start when deadline is zero.
func judgeDeadline(deadline, start time.Time) time.Time {
	if deadline.IsZero() {
		return start.Add(DefaultJudgeBudget)
	}
	if least := start.Add(MinJudgeBudget); deadline.Before(least) {
		return least
	}
	return deadline
}

// analysisKey identifies a Set's chain and staple, so that addresses
// serving the same ones share one analysis.
func analysisKey(set *subject.Set) string {
	h := sha256.New()
	for _, der := range set.Chain.Certs {
		binary.Write(h, binary.BigEndian, uint32(len(der)))
		h.Write(der)
	}
	if set.Staple != nil {
		binary.Write(h, binary.BigEndian, uint32(len(set.Staple.Raw)))
		h.Write(set.Staple.Raw)
	} else {
		h.Write([]byte("no staple subject"))
	}
	return string(h.Sum(nil))
}

// work is the budget of one chain analysis: signature checks left and the
// judging's wall-clock deadline. It records what it cut.
type work struct {
	deadline time.Time
	sigLeft  int
	// stopped is set once the budget or the deadline ran out.
	stopped bool
	cuts    []report.Cut
}

func newWork(deadline time.Time) *work {
	return &work{deadline: deadline, sigLeft: MaxSignatureChecks}
}

// sig spends one signature check; false when none may be made any more.
func (w *work) sig() bool {
	if w == nil {
		return true
	}
	if w.stopped {
		return false
	}
	if !w.deadline.IsZero() && time.Now().After(w.deadline) {
		w.stopped = true
		w.cuts = append(w.cuts, report.Cut{Limit: "deadline",
			Detail: "the judging ran out of time (the probe's --timeout): the chain analysis stopped where it was"})
		return false
	}
	if w.sigLeft <= 0 {
		w.stopped = true
		w.cuts = append(w.cuts, report.Cut{Limit: "signature_checks", Max: MaxSignatureChecks,
			Detail: fmt.Sprintf("the chain analysis stopped after %d signature checks: the served certificates "+
				"offer too many candidate issuers (certificates sharing one name)", MaxSignatureChecks)})
		return false
	}
	w.sigLeft--
	return true
}

// expired reports whether the deadline has passed.
func (w *work) expired() bool {
	if w == nil || w.deadline.IsZero() || !time.Now().After(w.deadline) {
		return false
	}
	if !w.stopped {
		w.stopped = true
		w.cuts = append(w.cuts, report.Cut{Limit: "deadline",
			Detail: "the judging ran out of time (the probe's --timeout): the chain analysis stopped where it was"})
	}
	return true
}

// served is one certificate as the server sent it.
type served struct {
	index    int
	raw      []byte
	cert     *x509.Certificate // nil when it did not parse
	parseErr error
	// selfSigned: its issuer is its own subject and it signs itself.
	selfSigned bool
}

// gapKind is what stops an issuing path short of a root.
type gapKind int

const (
	gapNone gapKind = iota
	// gapIntermediate: the top's issuer is taken for an intermediate the
	// server should have sent (chain.complete fails).
	gapIntermediate
	// gapRoot: the top's issuer is taken for a root outside the pool; the
	// chain is as complete as a server can make it (chain.trusted fails).
	gapRoot
	// gapPrivate: a lone leaf from a private CA, judged against a public
	// store: whatever its issuer is, no sender trusts it.
	gapPrivate
	// gapLoop: the top's issuer is on the path already.
	gapLoop
	// gapWrongIssuer: a served certificate bears the issuer's name but did
	// not sign the top.
	gapWrongIssuer
	// gapUnparsable: a served certificate could not be parsed; it is
	// probably the missing issuer.
	gapUnparsable
	// gapCut: the analysis was cut before the path could end.
	gapCut
)

// chainAnalysis is what the checks need to know about the served chain,
// worked out once per chain.
type chainAnalysis struct {
	certs []served
	leaf  *x509.Certificate
	// total is how many certificates were served; certs holds at most
	// MaxChainCerts of them.
	total int

	// verified is true when the leaf chains to a root in the pool using
	// only the served certificates, judged apart from validity periods
	// (cert.expiry and cert.validity report those): at now when that
	// works, else at a moment when every certificate on the path is valid,
	// else link by link (an intermediate that expired before the leaf
	// was issued).
	verified  bool
	verifyErr error
	// chain is the verified chain, leaf first, root last.
	chain []*x509.Certificate

	// path is the issuing path a sender builds through the served
	// certificates, as indices into certs, leaf (0) first: the verified
	// chain's served certificates when it verified, else the path built
	// by names, key identifiers and signatures, ending at a root of the
	// pool where one issued a certificate (the shortest chain).
	path []int
	// top is the last certificate on path.
	top *x509.Certificate
	// topSelfSigned is true when top is self-signed (a root, or a
	// self-signed leaf).
	topSelfSigned bool
	// anchor is the pool root that issued the last certificate on the
	// path (or the path's served root itself), nil when none did.
	anchor *x509.Certificate
	// issuer is the certificate that issued the leaf, from the served
	// certificates or the pool; nil when unknown.
	issuer *x509.Certificate

	// gap says why the path stops short of a root when it does, with the
	// reasoning in gapBasis and the served certificate concerned (loop,
	// wrong issuer, unparsable) in gapCert.
	gap      gapKind
	gapBasis string
	gapCert  int
	// knownRoot is the root of Mozilla's list the top's issuer matched
	// when the pool in use lacks it.
	knownRoot *x509.Certificate

	// cuts are the bounds this analysis hit.
	cuts []report.Cut
}

// cut reports whether the analysis stopped short of what the server sent.
func (a *chainAnalysis) cut() bool { return len(a.cuts) > 0 }

// onPath reports whether the served certificate i is on the path.
func (a *chainAnalysis) onPath(i int) bool {
	for _, j := range a.path {
		if j == i {
			return true
		}
	}
	return false
}

// analyzeChain builds the chainAnalysis of a handshake's certificates
// within w's budget.
func analyzeChain(raw [][]byte, roots *trust.Store, now time.Time, w *work) *chainAnalysis {
	a := &chainAnalysis{total: len(raw), gapCert: -1}
	n := min(len(raw), MaxChainCerts)
	for i, der := range raw[:n] {
		c, err := x509.ParseCertificate(der)
		a.certs = append(a.certs, served{index: i, raw: der, cert: c, parseErr: err})
	}
	if len(raw) > n {
		w.cuts = append(w.cuts, report.Cut{Limit: "certificates", Max: MaxChainCerts, Total: len(raw),
			Detail: fmt.Sprintf("%d certificates were served; the first %d were analysed", len(raw), MaxChainCerts)})
	}
	defer func() { a.cuts = w.cuts }()
	if len(a.certs) == 0 || a.certs[0].cert == nil {
		return a
	}
	a.leaf = a.certs[0].cert
	for i := range a.certs {
		if c := a.certs[i].cert; c != nil && selfIssued(c) {
			a.certs[i].selfSigned = signedBy(c, c, w)
		}
	}
	pool := indexStore(roots)
	a.buildPath(pool, w)
	if roots != nil {
		a.verify(roots, now, w)
	}
	switch {
	case len(a.path) > 1:
		a.issuer = a.certs[a.path[1]].cert
	case a.anchor != nil:
		a.issuer = a.anchor
	case a.verified && len(a.chain) > 1:
		a.issuer = a.chain[1]
	}
	if !a.verified && !a.topSelfSigned && a.anchor == nil {
		a.classifyGap(roots, pool, w)
	}
	return a
}

// buildPath follows issuers from the leaf: at each step a root of the pool
// that issued the current certificate ends the path (the shortest chain a
// sender verifies, as with a cross-signed intermediate); otherwise the
// served certificates bearing the issuer's name and not contradicting its
// key identifier are tried in order, signature by signature, and the first
// that issued it is next. A self-signed certificate ends the path.
func (a *chainAnalysis) buildPath(pool *rootIndex, w *work) {
	a.path = []int{0}
	used := map[int]bool{0: true}
	cur := 0
	for {
		c := a.certs[cur].cert
		if a.certs[cur].selfSigned {
			a.topSelfSigned = true
			break
		}
		if r := pool.issuerOf(c, w); r != nil {
			a.anchor = r
			// The server may have sent the root too: it then ends the
			// path (chain.extra says it need not be sent).
			for _, s := range a.certs {
				if s.cert != nil && !used[s.index] && s.selfSigned && sameKey(s.cert, r) &&
					bytes.Equal(s.cert.RawSubject, r.RawSubject) {
					a.path = append(a.path, s.index)
					cur = s.index
					a.topSelfSigned = true
					break
				}
			}
			break
		}
		next := -1
		for _, s := range a.certs {
			if s.cert == nil || used[s.index] || !mayHaveIssued(c, s.cert) {
				continue
			}
			if signedBy(c, s.cert, w) {
				next = s.index
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		a.path = append(a.path, next)
		cur = next
	}
	a.top = a.certs[cur].cert
}

// verify checks the chain as a strict sender does: the explicit pool, only
// the served certificates as intermediates (at most MaxSameSubject per
// subject), no AIA fetching, no OS verifier. Validity periods are judged
// apart: when the chain does not verify at now, it is verified at a moment
// when every certificate on the path is valid, and when there is no such
// moment, link by link.
func (a *chainAnalysis) verify(roots *trust.Store, now time.Time, w *work) {
	if w.expired() {
		return
	}
	inter := x509.NewCertPool()
	perSubject := map[string]int{}
	add := func(c *x509.Certificate) {
		if perSubject[string(c.RawSubject)] < MaxSameSubject {
			perSubject[string(c.RawSubject)]++
			inter.AddCert(c)
		}
	}
	for _, i := range a.path[1:] {
		add(a.certs[i].cert)
	}
	for _, s := range a.certs[1:] {
		if s.cert != nil && !a.onPath(s.index) {
			add(s.cert)
		}
	}
	opts := x509.VerifyOptions{
		Roots:         roots.Pool,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	chains, err := a.leaf.Verify(opts)
	if err != nil && !w.expired() {
		if t, ok := a.validWindow(now); ok && !t.Equal(now) {
			opts.CurrentTime = t
			chains, err = a.leaf.Verify(opts)
		}
	}
	if err == nil && len(chains) > 0 {
		a.verified, a.chain = true, shortest(chains)
		a.pathFromChain()
		return
	}
	a.verifyErr = err
	if _, ok := a.validWindow(now); !ok && a.anchor != nil && a.linksHold() {
		// An intermediate that expired before the leaf was issued (an old
		// copy still served): no moment makes both valid, yet every link
		// holds. cert.expiry names the expired certificate.
		a.verified, a.verifyErr = true, nil
		for _, i := range a.path {
			a.chain = append(a.chain, a.certs[i].cert)
		}
		if !a.topSelfSigned {
			a.chain = append(a.chain, a.anchor)
		}
	}
}

// shortest is the shortest of the verified chains, the first of equals.
func shortest(chains [][]*x509.Certificate) []*x509.Certificate {
	best := chains[0]
	for _, c := range chains[1:] {
		if len(c) < len(best) {
			best = c
		}
	}
	return best
}

// pathFromChain makes the path the verified chain's served certificates.
func (a *chainAnalysis) pathFromChain() {
	a.path = []int{0}
	for _, c := range a.chain[1:] {
		for _, s := range a.certs[1:] {
			if s.cert != nil && bytes.Equal(s.raw, c.Raw) && !a.onPath(s.index) {
				a.path = append(a.path, s.index)
				break
			}
		}
	}
	last := a.path[len(a.path)-1]
	a.top = a.certs[last].cert
	a.topSelfSigned = a.certs[last].selfSigned
	a.anchor = a.chain[len(a.chain)-1]
}

// validWindow is now when every certificate on the path (and the anchor)
// is valid at now, else a moment when all of them are; false when there is
// none.
func (a *chainAnalysis) validWindow(now time.Time) (time.Time, bool) {
	lo, hi := a.leaf.NotBefore, a.leaf.NotAfter
	onPath := []*x509.Certificate{}
	for _, i := range a.path {
		onPath = append(onPath, a.certs[i].cert)
	}
	if a.anchor != nil {
		onPath = append(onPath, a.anchor)
	}
	for _, c := range onPath {
		if c.NotBefore.After(lo) {
			lo = c.NotBefore
		}
		if c.NotAfter.Before(hi) {
			hi = c.NotAfter
		}
	}
	switch {
	case lo.After(hi):
		return now, false
	case !now.Before(lo) && !now.After(hi):
		return now, true
	case now.Before(lo):
		return lo.Add(time.Second), true
	}
	return hi.Add(-time.Second), true
}

// linksHold checks the path link by link, apart from validity periods:
// every issuer is a CA that may sign certificates, and the leaf may serve
// TLS. The signatures were checked while the path was built.
func (a *chainAnalysis) linksHold() bool {
	if !leafUsageOK(a.leaf) {
		return false
	}
	issuers := []*x509.Certificate{}
	for _, i := range a.path[1:] {
		issuers = append(issuers, a.certs[i].cert)
	}
	for _, c := range issuers {
		if !c.BasicConstraintsValid || !c.IsCA || c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			return false
		}
	}
	return true
}

func leafUsageOK(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// selfIssued reports whether c names itself as its issuer, its key
// identifiers not contradicting it.
func selfIssued(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		(len(c.AuthorityKeyId) == 0 || len(c.SubjectKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId))
}

// mayHaveIssued reports whether parent can have issued child without
// checking a signature: the names chain and the key identifiers (where both
// are present) agree.
func mayHaveIssued(child, parent *x509.Certificate) bool {
	return bytes.Equal(child.RawIssuer, parent.RawSubject) &&
		(len(child.AuthorityKeyId) == 0 || len(parent.SubjectKeyId) == 0 ||
			bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId))
}

func sameKey(a, b *x509.Certificate) bool {
	return bytes.Equal(a.RawSubjectPublicKeyInfo, b.RawSubjectPublicKeyInfo)
}

// issuedBy reports whether parent issued child: the names chain, the key
// identifiers agree and, where the algorithm allows checking, the signature
// verifies. An insecure signature algorithm (SHA-1, MD5) is still followed
// by names and key IDs so that the chain's shape is reported;
// cert.signature judges the algorithm.
func issuedBy(child, parent *x509.Certificate) bool {
	return mayHaveIssued(child, parent) && signedBy(child, parent, nil)
}

// signedBy reports whether parent's key signed child, spending one of w's
// signature checks (nil: unbounded); false when none is left.
func signedBy(child, parent *x509.Certificate, w *work) bool {
	if !w.sig() {
		return false
	}
	err := child.CheckSignatureFrom(parent)
	if err == nil {
		return true
	}
	var insecure x509.InsecureAlgorithmError
	if errors.As(err, &insecure) || errors.Is(err, x509.ErrUnsupportedAlgorithm) {
		if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 {
			return bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
		}
		return true
	}
	// A parent that is not marked as a CA still names the right issuer;
	// CheckSignatureFrom refuses it before checking the signature, so check
	// the signature alone (chain.trusted reports the constraint).
	var notCA x509.ConstraintViolationError
	if errors.As(err, &notCA) {
		return parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature) == nil
	}
	return false
}

// isSelfSigned reports whether c's issuer is its own subject and its
// signature verifies with its own key.
func isSelfSigned(c *x509.Certificate) bool {
	if !selfIssued(c) {
		return false
	}
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	var insecure x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &insecure)
}
