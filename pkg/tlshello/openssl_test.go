package tlshello

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Scans of `openssl s_server`: the suites found for each version must be exactly those
// `openssl ciphers -s` lists for the configured cipher string, filtered by the certificate's
// key, and nothing more.

type opensslCase struct {
	name    string
	key     keyKind
	args    []string
	offered []uint16 // the versions the server offers; the others must be refused
	// ciphers is the -cipher string, from which the TLS 1.0 to 1.2 suites are expected.
	ciphers string
	tls13   []uint16 // the TLS 1.3 suites expected, when TLS 1.3 is offered
	// serverOrder, when set, is the ServerOrder expected for TLS 1.0 to 1.2; when true the
	// suites must come in the order `openssl ciphers` lists them.
	serverOrder *bool
	groups12    []string // groups expected in the highest version up to TLS 1.2; nil: not checked
	groups13    []string // groups expected in TLS 1.3; nil: not checked
	dhparam     string   // an RFC 7919 group to give s_server as -dhparam
	dhBits      int      // DH prime size expected; 0: not checked
}

var tls13Default = []uint16{0x1301, 0x1302, 0x1303}

var opensslCases = []opensslCase{
	{
		name:    "TLS 1.0 at SECLEVEL 0",
		key:     rsaKey,
		args:    []string{"-tls1", "-cipher", "ALL:@SECLEVEL=0"},
		offered: []uint16{VersionTLS10},
		ciphers: "ALL:@SECLEVEL=0",
		dhBits:  2048,
	},
	{
		name:     "TLS 1.2 only",
		key:      rsaKey,
		args:     []string{"-tls1_2", "-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20"},
		offered:  []uint16{VersionTLS12},
		ciphers:  "ECDHE+AESGCM:ECDHE+CHACHA20",
		groups12: []string{"x25519", "secp256r1", "secp384r1", "secp521r1", "x448"},
	},
	{
		name:     "DHE only, automatic DH parameters",
		key:      rsaKey,
		args:     []string{"-tls1_2", "-cipher", "kDHE"},
		offered:  []uint16{VersionTLS12},
		ciphers:  "kDHE",
		groups12: []string{}, // s_server's automatic prime is RFC 3526's, not an RFC 7919 group
		dhBits:   2048,
	},
	{
		name:     "DHE only, ffdhe2048 parameters",
		key:      rsaKey,
		args:     []string{"-tls1_2", "-cipher", "kDHE"},
		offered:  []uint16{VersionTLS12},
		ciphers:  "kDHE",
		dhparam:  "ffdhe2048",
		groups12: []string{"ffdhe2048"},
		dhBits:   2048,
	},
	{
		name:    "CAMELLIA and ARIA, RSA",
		key:     rsaKey,
		args:    []string{"-tls1_2", "-cipher", "CAMELLIA:ARIA:@SECLEVEL=0"},
		offered: []uint16{VersionTLS12},
		ciphers: "CAMELLIA:ARIA:@SECLEVEL=0",
	},
	{
		name:     "CAMELLIA and ARIA, ECDSA",
		key:      ecdsaKey,
		args:     []string{"-tls1_2", "-cipher", "CAMELLIA:ARIA:@SECLEVEL=0"},
		offered:  []uint16{VersionTLS12},
		ciphers:  "CAMELLIA:ARIA:@SECLEVEL=0",
		groups12: []string{"x25519", "secp256r1", "secp384r1", "secp521r1", "x448"},
	},
	{
		name:    "TLS 1.3 narrowed to AES-256",
		key:     ecdsaKey,
		args:    []string{"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"},
		offered: []uint16{VersionTLS13},
		tls13:   []uint16{0x1302},
	},
	{
		name:    "TLS 1.3 with CCM",
		key:     rsaKey,
		args:    []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256:TLS_CHACHA20_POLY1305_SHA256"},
		offered: []uint16{VersionTLS13},
		tls13:   []uint16{0x1304, 0x1305, 0x1303},
	},
	{
		name:        "server order, RSA",
		key:         rsaKey,
		args:        []string{"-tls1_2", "-serverpref", "-cipher", "HIGH:!aNULL:@SECLEVEL=0"},
		offered:     []uint16{VersionTLS12},
		ciphers:     "HIGH:!aNULL:@SECLEVEL=0",
		serverOrder: new(true),
	},
	{
		name:        "server order, ECDSA",
		key:         ecdsaKey,
		args:        []string{"-tls1_2", "-serverpref", "-cipher", "ECDHE+CHACHA20:ECDHE+AES256:ECDHE+AES128:ECDHE+ARIA:ECDHE+CAMELLIA"},
		offered:     []uint16{VersionTLS12},
		ciphers:     "ECDHE+CHACHA20:ECDHE+AES256:ECDHE+AES128:ECDHE+ARIA:ECDHE+CAMELLIA",
		serverOrder: new(true),
	},
	{
		// OpenSSL's PRIORITIZE_CHACHA (HAProxy and others turn it on): the
		// server's order wins unless the client puts ChaCha20 first.
		name:        "server order, ChaCha20 prioritised",
		key:         rsaKey,
		args:        []string{"-tls1_2", "-serverpref", "-prioritize_chacha", "-cipher", "ECDHE+AES256:ECDHE+AES128:ECDHE+CHACHA20"},
		offered:     []uint16{VersionTLS12},
		ciphers:     "ECDHE+AES256:ECDHE+AES128:ECDHE+CHACHA20",
		serverOrder: new(true),
	},
	{
		name:        "client order",
		key:         rsaKey,
		args:        []string{"-tls1_2", "-cipher", "HIGH:!aNULL:@SECLEVEL=0"},
		offered:     []uint16{VersionTLS12},
		ciphers:     "HIGH:!aNULL:@SECLEVEL=0",
		serverOrder: new(false),
	},
	{
		name:     "groups",
		key:      rsaKey,
		args:     []string{"-groups", "X25519:secp384r1:ffdhe3072", "-cipher", "ECDHE+AESGCM"},
		offered:  []uint16{VersionTLS12, VersionTLS13},
		ciphers:  "ECDHE+AESGCM",
		tls13:    tls13Default,
		groups12: []string{"x25519", "secp384r1"},
		groups13: []string{"x25519", "secp384r1", "ffdhe3072"},
	},
}

var versionFlags = map[uint16]string{VersionTLS10: "-tls1", VersionTLS11: "-tls1_1", VersionTLS12: "-tls1_2"}

func TestScanOpenSSL(t *testing.T) {
	requireBinary(t, "openssl")
	for _, tc := range opensslCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := tc.args
			if tc.dhparam != "" {
				file := filepath.Join(t.TempDir(), tc.dhparam+".pem")
				out, err := exec.Command("openssl", "genpkey", "-genparam", "-algorithm", "DH",
					"-pkeyopt", "group:"+tc.dhparam, "-out", file).CombinedOutput()
				if err != nil {
					t.Fatalf("openssl genpkey: %v\n%s", err, out)
				}
				args = append(slices.Clone(args), "-dhparam", file)
			}
			res := scanLoopback(t, startOpenSSL(t, tc.key, args...), Options{ServerName: "localhost"})
			checkOffered(t, res, tc.offered...)

			highest := -1
			for i, p := range res.Protocols {
				if !slices.Contains(tc.offered, p.Version) {
					continue
				}
				if len(p.Errors) > 0 {
					t.Errorf("%s errors: %v", p.Name, p.Errors)
				}
				if p.Version == VersionTLS13 {
					checkSuites(t, p, tc.tls13)
					if tc.groups13 != nil && !slices.Equal(p.Groups, tc.groups13) {
						t.Errorf("TLS 1.3 groups %v, want %v", p.Groups, tc.groups13)
					}
					continue
				}
				highest = i
				want := opensslSuites(t, versionFlags[p.Version], tc.ciphers, tc.key)
				checkSuites(t, p, want)
				if tc.serverOrder == nil {
					continue
				}
				if fmtBool(p.ServerOrder) != fmtBool(tc.serverOrder) {
					t.Errorf("%s server order %s, want %s", p.Name, fmtBool(p.ServerOrder), fmtBool(tc.serverOrder))
				} else if *tc.serverOrder && !slices.Equal(cipherIDs(p.Ciphers), want) {
					t.Errorf("%s order:\ngot  %s\nwant %s", p.Name, suiteNames(cipherIDs(p.Ciphers)), suiteNames(want))
				}
			}
			if highest >= 0 {
				p := res.Protocols[highest]
				if tc.groups12 != nil && !slices.Equal(p.Groups, tc.groups12) {
					t.Errorf("%s groups %v, want %v", p.Name, p.Groups, tc.groups12)
				}
				if tc.dhBits != 0 && p.DHBits != tc.dhBits {
					t.Errorf("%s DH bits %d, want %d", p.Name, p.DHBits, tc.dhBits)
				}
			}
			t.Logf("%d connections, %v", res.Connections, res.Duration)
		})
	}
}
