package checks

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"strings"
	"time"
)

func tlsSNI(cx *Context, s *State) verdict {
	switch {
	case s.Chain == nil:
		return skip("the server sent no certificate before the handshake ended")
	case s.Chain.Source != "handshake":
		return skip("the strict handshake failed: no certificate to compare with and without SNI")
	}
	if v, ok := noLeaf(s); ok {
		return v
	}
	name := s.Chain.Name
	if s.Handshake.ServerName == "" {
		return skip("no SNI was sent (the target is an IP address without --sni)")
	}
	withOK := s.chain.leaf.VerifyHostname(name) == nil
	ns := s.Handshake.NoSNI
	if ns == nil {
		if e := s.Handshake.NoSNIErr; e != nil {
			return skip("could not tell: the handshake without SNI, to compare, was not made (%s)", e.Msg)
		}
		return skip("no handshake without SNI was made to compare")
	}
	var noLeaf *x509.Certificate
	if len(ns.Certificates) > 0 {
		noLeaf, _ = x509.ParseCertificate(ns.Certificates[0])
	}
	without := "the handshake fails"
	if ns.Err != nil && ns.Err.Alert != 0 {
		without = "the handshake fails with alert " + fmt.Sprint(ns.Err.Alert)
	}
	if noLeaf != nil {
		without = "it serves " + name2(noLeaf)
	}
	same := noLeaf != nil && sameChain(ns.Certificates[:1], s.Handshake.Certificates[:1])
	if !withOK {
		// SNI is to blame only when it changes the answer: without it the
		// server would serve a certificate that covers the name.
		switch {
		case noLeaf != nil && noLeaf.VerifyHostname(name) == nil:
			return fail("The server picks the wrong certificate when SNI is "+name+": add "+name+
				" to the server_name of the server block (nginx) / ServerName or ServerAlias (Apache) that has "+
				"the right certificate, or fix the SNI routing of the load balancer",
				"with SNI %s the server serves %s, which does not cover the name; without SNI it serves a "+
					"certificate that does", name, name2(s.chain.leaf))
		case same:
			return pass("the same certificate with and without SNI; it does not cover %s, whatever the SNI "+
				"(see cert.hostname)", name)
		}
		return info("with SNI %s the server serves %s, which does not cover the name (see cert.hostname); "+
			"without SNI %s, no better: SNI is not the cause", name, name2(s.chain.leaf), without)
	}
	if same {
		return pass("the same certificate with and without SNI")
	}
	return info("the server needs SNI: without it %s. Webhook senders send SNI, so this only matters for "+
		"very old clients", without)
}

func name2(c *x509.Certificate) string {
	sans := sanWords(c, 4)
	return fmt.Sprintf("%s (SANs: %s)", name(c), strings.Join(sans, ", "))
}

func httpResponse(cx *Context, s *State) verdict {
	ex := s.HTTP
	path := ex.Path
	if ex.Err != nil {
		return fail("Check the web server or proxy behind TLS answers HTTP on "+path,
			"GET %s failed after the handshake: %s (%s)", path, ex.Err.Kind, ex.Err.Msg)
	}
	ttfb := ex.FirstByte.Sub(ex.Start)
	what := fmt.Sprintf("GET %s answered %d %s over %s; first byte after %s", path, ex.StatusCode,
		http.StatusText(ex.StatusCode), ex.Proto, ms(ttfb))
	p := cx.Profile
	if d := p.Deadlines.Response; d > 0 && ttfb >= d {
		return fail("Answer the webhook at once (200) and do the work asynchronously (a queue or a background job)",
			"%s: %s gives up after %s, so the delivery fails and is retried", what, p.Short, ms(d))
	}
	if ttfb >= time.Second {
		guidance := "Webhook senders expect an answer within a second or two"
		if p.Latency != "" {
			guidance = strings.ToUpper(p.Latency[:1]) + p.Latency[1:]
		}
		return warn(guidance+": answer the webhook at once (200) and do the work asynchronously",
			"%s: over 1 s", what)
	}
	if ex.StatusCode >= 500 {
		retries := "senders retry failed deliveries"
		if p.Retries != "" {
			retries = p.Retries
		}
		return warn("The handler answers with a server error: check the application's logs; "+retries+
			", but deliveries are late meanwhile", "%s", what)
	}
	return info("%s. (%s)", what, getHint(p))
}
