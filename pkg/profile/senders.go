package profile

import (
	"crypto/tls"
	"time"
)

// The senders. Adding one is one function here, one line in All, and its
// section in docs/senders.md (TestEverySenderIsDocumented checks the docs).
//
// Each TLS list is in the order Go 1.26's client puts it on the wire (Go
// orders suites and groups itself; docs/senders.md, "What Go cannot
// express"), so that what `wacheck senders` prints is what a server sees.
// pkg/probe's TestClientHelloFollowsProfile checks it against a real
// ClientHello.

// goSignatureSchemes are what Go's TLS 1.2+ client sends in
// signature_algorithms, in its order; a profile cannot narrow them.
var goSignatureSchemes = []tls.SignatureScheme{
	tls.PSSWithSHA256, tls.ECDSAWithP256AndSHA256, tls.Ed25519, tls.PSSWithSHA384, tls.PSSWithSHA512,
	tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512, tls.ECDSAWithP384AndSHA384,
	tls.ECDSAWithP521AndSHA512,
}

// tls13Suites are the three TLS 1.3 suites Go always offers, in its order on
// a CPU with AES-GCM hardware.
var tls13Suites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

// Sources. docs/senders.md cites each of them.
const (
	metaGettingStarted = "https://developers.facebook.com/docs/graph-api/webhooks/getting-started"
	metaCreateEndpoint = "https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/create-webhook-endpoint"
	metaOverview       = "https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview"
	metaMessenger      = "https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks"
	dialog360          = "https://docs.360dialog.com/partner/messaging/receiving-messages-via-webhook"
	mozillaGuidelines  = "https://ssl-config.mozilla.org/guidelines/5.7.json"
)

// meta is Meta's webhook client (WhatsApp Cloud API, Graph API). Meta
// documents the certificate rules, its mTLS client certificate, retries and
// payload size, not its TLS client: versions, suites, groups, SNI and ALPN
// are wacheck's strict assumption, a modern Go/BoringSSL-like client.
func meta() *Profile {
	return &Profile{
		Key:        "meta",
		Name:       "Meta (WhatsApp Cloud API)",
		Short:      "Meta",
		MinVersion: tls.VersionTLS12,
		MaxVersion: tls.VersionTLS13,
		Suites12: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		},
		Suites13:            tls13Suites,
		Groups:              []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384},
		SignatureAlgorithms: goSignatureSchemes,
		ALPN:                []string{"h2", "http/1.1"},
		SendsSNI:            true,
		ClientCert: &ClientCert{
			CommonName:  "client.webhooks.fbclientcerts.com",
			IssuerMatch: []string{"meta", "outbound"},
			IssuerLabel: "Meta's outbound API CA",
			IssuerFile:  "meta-outbound-api-ca-2025-12.pem",
			IssuerURL:   metaGettingStarted + "#downloadable-ca-certificate",
			Retired: []RetiredCA{
				{Match: []string{"digicert high assurance ev root ca"}, Until: time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC),
					Label: "DigiCert High Assurance EV Root CA"},
				{Match: []string{"digicert sha2 high assurance server ca"}, Until: time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC),
					Label: "DigiCert SHA2 High Assurance Server CA"},
			},
		},
		// Meta documents no deadline for WhatsApp; 5 s is Messenger's.
		Deadlines:         Deadlines{Response: 5 * time.Second},
		SelfSignedRefused: "Meta does not support self-signed certificates",
		Latency: "Meta's partners (360dialog) ask for a median latency of 250 ms or less and fewer than 1% of " +
			"deliveries over 1 s; Meta's current pages give no figure",
		Retries: "Meta retries failed WhatsApp deliveries for up to 7 days",
		Facts: []Fact{
			{"certificate", "a valid TLS certificate, correctly configured and installed; self-signed certificates " +
				"are not supported", true, metaCreateEndpoint},
			{"verification", "the server certificate is always verified", true, metaGettingStarted},
			{"trust store", "a root in a public root program (wacheck uses Mozilla's)", false, ""},
			{"AIA fetching", "none: the server must send its intermediates", false, ""},
			{"TLS versions", "TLS 1.2 and 1.3", false, ""},
			{"TLS 1.2 cipher suites", "ECDHE with AES-GCM only", false, ""},
			{"TLS 1.3 cipher suites", "all three (Go offers all three)", false, ""},
			{"groups", "X25519MLKEM768, x25519, secp256r1, secp384r1; key shares for X25519MLKEM768 and x25519", false, ""},
			{"signature algorithms", "Go's list (a Go client cannot narrow it)", false, ""},
			{"ALPN", "h2, http/1.1", false, ""},
			{"SNI", "sent", false, ""},
			{"port", "any", false, ""},
			{"mTLS", "opt-in, enabled per application, not per WhatsApp Business Account or phone number", true,
				metaCreateEndpoint},
			{"client certificate", "CN client.webhooks.fbclientcerts.com, presented together with its signing " +
				"intermediate", true, metaGettingStarted},
			{"client certificate CA", "Meta-owned: trust meta-outbound-api-ca-2025-12.pem, published under " +
				"\"Downloadable CA certificate\"", true, metaGettingStarted + "#downloadable-ca-certificate"},
			{"retired client certificate CA", "DigiCert SHA2 High Assurance Server CA under DigiCert High Assurance " +
				"EV Root CA: the certificate it signed expired on 2026-04-15", true, metaGettingStarted},
			{"response deadline", "WhatsApp: not documented; wacheck uses Messenger's 5 s (200 OK within 5 s)", false,
				metaMessenger},
			{"latency", "median 250 ms or less, under 1% over 1 s: a partner's (360dialog) guidance, not Meta's", false,
				dialog360},
			{"retries", "with decreasing frequency for up to 7 days; duplicates are possible", true, metaOverview},
			{"payload size", "up to 3 MB", true, metaOverview},
		},
	}
}

// generic is a strict modern client: TLS 1.2+, Mozilla's intermediate
// suites that Go can offer, classic (not post-quantum) groups, SNI, no AIA
// fetching, no client certificate. It stands for any sender that documents
// nothing, and for the older TLS stacks that send no hybrid key share.
func generic() *Profile {
	return &Profile{
		Key:        "generic",
		Name:       "a strict modern client (Mozilla intermediate)",
		Short:      "a strict client",
		MinVersion: tls.VersionTLS12,
		MaxVersion: tls.VersionTLS13,
		Suites12: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		Suites13:            tls13Suites,
		Groups:              []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
		SignatureAlgorithms: goSignatureSchemes,
		ALPN:                []string{"h2", "http/1.1"},
		SendsSNI:            true,
		Facts: []Fact{
			{"certificate", "a chain to a root in a public root program (wacheck uses Mozilla's); self-signed " +
				"certificates are refused", false, ""},
			{"AIA fetching", "none: the server must send its intermediates", false, ""},
			{"TLS versions", "TLS 1.2 and 1.3 (Mozilla intermediate)", false, mozillaGuidelines},
			{"TLS 1.2 cipher suites", "Mozilla intermediate's ECDHE suites, AES-GCM and ChaCha20-Poly1305 (its DHE " +
				"suites cannot be offered by Go)", false, mozillaGuidelines},
			{"TLS 1.3 cipher suites", "all three (Mozilla intermediate; Go offers all three)", false, mozillaGuidelines},
			{"groups", "x25519, secp256r1, secp384r1 (Mozilla intermediate up to guidelines 5.8); key share for x25519 only",
				false, mozillaGuidelines},
			{"signature algorithms", "Go's list (a Go client cannot narrow it)", false, ""},
			{"ALPN", "h2, http/1.1", false, ""},
			{"SNI", "sent", false, ""},
			{"port", "any", false, ""},
			{"client certificate", "none", false, ""},
			{"response deadline", "none known", false, ""},
		},
	}
}
