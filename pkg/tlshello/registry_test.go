package tlshello

import (
	"bufio"
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestRegistryRows re-derives, from each row's fields, the version range and the grade by the
// rule documented on Grade, so that an edited row cannot drift from the rule.
func TestRegistryRows(t *testing.T) {
	prev := -1
	for _, s := range Registry() {
		if int(s.ID) <= prev {
			t.Errorf("%s: not in code-point order", s.Name)
		}
		prev = int(s.ID)
		if s.ID == scsvRenegotiation || s.ID == scsvFallback || s.ID>>8 == s.ID&0xFF && s.ID&0x0F == 0x0A {
			t.Errorf("%s: signalling or GREASE value in the registry", s.Name)
		}
		if !strings.HasPrefix(s.Name, "TLS_") {
			t.Errorf("0x%04X: name %q", s.ID, s.Name)
		}
		tls13 := s.KeyExchange == "any"
		aead := s.MAC == "AEAD"
		wantMin := VersionSSL30
		switch {
		case tls13:
			wantMin = VersionTLS13
		case aead, s.KeyExchange == "GOST",
			(s.MAC == "SHA256" || s.MAC == "SHA384") && !strings.Contains(s.KeyExchange, "PSK"):
			wantMin = VersionTLS12
		}
		wantMax := VersionTLS12
		if tls13 {
			wantMax = VersionTLS13
		}
		if s.MinVersion != wantMin || s.MaxVersion != wantMax {
			t.Errorf("%s: versions 0x%04X-0x%04X, want 0x%04X-0x%04X", s.Name, s.MinVersion, s.MaxVersion, wantMin, wantMax)
		}

		enc := s.Encryption
		want := Weak
		switch {
		case enc == "NULL", strings.Contains(s.Name, "EXPORT"), s.Auth == "anon", s.Auth == "NULL", s.MAC == "MD5",
			hasAnyPrefix(enc, "RC4", "RC2", "DES", "3DES", "IDEA", "28147"):
			want = Insecure
		case aead && !strings.HasSuffix(enc, "CCM_8") &&
			(tls13 || s.KeyExchange == "ECDHE" || s.KeyExchange == "ECDHE_PSK"):
			want = Recommended
		}
		if s.Grade != want {
			t.Errorf("%s: grade %s, want %s", s.Name, s.Grade, want)
		}
	}
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func TestRegistryGrades(t *testing.T) {
	for id, want := range map[uint16]Grade{
		0x1301: Recommended, // TLS_AES_128_GCM_SHA256
		0x1305: Weak,        // TLS_AES_128_CCM_8_SHA256
		0xC0B4: Insecure,    // TLS_SHA256_SHA256
		0xC02F: Recommended, // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		0xCCA9: Recommended, // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
		0xC0AC: Recommended, // TLS_ECDHE_ECDSA_WITH_AES_128_CCM
		0x009E: Weak,        // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
		0x009C: Weak,        // TLS_RSA_WITH_AES_128_GCM_SHA256
		0xC013: Weak,        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
		0x000A: Insecure,    // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		0x0005: Insecure,    // TLS_RSA_WITH_RC4_128_SHA
		0x0003: Insecure,    // TLS_RSA_EXPORT_WITH_RC4_40_MD5
		0x00A6: Insecure,    // TLS_DH_anon_WITH_AES_128_GCM_SHA256
		0x0002: Insecure,    // TLS_RSA_WITH_NULL_SHA
	} {
		s, ok := LookupSuite(id)
		if !ok || s.Grade != want {
			t.Errorf("LookupSuite(0x%04X) = %+v, %v; want grade %s", id, s, ok, want)
		}
	}
}

// TestRegistryOpenSSLNames checks the table against the local OpenSSL: every suite it knows is
// in the registry under the same code point, with the same name.
func TestRegistryOpenSSLNames(t *testing.T) {
	bin := requireBinary(t, "openssl")
	out, err := exec.Command(bin, "ciphers", "-V", "-ciphersuites",
		"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
		"ALL:COMPLEMENTOFALL:@SECLEVEL=0").Output()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for sc := bufio.NewScanner(bytes.NewReader(out)); sc.Scan(); {
		f := strings.Fields(sc.Text())
		if len(f) < 3 {
			continue
		}
		id, err := strconv.ParseUint(strings.NewReplacer("0x", "", ",", "").Replace(f[0]), 16, 16)
		if err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		s, ok := LookupSuite(uint16(id))
		if !ok || s.OpenSSLName != f[2] {
			t.Errorf("OpenSSL has 0x%04X as %s; registry: %q (found %v)", id, f[2], s.OpenSSLName, ok)
		}
		n++
	}
	if n < 100 {
		t.Errorf("only %d suites from openssl ciphers:\n%s", n, out)
	}
}
