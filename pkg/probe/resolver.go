package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ServerResolver asks one DNS server, and only it (--resolver): no
// /etc/hosts, no search list, no other server. It queries A and AAAA
// separately, each timed, over UDP and, when the answer is truncated, again
// over TCP, and records the rcode, the CNAME chain and the TTLs.
type ServerResolver struct {
	// Addr is the server, "IP:PORT".
	Addr string
}

// Bounds on what a DNS server can make the resolver do.
const (
	// maxCNAMEs is the longest CNAME chain followed.
	maxCNAMEs = 16
	// maxDNSAddresses bounds the addresses taken from one answer.
	maxDNSAddresses = 64
	// dnsAttemptTimeout bounds each attempt (two over UDP, one over TCP
	// after a truncated answer), within the probe's time.
	dnsAttemptTimeout = 5 * time.Second
	// dnsUDPSize is the EDNS UDP buffer size advertised (the DNS flag
	// day 2020 value); larger answers come truncated and are retried over
	// TCP, where a message is at most 65535 bytes.
	dnsUDPSize = 1232
)

// LookupNetIP satisfies Resolver: the addresses of host of the family
// network asks for ("ip", "ip4", "ip6").
func (r *ServerResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	d := r.lookup(ctx, host, network, time.Now)
	if d.Err != nil && len(d.Addresses) == 0 {
		return nil, errors.New(d.Err.Msg)
	}
	var out []netip.Addr
	for _, s := range d.Addresses {
		if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// lookup resolves host: A and AAAA (as network asks) concurrently, each
// recorded as a DNSQuery, then merged, A's addresses first.
func (r *ServerResolver) lookup(ctx context.Context, host, network string, now func() time.Time) DNS {
	var types []uint16
	switch network {
	case "ip4":
		types = []uint16{dns.TypeA}
	case "ip6":
		types = []uint16{dns.TypeAAAA}
	default:
		types = []uint16{dns.TypeA, dns.TypeAAAA}
	}
	d := DNS{Resolver: r.Addr, Start: now(), Queries: make([]DNSQuery, len(types))}
	var wg sync.WaitGroup
	for i, t := range types {
		wg.Go(func() { d.Queries[i] = r.query(ctx, host, t, now) })
	}
	wg.Wait()
	d.End = now()
	for _, q := range d.Queries {
		d.Addresses = append(d.Addresses, q.Addresses...)
		if len(d.CNAMEs) == 0 && len(q.CNAMEs) > 0 {
			d.CNAMEs = q.CNAMEs
		}
		if q.MinTTL != nil && (d.MinTTL == nil || *q.MinTTL < *d.MinTTL) {
			v := *q.MinTTL
			d.MinTTL = &v
		}
	}
	if len(d.Addresses) > 0 {
		return d
	}
	// No address: the first query's error names why (NXDOMAIN, SERVFAIL,
	// REFUSED, a timeout), else the name has no A or AAAA.
	for _, q := range d.Queries {
		if q.Err != nil {
			d.Err = q.Err
			return d
		}
	}
	d.Err = &NetError{Kind: ErrNoAddress, Msg: "no A or AAAA records"}
	return d
}

// query asks for host's records of type t, following the CNAME chain when
// the server does not, within maxCNAMEs.
func (r *ServerResolver) query(ctx context.Context, host string, t uint16, now func() time.Time) (q DNSQuery) {
	q = DNSQuery{Type: dns.TypeToString[t], Start: now()}
	defer func() { q.End = now() }()
	name := dns.Fqdn(host)
	if _, ok := dns.IsDomainName(name); !ok {
		q.Err = &NetError{Kind: ErrDNS, Msg: fmt.Sprintf("%q is not a domain name", host)}
		return q
	}
	seen := map[string]bool{strings.ToLower(name): true}
	for {
		resp, tcp, err := r.exchange(ctx, name, t)
		q.Truncated = q.Truncated || tcp
		if err != nil {
			q.Err = err
			return q
		}
		q.Rcode = dns.RcodeToString[resp.Rcode]
		if q.Rcode == "" {
			q.Rcode = fmt.Sprintf("RCODE%d", resp.Rcode)
		}
		if resp.Rcode != dns.RcodeSuccess {
			q.Err = rcodeError(resp.Rcode, q.Rcode)
			return q
		}
		// Walk the answer from name: CNAMEs, then the records of type t.
		target := name
		for {
			next := ""
			for _, rr := range resp.Answer {
				h := rr.Header()
				if !strings.EqualFold(h.Name, target) {
					continue
				}
				switch v := rr.(type) {
				case *dns.CNAME:
					next = v.Target
					q.ttl(h.Ttl)
				case *dns.A:
					if t == dns.TypeA && len(q.Addresses) < maxDNSAddresses {
						if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
							q.Addresses = appendNew(q.Addresses, a.String())
							q.ttl(h.Ttl)
						}
					}
				case *dns.AAAA:
					if t == dns.TypeAAAA && len(q.Addresses) < maxDNSAddresses {
						if a, ok := netip.AddrFromSlice(v.AAAA.To16()); ok && len(v.AAAA) == net.IPv6len {
							q.Addresses = appendNew(q.Addresses, a.Unmap().String())
							q.ttl(h.Ttl)
						}
					}
				}
			}
			if next == "" || len(q.Addresses) > 0 {
				break
			}
			if seen[strings.ToLower(next)] {
				q.Err = &NetError{Kind: ErrDNS, Msg: "the CNAME chain loops back to " + escapeName(next)}
				return q
			}
			if len(q.CNAMEs) >= maxCNAMEs {
				q.Err = &NetError{Kind: ErrDNS, Msg: fmt.Sprintf("the CNAME chain is longer than %d names", maxCNAMEs)}
				return q
			}
			seen[strings.ToLower(next)] = true
			q.CNAMEs = append(q.CNAMEs, strings.TrimSuffix(next, "."))
			target = next
		}
		if len(q.Addresses) > 0 || target == name || hasSOA(resp.Ns) {
			// Done, or the chain ends in a name without records of this
			// type (NODATA, with the zone's SOA).
			return q
		}
		// The chain ends at a name the answer does not resolve: ask for it.
		name = target
	}
}

func hasSOA(rrs []dns.RR) bool {
	for _, rr := range rrs {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// ttl keeps the lowest TTL seen.
func (q *DNSQuery) ttl(v uint32) {
	if q.MinTTL == nil || v < *q.MinTTL {
		q.MinTTL = &v
	}
}

// rcodeError names a DNS error rcode.
func rcodeError(rcode int, name string) *NetError {
	switch rcode {
	case dns.RcodeNameError:
		return &NetError{Kind: ErrNXDomain, Msg: "the DNS server answered NXDOMAIN: the name does not exist"}
	case dns.RcodeServerFailure:
		return &NetError{Kind: ErrServFail, Msg: "the DNS server answered SERVFAIL"}
	case dns.RcodeRefused:
		return &NetError{Kind: ErrDNS, Msg: "the DNS server answered REFUSED: it will not resolve this name for us " +
			"(not a recursive resolver for this client, or not authoritative for the name)"}
	}
	return &NetError{Kind: ErrDNS, Msg: "the DNS server answered " + name}
}

// escapeName quotes a server-sent name for messages.
func escapeName(s string) string {
	return fmt.Sprintf("%q", strings.TrimSuffix(s, "."))
}

// exchange sends one query over UDP (twice at most, within ctx) and, when
// the answer is truncated, over TCP. tcp reports that TCP was used.
func (r *ServerResolver) exchange(ctx context.Context, name string, t uint16) (resp *dns.Msg, tcp bool, nerr *NetError) {
	m := new(dns.Msg)
	m.SetQuestion(name, t)
	m.RecursionDesired = true
	m.SetEdns0(dnsUDPSize, false)
	var garbage, garbageBytes int
	for range 2 {
		resp, g, gb, err := r.roundTrip(ctx, "udp", m, dnsAttemptTimeout)
		garbage, garbageBytes = garbage+g, garbageBytes+gb
		if err == nil {
			if !resp.Truncated {
				return resp, false, nil
			}
			resp, g, gb, err = r.roundTrip(ctx, "tcp", m, dnsAttemptTimeout)
			if err == nil {
				return resp, true, nil
			}
			garbage, garbageBytes = garbage+g, garbageBytes+gb
			return nil, true, r.netError(ctx, err, garbage, garbageBytes)
		}
		if ctx.Err() != nil || !isTimeout(err) {
			return nil, false, r.netError(ctx, err, garbage, garbageBytes)
		}
	}
	return nil, false, r.netError(ctx, context.DeadlineExceeded, garbage, garbageBytes)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// netError classifies an exchange's failure.
func (r *ServerResolver) netError(ctx context.Context, err error, garbage, garbageBytes int) *NetError {
	switch {
	case garbage > 0:
		return &NetError{Kind: ErrDNSGarbage, Msg: fmt.Sprintf("the DNS server answered with %d bytes in %d "+
			"replies that are not DNS answers to the query", garbageBytes, garbage)}
	case errors.Is(err, context.Canceled) && !errDeadline(ctx):
		return &NetError{Kind: ErrCanceled, Msg: err.Error()}
	case isTimeout(err) || errors.Is(err, context.Canceled):
		return &NetError{Kind: ErrDNSTimeout, Msg: "no answer from the DNS server " + r.Addr + " in time"}
	}
	return &NetError{Kind: ErrDNS, Msg: "asking the DNS server " + r.Addr + ": " + err.Error()}
}

// roundTrip sends m over network and reads the reply to it, within ctx and
// limit. Over UDP, replies that are not a DNS answer
// to m (unparsable, or another ID) are counted and skipped, as a forgery
// could be; over TCP the first reply is the answer.
func (r *ServerResolver) roundTrip(ctx context.Context, network string, m *dns.Msg, limit time.Duration) (*dns.Msg, int, int, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, network, r.Addr)
	if err != nil {
		return nil, 0, 0, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	wire, err := m.Pack()
	if err != nil {
		return nil, 0, 0, err
	}
	if network == "tcp" {
		wire = append(binary.BigEndian.AppendUint16(nil, uint16(len(wire))), wire...)
	}
	if _, err := c.Write(wire); err != nil {
		return nil, 0, 0, ctxErr(ctx, err)
	}
	garbage, garbageBytes := 0, 0
	// A server may ignore the size advertised: take any datagram whole.
	buf := make([]byte, dns.MaxMsgSize)
	for {
		var p []byte
		if network == "tcp" {
			var prefix [2]byte
			if _, err := io.ReadFull(c, prefix[:]); err != nil {
				return nil, garbage, garbageBytes, ctxErr(ctx, err)
			}
			p = make([]byte, binary.BigEndian.Uint16(prefix[:]))
			if _, err := io.ReadFull(c, p); err != nil {
				return nil, garbage, garbageBytes, ctxErr(ctx, err)
			}
		} else {
			n, err := c.Read(buf)
			if err != nil {
				return nil, garbage, garbageBytes, ctxErr(ctx, err)
			}
			p = buf[:n]
		}
		resp := new(dns.Msg)
		if err := resp.Unpack(p); err != nil || !resp.Response || resp.Id != m.Id ||
			len(resp.Question) != 1 || !strings.EqualFold(resp.Question[0].Name, m.Question[0].Name) ||
			resp.Question[0].Qtype != m.Question[0].Qtype {
			garbage++
			garbageBytes += len(p)
			if network == "tcp" {
				return nil, garbage, garbageBytes, fmt.Errorf("not a DNS answer")
			}
			continue
		}
		return resp, garbage, garbageBytes, nil
	}
}

// ctxErr prefers the context's error to the one its deadline caused.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
