package checks

import "strings"

const dhFix = "Use a DH prime of 2048 bits or more, or drop the DHE suites (ECDHE is faster): nginx " +
	"`ssl_dhparam /etc/nginx/dhparam.pem;` made with `openssl dhparam -out /etc/nginx/dhparam.pem 2048`; " +
	"Apache appends the DH PARAMETERS block to the `SSLCertificateFile`; HAProxy `ssl-dh-param-file` or " +
	"`tune.ssl.default-dh-param 2048`"

// cipherDH judges the DH prime of the DHE suites the enumeration saw
// accepted: under 1024 bits it is broken (Logjam), under 2048 weak, and
// OpenSSL-based clients at security level 2 refuse it.
func cipherDH(cx *Context, s *State) verdict {
	bits, where := 0, []string{}
	for _, p := range s.Scan.Protocols {
		if p.DHBits <= 0 || !isTrue(offered(s, p.Version)) {
			continue
		}
		where = append(where, p.Name)
		if bits == 0 || p.DHBits < bits {
			bits = p.DHBits
		}
	}
	in := strings.Join(where, ", ")
	switch {
	case bits > 0 && bits < 1024:
		return fail(dhFix, "the DHE suites use a %d-bit DH prime (%s): it can be broken (Logjam), and clients "+
			"refuse it", bits, in)
	case bits > 0 && bits < 2048:
		return warn(dhFix, "the DHE suites use a %d-bit DH prime (%s): under 2048 bits it is weak, and "+
			"OpenSSL-based clients at security level 2 refuse it", bits, in)
	case bits > 0:
		return pass("the DHE suites use a %d-bit DH prime (%s)", bits, in)
	}
	if dheAccepted(s) {
		return skip("DHE suites are accepted but the size of their DH prime was not read")
	}
	if why := incomplete(s); why != "" {
		return skip("could not tell whether any DHE suite is accepted: %s", why)
	}
	if u := unknownVersions(s); len(u) > 0 {
		return pass("no DHE suite accepted in the versions enumerated; could not tell for %s", strings.Join(u, ", "))
	}
	return pass("no DHE suite accepted")
}

// dheAccepted reports whether the enumeration saw a DHE suite accepted.
func dheAccepted(s *State) bool {
	for _, p := range s.Scan.Protocols {
		for _, c := range p.Ciphers {
			if strings.Contains(c.Name, "_DHE_") {
				return true
			}
		}
	}
	return false
}
