package subject

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/wacheck/wacheck/pkg/probe"
)

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
	// The chains an address serves to a client offering another key type
	// come last, one Set each: the chain checks judge them as they judge
	// the strict handshake's.
	for i := range ev.Endpoints {
		kts := KeyTypeSets(ev, &ev.Endpoints[i])
		for _, k := range kts {
			if strict := sets[i+1].Chain; strict != nil {
				strict.Alongside = append(strict.Alongside, k.Chain.KeyType)
			}
		}
		sets = append(sets, kts...)
	}
	return sets
}

// KeyTypeSets makes one Set (a chain and its staple) per chain ep served
// to a handshake offering one key type's suites only, when that chain
// differs from the strict handshake's.
func KeyTypeSets(ev *probe.Evidence, ep *probe.Endpoint) []*Set {
	if ep.Handshake == nil || ep.Handshake.Err != nil {
		return nil
	}
	var out []*Set
	for _, kt := range ep.KeyTypes {
		hs := kt.Handshake
		if hs == nil || hs.Err != nil || len(hs.Certificates) == 0 || sameCerts(hs.Certificates, ep.Handshake.Certificates) {
			continue
		}
		out = append(out, &Set{Address: ep.Address,
			Chain:  &Chain{Certs: hs.Certificates, Name: ev.Target.VerifyName(), Source: "handshake", KeyType: kt.KeyType, CipherSuite: hs.CipherSuite},
			Staple: &Staple{Raw: hs.OCSPStaple}})
	}
	return out
}

func sameCerts(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
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
		s.Handshake = &Handshake{Handshake: hs, Address: ep.Address, Port: t.Port, NoSNI: ep.NoSNI, NoSNIErr: ep.NoSNIErr,
			Samples: ep.Samples, Accepted: ep.Scan, Timeout: ev.Timeout, Resumption: ep.Resumption}
		switch {
		case ep.Resumption != nil:
		case hs.Err != nil:
			s.Handshake.NoResumption = "no resumption to try: the strict handshake did not complete"
		case ep.HandshakeOnly:
			s.Handshake.NoResumption = handshakeOnlyWhy(ev)
		case hs.ClientCertRequested:
			s.Handshake.NoResumption = "resumption not tried: the server asks for a client certificate"
		default:
			s.Handshake.NoResumption = "resumption not tried"
		}
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
	case ep.HandshakeOnly:
		s.miss(KindScan, handshakeOnlyWhy(ev))
	case hs != nil && !hs.Scannable():
		s.miss(KindScan, hs.NotScannable())
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
	case ep.HandshakeOnly:
		s.miss(KindHTTP, handshakeOnlyWhy(ev))
	default:
		s.miss(KindHTTP, "no request was made: the TLS handshake did not complete")
	}
	return s
}

// handshakeOnlyWhy says why an address got the strict handshake only.
func handshakeOnlyWhy(ev *probe.Evidence) string {
	return fmt.Sprintf("not probed in full: the name has %d addresses and only %d are (the others get the "+
		"strict handshake only, so that the probe stays within one connection budget)", len(ev.Endpoints), ev.MaxFull)
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
	case probe.ErrDNSGarbage:
		return d.Err.Msg
	case probe.ErrServFail:
		return "the DNS server answered SERVFAIL: it could not resolve the name (often a broken delegation or DNSSEC failure)"
	case probe.ErrCanceled:
		return "the probe was interrupted during DNS resolution"
	}
	return "DNS lookup failed: " + d.Err.Msg
}
