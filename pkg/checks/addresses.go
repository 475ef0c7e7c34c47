package checks

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

func isIPv6(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6() && !a.Is4In6()
}

func connectIPv6(cx *Context, s *State) verdict {
	var v4ok, v6bad, v6ok []string
	for _, ep := range s.Addresses {
		switch {
		case !isIPv6(ep.Address) && ep.OK():
			v4ok = append(v4ok, ep.Address)
		case isIPv6(ep.Address) && ep.OK():
			v6ok = append(v6ok, ep.Address)
		case isIPv6(ep.Address):
			v6bad = append(v6bad, fmt.Sprintf("%s (%s)", ep.Address, ep.Problem()))
		}
	}
	switch {
	case len(v6bad) > 0 && len(v4ok) > 0:
		return warn("Make the server answer on IPv6 (nginx: listen [::]:443 ssl;) and open the firewall for it, "+
			"or remove the AAAA record: senders that prefer IPv6 fail before they try IPv4",
			"IPv4 works but the AAAA address(es) %s do not", strings.Join(v6bad, ", "))
	case len(v6ok) > 0:
		return pass("IPv6 answers: %s", strings.Join(v6ok, ", "))
	case len(v6bad) > 0:
		return skip("no address works at all (see connect.tcp and tls.handshake)")
	}
	return info("the name has no AAAA record: senders connect over IPv4")
}

// addressesAgree compares what each address served: a load balancer with
// one bad or stale node fails only the deliveries that land on it.
func addressesAgree(cx *Context, s *State) verdict {
	eps := s.Addresses
	if len(eps) < 2 {
		return skip("one address probed: nothing to compare")
	}
	var ok, bad []string
	for i := range eps {
		if eps[i].OK() {
			ok = append(ok, eps[i].Address)
		} else {
			bad = append(bad, fmt.Sprintf("%s (%s)", eps[i].Address, eps[i].Problem()))
		}
	}
	fix := "Make every node behind the name serve the same certificate chain and TLS configuration: deploy " +
		"the certificate to all of them (or to the load balancer), and check each with --address"
	if len(bad) > 0 && len(ok) > 0 {
		return fail(fix, "%d of %d addresses fail where %s work: %s", len(bad), len(eps),
			strings.Join(ok, ", "), strings.Join(bad, ", "))
	}
	if len(ok) == 0 {
		return skip("no address completed a handshake")
	}
	// Compare the served chains and negotiated protocols.
	ref := eps[0].Handshake
	var differ []string
	for i := 1; i < len(eps); i++ {
		hs := eps[i].Handshake
		var why []string
		if !sameChain(ref.Certificates, hs.Certificates) {
			why = append(why, "a different certificate chain")
		}
		if hs.Version != ref.Version {
			why = append(why, "a different TLS version")
		}
		if (hs.OCSPStaple == nil) != (ref.OCSPStaple == nil) {
			why = append(why, "a different OCSP stapling setting")
		}
		if hs.ALPN != ref.ALPN {
			why = append(why, "a different ALPN protocol")
		}
		if len(why) > 0 {
			differ = append(differ, fmt.Sprintf("%s serves %s", eps[i].Address, strings.Join(why, " and ")))
		}
	}
	if len(differ) > 0 {
		return warn(fix, "compared with %s: %s", eps[0].Address, strings.Join(differ, "; "))
	}
	return pass("all %d addresses serve the same chain and negotiate alike", len(eps))
}

func sameChain(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
