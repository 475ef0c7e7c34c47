package checks

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/subject"
)

// keyTypeNote opens the details of the chain, certificate and OCSP checks
// of an address that serves more than one chain (a server with an ECDSA
// and an RSA certificate), saying which chain they judged: the strict
// handshake's, or the one served to a client offering only one key type's
// suites.
func keyTypeNote(c *subject.Chain, s *State) string {
	if c.KeyType != "" {
		return fmt.Sprintf("%s chain (served to a client offering only %s suites, here %s; the strict handshake got "+
			"another): ", c.KeyType, c.KeyType, tls.CipherSuiteName(c.CipherSuite))
	}
	kind := "the strict handshake's"
	if s.chain != nil && s.chain.leaf != nil {
		k, _, _ := strings.Cut(KeyDescription(s.chain.leaf), " ")
		kind = k + " chain (" + kind
	} else {
		kind = "Chain (" + kind
	}
	return fmt.Sprintf("%s; the server also serves an %s chain): ", kind, strings.Join(c.Alongside, " and an "))
}

// otherChainNote ends the detail of a failure on a chain the sender's own
// handshake was not served: a warning, because the sender gets the other
// chain, and who it hurts.
func otherChainNote(p *profile.Profile, keyType string) string {
	return fmt.Sprintf(". A warning, not a failure: the handshake wacheck makes as %s got the other chain; "+
		"a client that offers only %s suites (another sender, or this one if its client changes) fails here", p.Name, keyType)
}
