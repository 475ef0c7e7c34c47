package checks

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"sync"

	"github.com/wacheck/wacheck/pkg/trust"
)

// rootIndex is a root store indexed by subject, so that a certificate's
// issuer is looked up by name and key identifier before any signature is
// checked.
type rootIndex struct {
	store     *trust.Store
	bySubject map[string][]*x509.Certificate
	// byOrg maps an organization (O=) to a root that bears it.
	byOrg map[string]*x509.Certificate
}

var storeIndexes sync.Map // *trust.Store → *rootIndex

// indexStore returns the index of s (nil for nil), built once per store.
func indexStore(s *trust.Store) *rootIndex {
	if s == nil {
		return nil
	}
	if r, ok := storeIndexes.Load(s); ok {
		return r.(*rootIndex)
	}
	r := &rootIndex{store: s, bySubject: map[string][]*x509.Certificate{}, byOrg: map[string]*x509.Certificate{}}
	for _, c := range s.Certs {
		r.bySubject[string(c.RawSubject)] = append(r.bySubject[string(c.RawSubject)], c)
		for _, o := range c.Subject.Organization {
			if _, ok := r.byOrg[o]; !ok && o != "" {
				r.byOrg[o] = c
			}
		}
	}
	storeIndexes.Store(s, r)
	return r
}

// mozillaIndex is Mozilla's root list, which holds every publicly trusted
// root: wacheck's knowledge of which names are roots, whatever pool the
// chain is verified against.
var mozillaIndex = sync.OnceValue(func() *rootIndex { return indexStore(trust.Mozilla()) })

// issuerOf is the root of r that issued c, nil when none did.
func (r *rootIndex) issuerOf(c *x509.Certificate, w *work) *x509.Certificate {
	if r == nil {
		return nil
	}
	for _, root := range r.bySubject[string(c.RawIssuer)] {
		if mayHaveIssued(c, root) && signedBy(c, root, w) {
			return root
		}
	}
	return nil
}

// named is the root of r that c names as its issuer (by name, and by key
// identifier where both have one), without checking the signature.
func (r *rootIndex) named(c *x509.Certificate) *x509.Certificate {
	if r == nil {
		return nil
	}
	for _, root := range r.bySubject[string(c.RawIssuer)] {
		if mayHaveIssued(c, root) {
			return root
		}
	}
	return nil
}

// sameOrg is a root of r of the organization that issued c (but not named
// as c's issuer), nil when none.
func (r *rootIndex) sameOrg(c *x509.Certificate) *x509.Certificate {
	if r == nil {
		return nil
	}
	for _, o := range c.Issuer.Organization {
		if root, ok := r.byOrg[o]; ok && !bytes.Equal(root.RawSubject, c.RawIssuer) {
			return root
		}
	}
	return nil
}

// publicStore reports whether s is a store of publicly trusted roots
// (Mozilla's, or the operating system's) rather than the user's own file.
func publicStore(s *trust.Store) bool {
	return s == nil || s.Name == "mozilla" || s.Name == "system"
}

// oidSCTList is the extension in which a CA embeds the Signed Certificate
// Timestamps of Certificate Transparency logs (RFC 6962).
var oidSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// hasSCTs reports whether c embeds Certificate Transparency timestamps, as
// every publicly trusted CA's TLS certificates have since 2018.
func hasSCTs(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidSCTList) && len(e.Value) > 2 {
			return true
		}
	}
	return false
}

// classifyGap decides, without any network access, why the path stops at
// a certificate whose issuer is neither served nor in the pool: a missing
// intermediate the server should send (chain.complete), or a root outside
// the pool that no amount of serving fixes (chain.trusted). The rules, in
// order (docs/checks.md explains them):
//
//  1. the issuer is on the path already: a loop;
//  2. the analysis was cut: could not tell;
//  3. a served certificate bears the issuer's name but did not sign: the
//     wrong certificate was served;
//  4. a served certificate did not parse: it is probably the issuer;
//  5. the issuer is a root of Mozilla's list (by name and key identifier):
//     a root, which the pool in use lacks (or whose key did not sign);
//  6. the top is the leaf: an intermediate when the leaf carries
//     Certificate Transparency proofs (a public CA) or its issuer is of the
//     organization of a root of the pool or of Mozilla's list; with a public
//     store and neither, a private CA; with the user's own roots, an
//     intermediate;
//  7. the top is a served CA certificate: an intermediate when the server
//     sent further CA certificates that do not connect (a gap), when the
//     leaf carries CT proofs (every public root is in Mozilla's list), or
//     when the issuer is of the organization of a root of the pool or of
//     Mozilla's list; otherwise a root
//     outside the pool (a private CA, an interception proxy, a retired
//     root).
func (a *chainAnalysis) classifyGap(roots *trust.Store, pool *rootIndex, w *work) {
	top := a.top
	topIdx := a.path[len(a.path)-1]
	issuer := issuerName(top)
	// 1. A loop.
	for _, i := range a.path {
		c := a.certs[i].cert
		if mayHaveIssued(top, c) && (keyIDsAgree(top, c) || signedBy(top, c, w)) {
			a.gap, a.gapCert = gapLoop, i
			return
		}
	}
	// 2. Cut short: the issuer may be among what was not analysed.
	if w.stopped || a.total > len(a.certs) {
		a.gap = gapCut
		return
	}
	// 3. The issuer's name, the wrong certificate.
	{
		for _, s := range a.certs {
			if s.cert != nil && !a.onPath(s.index) && bytes.Equal(s.cert.RawSubject, top.RawIssuer) {
				a.gap, a.gapCert = gapWrongIssuer, s.index
				return
			}
		}
	}
	// 4. A certificate that did not parse.
	for _, s := range a.certs {
		if s.cert == nil {
			a.gap, a.gapCert = gapUnparsable, s.index
			return
		}
	}
	storeName := "the root store"
	if roots != nil {
		storeName = "the " + roots.Name + " root store"
	}
	// 5. A root wacheck knows.
	if r := pool.named(top); r != nil {
		a.gap, a.knownRoot = gapRoot, r
		a.gapBasis = fmt.Sprintf("%s is in %s, but its key did not sign %s", name(r), storeName, name(top))
		return
	}
	if r := mozillaIndex().named(top); r != nil {
		a.gap, a.knownRoot = gapRoot, r
		a.gapBasis = fmt.Sprintf("%s is a public root (in Mozilla's list), but %s lacks it", name(r), storeName)
		return
	}
	public := hasSCTs(a.leaf)
	orgRoot := pool.sameOrg(top)
	if orgRoot == nil {
		orgRoot = mozillaIndex().sameOrg(top)
	}
	switch {
	case topIdx == 0 && public:
		a.gap = gapIntermediate
		a.gapBasis = "the leaf comes from a publicly trusted CA (it carries Certificate Transparency proofs), " +
			"and public CAs issue leaves from intermediates"
	case topIdx == 0 && orgRoot != nil:
		a.gap = gapIntermediate
		a.gapBasis = fmt.Sprintf("%s is of the organization of the root %s", issuer, name(orgRoot))
	case topIdx == 0 && publicStore(roots):
		a.gap = gapPrivate
		a.gapBasis = "the leaf carries no Certificate Transparency proof (SCT), which every publicly trusted CA " +
			"adds: it comes from a private CA or an interception proxy"
	case topIdx == 0:
		a.gap = gapIntermediate
	default:
		for _, s := range a.certs {
			if s.cert != nil && s.cert.IsCA && !a.onPath(s.index) {
				a.gap = gapIntermediate
				a.gapBasis = fmt.Sprintf("the certificates include %s, which does not connect to it: "+
					"a certificate between is missing", certLabel(s))
				return
			}
		}
		switch {
		case public:
			a.gap = gapIntermediate
			a.gapBasis = fmt.Sprintf("the leaf comes from a publicly trusted CA (it carries Certificate "+
				"Transparency proofs), and Mozilla's list, which holds every public root, has no %s: "+
				"it is an intermediate", issuer)
		case orgRoot != nil:
			a.gap = gapIntermediate
			a.gapBasis = fmt.Sprintf("%s is of the organization of the root %s: taken for an intermediate "+
				"under it", issuer, name(orgRoot))
		default:
			a.gap = gapRoot
			a.gapBasis = fmt.Sprintf("%s issued the intermediate %s and matches no root wacheck knows "+
				"(Mozilla's list, %s): the root of a private CA, of an interception proxy, or a retired root",
				issuer, name(top), storeName)
		}
	}
}

// keyIDsAgree reports whether child names parent's key identifier.
func keyIDsAgree(child, parent *x509.Certificate) bool {
	return len(child.AuthorityKeyId) > 0 && bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
}
