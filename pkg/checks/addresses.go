package checks

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/subject"
)

func isIPv6(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6() && !a.Is4In6()
}

func connectIPv6(cx *Context, s *State) verdict {
	var v4ok, v6bad, v6ok, v6untried []string
	for _, ep := range s.Addresses {
		switch {
		case !isIPv6(ep.Address) && ep.OK():
			v4ok = append(v4ok, ep.Address)
		case !isIPv6(ep.Address):
		case ep.OK():
			v6ok = append(v6ok, ep.Address)
		case notAttempted(ep):
			v6untried = append(v6untried, ep.Address)
		default:
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
	case len(v6untried) > 0:
		return skip("the AAAA address(es) %s were not tried (see connect.tcp)", strings.Join(v6untried, ", "))
	}
	// No IPv6 address was probed: say why, and claim "no AAAA record"
	// only when DNS answered without one.
	d := s.DNS
	var resolved6 []string
	if d != nil {
		for _, a := range d.Addresses {
			if isIPv6(a) {
				resolved6 = append(resolved6, a)
			}
		}
	}
	switch {
	case len(resolved6) > 0:
		return skip("the AAAA address(es) %s were not probed (--address %s)", strings.Join(resolved6, ", "),
			addressList(s.Addresses))
	case d != nil && len(s.Addresses) == 0 && d.Err != nil:
		return skip("DNS did not resolve the name (%s): whether it has an AAAA record is not known",
			subject.DNSFailureWords(*d))
	case d == nil || len(s.Addresses) == 0:
		return skip("no address to connect to")
	case d.Resolver == "literal":
		return skip("the target is an IPv4 address: no AAAA to try")
	case d.Resolver == "--resolve":
		return skip("the name was pinned with --resolve to IPv4 only: its AAAA record was not looked up")
	case d.Err != nil || len(d.Addresses) == 0:
		return skip("DNS did not resolve the name (%s): whether it has an AAAA record is not known; only "+
			"--address %s was probed", subject.DNSFailureWords(*d), addressList(s.Addresses))
	}
	return info("the name has no AAAA record: senders connect over IPv4")
}

func addressList(o []subject.Outcome) string {
	out := make([]string, len(o))
	for i, ep := range o {
		out[i] = ep.Address
	}
	return strings.Join(out, ", ")
}

// notAttempted reports whether no connection to the address was made, for
// want of a free slot of the connection budget before the time limit.
func notAttempted(o subject.Outcome) bool {
	return o.ConnectErr != nil && o.ConnectErr.Kind == probe.ErrNotAttempted
}

// addressesAgree compares what each address served: a load balancer with
// one bad or stale node fails only the deliveries that land on it.
func addressesAgree(cx *Context, s *State) verdict {
	eps := s.Addresses
	if len(eps) < 2 {
		return skip("one address probed: nothing to compare")
	}
	var ok, bad, untried []string
	for i := range eps {
		switch {
		case eps[i].OK():
			ok = append(ok, eps[i].Address)
		case notAttempted(eps[i]):
			untried = append(untried, eps[i].Address)
		default:
			bad = append(bad, fmt.Sprintf("%s (%s)", eps[i].Address, eps[i].Problem()))
		}
	}
	// Addresses never tried (the connection budget ran out) are neither
	// good nor bad: they are said, not compared.
	notTried := ""
	if len(untried) > 0 {
		notTried = fmt.Sprintf("; %d address(es) not tried before the time limit: %s", len(untried),
			strings.Join(untried, ", "))
		eps = slices.DeleteFunc(slices.Clone(eps), notAttempted)
	}
	fix := "Make every node behind the name serve the same certificate chain and TLS configuration: deploy " +
		"the certificate to all of them (or to the load balancer), and check each with --address"
	if len(bad) > 0 && len(ok) > 0 {
		return fail(fix, "%d of %d addresses fail where %s work: %s%s", len(bad), len(eps),
			strings.Join(ok, ", "), strings.Join(bad, ", "), notTried)
	}
	if len(ok) == 0 {
		return skip("no address completed a handshake%s", notTried)
	}
	if len(eps) < 2 {
		return skip("one address probed: nothing to compare%s", notTried)
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
		return warn(fix, "compared with %s: %s%s", eps[0].Address, strings.Join(differ, "; "), notTried)
	}
	if notTried != "" {
		return skip("the %d addresses tried serve the same chain and negotiate alike%s", len(eps), notTried)
	}
	return pass("all %d addresses serve the same chain and negotiate alike", len(eps))
}

func sameChain(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}
