package checks

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/tlsnames"
)

func dnsResolve(cx *Context, s *State) verdict {
	d := *s.DNS
	host := s.Name.Target.Host
	if len(d.Addresses) > 0 {
		switch d.Resolver {
		case "literal":
			return info("%s is an IP address: no DNS lookup", host)
		case "--resolve":
			return info("%s pinned with --resolve to %s: no DNS lookup", host, strings.Join(d.Addresses, ", "))
		}
		return pass("%s resolves to %s", host, strings.Join(d.Addresses, ", "))
	}
	fix := "Publish an A (and, if reachable over IPv6, an AAAA) record for " + host +
		" at your DNS provider; check with: dig +short " + host + " A"
	switch {
	case d.Err != nil && (d.Err.Kind == probe.ErrDNSTimeout || d.Err.Kind == probe.ErrServFail):
		fix = "Check that the name's authoritative DNS servers answer: dig " + host + " +trace"
	case d.Err != nil && d.Err.Kind == probe.ErrDNSGarbage:
		fix = "Check the DNS server that was asked (the " + d.Resolver + " resolver), or whatever answers on " +
			"its port in its place (a firewall or middlebox): dig " + host + " shows what it answers"
	case d.Err != nil && d.Err.Kind == probe.ErrCanceled:
		return skip("%s: %s", host, subject.DNSFailureWords(d))
	case queryRcode(d, "REFUSED"):
		fix = "The DNS server " + d.Resolver + " refuses to resolve the name for this client: give --resolver a " +
			"recursive resolver that serves you (or one of the name's authoritative servers), or allow this " +
			"client in its access list"
	case len(d.CNAMEs) > 0:
		fix = "The name is an alias (CNAME) of " + d.CNAMEs[len(d.CNAMEs)-1] + ": publish A (and AAAA) records " +
			"at the end of the chain, with no loop; check with: dig " + host + " A"
	}
	return fail(fix, "%s: %s", host, subject.DNSFailureWords(d))
}

func dnsTime(cx *Context, s *State) verdict {
	d := *s.DNS
	if d.Pinned {
		return skip("no DNS query was made (%s)", pinnedWhy(d))
	}
	if d.Start.IsZero() || d.End.IsZero() {
		return skip("the DNS lookup did not run")
	}
	t := cx.Thresholds
	took := d.End.Sub(d.Start)
	if d.Err != nil && d.Err.Kind == probe.ErrDNSTimeout {
		return fail("Check that the name's DNS servers answer: dig "+s.Name.Target.Host+" +trace",
			"the %s resolver did not answer within %s", d.Resolver, ms(took))
	}
	fix := "Slow DNS adds to every delivery the sender makes after its cache expires: use a DNS provider " +
		"with anycast name servers and raise the record's TTL (300 s or more)"
	switch {
	case took >= t.DNSFail:
		return fail(fix, "the %s resolver took %s (limit %s)", d.Resolver, ms(took), ms(t.DNSFail))
	case took >= t.DNSWarn:
		return warn(fix, "the %s resolver took %s (warning at %s)", d.Resolver, ms(took), ms(t.DNSWarn))
	}
	return pass("%s (%s resolver%s)", ms(took), d.Resolver, queryTimes(d))
}

// queryTimes is ": A 5 ms, AAAA 12 ms" when each query was timed
// (--resolver), "" otherwise.
func queryTimes(d probe.DNS) string {
	var parts []string
	for _, q := range d.Queries {
		parts = append(parts, q.Type+" "+ms(q.End.Sub(q.Start)))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
}

func pinnedWhy(d probe.DNS) string {
	if d.Resolver == "literal" {
		return "the target is an IP address"
	}
	return "the address was pinned with --resolve"
}

// connectPort judges the port: a sender that documents the ports it
// delivers to (Twitch: 443 only) refuses any other, so that is a failure
// naming the source; otherwise a port other than 443 is a warning.
func connectPort(cx *Context, s *State) verdict {
	p := s.Name.Target.Port
	pr := cx.Profile
	if slices.Contains(pr.Ports, p) || len(pr.Ports) == 0 && p == 443 {
		return pass("port %d", p)
	}
	if len(pr.Ports) > 0 {
		var ports []string
		for _, q := range pr.Ports {
			ports = append(ports, strconv.Itoa(q))
		}
		source := "the sender's documents"
		for _, f := range pr.Facts {
			if f.Topic == "port" && f.Documented && f.Source != "" {
				source = f.Source
			}
		}
		return fail(fmt.Sprintf("Serve the webhook on port %s (nginx: listen %s ssl;) and give that URL to %s",
			strings.Join(ports, " or "), ports[0], pr.Short),
			"port %d: %s delivers to port %s only (source: %s)", p, pr.Short, strings.Join(ports, " or "), source)
	}
	return warn("Serve the webhook on port 443: some senders and many corporate egress firewalls allow no other "+
		"port (nginx: listen 443 ssl;)",
		"port %d is not the standard HTTPS port 443", p)
}

func connectTCP(cx *Context, s *State) verdict {
	ep := s.Conn
	hp := ep.HostPort
	if ep.Err == nil {
		return pass("connected to %s port %d", ep.Address, ep.Port)
	}
	port := ep.Port
	switch ep.Err.Kind {
	case probe.ErrRefused:
		return fail(fmt.Sprintf("Start the server or open the port: check it listens with `ss -ltnp 'sport = :%d'` "+
			"(nginx: listen %d ssl;) and that a load balancer forwards it", port, port),
			"%s refused the connection to port %d (nothing listens there, or a firewall rejects it)", ep.Address, port)
	case probe.ErrUnreachable:
		return fail("Check routing and firewalls between the internet and "+ep.Address+
			"; if this is an AAAA address that does not work, remove the AAAA record",
			"%s is unreachable (no route to the host or network)", ep.Address)
	case probe.ErrTimeout:
		return fail(fmt.Sprintf("Allow inbound TCP port %d from the sender's networks in the firewall or "+
			"security group; a firewall that drops packets silently looks like this", port),
			"no answer from %s within %s: the SYN was not answered (packets dropped)", hp, ep.Timeout)
	case probe.ErrReset:
		return fail("Check the firewall or load balancer in front of the server; it resets new connections",
			"%s reset the connection", ep.Address)
	case probe.ErrCanceled:
		return fail("", "the probe was interrupted while connecting to %s", ep.Address)
	case probe.ErrNotAttempted:
		return skip("%s was not tried: %s; probe it alone with --address %s, or raise --timeout or --concurrency",
			ep.Address, ep.Err.Msg, ep.Address)
	}
	return fail("Check that "+hp+" accepts TCP connections", "connecting to %s failed: %s", ep.Address, ep.Err.Msg)
}

func timingConnect(cx *Context, s *State) verdict {
	cn := s.Conn
	if cn.Err != nil {
		return skip("no TCP connection")
	}
	st := StatsOf(ConnectTimes(cn.Start, cn.End, cn.Err, cn.Samples))
	took, what := judgedTime(st, "TCP connect")
	if took >= cx.Thresholds.ConnectWarn {
		return warn("A slow TCP connect is network distance or an overloaded listener/load balancer: "+
			"serve from a region near the sender, check the load balancer's health and SYN backlog",
			"%s (warning at %s)", what, ms(cx.Thresholds.ConnectWarn))
	}
	return pass("%s", what)
}

// judgedTime is the duration a timing check judges — the single
// measurement, or the p95 over several samples — and its description.
func judgedTime(st Stats, phase string) (time.Duration, string) {
	if st.N <= 1 {
		return st.Max, fmt.Sprintf("%s took %s", phase, ms(st.Max))
	}
	return st.P95, fmt.Sprintf("%s p95 %s over %d samples (min %s, median %s, max %s)", phase, ms(st.P95), st.N,
		ms(st.Min), ms(st.Median), ms(st.Max))
}

// handshakeFailed explains why a check needing a completed handshake is
// skipped; it returns false when the handshake completed.
func handshakeFailed(s *State) (verdict, bool) {
	if s.Handshake.Err != nil {
		return skip("the TLS handshake did not complete"), true
	}
	return verdict{}, false
}

// noLeaf explains why a certificate check is skipped: the leaf did not
// parse. (A Set without certificates has no chain subject at all.)
func noLeaf(s *State) (verdict, bool) {
	if s.chain == nil || len(s.chain.certs) == 0 {
		return skip("no certificate to judge"), true
	}
	if s.chain.leaf == nil {
		return skip("the first certificate could not be parsed: %v", s.chain.certs[0].parseErr), true
	}
	return verdict{}, false
}

func tlsHandshake(cx *Context, s *State) verdict {
	hs := s.Handshake
	if hs.Err == nil {
		if n := FailedSamples(hs.Samples); n > 0 {
			first := ""
			for _, smp := range hs.Samples {
				if smp.Err != nil {
					first = string(smp.Err.Kind) + ": " + smp.Err.Msg
					break
				}
			}
			return fail("Intermittent failures point at one overloaded or misconfigured node, a rate limit or "+
				"a WAF: check the load balancer's backends one by one (--address) and the WAF's logs",
				"%d of %d connections failed although the first succeeded (first failure: %s)",
				n, len(hs.Samples)+1, first)
		}
		return pass("%s with SNI %s", tlsnames.Version(hs.Version), sniWords(hs.ServerName))
	}
	e := hs.Err
	if fix, detail, ok := handshakeCause(s); ok {
		return fail(fix, "%s", detail)
	}
	switch e.Kind {
	case probe.ErrNotAttempted:
		return skip("could not tell: the handshake with %s was not made in time: %s; probe it alone, or raise "+
			"--timeout or --concurrency", hs.Address, e.Msg)
	case probe.ErrPlainHTTP:
		return fail(fmt.Sprintf("This port speaks plain HTTP: enable TLS on it (nginx: listen %d ssl; with "+
			"ssl_certificate and ssl_certificate_key) or point the webhook at the HTTPS port", hs.Port),
			"the server answered with plain HTTP, not TLS")
	case probe.ErrNotTLS:
		return fail("Check what listens on the port (ss -ltnp) and that no proxy in front of it terminates differently",
			"the server answered with bytes that are not TLS: %s", e.Msg)
	case probe.ErrReset:
		return fail("A WAF, firewall or load balancer is dropping the ClientHello: check its logs for this "+
			"connection; make sure the server accepts TLS 1.2+ and the SNI name "+sniWords(hs.ServerName),
			"the connection was reset after the ClientHello")
	case probe.ErrClosed:
		return fail("The server closed the connection without an alert: usually no certificate is configured "+
			"for the SNI name (nginx: a server block with server_name "+sniWords(hs.ServerName)+" and listen 443 ssl) "+
			"or a proxy in front of it rejects the ClientHello",
			"the server closed the connection after the ClientHello without a TLS alert")
	case probe.ErrNoCommon:
		return fail("Enable TLS 1.2 and 1.3 with modern ECDHE-GCM ciphers: nginx `ssl_protocols TLSv1.2 TLSv1.3;` "+
			"Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`; HAProxy `ssl-min-ver TLSv1.2`",
			"no TLS 1.2+ protocol or cipher in common with a strict sender%s%s", alertSuffix(e), acceptedWords(s))
	case probe.ErrAlert:
		fix := "Check the server's TLS configuration and error log for this handshake"
		if e.Alert == 112 {
			fix = "The server has no certificate for the name " + sniWords(hs.ServerName) +
				": add it to server_name (nginx) / ServerName or ServerAlias (Apache)"
		}
		if e.Alert == 116 {
			fix = "The server requires a client certificate (mTLS); configure it to accept the sender's " +
				"certificate, or make client certificates optional (nginx: ssl_verify_client optional;)"
		}
		return fail(fix, "the server ended the handshake with TLS alert %s", tlsnames.Alert(e.Alert))
	case probe.ErrTimeout:
		if hs.BytesRead > 0 {
			return fail("The server (or a proxy, WAF or load balancer in front of it) answers, but far too slowly: "+
				"check its load and the path to it, and what sits in front of the TLS server on this port",
				"the server began to answer the ClientHello but sent only %d bytes within %s, too slowly to "+
					"complete a handshake (a server's first flight is a few kilobytes, sent at once)", hs.BytesRead,
				hs.Timeout)
		}
		return fail("The server (or a WAF/load balancer in front of it) accepted the TCP connection but did not "+
			"answer the ClientHello: check that TLS is enabled on the port and the server is not overloaded",
			"no answer to the ClientHello within %s", hs.Timeout)
	case probe.ErrCanceled:
		return fail("", "the probe was interrupted during the handshake")
	}
	return fail("Check the server's TLS configuration", "the TLS handshake failed: %s", e.Msg)
}

// acceptedWords says what the enumeration found the server does accept,
// for a handshake that failed: "; the server accepts TLS 1.0 (8 suite(s): ...) and
// TLS 1.2 (4 suite(s): ...)".
func acceptedWords(s *State) string {
	if s.Handshake.Accepted == nil {
		return ""
	}
	var parts []string
	for _, p := range s.Handshake.Accepted.Protocols {
		if p.Offered == nil || !*p.Offered {
			continue
		}
		names := make([]string, 0, 3)
		for i, c := range p.Ciphers {
			if i == 3 {
				names = append(names, "…")
				break
			}
			names = append(names, c.Name)
		}
		parts = append(parts, fmt.Sprintf("%s (%d suite(s): %s)", p.Name, len(p.Ciphers), strings.Join(names, ", ")))
	}
	if len(parts) == 0 {
		return "; the enumeration found no protocol version the server accepts"
	}
	return "; the server accepts " + strings.Join(parts, " and ")
}

func alertWords(e *probe.NetError) string {
	switch {
	case e.Alert != 0:
		return "alert " + tlsnames.Alert(e.Alert)
	}
	return e.Msg
}

func alertSuffix(e *probe.NetError) string {
	if e.Alert != 0 {
		return " (the server answered with alert " + tlsnames.Alert(e.Alert) + ")"
	}
	return " (" + e.Msg + ")"
}

func sniWords(name string) string {
	if name == "" {
		return "(none: the target is an IP address)"
	}
	return name
}

func timingHandshake(cx *Context, s *State) verdict {
	if v, ok := handshakeFailed(s); ok {
		return v
	}
	st := StatsOf(HandshakeTimes(s.Handshake.Handshake, s.Handshake.Samples))
	took, what := judgedTime(st, "the TLS handshake")
	t := cx.Thresholds
	fix := "Slow handshakes are what senders report as \"SSL handshake timeout\": use an ECDSA P-256 " +
		"certificate, enable session resumption (nginx ssl_session_cache shared:SSL:10m;), staple OCSP " +
		"(ssl_stapling on;), and check a WAF or overloaded TLS terminator is not delaying it"
	switch {
	case took >= t.HandshakeFail:
		return fail(fix, "%s (limit %s)", what, ms(t.HandshakeFail))
	case took >= t.HandshakeWarn:
		return warn(fix, "%s (warning at %s)", what, ms(t.HandshakeWarn))
	}
	return pass("%s", what)
}

func tlsNegotiated(cx *Context, s *State) verdict {
	if v, ok := handshakeFailed(s); ok {
		return v
	}
	hs := s.Handshake
	return info("%s, %s, key exchange %s", tlsnames.Version(hs.Version), tls.CipherSuiteName(hs.CipherSuite),
		tlsnames.Group(hs.CurveID))
}

func httpALPN(cx *Context, s *State) verdict {
	if v, ok := handshakeFailed(s); ok {
		return v
	}
	switch s.Handshake.ALPN {
	case "h2":
		return pass("the server selected h2")
	case "":
		return warn("Enable HTTP/2: nginx `http2 on;` (1.25.1+) or `listen 443 ssl http2;`; Apache "+
			"`Protocols h2 http/1.1`; HAProxy `alpn h2,http/1.1` on the bind line",
			"the server selected no ALPN protocol (offered %s): HTTP/2 is not available", strings.Join(s.Handshake.OfferedALPN, ", "))
	}
	return warn("Enable HTTP/2: nginx `http2 on;`; Apache `Protocols h2 http/1.1`; HAProxy `alpn h2,http/1.1`",
		"the server selected %s, not h2", s.Handshake.ALPN)
}

func mtlsRequestJudged(cx *Context, s *State) verdict {
	hs := s.Handshake
	if !hs.ClientCertRequested {
		if hs.Err != nil && hs.Version == 0 {
			return skip("the handshake ended before the server could ask for a client certificate")
		}
		return pass("the server does not ask for a client certificate")
	}
	p := cx.Profile
	cas := DistinguishedNames(hs.AcceptableCAs)
	required := hs.ClientCertRequired()
	how := "optional"
	switch {
	case hs.Err != nil:
		how = "required: the handshake failed without one"
	case hs.ClientCertRejected != nil:
		how = "required: the server refused the connection after the handshake (" +
			alertWords(hs.ClientCertRejected) + ")"
	}
	cc := p.ClientCert
	if cc == nil {
		if required {
			return fail("Make client certificates optional for this endpoint (nginx: ssl_verify_client optional;) "+
				"or authenticate "+p.Short+" another way: "+p.Short+" sends no client certificate",
				"the server requires a client certificate (%s), and %s has none to send", how, p.Name)
		}
		return info("the server asks for an optional client certificate (%s); %s sends none", how, p.Short)
	}
	fix := clientCAFix(p)
	if len(cas) == 0 {
		return info("the server asks for a client certificate (%s) and lists no acceptable CA: whether %s's "+
			"webhook certificate (CN %s) is accepted depends on the CAs it trusts", how, p.Short, cc.CommonName)
	}
	list := listed(cas)
	verdict, dn := p.ClientCertAccepted(cas)
	switch verdict {
	case profile.Accepted:
		// A CertificateRequest names CAs, not keys: the name is all that
		// can be compared from outside.
		return info("the server asks for a client certificate (%s); acceptable CAs: %s. %s is exactly the "+
			"subject of %s, so %s's webhook certificate (CN %s) issued by it would be accepted by name (a "+
			"CertificateRequest names CAs, not keys: that the server holds this very CA certificate cannot be "+
			"seen from outside)", how, list, serverValue(dn), issuerWords(cc), p.Short, cc.CommonName)
	case profile.RetiredOnly:
		var old []string
		for _, r := range cc.Retired {
			old = append(old, r.Label)
		}
		until := cc.Retired[0].Until.Format(time.DateOnly)
		return fail(fix, "the server trusts only %s for client certificates: %s's webhook certificate from that "+
			"chain (%s) expired on %s and is issued by %s now, so deliveries fail the handshake",
			list, p.Short, strings.Join(old, ", "), until, cc.IssuerLabel)
	case profile.Unknown:
		// The sender does not publish its CA's name: say so rather than
		// guess from the words in the names listed.
		fix = "Give wacheck the CA certificate " + p.Short + " publishes (" + cc.IssuerFile + ", from " + cc.IssuerURL +
			") with --client-ca " + cc.IssuerFile + " to compare the names exactly; " + fix
		words := fmt.Sprintf("the server asks for a client certificate (%s) from %s. %s does not publish the "+
			"exact name of %s, which issues its webhook certificate (CN %s), so whether it is among them cannot "+
			"be told from names alone (compare exactly with --client-ca %s)", how, list, p.Short, cc.IssuerLabel,
			cc.CommonName, cc.IssuerFile)
		if required {
			return warn(fix, "%s: %s's deliveries may fail the handshake", words, p.Short)
		}
		return info("%s", words)
	}
	if required {
		return fail(fix, "the server requires a client certificate from %s (%s): %s's webhook certificate "+
			"(CN %s, issued by %s) would be refused: none of them is exactly %s", list, how, p.Short, cc.CommonName,
			cc.IssuerLabel, issuerWords(cc))
	}
	return warn(fix, "the server asks for an optional client certificate from %s, none of them exactly %s: "+
		"%s's certificate would not verify", list, issuerWords(cc), p.Short)
}

// listed is the acceptable-CA names a server sent, escaped, "; "-joined.
func listed(cas []string) string {
	out := make([]string, len(cas))
	for i, dn := range cas {
		out[i] = serverValue(dn)
	}
	return strings.Join(out, "; ")
}

// issuerWords names the sender's CA and where its exact name came from.
func issuerWords(cc *profile.ClientCert) string {
	if cc.IssuerSource != "" {
		return "the CA in " + cc.IssuerSource + " (" + strings.Join(cc.IssuerDNs, "; ") + ")"
	}
	return cc.IssuerLabel + " (" + strings.Join(cc.IssuerDNs, "; ") + ")"
}

// clientCAFix tells how to trust the sender's client-certificate CA.
func clientCAFix(p *profile.Profile) string {
	cc := p.ClientCert
	return "Trust " + cc.IssuerLabel + " for client certificates (nginx: ssl_client_certificate " + cc.IssuerFile +
		"; ssl_verify_depth 3; Apache: SSLCACertificateFile) alongside any others, and check the client " +
		"certificate's CN is " + cc.CommonName + " ($ssl_client_s_dn); the CA is published at " + cc.IssuerURL
}

// DistinguishedNames decodes DER-encoded names from a CertificateRequest
// into RFC 4514 strings, in the order and with the attributes the server
// sent them (an exact name, for exact comparison).
func DistinguishedNames(raw [][]byte) []string {
	var out []string
	for _, der := range raw {
		var seq pkix.RDNSequence
		if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
			out = append(out, fmt.Sprintf("(undecodable name, %d bytes)", len(der)))
			continue
		}
		out = append(out, seq.String())
	}
	return out
}
