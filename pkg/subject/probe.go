package subject

import "github.com/wacheck/wacheck/pkg/probe"

// FromProbe makes the subjects of one probe: a Set for the name (DNS and
// the comparison of addresses), then one Set per address probed, in DNS
// order. A name that resolved to nothing gets one address-less Set saying
// why for every per-address kind.
func FromProbe(ev *probe.Evidence) []*Set {
	name := &Set{Name: &Name{Target: ev.Target, Timeout: ev.Timeout}, Addresses: []Outcome{}}
	dns := ev.DNS
	name.DNS = &dns
	for _, ep := range ev.Endpoints {
		name.Addresses = append(name.Addresses, Outcome{Address: ep.Address, ConnectErr: ep.ConnectErr, Handshake: ep.Handshake})
	}
	sets := []*Set{name}
	if len(ev.Endpoints) == 0 {
		why := "no address to connect to: " + DNSFailureWords(ev.DNS)
		s := &Set{}
		for _, k := range []Kind{KindConn, KindHandshake, KindChain, KindStaple, KindScan, KindHTTP} {
			s.miss(k, why)
		}
		return append(sets, s)
	}
	for i := range ev.Endpoints {
		sets = append(sets, fromEndpoint(ev, &ev.Endpoints[i]))
	}
	return sets
}

func fromEndpoint(ev *probe.Evidence, ep *probe.Endpoint) *Set {
	t := ev.Target
	s := &Set{Address: ep.Address}
	s.Conn = &Conn{Address: ep.Address, Port: t.Port, HostPort: t.HostPort(), Start: ep.ConnectStart, End: ep.ConnectEnd,
		Err: ep.ConnectErr, Samples: ep.Samples, Timeout: ev.Timeout}

	hs := ep.Handshake
	if hs == nil {
		s.miss(KindHandshake, "no TLS handshake: the TCP connection failed")
	} else {
		s.Handshake = &Handshake{Handshake: hs, Address: ep.Address, Port: t.Port, NoSNI: ep.NoSNI,
			Samples: ep.Samples, Accepted: ep.Scan, Timeout: ev.Timeout}
	}

	switch {
	case hs != nil && len(hs.Certificates) > 0:
		s.Chain = &Chain{Certs: hs.Certificates, Name: t.VerifyName(), Source: "handshake"}
		s.Staple = &Staple{Raw: hs.OCSPStaple}
	case ep.Scan != nil && len(ep.Scan.Certificates) > 0:
		// The strict handshake failed (a server with only DHE, CAMELLIA
		// ... suites), but the enumeration read the certificates of a
		// TLS 1.0-1.2 reply: judge them rather than skip.
		s.Chain = &Chain{Certs: ep.Scan.Certificates, Name: t.VerifyName(), Source: "enumeration"}
		s.miss(KindStaple, "the strict handshake failed, so no staple was read")
	case hs == nil:
		s.miss(KindChain, "no TLS handshake: the TCP connection failed")
		s.miss(KindStaple, "no TLS handshake: the TCP connection failed")
	default:
		s.miss(KindChain, "the server sent no certificate before the handshake ended")
		s.miss(KindStaple, "the server sent no certificate before the handshake ended")
	}

	switch {
	case ep.Scan != nil:
		s.Scan = &Scan{Result: ep.Scan, Err: ep.ScanErr}
	case ep.ConnectErr != nil:
		s.miss(KindScan, "no TCP connection")
	case hs != nil && !hs.Scannable():
		s.miss(KindScan, "no enumeration: the server does not speak TLS on this port")
	default:
		s.miss(KindScan, "protocols and ciphers were not enumerated (--enumerate=false)")
	}

	switch {
	case t.Path == "":
		s.miss(KindHTTP, "no URL path to request (give the target as https://host/path)")
	case ep.HTTP != nil:
		s.HTTP = &HTTP{HTTPExchange: ep.HTTP}
	case ep.ConnectErr != nil:
		s.miss(KindHTTP, "no request was made: the TCP connection failed")
	default:
		s.miss(KindHTTP, "no request was made: the TLS handshake did not complete")
	}
	return s
}

// DNSFailureWords says why a name has no address, in a user's words.
func DNSFailureWords(d probe.DNS) string {
	if d.Err == nil {
		return "the name has no addresses"
	}
	switch d.Err.Kind {
	case probe.ErrNXDomain:
		return "the name does not exist (NXDOMAIN)"
	case probe.ErrNoAddress:
		return "the name exists but has no A or AAAA records"
	case probe.ErrDNSTimeout:
		return "the DNS resolver did not answer in time"
	case probe.ErrServFail:
		return "the DNS server answered SERVFAIL: it could not resolve the name (often a broken delegation or DNSSEC failure)"
	case probe.ErrCanceled:
		return "the probe was interrupted during DNS resolution"
	}
	return "DNS lookup failed: " + d.Err.Msg
}
