package checks

import (
	"cmp"
	"crypto/rsa"
	"fmt"
	"strings"

	"github.com/wacheck/wacheck/pkg/tlshello"
)

// protocol returns the scan's entry for version v.
func protocol(s *State, v uint16) *tlshello.Protocol {
	for i := range s.Scan.Protocols {
		if s.Scan.Protocols[i].Version == v {
			return &s.Scan.Protocols[i]
		}
	}
	return nil
}

// offered is true, false, or nil when the scan could not tell. What the
// strict handshake negotiated is a fact the enumeration cannot overrule: a
// hand-built hello that got a reset, a close or an odd reply says nothing
// against it.
func offered(s *State, v uint16) *bool {
	if negotiated(s) == v {
		t := true
		return &t
	}
	if p := protocol(s, v); p != nil {
		return p.Offered
	}
	return nil
}

// negotiated is the version the strict handshake completed with, 0 when it
// did not complete.
func negotiated(s *State) uint16 {
	if hs := s.Handshake; hs != nil && hs.Err == nil {
		return hs.Version
	}
	return 0
}

// contradicted says, for version v, when the enumeration found it not
// offered or could not tell although the strict handshake negotiated it.
func contradicted(s *State, v uint16) string {
	if negotiated(s) != v {
		return ""
	}
	if p := protocol(s, v); p != nil && !isTrue(p.Offered) {
		why := p.Reason
		if why == "" {
			why = "no usable answer"
		}
		return fmt.Sprintf(" (the strict handshake negotiated it; the enumeration's own %s hello got %s)", p.Name, why)
	}
	return ""
}

// incomplete says why the enumeration's lists of suites may miss some, ""
// when they are complete: the scan was cut short, it could tell nothing
// about any version, the strict handshake negotiated a version whose suites
// the enumeration did not get, or probes of an offered version got no
// usable answer. A pass is never given on an incomplete scan.
func incomplete(s *State) string {
	if s.Scan.Err != nil {
		return "the enumeration was cut short: " + s.Scan.Err.Msg
	}
	var gaps, all []string
	told := false
	for _, p := range s.Scan.Protocols {
		told = told || p.Offered != nil
		all = append(all, p.Name+" ("+cmp.Or(p.Reason, "no usable answer")+")")
		switch {
		case isTrue(offered(s, p.Version)) && !isTrue(p.Offered):
			gaps = append(gaps, fmt.Sprintf("the %s suites were not enumerated (its hello got %s)", p.Name,
				cmp.Or(p.Reason, "no usable answer")))
		case isTrue(offered(s, p.Version)) && len(p.Errors) > 0:
			gaps = append(gaps, fmt.Sprintf("%d %s probe(s) got no usable answer (%s)", len(p.Errors), p.Name, p.Errors[0]))
		}
	}
	if !told && len(all) > 0 {
		return "the enumeration got no usable answer for any version: " + strings.Join(all, ", ")
	}
	return strings.Join(gaps, "; ")
}

// unknownVersions names the versions the enumeration could not tell about.
func unknownVersions(s *State) []string {
	var out []string
	for _, p := range s.Scan.Protocols {
		if offered(s, p.Version) == nil {
			why := p.Reason
			if why == "" {
				why = "no usable answer"
			}
			out = append(out, p.Name+" ("+why+")")
		}
	}
	return out
}

// reason is why the scan found v not offered or could not tell.
func reason(s *State, v uint16) string {
	if p := protocol(s, v); p != nil && p.Reason != "" {
		return p.Reason
	}
	return "no answer recorded"
}

func isTrue(b *bool) bool  { return b != nil && *b }
func isFalse(b *bool) bool { return b != nil && !*b }

func partial(s *State) string {
	if s.Scan.Err != nil {
		return " (the enumeration was cut short: " + s.Scan.Err.Msg + ")"
	}
	return ""
}

const protocolsFix = "Offer TLS 1.2 and 1.3 only: nginx `ssl_protocols TLSv1.2 TLSv1.3;`; Apache " +
	"`SSLProtocol -all +TLSv1.2 +TLSv1.3`; HAProxy `ssl-default-bind-options ssl-min-ver TLSv1.2`"

func protocolTLS13(cx *Context, s *State) verdict {
	o := offered(s, tlshello.VersionTLS13)
	switch {
	case isTrue(o):
		return pass("TLS 1.3 is offered%s", contradicted(s, tlshello.VersionTLS13))
	case isFalse(o) && handshakeFailure(reason(s, tlshello.VersionTLS13)) && smallRSA(s):
		return skip("could not tell whether TLS 1.3 is enabled: the certificate's RSA key is too small to make the " +
			"RSA-PSS signature TLS 1.3 requires, so the server refuses every TLS 1.3 hello (see cert.key)")
	case isFalse(o):
		return warn("Enable TLS 1.3 (one round trip less per handshake): nginx `ssl_protocols TLSv1.2 TLSv1.3;` "+
			"(OpenSSL 1.1.1+); Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`",
			"TLS 1.3 is not offered (%s): every handshake takes an extra round trip%s",
			reason(s, tlshello.VersionTLS13), partial(s))
	}
	return skip("could not tell whether TLS 1.3 is offered: %s", reason(s, tlshello.VersionTLS13))
}

func protocolModern(cx *Context, s *State) verdict {
	o12, o13 := offered(s, tlshello.VersionTLS12), offered(s, tlshello.VersionTLS13)
	switch {
	case isTrue(o12) || isTrue(o13):
		var on []string
		if isTrue(o12) {
			on = append(on, "TLS 1.2")
		}
		if isTrue(o13) {
			on = append(on, "TLS 1.3")
		}
		return pass("%s offered%s%s", strings.Join(on, " and "), contradicted(s, tlshello.VersionTLS12),
			contradicted(s, tlshello.VersionTLS13))
	case isFalse(o12) && handshakeFailure(reason(s, tlshello.VersionTLS12)):
		return skip("could not tell whether TLS 1.2 is offered: the server answers TLS 1.2 hellos with " +
			"handshake_failure, not protocol_version, so it speaks TLS 1.2 but accepts nothing offered (see tls.handshake)")
	case isFalse(o12) && isFalse(o13):
		return fail(protocolsFix, "neither TLS 1.2 nor TLS 1.3 is offered (TLS 1.2: %s; TLS 1.3: %s): webhook "+
			"senders cannot connect%s", reason(s, tlshello.VersionTLS12), reason(s, tlshello.VersionTLS13), partial(s))
	}
	var unknown []string
	for _, v := range []uint16{tlshello.VersionTLS12, tlshello.VersionTLS13} {
		if offered(s, v) == nil {
			unknown = append(unknown, fmt.Sprintf("TLS 1.%d (%s)", v-tlshello.VersionTLS10, reason(s, v)))
		}
	}
	return skip("could not tell whether TLS 1.2 or 1.3 is offered: %s%s", strings.Join(unknown, ", "), partial(s))
}

func protocolLegacy(cx *Context, s *State) verdict {
	var legacy []string
	for _, v := range []uint16{tlshello.VersionTLS10, tlshello.VersionTLS11} {
		if isTrue(offered(s, v)) {
			legacy = append(legacy, protocol(s, v).Name)
		}
	}
	if isTrue(offered(s, tlshello.VersionSSL30)) {
		return fail(protocolsFix, "SSLv3 is accepted (broken by POODLE)%s", listSuffix(legacy))
	}
	if len(legacy) > 0 {
		return warn(protocolsFix, "%s accepted: deprecated (RFC 8996), no sender needs them", strings.Join(legacy, " and "))
	}
	var unknown []string
	for _, v := range []uint16{tlshello.VersionSSL30, tlshello.VersionTLS10, tlshello.VersionTLS11} {
		if p := protocol(s, v); p != nil && p.Offered == nil {
			unknown = append(unknown, p.Name+" ("+p.Reason+")")
		}
	}
	if len(unknown) > 0 {
		return skip("could not tell whether %s is accepted%s", strings.Join(unknown, ", "), partial(s))
	}
	return pass("SSLv3, TLS 1.0 and TLS 1.1 are refused")
}

func listSuffix(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return "; also " + strings.Join(l, " and ")
}

// suitesGraded lists the accepted suites of grade g as "NAME (versions)".
func suitesGraded(s *State, g tlshello.Grade) []string {
	versions := map[string][]string{}
	var order []string
	for _, p := range s.Scan.Protocols {
		for _, c := range p.Ciphers {
			if c.Grade != g {
				continue
			}
			if _, ok := versions[c.Name]; !ok {
				order = append(order, c.Name)
			}
			versions[c.Name] = append(versions[c.Name], p.Name)
		}
	}
	out := make([]string, len(order))
	for i, n := range order {
		out[i] = fmt.Sprintf("%s (%s)", n, strings.Join(versions[n], ", "))
	}
	return out
}

const cipherFix = "Offer only ECDHE with AES-GCM or ChaCha20-Poly1305: nginx `ssl_ciphers " +
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;` " +
	"(Mozilla's intermediate profile); Apache `SSLCipherSuite` with the same list"

func cipherWeak(cx *Context, s *State) verdict {
	return gradeCheck(s, tlshello.Weak, warn, "weak suite(s) accepted (CBC, static RSA/DH/ECDH key exchange, DHE, PSK, SRP or CCM_8)")
}

func cipherInsecure(cx *Context, s *State) verdict {
	return gradeCheck(s, tlshello.Insecure, fail, "insecure suite(s) accepted (RC4, RC2, DES, 3DES, IDEA, NULL, EXPORT, anonymous or MD5)")
}

// gradeCheck judges the accepted suites of grade g: judge (warn or fail)
// lists them, pass says there are none.
func gradeCheck(s *State, g tlshello.Grade, judge func(fix, format string, a ...any) verdict, what string) verdict {
	if found := suitesGraded(s, g); len(found) > 0 {
		return judge(cipherFix, "%d %s: %s", len(found), what, strings.Join(found, ", "))
	}
	if why := incomplete(s); why != "" {
		return skip("could not tell whether any %s cipher suite is accepted: %s", g, why)
	}
	if u := unknownVersions(s); len(u) > 0 {
		return pass("no %s cipher suite accepted in the versions enumerated; could not tell for %s", g,
			strings.Join(u, ", "))
	}
	return pass("no %s cipher suite accepted", g)
}

func cipherSender(cx *Context, s *State) verdict {
	snd := cx.Profile
	var common []string
	for _, p := range s.Scan.Protocols {
		for _, c := range p.Ciphers {
			if snd.Offers(p.Version, c.ID) {
				common = append(common, p.Name+" "+c.Name)
			}
		}
	}
	if len(common) > 0 {
		return pass("%d suite(s) in common with %s: %s", len(common), snd.Name, strings.Join(common, ", "))
	}
	if hs := s.Handshake; hs != nil && hs.Err == nil && snd.Offers(hs.Version, hs.CipherSuite) {
		// The strict handshake, made as the sender, agreed on a suite:
		// that is in common whatever the enumeration saw.
		return pass("the strict handshake as %s negotiated %s %s (the enumeration found no suite of the "+
			"sender's: its lists may be incomplete)", snd.Name, tlshello.SuiteName(hs.CipherSuite),
			versionName(hs.Version))
	}
	var any bool
	for _, p := range s.Scan.Protocols {
		any = any || len(p.Ciphers) > 0
	}
	if !any {
		return skip("no accepted cipher suite was found to compare%s", partial(s))
	}
	if why := incomplete(s); why != "" {
		return skip("no suite in common with %s among those found, but %s", snd.Name, why)
	}
	var names []string
	for _, id := range snd.Suites() {
		names = append(names, tlshello.SuiteName(id))
	}
	return fail(cipherFix, "no cipher suite in common with %s, which offers only %s%s", snd.Name,
		strings.Join(names, ", "), partial(s))
}

func cipherOrder(cx *Context, s *State) verdict {
	p := protocol(s, tlshello.VersionTLS12)
	if p == nil || !isTrue(p.Offered) {
		if !isFalse(offered(s, tlshello.VersionTLS12)) {
			return skip("could not tell whether the server enforces its order on TLS 1.2: the enumeration's "+
				"TLS 1.2 hello got %s%s", reason(s, tlshello.VersionTLS12), partial(s))
		}
		return skip("TLS 1.2 is not offered")
	}
	switch {
	case p.ServerOrder == nil:
		return skip("could not tell whether the server enforces its order on TLS 1.2 (%d suite(s))", len(p.Ciphers))
	case *p.ServerOrder:
		return pass("the server picks TLS 1.2 suites by its own order, starting with %s", p.Ciphers[0].Name)
	}
	return info("the server does not enforce its cipher order on TLS 1.2: the client's preference wins " +
		"(nginx `ssl_prefer_server_ciphers on;`, Apache `SSLHonorCipherOrder on` to enforce it)")
}

func versionName(v uint16) string {
	switch v {
	case tlshello.VersionTLS13:
		return "(TLS 1.3)"
	case tlshello.VersionTLS12:
		return "(TLS 1.2)"
	}
	return fmt.Sprintf("(version %#04x)", v)
}

// smallRSA reports whether the Set's leaf has an RSA key too small for
// RSA-PSS, which TLS 1.3 signs with.
func smallRSA(s *State) bool {
	if s.chain == nil || s.chain.leaf == nil {
		return false
	}
	k, ok := s.chain.leaf.PublicKey.(*rsa.PublicKey)
	return ok && k.N.BitLen() < rsaPSSMinBits
}
