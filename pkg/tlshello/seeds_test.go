package tlshello

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var recordSeeds = flag.Bool("record-seeds", false,
	"record real server replies into testdata/fuzz/FuzzParseServerFlight (needs openssl)")

// TestRecordSeeds refreshes the checked-in seed corpus of FuzzParseServerFlight with the first
// flights of real loopback servers, and damaged copies of them. Run it with -record-seeds and
// review the diff.
func TestRecordSeeds(t *testing.T) {
	if !*recordSeeds {
		t.Skip("run with -record-seeds to refresh the fuzz seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseServerFlight")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	save := func(name string, b []byte) {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	rsa, ecdsa := certFor(t, rsaKey), certFor(t, ecdsaKey)
	goServer := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{rsa.tls, ecdsa.tls}})
	modern := []uint16{0xC02F, 0xC02B, 0xCCA8, 0x009E}
	tls13 := []uint16{0x1301, 0x1302, 0x1303}
	samples := []struct {
		name  string
		addr  string
		hello ClientHello
	}{
		{"go-tls12-ecdhe-rsa", goServer, ClientHello{Version: VersionTLS12, CipherSuites: modern}},
		{"go-tls12-ecdhe-ecdsa", goServer, ClientHello{Version: VersionTLS12, CipherSuites: []uint16{0xC02C}}},
		{"go-tls13-serverhello", goServer, ClientHello{Version: VersionTLS13, CipherSuites: tls13, KeyShare: true,
			Groups: []uint16{GroupX25519}}},
		{"go-tls13-hello-retry", goServer, ClientHello{Version: VersionTLS13, CipherSuites: tls13}},
		{"go-alert-protocol-version", goServer, ClientHello{Version: VersionTLS10, CipherSuites: modern}},
		{"go-alert-handshake-failure", goServer, ClientHello{Version: VersionTLS12, CipherSuites: []uint16{0x0041}}},
		{"openssl-tls12-dhe", startOpenSSL(t, rsaKey, "-tls1_2", "-cipher", "kDHE"),
			ClientHello{Version: VersionTLS12, CipherSuites: []uint16{0x009E, 0x0033}}},
		{"openssl-tls10-camellia", startOpenSSL(t, rsaKey, "-tls1", "-cipher", "ALL:@SECLEVEL=0"),
			ClientHello{Version: VersionTLS10, CipherSuites: []uint16{0x0041, 0x0084}}},
		{"openssl-tls12-aria-ecdsa", startOpenSSL(t, ecdsaKey, "-tls1_2", "-cipher", "ARIA"),
			ClientHello{Version: VersionTLS12, CipherSuites: []uint16{0xC05C}}},
		{"openssl-tls13-ccm", startOpenSSL(t, rsaKey, "-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"),
			ClientHello{Version: VersionTLS13, CipherSuites: []uint16{0x1304}, KeyShare: true}},
		{"openssl-alert-sslv3", startOpenSSL(t, rsaKey), ClientHello{Version: VersionSSL30, CipherSuites: []uint16{0x002F}}},
	}
	for _, s := range samples {
		b := captureFlight(t, s.addr, s.hello)
		if len(b) == 0 {
			t.Fatalf("%s: no reply", s.name)
		}
		save(s.name, b)
		save(s.name+"-truncated", b[:len(b)*2/3])
	}
	save("sslv2-server-hello", []byte{0x80, 0x2E, 0x04, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00})
	save("http-reply", []byte("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n"))
	save("ssh-banner", []byte("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"))
	save("oversized-record", []byte{22, 3, 3, 0xFF, 0xFF, 2, 0, 0, 70})
}

// hostileOffers are the hellos the hostile seeds answer, by the version in their names.
var hostileOffers = map[string]offered{
	"tls10": {version: VersionTLS10, suites: []uint16{0x002F, 0xC013, 0x0033}, groups: ecGroups},
	"tls12": {version: VersionTLS12, suites: []uint16{0xC02F, 0x009C, 0xC02B, 0x009E}, groups: ecGroups},
	"tls13": {version: VersionTLS13, suites: []uint16{0x1301, 0x1302, 0x1303}, groups: tls13Groups,
		keyShares: []uint16{GroupX25519}, sessionID: testSessionID},
}

// TestRecordHostileSeeds writes the replies of the hostile servers of hostile_test.go, to
// the hellos of hostileOffers, into the seed corpus of FuzzParseServerFlight, as
// hostile-<version>-<server>. Run it with -record-seeds.
func TestRecordHostileSeeds(t *testing.T) {
	if !*recordSeeds {
		t.Skip("run with -record-seeds to refresh the fuzz seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParseServerFlight")
	for _, hs := range hostileServers {
		for _, v := range hs.broken {
			key := map[uint16]string{VersionTLS10: "tls10", VersionTLS12: "tls12", VersionTLS13: "tls13"}[v]
			if key == "" {
				continue
			}
			name := "hostile-" + key + "-" + strings.Map(func(r rune) rune {
				if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' {
					return r
				}
				return '-'
			}, strings.ToLower(hs.name))
			b := hs.reply(hostileOffers[key])
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// captureFlight sends hello to addr and returns everything the server sends until it stops
// for 300ms.
func captureFlight(t *testing.T, addr string, hello ClientHello) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(BuildClientHello(hello)); err != nil {
		t.Fatal(err)
	}
	var flight []byte
	buf := make([]byte, 1<<16)
	for {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		flight = append(flight, buf[:n]...)
		if err != nil {
			return flight
		}
	}
}

// TestSeedCorpus checks the parser on the recorded replies of real servers: whole flights
// parse without error into what their names say.
func TestSeedCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParseServerFlight", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		if strings.HasPrefix(name, "hostile-") {
			checkHostileSeed(t, file)
			continue
		}
		if !strings.HasPrefix(name, "go-") && !strings.HasPrefix(name, "openssl-") || strings.HasSuffix(name, "-truncated") {
			continue
		}
		reply, err := ParseServerFlight(readSeed(t, file))
		switch {
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case strings.Contains(name, "-alert-") != (reply.Alert != nil):
			t.Errorf("%s: reply %s", name, replyString(reply))
		case strings.Contains(name, "tls12") && (reply.KeyExchange == nil || reply.KeyExchange.Group == 0 && reply.KeyExchange.DHBits == 0):
			t.Errorf("%s: no key exchange in %s", name, replyString(reply))
		case strings.Contains(name, "hello-retry") != (reply.ServerHello != nil && reply.ServerHello.HelloRetry):
			t.Errorf("%s: reply %s", name, replyString(reply))
		}
	}
}

// checkHostileSeed checks that a hostile seed parses, and breaks the protocol for the hello
// it answers.
func checkHostileSeed(t *testing.T, file string) {
	t.Helper()
	name := filepath.Base(file)
	b := readSeed(t, file)
	reply, err := ParseServerFlight(b)
	if reply.ServerHello == nil {
		t.Errorf("%s: reply %s, error %v", name, replyString(reply), err)
		return
	}
	o := hostileOffers[strings.Split(name, "-")[1]]
	h := ClientHello{Version: o.version, CipherSuites: o.suites, Groups: o.groups, KeyShare: len(o.keyShares) > 0}
	got := judge(context.Background(), h, builtHello{sessionID: o.sessionID, groups: o.groups, keyShares: o.keyShares}, reply, err)
	if got.verdict != unknown || !strings.HasPrefix(got.reason, "protocol violation: ") {
		t.Errorf("%s: judged %v (%s), want a protocol violation", name, got.verdict, got.reason)
	}
}

func readSeed(t *testing.T, file string) []byte {
	t.Helper()
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(content)), "\n")
	quoted := strings.TrimSuffix(strings.TrimPrefix(lines[len(lines)-1], "[]byte("), ")")
	b, err := strconv.Unquote(quoted)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(file), err)
	}
	return []byte(b)
}
