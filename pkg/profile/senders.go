package profile

import (
	"crypto/tls"
	"time"
)

// The senders. Adding one is one function here, one line in All, and its
// row in docs/senders.md (TestEverySenderIsDocumented checks the docs).

// goSignatureSchemes are what Go's TLS client accepts, which a profile
// cannot narrow.
var goSignatureSchemes = []tls.SignatureScheme{
	tls.ECDSAWithP256AndSHA256, tls.Ed25519, tls.PSSWithSHA256, tls.PSSWithSHA384, tls.PSSWithSHA512,
	tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512, tls.ECDSAWithP384AndSHA384,
	tls.ECDSAWithP521AndSHA512,
}

var tls13Suites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

const (
	metaGettingStarted = "https://developers.facebook.com/docs/graph-api/webhooks/getting-started"
	metaCreateEndpoint = "https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/create-webhook-endpoint"
	metaOverview       = "https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview"
	dialog360          = "https://docs.360dialog.com/partner/messaging/receiving-messages-via-webhook"
	mozillaTLS         = "https://wiki.mozilla.org/Security/Server_Side_TLS"
)

// meta is Meta's webhook client (WhatsApp Cloud API, Graph API). Meta
// documents the certificate rules and its mTLS client certificate, not its
// TLS client: versions, suites, groups, SNI and ALPN are wacheck's strict
// assumption, a modern Go/BoringSSL-like client.
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
		Deadlines:         Deadlines{Response: 5 * time.Second},
		SelfSignedRefused: "Meta does not support self-signed certificates",
		Latency: "Meta's partners (360dialog) ask for a median latency of 250 ms or less and fewer than 1% of " +
			"deliveries over 1 s; Meta's current pages give no figure",
		Retries: "Meta retries failed WhatsApp deliveries for up to 7 days",
		Facts: []Fact{
			{"certificate", "a valid certificate from a public CA; self-signed certificates are not supported", true, metaCreateEndpoint},
			{"verification", "the server certificate is always verified", true, metaGettingStarted},
			{"TLS versions", "TLS 1.2 and 1.3", false, ""},
			{"cipher suites", "ECDHE with AES-GCM (TLS 1.2); the TLS 1.3 suites", false, ""},
			{"groups", "X25519MLKEM768, X25519, P-256, P-384", false, ""},
			{"SNI", "sent", false, ""},
			{"AIA fetching", "none: the server must send the whole chain", false, ""},
			{"port", "any; 443 recommended", false, ""},
			{"client certificate", "CN client.webhooks.fbclientcerts.com, sent with its intermediate, issued by Meta's " +
				"outbound API CA (meta-outbound-api-ca-2025-12.pem); the DigiCert-issued one expired on 2026-04-15", true,
				metaGettingStarted},
			{"response time", "Messenger: 200 within 5 s; WhatsApp: not documented", true,
				"https://developers.facebook.com/documentation/business-messaging/messenger-platform/webhooks"},
			{"latency", "median 250 ms or less, under 1% over 1 s (a partner's guidance, not Meta's)", false, dialog360},
			{"retries", "up to 7 days", true, metaOverview},
		},
	}
}

// generic is a strict modern client: TLS 1.2+, Mozilla's intermediate
// suites that Go can negotiate, SNI, no AIA fetching, no client
// certificate. It stands for any sender that documents nothing.
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
			{"TLS versions", "TLS 1.2 and 1.3 (Mozilla intermediate)", false, mozillaTLS},
			{"cipher suites", "Mozilla intermediate's ECDHE suites (its DHE suites cannot be offered by Go)", false, mozillaTLS},
			{"groups", "X25519, P-256, P-384 (Mozilla intermediate)", false, mozillaTLS},
			{"SNI", "sent", false, ""},
			{"AIA fetching", "none", false, ""},
			{"client certificate", "none", false, ""},
		},
	}
}
