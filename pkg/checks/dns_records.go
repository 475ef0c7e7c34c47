package checks

import (
	"strings"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
)

// longCNAMEChain is the chain length, in aliases, from which dns.cname
// notes it: each alias in another zone can cost the sender's resolver a
// lookup of its own when its cache is cold.
const longCNAMEChain = 4

// lowTTL is the TTL under which dns.ttl notes it: the sender's resolver
// forgets the answer about every minute and pays the lookup again.
const lowTTL = 60 * time.Second

// dnsRecordsSkip says why the records' facts are not known, or "".
func dnsRecordsSkip(d probe.DNS) string {
	switch {
	case d.Pinned:
		return "no DNS query was made (" + pinnedWhy(d) + ")"
	case len(d.Queries) == 0:
		return "the system resolver does not report CNAMEs and TTLs; ask one DNS server with --resolver to see them"
	case len(d.Addresses) == 0:
		return "the name did not resolve (see dns.resolve)"
	}
	return ""
}

func dnsCNAME(cx *Context, s *State) verdict {
	d := *s.DNS
	if why := dnsRecordsSkip(d); why != "" {
		return skip("%s", why)
	}
	host := s.Name.Target.Host
	n := len(d.CNAMEs)
	switch {
	case n == 0:
		return pass("%s is not an alias (no CNAME)", host)
	case n >= longCNAMEChain:
		return info("%s goes through %d CNAMEs (%s): each alias in another zone can cost the sender's resolver "+
			"a lookup of its own on a cold cache (dns.time judges the time this lookup took); point the name "+
			"closer to its target where the provider allows it", host, n, cnameChain(host, d.CNAMEs))
	}
	return pass("%s is an alias: %s", host, cnameChain(host, d.CNAMEs))
}

func cnameChain(host string, chain []string) string {
	return strings.Join(append([]string{host}, chain...), " → ")
}

func dnsTTL(cx *Context, s *State) verdict {
	d := *s.DNS
	if why := dnsRecordsSkip(d); why != "" {
		return skip("%s", why)
	}
	if d.MinTTL == nil {
		return skip("the answer held no records with a TTL")
	}
	ttl := time.Duration(*d.MinTTL) * time.Second
	const fix = " (a TTL of 300 s or more, unless a failover needs it this low)"
	switch {
	case ttl == 0:
		return info("the lowest TTL in the answer is 0 s: the sender's resolver may not cache it and pays the DNS "+
			"lookup on every delivery%s", fix)
	case ttl < lowTTL:
		return info("the lowest TTL in the answer is %d s: the sender's resolver asks again every %d s, and a "+
			"delivery after that pays the DNS lookup%s", *d.MinTTL, *d.MinTTL, fix)
	}
	return pass("lowest TTL %d s", *d.MinTTL)
}

// queryRcode reports whether a --resolver query got rcode.
func queryRcode(d probe.DNS, rcode string) bool {
	for _, q := range d.Queries {
		if q.Rcode == rcode {
			return true
		}
	}
	return false
}
