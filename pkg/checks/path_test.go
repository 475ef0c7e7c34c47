package checks

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/trust"
)

func TestBuildPath(t *testing.T) {
	now := time.Date(2031, 3, 14, 12, 0, 0, 0, time.UTC)
	c := testpki.NewChain(t, now)
	i2 := c.Intermediate.Intermediate(t, testpki.CAOptions{Now: now, CommonName: "second intermediate"})
	deep := i2.Leaf(t, testpki.LeafOptions{Now: now})
	other := testpki.NewChain(t, now)
	self := testpki.NewSelfSigned(t, testpki.LeafOptions{Now: now})
	store := trust.New("test", c.Root.Cert)
	mozilla := trust.New("empty")
	type cs = []*x509.Certificate
	tests := []struct {
		name       string
		leaf       *x509.Certificate
		candidates cs
		roots      *trust.Store
		want       cs
		anchor     bool
		root       bool
		selfSigned bool
	}{
		{"fullchain", c.Leaf.Cert, cs{c.Intermediate.Cert}, store, cs{c.Leaf.Cert, c.Intermediate.Cert}, true, false, false},
		{"shuffled, stray, root and duplicate left out", deep.Cert,
			cs{c.Root.Cert, other.Intermediate.Cert, c.Intermediate.Cert, other.Leaf.Cert, i2.Cert, c.Intermediate.Cert}, store,
			cs{deep.Cert, i2.Cert, c.Intermediate.Cert}, true, false, false},
		{"leaf only", c.Leaf.Cert, nil, store, cs{c.Leaf.Cert}, false, false, false},
		{"a given root outside the store ends the path", c.Leaf.Cert, cs{c.Root.Cert, c.Intermediate.Cert}, mozilla,
			cs{c.Leaf.Cert, c.Intermediate.Cert}, false, true, false},
		{"self-signed", self.Cert, cs{c.Intermediate.Cert}, store, cs{self.Cert}, false, false, true},
		{"no store", c.Leaf.Cert, cs{c.Intermediate.Cert}, nil, cs{c.Leaf.Cert, c.Intermediate.Cert}, false, false, false},
	}
	for _, tt := range tests {
		p := BuildPath(tt.leaf, tt.candidates, tt.roots)
		if len(p.Certs) != len(tt.want) {
			t.Errorf("%s: %d certificates on the path, want %d", tt.name, len(p.Certs), len(tt.want))
			continue
		}
		for i := range p.Certs {
			if !p.Certs[i].Equal(tt.want[i]) {
				t.Errorf("%s: #%d is %s, want %s", tt.name, i, p.Certs[i].Subject, tt.want[i].Subject)
			}
		}
		if (p.Anchor != nil) != tt.anchor || (p.Root != nil) != tt.root || p.SelfSigned != tt.selfSigned ||
			p.Complete() != (tt.anchor || tt.root) || !p.Top().Equal(tt.want[len(tt.want)-1]) {
			t.Errorf("%s: anchor %v, root %v, self-signed %v, complete %v", tt.name, p.Anchor != nil, p.Root != nil,
				p.SelfSigned, p.Complete())
		}
	}
}
