package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/pkg/profile"
)

func runSendersWith(t *testing.T, sender, format string) (string, error) {
	t.Helper()
	ios, out, errOut := streams(false, false)
	err := runSenders(&SendersOptions{IO: ios, Sender: sender, Format: format})
	if errOut.Len() != 0 {
		t.Errorf("the run function wrote to stderr: %q", errOut)
	}
	return out.String(), err
}

func TestSendersList(t *testing.T) {
	out, err := runSendersWith(t, "", "text")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "SENDER") {
		t.Errorf("no header: %q", lines[0])
	}
	for i, p := range profile.All() {
		line := lines[1+i]
		if !strings.HasPrefix(line, p.Key+" ") || !strings.Contains(line, p.Name) {
			t.Errorf("line %d = %q, want %s and its name", i+1, line, p.Key)
		}
		if isDefault := strings.HasSuffix(line, "(default)"); isDefault != (p.Key == profile.Default) {
			t.Errorf("line %q: default marked %v", line, isDefault)
		}
	}
}

func TestSendersListJSON(t *testing.T) {
	out, err := runSendersWith(t, "", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Default string `json:"default"`
		Senders []struct {
			Key     string `json:"key"`
			Name    string `json:"name"`
			Default bool   `json:"default"`
		} `json:"senders"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Default != profile.Default || len(got.Senders) != len(profile.All()) {
		t.Fatalf("list = %+v", got)
	}
	for i, p := range profile.All() {
		s := got.Senders[i]
		if s.Key != p.Key || s.Name != p.Name || s.Default != (p.Key == profile.Default) {
			t.Errorf("sender %d = %+v, want %s", i, s, p.Key)
		}
	}
}

// TestSenderInFull checks that one sender's page shows everything the
// profile holds, and says for every fact where it comes from.
func TestSenderInFull(t *testing.T) {
	out, err := runSendersWith(t, "meta", "text")
	if err != nil {
		t.Fatal(err)
	}
	p := profile.MustLookup("meta")
	for _, want := range []string{
		"meta: Meta (WhatsApp Cloud API) (default)",
		"TLS 1.2 to TLS 1.3",
		"1. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		"4. TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256",
		"X25519MLKEM768, x25519, secp256r1, secp384r1",
		"key shares      X25519MLKEM768 and x25519",
		"rsa_pss_rsae_sha256, ecdsa_secp256r1_sha256",
		"h2, http/1.1",
		"sent (never for an IP address)",
		"no: the server must send its intermediates",
		"client.webhooks.fbclientcerts.com",
		"Meta's outbound API CA",
		"meta-outbound-api-ca-2025-12.pem",
		"getting-started#downloadable-ca-certificate",
		"DigiCert High Assurance EV Root CA, not used since 2026-04-15",
		"DigiCert SHA2 High Assurance Server CA, not used since 2026-04-15",
		"response   5s",
		"ports      any",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(out, "_WITH_CHACHA20") {
		t.Error("meta offers no ChaCha20 TLS 1.2 suite")
	}
	_, facts, ok := strings.Cut(out, "\nFacts")
	if !ok {
		t.Fatal("no Facts section")
	}
	lines := strings.Split(facts, "\n")
	for _, f := range p.Facts {
		status := "assumption"
		if f.Documented {
			status = "documented (" + f.Source + ")"
		} else if f.Source != "" {
			status = "assumption (after " + f.Source + ")"
		}
		i := slices.IndexFunc(lines, func(l string) bool {
			l = strings.TrimSpace(l)
			return strings.HasPrefix(l, f.Topic+"  ") && strings.HasSuffix(l, "  "+f.Value)
		})
		if i < 0 || i+1 == len(lines) {
			t.Errorf("fact %q is not shown", f.Topic)
			continue
		}
		if got := strings.TrimSpace(lines[i+1]); got != status {
			t.Errorf("fact %q: marked %q, want %q", f.Topic, got, status)
		}
	}
}

func TestSenderWithoutClientCert(t *testing.T) {
	out, err := runSendersWith(t, "generic", "text")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"generic: a strict modern client", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
		"key shares      x25519 (", "certificate  none", "response   not known"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(out, "(default)") || strings.Contains(out, "X25519MLKEM768,") {
		t.Errorf("generic is neither the default nor post-quantum:\n%s", out)
	}
}

func TestSenderJSON(t *testing.T) {
	out, err := runSendersWith(t, "meta", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Key       string `json:"key"`
		Default   bool   `json:"default"`
		TLSClient struct {
			MinVersion string `json:"min_version"`
			Suites12   []struct {
				ID, Name string
			} `json:"tls12_suites"`
			Groups    []string `json:"groups"`
			KeyShares []string `json:"key_shares"`
			SNI       bool     `json:"sni"`
		} `json:"tls_client"`
		ClientCert *struct {
			CommonName string `json:"common_name"`
			IssuerFile string `json:"issuer_file"`
			Retired    []struct {
				Name, Until string
			} `json:"retired_issuers"`
		} `json:"client_certificate"`
		Deadlines struct {
			ResponseMS int64 `json:"response_ms"`
		} `json:"deadlines"`
		Ports []int `json:"ports"`
		Facts []struct {
			Topic      string `json:"topic"`
			Documented bool   `json:"documented"`
			Source     string `json:"source"`
		} `json:"facts"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	p := profile.MustLookup("meta")
	if got.Key != "meta" || !got.Default || got.TLSClient.MinVersion != "TLS 1.2" || !got.TLSClient.SNI {
		t.Errorf("sender = %+v", got)
	}
	if len(got.TLSClient.Suites12) != len(p.Suites12) || got.TLSClient.Suites12[0].ID != "0xC02B" {
		t.Errorf("TLS 1.2 suites = %+v", got.TLSClient.Suites12)
	}
	if strings.Join(got.TLSClient.KeyShares, ",") != "X25519MLKEM768,x25519" || got.TLSClient.Groups[0] != "X25519MLKEM768" {
		t.Errorf("groups = %v, key shares = %v", got.TLSClient.Groups, got.TLSClient.KeyShares)
	}
	if c := got.ClientCert; c == nil || c.CommonName != p.ClientCert.CommonName || c.IssuerFile != p.ClientCert.IssuerFile ||
		len(c.Retired) != 2 || c.Retired[0].Until != "2026-04-15" {
		t.Errorf("client certificate = %+v", got.ClientCert)
	}
	if got.Deadlines.ResponseMS != 5000 || got.Ports == nil || len(got.Ports) != 0 {
		t.Errorf("deadlines = %+v, ports = %v", got.Deadlines, got.Ports)
	}
	if len(got.Facts) != len(p.Facts) {
		t.Fatalf("%d facts, want %d", len(got.Facts), len(p.Facts))
	}
	for i, f := range p.Facts {
		if g := got.Facts[i]; g.Topic != f.Topic || g.Documented != f.Documented || g.Source != f.Source {
			t.Errorf("fact %d = %+v, want %+v", i, g, f)
		}
	}

	out, err = runSendersWith(t, "generic", "json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `"client_certificate": null`) {
		t.Errorf("generic has no client certificate:\n%s", out)
	}
}

func TestSendersUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		sender, format, msg, hint string
	}{
		{"nope", "text", `unknown sender "nope"`, "known senders: discord, generic, github, line, meta, msgraph, shopify, slack, stripe, twilio, twitch, zoom"},
		{"Meta ", "json", `unknown sender "Meta "`, "known senders: discord, generic, github, line, meta, msgraph, shopify, slack, stripe, twilio, twitch, zoom"},
		{"", "xml", `invalid --format "xml"`, "use --format text or --format json"},
	} {
		out, err := runSendersWith(t, tc.sender, tc.format)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("%q: err = %v, want a usage error", tc.sender, err)
		}
		if out != "" {
			t.Errorf("%q: printed %q before failing", tc.sender, out)
		}
		var stderr bytes.Buffer
		if code := exitCode(err, &stderr); code != ExitUsage {
			t.Errorf("%q: exit %d, want %d", tc.sender, code, ExitUsage)
		}
		if want := "wacheck: " + tc.msg + "\nhint: " + tc.hint + "\n"; stderr.String() != want {
			t.Errorf("stderr = %q, want %q", stderr.String(), want)
		}
	}
}

// TestSendersCommand checks the cobra layer: the argument and flag land in
// the options, more than one sender is a usage error, and the command is
// wired into the root.
func TestSendersCommand(t *testing.T) {
	ios, _, _ := streams(false, false)
	var got *SendersOptions
	cmd := newSendersCmd(ios, func(o *SendersOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"generic", "--format", "json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Sender != "generic" || got.Format != "json" {
		t.Errorf("options = %+v", got)
	}

	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"senders"}, ExitOK, "Meta (WhatsApp Cloud API) (default)"},
		{[]string{"senders", "meta"}, ExitOK, "client.webhooks.fbclientcerts.com"},
		{[]string{"senders", "meta", "generic"}, ExitUsage, ""},
		{[]string{"senders", "whatsapp"}, ExitUsage, ""},
	} {
		ios, out, errOut := streams(false, false)
		root := NewRootCmd(ios)
		root.SetArgs(tc.args)
		_, err := root.ExecuteC()
		if code := exitCode(err, errOut); code != tc.code {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, tc.code, errOut)
		}
		if !strings.Contains(out.String(), tc.out) {
			t.Errorf("%v: output lacks %q:\n%s", tc.args, tc.out, out)
		}
		if tc.code == ExitUsage && !strings.Contains(errOut.String(), "hint: ") {
			t.Errorf("%v: no hint in %q", tc.args, errOut)
		}
	}
}
