package render

import (
	"time"

	"github.com/wacheck/wacheck/pkg/report"
)

// The sample reports are built by hand, as the probe and checks would, with
// fixed times so the golden files are stable.

var (
	started = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tool    = report.Tool{Name: "wacheck", Version: "0.1.0"}
)

func f(v float64) *float64 { return &v }

func at(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// samples are the reports every renderer test runs over, by golden name.
func samples() []struct {
	name string
	r    *report.Report
} {
	return []struct {
		name string
		r    *report.Report
	}{
		{"healthy", healthy()},
		{"incomplete-chain", incompleteChain()},
		{"refused", refused()},
		{"mtls", mtlsRequested()},
		{"load-balancer", loadBalancer()},
	}
}

const (
	rootDN   = "CN=Example Root CA R1,O=Example Trust,C=US"
	issuerDN = "CN=Example TLS Issuing CA G2,O=Example Trust,C=US"
	fakePEM  = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUExampleOnlyNotARealCertificate0wCgYIKoZIzj0E\n-----END CERTIFICATE-----\n"
)

func leaf(host string, notAfter time.Time, daysLeft int) report.Cert {
	return report.Cert{
		Index:              0,
		Subject:            "CN=" + host,
		Issuer:             issuerDN,
		Serial:             "04a1b2c3d4e5f60718293a4b5c6d7e8f",
		NotBefore:          notAfter.AddDate(0, 0, -90),
		NotAfter:           notAfter,
		DaysLeft:           daysLeft,
		SANs:               []string{host},
		Key:                "ECDSA P-256",
		SignatureAlgorithm: "SHA256-RSA",
		OCSPServers:        []string{"http://ocsp.example-trust.test"},
		IssuingCertURLs:    []string{"http://crt.example-trust.test/g2.der"},
		SHA256:             "3f1c5e0a9b7d2c4e6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e",
		PEM:                fakePEM,
	}
}

func intermediate() report.Cert {
	return report.Cert{
		Index:              1,
		Subject:            issuerDN,
		Issuer:             rootDN,
		Serial:             "0a0b0c0d0e0f10111213141516171819",
		NotBefore:          time.Date(2024, 3, 13, 0, 0, 0, 0, time.UTC),
		NotAfter:           time.Date(2027, 3, 12, 23, 59, 59, 0, time.UTC),
		DaysLeft:           741,
		Key:                "RSA 2048",
		SignatureAlgorithm: "SHA256-RSA",
		IsCA:               true,
		OCSPServers:        []string{"http://ocsp.example-trust.test/root"},
		IssuingCertURLs:    []string{"http://crt.example-trust.test/r1.der"},
		SHA256:             "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d",
		PEM:                fakePEM,
	}
}

func settings() report.Settings {
	return report.Settings{TimeoutMS: 10000, Roots: "mozilla", FailOn: "warn"}
}

func base(tg report.Target) *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          tool,
		Target:        tg,
		StartedAt:     started,
		Settings:      settings(),
	}
}

func yes(b bool) *bool { return &b }

// modernProtocols is what the enumeration finds on a server with the
// configuration users copy: TLS 1.2 and 1.3, ECDHE with AEAD.
func modernProtocols(r *report.Report) {
	r.Scan = &report.Scan{Address: r.Addresses[0].Address, Connections: 31, DurationMS: 94.2}
	no := func(v, reason string) report.Protocol {
		return report.Protocol{Version: v, Offered: yes(false), Reason: reason, Ciphers: []report.Cipher{}, Groups: []string{}}
	}
	r.Protocols = []report.Protocol{
		no("SSLv3", "handshake_failure alert"), no("TLS 1.0", "protocol_version alert"), no("TLS 1.1", "protocol_version alert"),
		{Version: "TLS 1.2", Offered: yes(true), ServerOrder: yes(true), Groups: []string{"x25519", "secp256r1"},
			Ciphers: []report.Cipher{
				{Name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", OpenSSLName: "ECDHE-ECDSA-AES128-GCM-SHA256", Grade: "recommended"},
				{Name: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", OpenSSLName: "ECDHE-ECDSA-AES256-GCM-SHA384", Grade: "recommended"},
				{Name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", OpenSSLName: "ECDHE-ECDSA-AES128-SHA", Grade: "weak"},
			}},
		{Version: "TLS 1.3", Offered: yes(true), Groups: []string{"x25519", "secp256r1", "X25519MLKEM768"},
			Ciphers: []report.Cipher{
				{Name: "TLS_AES_128_GCM_SHA256", OpenSSLName: "TLS_AES_128_GCM_SHA256", Grade: "recommended"},
				{Name: "TLS_AES_256_GCM_SHA384", OpenSSLName: "TLS_AES_256_GCM_SHA384", Grade: "recommended"},
				{Name: "TLS_CHACHA20_POLY1305_SHA256", OpenSSLName: "TLS_CHACHA20_POLY1305_SHA256", Grade: "recommended"},
			}},
	}
	r.Groups = []string{"x25519", "secp256r1", "X25519MLKEM768"}
}

func healthy() *report.Report {
	r := base(report.Target{
		Input: "https://api.example.com/webhooks/whatsapp",
		Host:  "api.example.com", Port: 443, SNI: "api.example.com",
		Path: "/webhooks/whatsapp",
	})
	r.DurationMS = 118.6
	r.DNS = report.DNS{Resolver: "system", Addresses: []string{"203.0.113.10"}, DurationMS: f(12.4)}
	r.TimingsMS = report.Timings{DNS: f(12.4), Connect: f(31.2), TLS: f(64.8), Total: 108.4}
	r.Addresses = []report.Address{{Address: "203.0.113.10", ConnectMS: f(31.2), TLSMS: f(64.8), HandshakeAttempt: true}}
	r.TLS = &report.TLS{Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", Group: "X25519",
		ALPN: "http/1.1", OfferedALPN: []string{"http/1.1"}, SNI: "api.example.com"}
	r.Certificates = []report.Cert{leaf("api.example.com", time.Date(2025, 5, 1, 23, 59, 59, 0, time.UTC), 61), intermediate()}
	r.Chain = &report.Chain{Verified: true, Path: []string{"CN=api.example.com", issuerDN, rootDN}, Roots: "mozilla", Source: "handshake"}
	modernProtocols(r)
	r.OCSP = &report.OCSP{
		Stapled: true, Status: "good",
		ThisUpdate: at("2025-02-28T00:00:00Z"), NextUpdate: at("2025-03-07T00:00:00Z"),
		Serial: "04a1b2c3d4e5f60718293a4b5c6d7e8f", Responder: "CN=Example TLS Issuing CA G2 OCSP Responder",
		Verified: true, ResponderURLs: []string{"http://ocsp.example-trust.test"}, Size: 471,
	}
	r.ClientAuth = &report.ClientAuth{Requested: false}
	r.Add(
		report.Result{ID: "dns.resolve", Status: report.Pass, Title: "Name resolves", Detail: "api.example.com resolved to 203.0.113.10 (system resolver)."},
		report.Result{ID: "dns.time", Status: report.Pass, Title: "DNS answers quickly", Detail: "Resolution took 12 ms. Meta's sender gives up on slow endpoints; DNS is well within budget."},
		report.Result{ID: "connect.tcp", Status: report.Pass, Title: "TCP connection", Detail: "Connected to port 443.", Address: "203.0.113.10"},
		report.Result{ID: "connect.port", Status: report.Pass, Title: "Port", Detail: "443 is the standard HTTPS port."},
		report.Result{ID: "tls.handshake", Status: report.Pass, Title: "TLS handshake", Detail: "Handshake completed with SNI api.example.com.", Address: "203.0.113.10"},
		report.Result{ID: "tls.negotiated", Status: report.Info, Title: "Negotiated", Detail: "TLS 1.3, TLS_AES_128_GCM_SHA256, X25519."},
		report.Result{ID: "timing.connect", Status: report.Pass, Title: "Connect time", Detail: "TCP connect took 31 ms (limit 1000 ms)."},
		report.Result{ID: "timing.handshake", Status: report.Pass, Title: "Handshake time", Detail: "TLS handshake took 65 ms (limit 1000 ms)."},
		report.Result{ID: "chain.complete", Status: report.Pass, Title: "Chain complete", Detail: "The server sent the leaf and the intermediate; the chain reaches Example Root CA R1 without fetching anything."},
		report.Result{ID: "chain.trusted", Status: report.Pass, Title: "Chain trusted", Detail: "The chain verifies against the Mozilla root store."},
		report.Result{ID: "chain.order", Status: report.Pass, Title: "Chain order", Detail: "Each certificate is followed by its issuer."},
		report.Result{ID: "chain.extra", Status: report.Pass, Title: "No extra certificates", Detail: "Every certificate served is part of the path."},
		report.Result{ID: "cert.expiry", Status: report.Pass, Title: "Not expiring soon", Detail: "Expires 2025-05-01, in 61 days."},
		report.Result{ID: "cert.validity", Status: report.Pass, Title: "Within validity period", Detail: "Valid from 2025-01-31 to 2025-05-01."},
		report.Result{ID: "cert.hostname", Status: report.Pass, Title: "Name matches", Detail: "The certificate covers api.example.com (DNS SAN api.example.com)."},
		report.Result{ID: "cert.key", Status: report.Pass, Title: "Key strength", Detail: "ECDSA P-256."},
		report.Result{ID: "cert.signature", Status: report.Pass, Title: "Signature algorithm", Detail: "SHA256-RSA."},
		report.Result{ID: "ocsp.stapled", Status: report.Pass, Title: "OCSP response stapled", Detail: "The server stapled a 471-byte OCSP response."},
		report.Result{ID: "ocsp.status", Status: report.Pass, Title: "Certificate not revoked", Detail: "The stapled response says good."},
		report.Result{ID: "ocsp.valid", Status: report.Pass, Title: "Staple fresh and signed", Detail: "Signed by the issuer's responder; next update 2025-03-07, in 6 days."},
		report.Result{ID: "http.alpn", Status: report.Pass, Title: "ALPN", Detail: "The server chose http/1.1, which the sender speaks."},
		report.Result{ID: "mtls.request", Status: report.Pass, Title: "No client certificate required", Detail: "The server did not send a CertificateRequest."},
	)
	return r
}

func incompleteChain() *report.Report {
	r := base(report.Target{Input: "hooks.example.net", Host: "hooks.example.net", Port: 443, SNI: "hooks.example.net"})
	r.DurationMS = 1932.5
	r.DNS = report.DNS{Resolver: "system", Addresses: []string{"198.51.100.7", "2001:db8::7"}, DurationMS: f(48.0)}
	r.TimingsMS = report.Timings{DNS: f(48.0), Connect: f(41.9), TLS: f(1838.2), Total: 1928.1}
	r.Addresses = []report.Address{{Address: "198.51.100.7", ConnectMS: f(41.9), TLSMS: f(1838.2), HandshakeAttempt: true}}
	r.TLS = &report.TLS{Version: "TLS 1.2", Cipher: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Group: "P-256",
		OfferedALPN: []string{"http/1.1"}, SNI: "hooks.example.net"}
	l := leaf("hooks.example.net", time.Date(2025, 3, 13, 12, 0, 0, 0, time.UTC), 12)
	l.Key, l.SignatureAlgorithm = "RSA 2048", "SHA256-RSA"
	l.SANs = []string{"hooks.example.net", "www.hooks.example.net"}
	r.Certificates = []report.Cert{l}
	r.Chain = &report.Chain{Verified: false, Error: "x509: certificate signed by unknown authority", Roots: "mozilla", Source: "handshake"}
	r.OCSP = &report.OCSP{Stapled: false, ResponderURLs: []string{"http://ocsp.example-trust.test"}}
	r.ClientAuth = &report.ClientAuth{}
	r.Add(
		report.Result{ID: "dns.resolve", Status: report.Pass, Title: "Name resolves", Detail: "hooks.example.net resolved to 198.51.100.7, 2001:db8::7 (system resolver)."},
		report.Result{ID: "dns.time", Status: report.Pass, Title: "DNS answers quickly", Detail: "Resolution took 48 ms."},
		report.Result{ID: "connect.tcp", Status: report.Pass, Title: "TCP connection", Detail: "Connected to port 443.", Address: "198.51.100.7"},
		report.Result{ID: "tls.handshake", Status: report.Pass, Title: "TLS handshake", Detail: "Handshake completed with SNI hooks.example.net.", Address: "198.51.100.7"},
		report.Result{ID: "timing.handshake", Status: report.Warn, Title: "Handshake time",
			Detail:      "The TLS handshake took 1838 ms (warn above 1000 ms). Slow handshakes eat into the sender's delivery timeout and cause retries.",
			Remediation: "Look for a slow OCSP fetch or an overloaded TLS terminator; enable session resumption (nginx: ssl_session_cache shared:SSL:10m) and prefer ECDSA keys."},
		report.Result{ID: "chain.complete", Status: report.Fail, Title: "Chain incomplete",
			Detail:      "The server sent only its own certificate (issued by Example TLS Issuing CA G2) and not the intermediate. Browsers fetch the missing certificate themselves; Meta's sender does not, so deliveries fail with a TLS error.",
			Remediation: "Serve the full chain: nginx ssl_certificate /etc/letsencrypt/live/hooks.example.net/fullchain.pem (not cert.pem); Apache SSLCertificateFile with the leaf followed by the intermediate; HAProxy crt pointing at a PEM with the leaf, the intermediate and the key."},
		report.Result{ID: "chain.trusted", Status: report.Fail, Title: "Chain not trusted",
			Detail:      "x509: certificate signed by unknown authority: no path from the served certificates to a root in the Mozilla store.",
			Remediation: "Fixing the incomplete chain fixes this: the intermediate links the leaf to a trusted root."},
		report.Result{ID: "chain.order", Status: report.Pass, Title: "Chain order", Detail: "Only one certificate was served."},
		report.Result{ID: "chain.extra", Status: report.Pass, Title: "No extra certificates", Detail: "Every certificate served is part of the path."},
		report.Result{ID: "cert.expiry", Status: report.Warn, Title: "Expires soon",
			Detail:      "Expires 2025-03-13 12:00 UTC, in 12 days (warn below 14 days).",
			Remediation: "Renew now (certbot renew) and reload the server; check why automatic renewal has not run (systemctl list-timers certbot.timer)."},
		report.Result{ID: "cert.validity", Status: report.Pass, Title: "Within validity period", Detail: "Valid from 2024-12-13 to 2025-03-13."},
		report.Result{ID: "cert.hostname", Status: report.Pass, Title: "Name matches", Detail: "The certificate covers hooks.example.net."},
		report.Result{ID: "cert.key", Status: report.Pass, Title: "Key strength", Detail: "RSA 2048."},
		report.Result{ID: "cert.signature", Status: report.Pass, Title: "Signature algorithm", Detail: "SHA256-RSA."},
		report.Result{ID: "ocsp.stapled", Status: report.Warn, Title: "No OCSP staple",
			Detail:      "The server did not staple an OCSP response; the certificate names the responder http://ocsp.example-trust.test.",
			Remediation: "nginx: ssl_stapling on; ssl_stapling_verify on; plus a resolver directive and ssl_trusted_certificate with the chain. Apache: SSLUseStapling On with SSLStaplingCache shmcb:/var/run/ocsp(128000)."},
		report.Result{ID: "ocsp.status", Status: report.Skip, Title: "Revocation status", Detail: "No stapled response to read."},
		report.Result{ID: "ocsp.valid", Status: report.Skip, Title: "Staple fresh and signed", Detail: "No stapled response to read."},
		report.Result{ID: "http.alpn", Status: report.Info, Title: "ALPN", Detail: "The server chose no protocol; the sender falls back to HTTP/1.1."},
		report.Result{ID: "mtls.request", Status: report.Pass, Title: "No client certificate required", Detail: "The server did not send a CertificateRequest."},
	)
	return r
}

func refused() *report.Report {
	r := base(report.Target{Input: "api.example.org:8443", Host: "api.example.org", Port: 8443, SNI: "api.example.org"})
	r.DurationMS = 21.7
	r.DNS = report.DNS{Resolver: "system", Addresses: []string{"192.0.2.20", "2001:db8::20"}, DurationMS: f(8.1)}
	r.TimingsMS = report.Timings{DNS: f(8.1), Total: 19.3}
	r.Addresses = []report.Address{
		{Address: "192.0.2.20", Error: "dial tcp 192.0.2.20:8443: connect: connection refused", ErrorKind: "refused"},
		{Address: "2001:db8::20", Error: "dial tcp [2001:db8::20]:8443: connect: connection refused", ErrorKind: "refused"},
	}
	r.Add(
		report.Result{ID: "dns.resolve", Status: report.Pass, Title: "Name resolves", Detail: "api.example.org resolved to 192.0.2.20, 2001:db8::20 (system resolver)."},
		report.Result{ID: "dns.time", Status: report.Pass, Title: "DNS answers quickly", Detail: "Resolution took 8.1 ms."},
		report.Result{ID: "connect.tcp", Status: report.Fail, Title: "TCP connection refused", Address: "192.0.2.20",
			Detail:      "Nothing accepts connections on port 8443: the host answered the SYN with a reset.",
			Remediation: "Start the web server or make it listen on 8443 (nginx: listen 8443 ssl;), and check that no firewall rejects the port (ss -ltnp | grep 8443)."},
		report.Result{ID: "connect.tcp", Status: report.Fail, Title: "TCP connection refused", Address: "2001:db8::20",
			Detail:      "Nothing accepts connections on port 8443: the host answered the SYN with a reset.",
			Remediation: "Listen on IPv6 too (nginx: listen [::]:8443 ssl;) or remove the AAAA record."},
		report.Result{ID: "connect.port", Status: report.Info, Title: "Non-standard port", Detail: "Port 8443 is not 443; make sure the sender's configuration names it."},
		report.Result{ID: "tls.handshake", Status: report.Skip, Title: "TLS handshake", Detail: "No connection to hand shake on."},
		report.Result{ID: "chain.complete", Status: report.Skip, Title: "Chain complete", Detail: "No certificates received."},
		report.Result{ID: "chain.trusted", Status: report.Skip, Title: "Chain trusted", Detail: "No certificates received."},
		report.Result{ID: "cert.expiry", Status: report.Skip, Title: "Expiry", Detail: "No certificates received."},
		report.Result{ID: "cert.hostname", Status: report.Skip, Title: "Name matches", Detail: "No certificates received."},
		report.Result{ID: "ocsp.stapled", Status: report.Skip, Title: "OCSP response stapled", Detail: "No handshake."},
		report.Result{ID: "http.alpn", Status: report.Skip, Title: "ALPN", Detail: "No handshake."},
		report.Result{ID: "mtls.request", Status: report.Skip, Title: "Client certificate", Detail: "No handshake."},
	)
	return r
}

func mtlsRequested() *report.Report {
	r := healthy()
	r.Checks, r.Summary, r.Status = nil, report.Summary{}, ""
	r.Target = report.Target{Input: "[2001:db8::443]", Host: "2001:db8::443", Port: 443}
	r.DNS = report.DNS{Resolver: "none", Pinned: true, Addresses: []string{"2001:db8::443"}}
	r.TimingsMS.DNS = nil
	r.Addresses[0].Address = "2001:db8::443"
	r.TLS.SNI = ""
	r.Certificates[0].Subject = ""
	r.Certificates[0].SANs = []string{"2001:db8::443"}
	r.Chain.Path = []string{"", issuerDN, rootDN}
	r.ClientAuth = &report.ClientAuth{Requested: true, AcceptableCAs: []string{
		"CN=Example Partner Client CA,O=Example Corp,C=US",
		"CN=DigiCert Global Root G2,OU=www.digicert.com,O=DigiCert Inc,C=US",
	}}
	r.Add(
		report.Result{ID: "dns.resolve", Status: report.Info, Title: "No DNS lookup", Detail: "The target is an IP address."},
		report.Result{ID: "connect.tcp", Status: report.Pass, Title: "TCP connection", Detail: "Connected to port 443.", Address: "2001:db8::443"},
		report.Result{ID: "tls.handshake", Status: report.Pass, Title: "TLS handshake", Detail: "Handshake completed without SNI (IP target).", Address: "2001:db8::443"},
		report.Result{ID: "chain.complete", Status: report.Pass, Title: "Chain complete", Detail: "The server sent the leaf and the intermediate."},
		report.Result{ID: "cert.hostname", Status: report.Pass, Title: "Address matches", Detail: "The certificate covers 2001:db8::443 (IP SAN)."},
		report.Result{ID: "mtls.request", Status: report.Warn, Title: "Client certificate requested",
			Detail:      "The server sent a CertificateRequest naming 2 acceptable CAs. If it requires a certificate the sender cannot present, the handshake fails.",
			Remediation: "Make client certificates optional (nginx: ssl_verify_client optional;) or trust the CA that issues the sender's client certificate (nginx: ssl_client_certificate; Apache: SSLCACertificateFile)."},
		report.Result{ID: "webhook.path", Status: report.Info, Title: "Path not probed", Detail: "Only the TLS endpoint was probed; no HTTP request was sent."},
		report.Result{ID: "audit.note", Status: report.Skip, Title: "Audit", Detail: "Nothing to audit."},
	)
	return r
}

// loadBalancer is a name with two addresses behind a load balancer, one of
// which serves an incomplete chain, probed with --samples 5.
func loadBalancer() *report.Report {
	r := base(report.Target{Input: "hooks.example.com", Host: "hooks.example.com", Port: 443, SNI: "hooks.example.com"})
	r.Settings.Samples = 5
	r.DurationMS = 212.5
	r.DNS = report.DNS{Resolver: "system", Addresses: []string{"203.0.113.10", "203.0.113.11"}, DurationMS: f(9.8)}
	r.TimingsMS = report.Timings{DNS: f(9.8), Connect: f(20.1), TLS: f(41.7), Total: 212.5}
	stats := func(min, med, p95, max float64) *report.PhaseStats {
		return &report.PhaseStats{N: 5, MinMS: min, MedianMS: med, P95MS: p95, MaxMS: max}
	}
	r.Addresses = []report.Address{
		{Address: "203.0.113.10", ConnectMS: f(20.1), TLSMS: f(41.7), HandshakeAttempt: true, TLSVersion: "TLS 1.3",
			Cipher: "TLS_AES_128_GCM_SHA256", ChainSHA256: []string{leaf("hooks.example.com", started, 60).SHA256, intermediate().SHA256},
			Samples: &report.Samples{Rounds: 5, Connect: stats(19.8, 20.1, 22.0, 22.0), TLS: stats(40.2, 41.7, 47.3, 47.3)}},
		{Address: "203.0.113.11", ConnectMS: f(20.6), TLSMS: f(43.0), HandshakeAttempt: true, TLSVersion: "TLS 1.3",
			Cipher: "TLS_AES_128_GCM_SHA256", ChainSHA256: []string{leaf("hooks.example.com", started, 60).SHA256},
			Samples: &report.Samples{Rounds: 5, Connect: stats(20.0, 20.6, 23.1, 23.1), TLS: stats(41.0, 43.0, 45.9, 45.9)}},
	}
	r.Certificates = []report.Cert{leaf("hooks.example.com", time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC), 60), intermediate()}
	r.Chain = &report.Chain{Verified: true, Path: []string{"CN=hooks.example.com", issuerDN, rootDN}, Roots: "mozilla", Source: "handshake"}
	fix := "Serve the full chain: nginx ssl_certificate fullchain.pem"
	r.Add(
		report.Result{ID: "dns.resolve", Status: report.Pass, Title: "DNS resolves the name", Detail: "hooks.example.com resolves to 203.0.113.10, 203.0.113.11"},
		report.Result{ID: "connect.agree", Status: report.Fail, Title: "Every address serves alike",
			Detail:      "1 of 2 addresses fail where 203.0.113.10 work: 203.0.113.11 (chain incomplete)",
			Remediation: "Deploy the same certificate chain to every node behind the name"},
		report.Result{ID: "connect.tcp", Status: report.Pass, Title: "TCP connection", Detail: "connected to 203.0.113.10 port 443", Address: "203.0.113.10"},
		report.Result{ID: "connect.tcp", Status: report.Pass, Title: "TCP connection", Detail: "connected to 203.0.113.11 port 443", Address: "203.0.113.11"},
		report.Result{ID: "timing.handshake", Status: report.Pass, Title: "TLS handshake time", Detail: "the TLS handshake p95 47 ms over 5 samples", Address: "203.0.113.10"},
		report.Result{ID: "timing.handshake", Status: report.Pass, Title: "TLS handshake time", Detail: "the TLS handshake p95 46 ms over 5 samples", Address: "203.0.113.11"},
		report.Result{ID: "chain.complete", Status: report.Pass, Title: "Certificate chain is complete", Detail: "2 certificate(s) served", Address: "203.0.113.10"},
		report.Result{ID: "chain.complete", Status: report.Fail, Title: "Certificate chain is complete",
			Detail: "the server did not send the certificate of CN=Example TLS Issuing CA G2", Remediation: fix, Address: "203.0.113.11"},
		report.Result{ID: "cert.hostname", Status: report.Pass, Title: "Certificate matches the name", Detail: "hooks.example.com is covered", Address: "203.0.113.10"},
		report.Result{ID: "cert.hostname", Status: report.Pass, Title: "Certificate matches the name", Detail: "hooks.example.com is covered", Address: "203.0.113.11"},
	)
	return r
}
