package checks

import (
	"bytes"
	"crypto/x509"
	"time"

	"github.com/wacheck/wacheck/pkg/trust"
)

// IssuedBy reports whether parent issued child, as the chain checks decide
// it: the names chain and the signature verifies (followed by names and key
// IDs where the algorithm is too old to check).
func IssuedBy(child, parent *x509.Certificate) bool { return issuedBy(child, parent) }

// Path is a leaf's issuing path built from candidate certificates: the chain
// a server should serve, for `wacheck cert --fix`.
type Path struct {
	// Certs are the leaf and then each issuer, in order; never a
	// self-signed root (unless the leaf is one).
	Certs []*x509.Certificate
	// Root is the self-signed candidate that issued the last certificate,
	// nil when none did.
	Root *x509.Certificate
	// Anchor is the root of the store that issued the last certificate, nil
	// when none did.
	Anchor *x509.Certificate
	// SelfSigned is true when the leaf is self-signed: there is no chain.
	SelfSigned bool
	// Cut is true when the path stopped because MaxSignatureChecks were
	// spent (candidates sharing one name), not because no issuer was found.
	Cut bool
}

// Top is the last certificate on the path: the one whose issuer a sender
// must find in its own root store.
func (p Path) Top() *x509.Certificate { return p.Certs[len(p.Certs)-1] }

// Complete reports whether the path reaches a root: one of the store's, or
// a self-signed one among the candidates (complete, if not trusted).
func (p Path) Complete() bool { return p.Anchor != nil || p.Root != nil }

// BuildPath follows issuers from leaf through candidates. At each step a
// root of the store that issued the certificate ends the path (the shortest
// chain a sender verifies, as with a cross-signed intermediate); otherwise
// the first candidate in order that issued it and is not on the path yet is
// next, and a self-signed one ends the path as its Root. Certificates off
// the path (strays, roots, duplicates) are left out. Candidates are looked
// up by name and key identifier before any signature is checked, and at
// most MaxSignatureChecks signatures are checked: the path then stops
// where it is (Cut says so).
func BuildPath(leaf *x509.Certificate, candidates []*x509.Certificate, roots *trust.Store) Path {
	p := Path{Certs: []*x509.Certificate{leaf}}
	if isSelfSigned(leaf) {
		p.SelfSigned = true
		return p
	}
	onPath := func(c *x509.Certificate) bool {
		for _, o := range p.Certs {
			if bytes.Equal(o.Raw, c.Raw) {
				return true
			}
		}
		return false
	}
	w := newWork(time.Time{})
	store := indexStore(roots)
	// Each step puts one more candidate on the path, so this ends.
	cur := leaf
	for {
		if r := store.issuerOf(cur, w); r != nil {
			p.Anchor = r
			return p
		}
		var next *x509.Certificate
		for _, c := range candidates {
			if c != nil && mayHaveIssued(cur, c) && !onPath(c) && signedBy(cur, c, w) {
				next = c
				break
			}
		}
		p.Cut = w.stopped
		switch {
		case next == nil:
			return p
		case selfIssued(next) && signedBy(next, next, nil):
			p.Root = next
			return p
		}
		p.Certs = append(p.Certs, next)
		cur = next
	}
}
