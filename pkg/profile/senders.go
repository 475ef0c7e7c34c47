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
	metaMismatchReport = "https://github.com/somaraj/Facebook-ASP.NET-Webhook/issues/2"
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
			CommonName: "client.webhooks.fbclientcerts.com",
			// Meta publishes the CA's file, not its subject: a server's list
			// of acceptable CAs is compared with it only through
			// --client-ca FILE (../shared/senders-facts.md 1.2).
			IssuerLabel: "Meta's outbound API CA",
			IssuerFile:  "meta-outbound-api-ca-2025-12.pem",
			IssuerURL:   metaGettingStarted + "#downloadable-ca-certificate",
			Retired: []RetiredCA{
				{DN: "CN=DigiCert High Assurance EV Root CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
					Until: time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC), Label: "DigiCert High Assurance EV Root CA"},
				{DN: "CN=DigiCert SHA2 High Assurance Server CA,OU=www.digicert.com,O=DigiCert Inc,C=US",
					Until: time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC), Label: "DigiCert SHA2 High Assurance Server CA"},
			},
		},
		// Meta documents no deadline for WhatsApp; 5 s is Messenger's.
		Deadlines:         Deadlines{Response: 5 * time.Second},
		SelfSignedRefused: "Meta does not support self-signed certificates",
		Latency: "Meta's partners (360dialog) ask for a median latency of 250 ms or less and fewer than 1% of " +
			"deliveries over 1 s; Meta's current pages give no figure",
		Retries: "Meta retries failed WhatsApp deliveries for up to 7 days",
		Webhook: metaWebhook(),
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
			{"client certificate CA name", "not published: a server's list of acceptable CAs is compared with it " +
				"exactly only when the CA file is given (wacheck probe --client-ca meta-outbound-api-ca-2025-12.pem)",
				false, ""},
			{"retired client certificate CA", "DigiCert SHA2 High Assurance Server CA under DigiCert High Assurance " +
				"EV Root CA: the certificate it signed expired on 2026-04-15", true, metaGettingStarted},
			{"response deadline", "WhatsApp: not documented; wacheck uses Messenger's 5 s (200 OK within 5 s)", false,
				metaMessenger},
			{"latency", "median 250 ms or less, under 1% over 1 s: a partner's (360dialog) guidance, not Meta's", false,
				dialog360},
			{"retries", "with decreasing frequency for up to 7 days; duplicates are possible", true, metaOverview},
			{"payload size", "up to 3 MB", true, metaOverview},
			{"verification request", "GET CALLBACK_URL?hub.mode=subscribe&hub.challenge=C&hub.verify_token=TOKEN; answer " +
				"200 with the hub.challenge value, anything else for a wrong token", true, metaCreateEndpoint},
			{"challenge", "an int (example 1158201444); wacheck sends 10 random digits and expects them byte for byte", true,
				metaGettingStarted},
			{"challenge mismatch", "\"Response does not match challenge, expected value=..., received=...\" (user reports)",
				false, metaMismatchReport},
			{"signature", "X-Hub-Signature-256: sha256=<HMAC-SHA256 of the payload, keyed with the App Secret>", true,
				metaGettingStarted},
			{"signed bytes", "the payload as sent, non-ASCII escaped (\\u00e4), lowercase hex digits", true, metaMessenger},
			{"batching", "up to 1000 updates in one delivery", true, metaGettingStarted},
			{"content type", "application/json, compact JSON", false, ""},
			{"redirects", "not followed on POST (Meta says nothing; Stripe and Shopify count 3xx as a failure)", false, ""},
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
			{"webhook protocol", "none: wacheck webhook checks the TLS side only and skips the webhook checks", false, ""},
		},
	}
}

// More sources (docs/senders.md cites each of them).
const (
	stripeWebhooks   = "https://docs.stripe.com/webhooks"
	githubFailed     = "https://docs.github.com/en/webhooks/using-webhooks/handling-failed-webhook-deliveries"
	githubFailedGHES = "https://docs.github.com/en/enterprise-server@3.15/webhooks/using-webhooks/handling-failed-webhook-deliveries"
	githubValidating = "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries"
	githubRESTHooks  = "https://docs.github.com/en/rest/repos/webhooks"
	githubPing       = "https://docs.github.com/en/webhooks/webhook-events-and-payloads#ping"
	slackVerifying   = "https://docs.slack.dev/authentication/verifying-requests-from-slack"
	slackURLVerify   = "https://api.slack.com/events/url_verification"
	slackRateLimited = "https://api.slack.com/events/app_rate_limited"
	shopifyHTTPS     = "https://shopify.dev/docs/apps/build/webhooks/subscribe/https"
	shopifyVerify    = "https://shopify.dev/docs/apps/build/webhooks/verify-deliveries"
	shopifyRetries   = "https://shopify.dev/changelog/updates-to-webhook-retry-mechanism"
	shopifyTimeout   = "https://community.shopify.com/c/Shopify-APIs-SDKs/Webhook-on-create-orders-called-twice/m-p/543046"
)

// strictClient gives p wacheck's strict assumption of a TLS client, Meta's
// (a modern Go/BoringSSL-like client), for a sender that documents none:
// TLS 1.2 and 1.3, ECDHE with AES-GCM, X25519MLKEM768 and the classic
// groups, h2 and http/1.1, SNI, no AIA fetching.
func strictClient(p *Profile) *Profile {
	m := meta()
	p.MinVersion, p.MaxVersion = m.MinVersion, m.MaxVersion
	p.Suites12, p.Suites13, p.Groups = m.Suites12, m.Suites13, m.Groups
	p.SignatureAlgorithms, p.ALPN, p.SendsSNI = m.SignatureAlgorithms, m.ALPN, m.SendsSNI
	return p
}

// strictClientFacts are the rows of strictClient's assumption; versions is
// the TLS versions row, documented by some senders.
func strictClientFacts(versions Fact) []Fact {
	return []Fact{
		{"trust store", "a root in a public root program (wacheck uses Mozilla's)", false, ""},
		{"AIA fetching", "none: the server must send its intermediates", false, ""},
		versions,
		{"TLS 1.2 cipher suites", "ECDHE with AES-GCM only", false, ""},
		{"TLS 1.3 cipher suites", "all three (Go offers all three)", false, ""},
		{"groups", "X25519MLKEM768, x25519, secp256r1, secp384r1; key shares for X25519MLKEM768 and x25519", false, ""},
		{"signature algorithms", "Go's list (a Go client cannot narrow it)", false, ""},
		{"ALPN", "h2, http/1.1", false, ""},
		{"SNI", "sent", false, ""},
		{"port", "any", false, ""},
	}
}

// stripe is Stripe's webhook client. Stripe documents its TLS versions,
// the certificate rule, its signature, that a 3xx fails and its retries; not
// its suites, groups, SNI or a response deadline.
func stripe() *Profile {
	p := strictClient(&Profile{
		Key:   "stripe",
		Name:  "Stripe (webhook endpoints)",
		Short: "Stripe",
		// Stripe documents no response deadline; wacheck's default (10 s)
		// bounds a request.
		Retries: "Stripe retries failed live-mode deliveries for up to 3 days with exponential backoff",
		Webhook: stripeWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "a valid server certificate; HTTPS is required for live-mode endpoints", true, stripeWebhooks},
		{"self-signed certificates", "not documented: refused (strict default)", false, ""},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3 only (\"Stripe webhooks support only TLS versions " +
		"v1.2 and v1.3\")", true, stripeWebhooks})...)
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"response deadline", "not documented (\"quickly return a successful status code (2xx)\"); wacheck waits " +
			"10 s", false, stripeWebhooks},
		Fact{"redirects", "a 3xx answer counts as a failed delivery", true, stripeWebhooks},
		Fact{"retries", "live mode: up to 3 days with exponential backoff; sandbox: 3 times over a few hours", true,
			stripeWebhooks},
		Fact{"verification request", "none: Stripe sends no verification handshake (webhook.verify skips)", true,
			stripeWebhooks},
		Fact{"signature", "Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 keyed with the endpoint's signing " +
			"secret>", true, stripeWebhooks},
		Fact{"signed bytes", "\"<t>.<raw body>\": the timestamp, a dot and the raw body", true, stripeWebhooks},
		Fact{"secret rolls", "while a rolled secret is still valid the header carries one v1 per secret; any of " +
			"them may match", true, stripeWebhooks},
		Fact{"timestamp tolerance", "5 minutes by default in Stripe's libraries; each retry is signed with a new " +
			"timestamp", true, stripeWebhooks},
		Fact{"content type", "application/json", false, ""},
	)
	return p
}

// github is GitHub's webhook client (github.com and GitHub Enterprise
// Cloud). GitHub documents its deadline, that it does not retry, the
// signature and that a hook may turn certificate verification off; not its
// TLS client.
func github() *Profile {
	p := strictClient(&Profile{
		Key:       "github",
		Name:      "GitHub (repository, organization and app webhooks)",
		Short:     "GitHub",
		Deadlines: Deadlines{Response: 10 * time.Second},
		Retries:   "GitHub does not redeliver failed deliveries by itself (only by hand or through the REST API)",
		Webhook:   githubWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "verified unless the hook sets insecure_ssl to 1 (\"not recommended\"); wacheck verifies",
			true, githubRESTHooks},
		{"self-signed certificates", "not documented: refused (strict default), unless the hook turns verification " +
			"off", false, ""},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3", false, ""})...)
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"response deadline", "10 s on github.com and GitHub Enterprise Cloud (\"takes longer than 10 seconds " +
			"to respond\")", true, githubFailed},
		Fact{"response deadline (GHES)", "30 s on GitHub Enterprise Server (wacheck uses 10 s)", true, githubFailedGHES},
		Fact{"retries", "none: \"GitHub does not automatically redeliver failed deliveries\"; redeliver by hand or " +
			"through the REST API", true, githubFailed},
		Fact{"verification request", "a ping event (X-GitHub-Event: ping) when the webhook is created, signed like " +
			"every delivery", true, githubPing},
		Fact{"signature", "X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the payload, keyed with the webhook's " +
			"secret>; the legacy X-Hub-Signature is HMAC-SHA1", true, githubValidating},
		Fact{"signed bytes", "the raw payload body", true, githubValidating},
		Fact{"redirects", "not documented: treated as a failed delivery (strict default)", false, ""},
		Fact{"content type", "application/json or application/x-www-form-urlencoded, as the hook is configured", true,
			githubRESTHooks},
	)
	return p
}

// slack is Slack's Events API client. Slack documents the signature, the
// url_verification handshake and its optional mTLS client certificate; its
// 3 s deadline and retry timing come from third-party summaries.
func slack() *Profile {
	p := strictClient(&Profile{
		Key:   "slack",
		Name:  "Slack (Events API)",
		Short: "Slack",
		ClientCert: &ClientCert{
			CommonName: "platform-tls-client.slack.com",
			// Slack names no CA, only "any DigiCert root": the names a
			// server lists cannot be compared exactly (Unknown).
			IssuerLabel: "a DigiCert root",
			IssuerURL:   slackVerifying,
		},
		Deadlines: Deadlines{Response: 3 * time.Second},
		Retries:   "Slack retries a failed event 3 times (about at once, after 1 minute and after 5 minutes)",
		Webhook:   slackWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "not documented: a valid publicly trusted chain (strict default)", false, ""},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3 (Slack documents TLS 1.2+ only for calls to its " +
		"own API, the other direction)", false, ""})...)
	p.Facts = append(p.Facts,
		Fact{"mTLS", "optional: Slack presents a client certificate when the server asks for one", true,
			slackVerifying},
		Fact{"client certificate", "issued under any DigiCert root; check the SAN DNS:platform-tls-client.slack.com " +
			"(or that CN)", true, slackVerifying},
		Fact{"client certificate CA name", "not published (only \"DigiCert\"): a server's list of acceptable CAs " +
			"cannot be compared exactly", false, ""},
		Fact{"response deadline", "3 s (event deliveries time out as http_timeout after 3 s)", false, ""},
		Fact{"retries", "3 retries: nearly at once, after 1 minute, after 5 minutes, with X-Slack-Retry-Num and " +
			"X-Slack-Retry-Reason; more than 2 redirects is a failure", false, ""},
		Fact{"failure limits", "deliveries that fail to get 200 over 60 minutes can have the subscription limited or " +
			"disabled; at most 30,000 events per workspace per hour", true, slackRateLimited},
		Fact{"verification request", "a url_verification POST with a challenge; answer 200 with the challenge as " +
			"text/plain, application/x-www-form-urlencoded or JSON", true, slackURLVerify},
		Fact{"signature", "X-Slack-Signature: v0=<hex HMAC-SHA256 keyed with the signing secret>, with " +
			"X-Slack-Request-Timestamp", true, slackVerifying},
		Fact{"signed bytes", "\"v0:<X-Slack-Request-Timestamp>:<raw body>\"", true, slackVerifying},
		Fact{"timestamp tolerance", "refuse a request whose timestamp is more than 5 minutes from the local time",
			true, slackVerifying},
		Fact{"content type", "application/json for events", false, ""},
	)
	return p
}

// shopify is Shopify's HTTPS webhook client. Shopify documents the
// certificate rule, the signature and its retries; its 5 s deadline comes
// from a Shopify staff answer, not its documentation.
func shopify() *Profile {
	p := strictClient(&Profile{
		Key:   "shopify",
		Name:  "Shopify (HTTPS webhook delivery)",
		Short: "Shopify",
		// A Shopify staff answer on the community forum; the docs' figure
		// (1 s connect, 5 s total) is quoted only by third parties.
		Deadlines: Deadlines{Response: 5 * time.Second},
		Retries:   "Shopify retries a failed delivery 8 times over 4 hours with exponential backoff, with the original payload",
		Webhook:   shopifyWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "\"a valid SSL certificate\"; \"Shopify verifies SSL certificates when delivering payloads " +
			"to HTTPS webhook addresses\"", true, shopifyHTTPS},
		{"self-signed certificates", "not documented: refused (strict default)", false, ""},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3", false, ""})...)
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"response deadline", "5 s (a Shopify staff answer: \"not receiving a response within 5 seconds\"); " +
			"third parties also quote 1 s to connect", false, shopifyTimeout},
		Fact{"retries", "8 times over 4 hours with exponential backoff, with the original payload", true,
			shopifyRetries},
		Fact{"verification request", "none: Shopify sends no verification handshake (webhook.verify skips)", false, ""},
		Fact{"signature", "X-Shopify-Hmac-SHA256: base64 HMAC-SHA256 of the raw body, keyed with the app's client " +
			"secret", true, shopifyVerify},
		Fact{"signed bytes", "the raw request body, before any parsing", true, shopifyVerify},
		Fact{"redirects", "not documented: treated as a failed delivery (strict default)", false, ""},
		Fact{"content type", "application/json", false, ""},
	)
	return p
}

// Sources of the further senders (docs/senders.md cites each of them).
const (
	lineTLSSpec      = "https://developers.line.biz/en/docs/messaging-api/ssl-tls-spec-of-the-webhook-source/"
	lineTLSNews      = "https://developers.line.biz/en/news/2020/10/06/update-webhook-client-and-root-certificate/"
	lineSignature    = "https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/"
	lineVerify       = "https://developers.line.biz/en/docs/messaging-api/verify-webhook-url/"
	twitchWebhooks   = "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/"
	twitchReplay     = "https://dev.twitch.tv/docs/eventsub/#guarding-against-replay-attacks"
	zoomWebhooks     = "https://developers.zoom.us/docs/api/webhooks/"
	zoomRequirements = "https://marketplace.zoom.us/docs/api-reference/webhook-reference/"
	zoomDelays       = "https://developers.zoom.us/blog/webhook-delays.md"
	zoomValidation   = "https://developers.zoom.us/changelog/platform/webhook-url-validation.md"
	discordSecurity  = "https://discord.com/developers/docs/interactions/receiving-and-responding#security-and-authorization"
	twilioSecurity   = "https://twilio.com/docs/usage/webhooks/webhooks-security"
	twilioOverrides  = "https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides"
	msgraphDelivery  = "https://github.com/microsoftgraph/microsoft-graph-docs-contrib/blob/main/concepts/change-notifications-delivery-webhooks.md"
	msgraphValidate  = "https://github.com/microsoftgraph/microsoft-graph-docs-contrib/blob/main/concepts/includes/change-notifications-delivery-notificationurl-validation.md"
)

// line is the LINE Messaging API's webhook client, the one sender here
// that publishes its TLS client: versions and cipher suites.
func line() *Profile {
	p := strictClient(&Profile{
		Key:               "line",
		Name:              "LINE (Messaging API webhooks)",
		Short:             "LINE",
		SelfSignedRefused: "LINE does not allow self-signed certificates",
		Webhook:           lineWebhook(),
	})
	// strictClient set Meta's AES-GCM-only list: LINE's is its own.
	p.Suites12 = []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	p.Facts = []Fact{
		{"certificate", "issued by a public certification authority (Let's Encrypt is fine); self-signed " +
			"certificates are not allowed", true, lineTLSSpec},
		{"trust store", "a root in a public root program (wacheck uses Mozilla's)", false, ""},
		{"AIA fetching", "none: the server must send its intermediates", false, ""},
		{"TLS versions", "TLS 1.2 and 1.3 (TLS 1.0 and 1.1 ended in January 2021)", true, lineTLSNews},
		{"TLS 1.2 cipher suites", "the six ECDHE AEAD suites of LINE's table (AES-128-GCM, AES-256-GCM, " +
			"ChaCha20-Poly1305; ECDSA and RSA); the CBC suites LINE marks Deprecated are not offered", true, lineTLSSpec},
		{"deprecated cipher suites", "LINE still offers ECDHE-RSA-AES128-SHA and ECDHE-RSA-AES256-SHA (and maybe " +
			"more: the rest of its table was not retrieved), \"may be discontinued without notice\": wacheck does " +
			"not count them", false, lineTLSSpec},
		{"TLS 1.3 cipher suites", "all three", true, lineTLSSpec},
		{"groups", "X25519MLKEM768, x25519, secp256r1, secp384r1; key shares for X25519MLKEM768 and x25519", false, ""},
		{"signature algorithms", "Go's list (a Go client cannot narrow it)", false, ""},
		{"ALPN", "h2, http/1.1 (LINE supports HTTP/1.0, HTTP/1.1 and HTTP/2)", true, lineTLSSpec},
		{"SNI", "sent", false, ""},
		{"port", "any", false, ""},
		{"client certificate", "none", false, ""},
		{"response deadline", "not documented here; wacheck waits 10 s", false, ""},
		{"signature", "x-line-signature: base64 HMAC-SHA256 of the request body, keyed with the channel secret " +
			"(header names may change case)", true, lineSignature},
		{"verification request", "Verify (in the console, or the test endpoint) sends a POST without webhook events, " +
			"{\"destination\": ..., \"events\": []}, to be answered 200; wacheck signs it like a delivery", true, lineVerify},
	}
	return p
}

// twitch is Twitch EventSub's webhook transport: port 443 only, SSL, a
// challenge POST, a signature over message id, timestamp and body.
func twitch() *Profile {
	p := strictClient(&Profile{
		Key:   "twitch",
		Name:  "Twitch (EventSub webhooks)",
		Short: "Twitch",
		Ports: []int{443},
		// "Within a few seconds": wacheck's strict reading is 3 s.
		Deadlines: Deadlines{Response: 3 * time.Second},
		Retries: "Twitch revokes a subscription (notification_failures_exceeded) when it fails to answer quickly " +
			"too many times",
		Webhook: twitchWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "the callback \"must use SSL\"", true, twitchWebhooks},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3", false, ""})...)
	for i := range p.Facts {
		if p.Facts[i].Topic == "port" {
			p.Facts[i] = Fact{"port", "443 only (\"listen on port 443\")", true, twitchWebhooks}
		}
	}
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"response deadline", "\"within a few seconds\"; wacheck reads it as 3 s", false, twitchWebhooks},
		Fact{"failures", "too many slow answers revoke the subscription (notification_failures_exceeded)", true,
			twitchWebhooks},
		Fact{"verification request", "webhook_callback_verification: answer 200 with the raw challenge", true,
			twitchWebhooks},
		Fact{"signature", "Twitch-Eventsub-Message-Signature: sha256=<hex HMAC-SHA256 of message id + timestamp + " +
			"raw body>, keyed with the subscription's secret; the id and the timestamp (RFC 3339) come in " +
			"Twitch-Eventsub-Message-Id and Twitch-Eventsub-Message-Timestamp", true, twitchWebhooks},
		Fact{"timestamp tolerance", "refuse a message whose timestamp is more than 10 minutes old, or whose " +
			"message id was seen before (replay)", true, twitchReplay},
	)
	return p
}

// zoom is Zoom's webhook client: TLS 1.2+, a CA-issued chain, 3 s, a URL
// validation every 72 hours.
func zoom() *Profile {
	p := strictClient(&Profile{
		Key:               "zoom",
		Name:              "Zoom (webhooks)",
		Short:             "Zoom",
		Deadlines:         Deadlines{Response: 3 * time.Second},
		SelfSignedRefused: "Zoom requires a certificate chain issued by a CA",
		Retries:           "Zoom retries 3 times: after 5, 20 and 60 minutes",
		Webhook:           zoomWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "a valid certificate chain issued by a CA; a fully qualified domain name", true,
			zoomRequirements},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 or later", true, zoomRequirements})...)
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"response deadline", "200 or 204 within 3 s", true, zoomDelays},
		Fact{"retries", "3: after 5, 20 and 60 minutes", true, zoomDelays},
		Fact{"verification request", "endpoint.url_validation, answered with plainToken and encryptedToken (hex " +
			"HMAC-SHA256 of it with the secret token), repeated every 72 hours", true, zoomValidation},
		Fact{"signature", "x-zm-signature: v0=<hex HMAC-SHA256 keyed with the secret token> over " +
			"\"v0:<x-zm-request-timestamp>:<raw body>\"", true, zoomWebhooks},
	)
	return p
}

// discord is Discord's interactions endpoint client. Its Ed25519 signature
// is made with Discord's private key: wacheck cannot sign as Discord.
func discord() *Profile {
	p := strictClient(&Profile{
		Key:       "discord",
		Name:      "Discord (interactions endpoint)",
		Short:     "Discord",
		Deadlines: Deadlines{Response: 3 * time.Second},
		Webhook:   discordWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "not documented: a valid publicly trusted chain (strict default)", false, ""},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3", false, ""})...)
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"response deadline", "3 s (the interaction token is invalidated after that)", true, discordSecurity},
		Fact{"verification request", "PING (type 1) answered with PONG (type 1)", true, discordSecurity},
		Fact{"signature", "X-Signature-Ed25519 over X-Signature-Timestamp + raw body, checked with the " +
			"application's public key; an invalid signature must get 401, and Discord sends deliberately bad " +
			"ones", true, discordSecurity},
		Fact{"what wacheck can check", "wacheck holds no Discord private key: it signs with a test key of yours " +
			"(--signing-key), so the handler under test must check with that key's public half instead of the " +
			"application's; configured with the application's key it rightly refuses every wacheck request", false, ""},
	)
	return p
}

// twilio is Twilio's webhook client: no self-signed certificates, SNI and
// timeouts set per URL, HMAC-SHA1 over the URL and parameters.
func twilio() *Profile {
	p := strictClient(&Profile{
		Key:               "twilio",
		Name:              "Twilio (webhooks and status callbacks)",
		Short:             "Twilio",
		Deadlines:         Deadlines{Connect: 5 * time.Second, Response: 15 * time.Second},
		SelfSignedRefused: "Twilio will not connect to an HTTPS URL with a self-signed certificate",
		Webhook:           twilioWebhook(),
	})
	// SNI is a per-URL connection override: strictly, assume none is sent.
	p.SendsSNI = false
	p.Facts = append([]Fact{
		{"certificate", "no self-signed certificates; Twilio warns against certificate pinning", true, twilioSecurity},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3 (SSLv3 is refused; Twilio's cipher list was " +
		"not retrieved)", false, twilioSecurity})...)
	for i := range p.Facts {
		if p.Facts[i].Topic == "SNI" {
			p.Facts[i] = Fact{"SNI", "not sent unless the URL's connection override asks for it (\"use of SNI " +
				"if your server requires SNI\"): wacheck assumes none", false, twilioOverrides}
		}
	}
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"deadlines", "connect 5 s (ct=5000), read 15 s (rt=15000) by default; total at most 15 s", true,
			twilioOverrides},
		Fact{"retries", "1 by default (rc), at most 5", true, twilioOverrides},
		Fact{"signature", "X-Twilio-Signature: base64 HMAC-SHA1 of the full URL and the POST parameters sorted " +
			"by name (each name followed by its value), keyed with the auth token", true, twilioSecurity},
		Fact{"verification request", "none: Twilio sends no verification handshake (webhook.verify skips)", false, ""},
	)
	return p
}

// msgraph is Microsoft Graph's change-notification client: a
// validationToken echo, no HMAC (a shared clientState).
func msgraph() *Profile {
	p := strictClient(&Profile{
		Key:       "msgraph",
		Name:      "Microsoft Graph (change notifications)",
		Short:     "Microsoft Graph",
		Deadlines: Deadlines{Response: 3 * time.Second},
		Retries:   "Microsoft Graph retries failed notifications for up to 4 hours",
		Webhook:   msgraphWebhook(),
	})
	p.Facts = append([]Fact{
		{"certificate", "not documented: a valid publicly trusted chain (strict default)", false, ""},
	}, strictClientFacts(Fact{"TLS versions", "TLS 1.2 and 1.3 (third parties say TLS 1.2 is required)", false,
		""})...)
	p.Facts = append(p.Facts,
		Fact{"client certificate", "none", false, ""},
		Fact{"verification request", "POST ?validationToken=...: answer 200, text/plain, with the URL-decoded " +
			"token within 10 s", true, msgraphValidate},
		Fact{"response deadline", "3 s for notifications; too many slow answers throttle and then drop them", true,
			msgraphDelivery},
		Fact{"retries", "up to 4 hours", true, msgraphDelivery},
		Fact{"notification answer", "202 Accepted, within 3 s", true, msgraphDelivery},
		Fact{"signature", "none: a shared clientState in each notification, to compare with the subscription's " +
			"(rich notifications carry JWT validationTokens); wacheck sign has nothing to compute", true,
			msgraphDelivery},
	)
	return p
}
