package checks

import (
	"crypto/tls"

	"github.com/wacheck/wacheck/pkg/probe"
)

const resumptionFix = "Let clients resume sessions: nginx `ssl_session_cache shared:SSL:10m; ssl_session_timeout 1d; " +
	"ssl_session_tickets on;`; Apache `SSLSessionCache \"shmcb:/var/run/apache2/ssl_scache(512000)\"` and " +
	"`SSLSessionTickets on`; HAProxy keeps a session cache unless `tune.ssl.cachesize 0` (and `no-tls-tickets` " +
	"turns tickets off). Behind a load balancer, share the ticket keys (nginx `ssl_session_ticket_key`)"

// tlsResumption judges whether a second connection resumed the session of
// a first: a sender that reconnects without resuming pays a full handshake
// (and its round trips and signatures) on every delivery. TLS 1.3 resumes
// only by PSK, so no resumption there is certain (warn); in TLS 1.2 Go's
// client tries tickets only, and the server may still resume by session
// ID (info).
func tlsResumption(cx *Context, s *State) verdict {
	hs := s.Handshake
	r := hs.Resumption
	if r == nil {
		why := hs.NoResumption
		if why == "" {
			why = "resumption not tried"
		}
		return skip("%s", why)
	}
	if r.Err != nil && r.Err.Kind == probe.ErrNotAttempted {
		return skip("resumption %s", r.Err.Msg)
	}
	if r.Err != nil {
		return skip("could not tell whether the server resumes sessions: %s", r.Err.Msg)
	}
	if r.Resumed {
		how := "a session ticket"
		if r.Version == tls.VersionTLS13 {
			how = "a TLS 1.3 PSK (session ticket)"
		}
		return pass("a second connection resumed the session with %s in %s", how, ms(r.End.Sub(r.Start)))
	}
	why := "the server issued no session ticket"
	if r.Ticket {
		why = "the server issued a session ticket but did not accept it back (ticket keys that differ " +
			"between workers or nodes, or a ticket lifetime of zero)"
	}
	if r.Version == tls.VersionTLS13 {
		return warn(resumptionFix, "TLS 1.3 sessions are not resumed: %s, so every reconnecting delivery pays a "+
			"full handshake", why)
	}
	v := info("%s sessions are not resumed by ticket: %s (resumption by session ID was not tried: Go's client "+
		"cannot); a sender that cannot resume pays a full handshake on every reconnection", versionName(r.Version), why)
	v.remediation = resumptionFix
	return v
}
