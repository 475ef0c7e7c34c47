package checks

import (
	"strings"
	"sync"

	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/trust"
)

// maxPublicCANames bounds the public CA names one detail lists.
const maxPublicCANames = 5

var (
	publicRootsOnce sync.Once
	publicRoots     map[string]string // raw subject → name, Mozilla's roots
)

// publicCAs lists the acceptable client CAs a server named that are public
// TLS roots (subjects of Mozilla's root program as bundled), by name.
func publicCAs(acceptable [][]byte) []string {
	publicRootsOnce.Do(func() {
		publicRoots = map[string]string{}
		for _, c := range trust.Mozilla().Certs {
			publicRoots[string(c.RawSubject)] = name(c)
		}
	})
	var out []string
	for _, dn := range acceptable {
		if n, ok := publicRoots[string(dn)]; ok && len(out) < maxPublicCANames {
			out = append(out, n)
		}
	}
	return out
}

const clientAuthFix = "Trust a private CA for client certificates (nginx: ssl_client_certificate with only that " +
	"CA; Apache SSLCACertificateFile; HAProxy ca-file on the bind line), not a public TLS root"

// mtlsRequest is mtlsRequestJudged with the public-CA risk named: public
// TLS hierarchies are dropping the clientAuth EKU (Chrome Root Program
// policy v1.8: subscriber certificates issued from 2027-03-15 assert only
// serverAuth; Let's Encrypt's default profile has no clientAuth since
// 2026-02-11), so a client certificate from a public TLS CA will stop
// verifying for client authentication.
func mtlsRequest(cx *Context, s *State) verdict {
	v := mtlsRequestJudged(cx, s)
	hs := s.Handshake
	if !hs.ClientCertRequested {
		return v
	}
	pub := publicCAs(hs.AcceptableCAs)
	if len(pub) == 0 {
		return v
	}
	note := "the acceptable client CAs include public TLS roots (" + strings.Join(pub, "; ") + "): public TLS " +
		"hierarchies are dropping the clientAuth extended key usage (Chrome Root Program policy v1.8: " +
		"certificates issued from 2027-03-15 serverAuth only; Let's Encrypt's default profile without it since " +
		"2026-02-11), so a sender's client certificate from a public TLS CA will stop carrying clientAuth and " +
		"stop verifying"
	v.detail = strings.TrimSuffix(v.detail, ".") + "; " + note
	if v.status == report.Warn || v.status == report.Fail {
		v.remediation = join(v.remediation, clientAuthFix)
	}
	return v
}
