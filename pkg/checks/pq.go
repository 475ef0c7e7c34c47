package checks

import (
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/tlshello"
)

// tlsPQ reports whether the server accepts the post-quantum hybrid key
// exchange X25519MLKEM768 (0x11EC, RFC 10024), which Go 1.24+, OpenSSL 3.5
// and Chrome 131+ offer by default. It is information only: senders fall
// back to X25519 when a server does not accept it.
func tlsPQ(cx *Context, s *State) verdict {
	name := tlshello.GroupName(tlshello.GroupX25519MLKEM768)
	if hs := s.Handshake; hs != nil && hs.Err == nil && hs.CurveID == tlshello.GroupX25519MLKEM768 {
		return pass("the handshake negotiated %s (0x11EC): post-quantum hybrid key exchange", name)
	}
	if s.Scan == nil || s.Scan.Result == nil {
		if why := s.Why(subject.KindScan); why != "" {
			return info("whether the server accepts %s is not known: %s", name, why)
		}
		return info("whether the server accepts %s is not known: no enumeration ran", name)
	}
	for _, p := range s.Scan.Protocols {
		if p.Version != 0x0304 {
			continue
		}
		for _, g := range p.Groups {
			if g == name {
				return pass("the server accepts %s (0x11EC) in TLS 1.3: post-quantum hybrid key exchange", name)
			}
		}
		switch {
		case p.Offered == nil:
			return info("whether the server accepts %s is not known: TLS 1.3 could not be told (%s)", name, p.Reason)
		case !*p.Offered:
			return info("the server does not offer TLS 1.3, so no post-quantum key exchange (%s needs TLS 1.3)", name)
		case len(p.Groups) == 0:
			return info("whether the server accepts %s is not known: the enumeration found no TLS 1.3 groups", name)
		}
		return info("the server does not accept %s (0x11EC): key exchange is classical (senders fall back to "+
			"X25519 or P-256; a server on OpenSSL 3.5+ or Go 1.24+ accepts it by default)", name)
	}
	return info("whether the server accepts %s is not known: the enumeration did not reach TLS 1.3", name)
}
