package checks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
)

// keyMatch judges whether a private key belongs to the leaf: nginx refuses
// to start with `key values mismatch`, and a reload that fails keeps serving
// the old certificate.
func keyMatch(cx *Context, s *State) verdict {
	if s.Chain == nil {
		return skip("no certificate to compare the key with")
	}
	if v, ok := noLeaf(s); ok {
		return v
	}
	leaf := s.chain.leaf
	if samePublicKey(leaf.PublicKey, s.Key.Public) {
		return pass("%s is the private key of the leaf %s (%s)", s.Key.File, name(leaf), KeyDescription(leaf))
	}
	return fail("Use the key the certificate was issued for: with certbot both are in /etc/letsencrypt/live/NAME/ "+
		"(fullchain.pem and privkey.pem); compare them with `openssl x509 -noout -pubkey -in fullchain.pem` and "+
		"`openssl pkey -pubout -in privkey.pem`",
		"%s does not belong to the leaf %s (%s): the server would refuse to load the pair", s.Key.File, name(leaf),
		KeyDescription(leaf))
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}
