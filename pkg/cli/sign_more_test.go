package cli

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignTwilio signs Twilio's documented example through the command:
// the URL from --url, the POST parameters form-encoded on stdin in any
// order (pkg/webhook/senders_sign_test.go cites the source).
func TestSignTwilio(t *testing.T) {
	env := map[string]string{envAppSecret: "12345"}
	form := "To=%2B18005551212&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&CallSid=CA1234567890ABCDE"
	args := []string{"--sender", "twilio", "--url", "https://mycompany.com/myapp.php?foo=1&bar=2"}
	r := runSignCmd(t, form, env, args...)
	if r.code != 0 || r.stdout != "RSOYDt4T1cUTdK1PDd93/VVr8B8=\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want Twilio's RSOYDt4T1cUTdK1PDd93/VVr8B8=", r.code, r.stdout, r.stderr)
	}
	r = runSignCmd(t, form, env, append(args, "--verify", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok:") {
		t.Errorf("--verify: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// The same parameters under http:// (a handler behind a TLS-terminating
	// proxy that rebuilds the URL from what it sees) do not match.
	r = runSignCmd(t, form, env, "--sender", "twilio", "--url", "http://mycompany.com/myapp.php?foo=1&bar=2",
		"--verify", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	if r.code != 1 || !strings.Contains(r.stderr, "does not match") {
		t.Errorf("http URL: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runSignCmd(t, "%zz", env, args...)
	if r.code != 2 || !strings.Contains(r.stderr, "form-encoded") || !strings.Contains(r.stderr, "hint:") {
		t.Errorf("a body that is not a form: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestSignTwitch signs with a given message id and RFC 3339 timestamp (the
// value computed with openssl, pkg/webhook/senders_sign_test.go), and
// without them prints the ones it made up.
func TestSignTwitch(t *testing.T) {
	env := map[string]string{envAppSecret: "twitch_test_secret"}
	want := "sha256=c12e342c70cabd4c1d2c754fe3d93bd352fefc7fb6cddc24a0a42798e6beb973"
	args := []string{"--sender", "twitch", "--message-id", "wacheck-test-0001", "--timestamp", "2026-01-01T00:00:00Z"}
	r := runSignCmd(t, `{"event":{}}`, env, args...)
	if r.code != 0 || r.stdout != want+"\n" || r.stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %s", r.code, r.stdout, r.stderr, want)
	}
	r = runSignCmd(t, `{"event":{}}`, env, append(args, "--verify", want)...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok:") || !strings.Contains(r.stderr, "tolerance") {
		t.Errorf("--verify: exit %d, stdout %q, stderr %q (want ok and the 10-minute tolerance note)", r.code,
			r.stdout, r.stderr)
	}
	r = runSignCmd(t, `{"event":{}}`, env, "--sender", "twitch")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sha256=") || !strings.Contains(r.stderr, "Twitch-Eventsub-Message-Id") ||
		!strings.Contains(r.stderr, "Twitch-Eventsub-Message-Timestamp") {
		t.Errorf("without --message-id: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

// TestSignDiscord: --gen-key writes a PKCS#8 Ed25519 key and names its
// public half; --public-key prints the same; a signature made with the key
// verifies with crypto/ed25519 over timestamp + body, and --verify takes it.
func TestSignDiscord(t *testing.T) {
	r := runSignCmd(t, "", nil, "--sender", "discord", "--gen-key")
	block, _ := pem.Decode([]byte(r.stdout))
	if r.code != 0 || block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("--gen-key: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv, ok := k.(ed25519.PrivateKey)
	if err != nil || !ok {
		t.Fatalf("--gen-key wrote no Ed25519 key: %v", err)
	}
	pubHex := hex.EncodeToString(priv.Public().(ed25519.PublicKey))
	if !strings.Contains(r.stderr, "public key: "+pubHex) {
		t.Errorf("--gen-key's stderr %q lacks the public key %s", r.stderr, pubHex)
	}
	key := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(key, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runSignCmd(t, "", nil, "--sender", "discord", "--signing-key", key, "--public-key")
	if r.code != 0 || r.stdout != pubHex+"\n" {
		t.Errorf("--public-key: exit %d, stdout %q, want %s", r.code, r.stdout, pubHex)
	}
	body := `{"type":1}`
	r = runSignCmd(t, body, nil, "--sender", "discord", "--signing-key", key, "--timestamp", "1700000000")
	sig, err := hex.DecodeString(strings.TrimSpace(r.stdout))
	if r.code != 0 || err != nil || !ed25519.Verify(priv.Public().(ed25519.PublicKey), []byte("1700000000"+body), sig) {
		t.Fatalf("sign: exit %d, stdout %q, stderr %q: not an Ed25519 signature of timestamp + body", r.code, r.stdout,
			r.stderr)
	}
	r = runSignCmd(t, body, nil, "--sender", "discord", "--signing-key", key, "--timestamp", "1700000000", "--verify",
		hex.EncodeToString(sig))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "ok:") {
		t.Errorf("--verify: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runSignCmd(t, body, nil, "--sender", "discord", "--signing-key", key, "--timestamp", "1700000001", "--verify",
		hex.EncodeToString(sig))
	if r.code != 1 || !strings.Contains(r.stderr, "does not match") {
		t.Errorf("--verify, another timestamp: exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, strings.TrimSpace(string(pem.EncodeToMemory(block)))[30:60]) {
		t.Error("the private key is in the output")
	}
	for _, tc := range []struct {
		file, want string
	}{
		{"missing.pem", "--signing-key"},
		{"notpem", "not a PKCS#8 PEM private key"},
	} {
		path := filepath.Join(t.TempDir(), tc.file)
		if tc.file == "notpem" {
			os.WriteFile(path, []byte("hello"), 0o600)
		}
		r := runSignCmd(t, body, nil, "--sender", "discord", "--signing-key", path)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("%s: exit %d, stderr %q", tc.file, r.code, r.stderr)
		}
	}
	r = runSignCmd(t, body, map[string]string{envAppSecret: "x"}, "--sender", "discord", "--secret-file", key)
	if r.code != 2 || !strings.Contains(r.stderr, "--secret-file does not apply") {
		t.Errorf("--secret-file with discord: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestSignDiscordVerifyKey: a handler owner has only the application's
// public key. A signature made by a key wacheck never sees (crypto/ed25519
// here, as Discord's own) verifies with --verify-key and that key's hex;
// another body, timestamp or key does not; the flag's misuses are usage
// errors with a hint.
func TestSignDiscordVerifyKey(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	pubHex := hex.EncodeToString(pub)
	body := `{"type":1,"id":"1"}`
	sig := hex.EncodeToString(ed25519.Sign(priv, []byte("1700000000"+body)))
	verify := func(body, ts, key, sig string) *webhookRun {
		return runSignCmd(t, body, nil, "--sender", "discord", "--verify-key", key, "--timestamp", ts, "--verify", sig)
	}
	if r := verify(body, "1700000000", pubHex, sig); r.code != 0 || !strings.HasPrefix(r.stdout, "ok:") {
		t.Errorf("the sender's signature: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := verify(body, "1700000000", strings.ToUpper(pubHex), sig); r.code != 0 {
		t.Errorf("upper-case hex key: exit %d, stderr %q", r.code, r.stderr)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	for name, r := range map[string]*webhookRun{
		"another body":      verify(body+"\n", "1700000000", pubHex, sig),
		"another timestamp": verify(body, "1700000001", pubHex, sig),
		"another key":       verify(body, "1700000000", hex.EncodeToString(other), sig),
	} {
		if r.code != 1 || !strings.Contains(r.stderr, "no signature of it under this public key") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", name, r.code, r.stdout, r.stderr)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--verify-key", pubHex[:60], "--timestamp", "1", "--verify", sig}, "not an Ed25519 public key"},
		{[]string{"--verify-key", "zz" + pubHex[2:], "--timestamp", "1", "--verify", sig}, "not an Ed25519 public key"},
		{[]string{"--verify-key", pubHex, "--timestamp", "1"}, "--verify-key needs --verify"},
		{[]string{"--verify-key", pubHex, "--gen-key"}, "--verify-key takes no"},
		{[]string{"--verify-key", pubHex, "--timestamp", "1", "--verify", "abcd"}, "--verify: not an Ed25519 signature"},
		{[]string{"--verify-key", pubHex, "--verify", sig}, "needs --timestamp"},
	} {
		r := runSignCmd(t, body, nil, append([]string{"--sender", "discord"}, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	r := runSignCmd(t, body, map[string]string{envAppSecret: "x"}, "--sender", "meta", "--verify-key", pubHex,
		"--verify", "sha256=00")
	if r.code != 2 || !strings.Contains(r.stderr, "are for Ed25519 senders") {
		t.Errorf("--verify-key with meta: exit %d, stderr %q", r.code, r.stderr)
	}
}
