package tlshello

import "slices"

// Sender is what a webhook sender's TLS client offers when it delivers to an endpoint.
type Sender struct {
	Name     string   // for people, e.g. "Meta (WhatsApp Cloud API)"
	Versions []uint16 // protocol versions it can negotiate
	Suites   []uint16 // cipher suites it offers, TLS 1.3 ones included
}

// Senders lists the webhook senders wacheck knows, by the key used on the command line. Add a
// sender here; nothing else needs to change.
var Senders = map[string]Sender{
	"meta": {
		Name:     "Meta (WhatsApp Cloud API)",
		Versions: []uint16{VersionTLS12, VersionTLS13},
		Suites: []uint16{
			0xC02B, // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
			0xC02C, // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
			0xC02F, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
			0xC030, // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
			0x1301, // TLS_AES_128_GCM_SHA256
			0x1302, // TLS_AES_256_GCM_SHA384
			0x1303, // TLS_CHACHA20_POLY1305_SHA256
		},
	},
}

// Offers reports whether the sender can negotiate suite in version.
func (s Sender) Offers(version, suite uint16) bool {
	if !slices.Contains(s.Versions, version) || !slices.Contains(s.Suites, suite) {
		return false
	}
	st, ok := LookupSuite(suite)
	return ok && st.MinVersion <= version && version <= st.MaxVersion
}
