package main

// Untrusted bytes never reach the terminal raw: every field a server
// controls carries escape sequences, a bell, CR LF with lines imitating
// wacheck's own, U+202E and bytes that are not UTF-8, and the built binary
// prints none of them as they are, in text (verbose) or JSON.

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wacheck/wacheck/internal/testpki"
)

// rawControls lists what in out would reach a terminal raw: C0 controls
// other than the line feed, DEL, C1 controls, bidirectional controls, the
// Unicode line separators, and bytes that are not UTF-8.
func rawControls(out []byte) []string {
	var bad []string
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRune(out[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			bad = append(bad, "byte that is not UTF-8 at "+strconv.Itoa(i))
		case r == '\n':
		case r < 0x20 || r >= 0x7f && r < 0xa0, r == 0x2028, r == 0x2029, unicode.Is(unicode.Bidi_Control, r):
			bad = append(bad, strconv.QuoteRune(r)+" at "+strconv.Itoa(i))
		}
		i += size
	}
	return bad
}

// forged lists the lines of out that imitate wacheck's: a check row or a
// fix line that no check wrote, made of a server's words.
func forged(out []byte) []string {
	var bad []string
	for _, l := range strings.Split(string(out), "\n") {
		t := strings.TrimSpace(l)
		if strings.Contains(t, "all checks passed") && !strings.Contains(t, `\n`) ||
			strings.HasPrefix(t, "fix: nothing to do") || strings.HasPrefix(t, "PWNED") {
			bad = append(bad, l)
		}
	}
	return bad
}

func TestHostileBytesNeverReachTheTerminal(t *testing.T) {
	now := time.Now()
	h := testpki.NewHostilePKI(t, now)
	root := h.WriteRootPEM(t)
	addr := testpki.StartHostileTLS(t, h)
	_, port, _ := net.SplitHostPort(addr)
	target := "https://localhost:" + port + "/hook"
	base := []string{"probe", target, "--resolve", "localhost:" + port + ":127.0.0.1", "--ca-file", root,
		"--timeout", "5s", "--enumerate=false"}

	t.Run("text", func(t *testing.T) {
		res := runBinary(t, append(base, "--format", "text", "-v")...)
		out := []byte(res.stdout)
		for _, b := range rawControls(out) {
			t.Errorf("raw on stdout: %s", b)
		}
		for _, l := range forged(out) {
			t.Errorf("forged line: %q", l)
		}
		// The hostile values were printed, escaped: each field was fed.
		// (Words are wrapped at spaces, so what is looked for has none.)
		for _, want := range []string{
			`\x1b[2J\x1b[H\x1b[31mPWNED\x07\r\n`, // names: subject, issuer, client CA
			`\u202egnp.exe`,                      // U+202E in them
			`\u0080`,                             // a C1 control from a T61String
			`evil.example\x1b[2J\x1b[31mPWNED\x07\r\n`,         // SAN
			`http://ocsp.example/\x1b[2J\x1b[31mPWNED\x07\r\n`, // OCSP URL
			`do\xff\xfe\xc0\x80`,                               // its bytes that are not UTF-8
			`http://ca.example/\x1b[2J\x1b[31mPWNED\x07\r\n`,   // CA Issuers URL
		} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("text lacks %q", want)
			}
		}
		if !strings.Contains(res.stdout, "Client cert") || !strings.Contains(res.stdout, "Webhook URL answers") {
			t.Errorf("the client-CA list or the request is missing:\n%s", res.stdout)
		}
		if t.Failed() {
			t.Logf("stdout:\n%s", res.stdout)
		}
	})

	t.Run("json", func(t *testing.T) {
		res := runBinary(t, append(base, "--format", "json")...)
		out := []byte(res.stdout)
		for _, b := range rawControls(out) {
			t.Errorf("raw on stdout: %s", b)
		}
		if !json.Valid(out) {
			t.Fatal("not valid JSON")
		}
		for _, want := range []string{`\u001b[2J`, `\u202e`, `\u0080`} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("JSON lacks the escape %s", want)
			}
		}
		// Decoded, the facts are what the server sent; the checks' words
		// (details and fixes, shown as they are by any consumer) hold no
		// control character at all.
		var r struct {
			Checks    []struct{ ID, Detail, Remediation string } `json:"checks"`
			Addresses []struct {
				Certificates []struct {
					Subject     string   `json:"subject"`
					SANs        []string `json:"sans"`
					OCSPServers []string `json:"ocsp_servers"`
				} `json:"certificates"`
				ClientAuth *struct {
					AcceptableCAs []string `json:"acceptable_cas"`
				} `json:"client_auth"`
				OCSP *struct {
					Responder string `json:"responder"`
				} `json:"ocsp"`
			} `json:"addresses"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Checks {
			for _, s := range []string{c.Detail, c.Remediation} {
				if bad := rawControls([]byte(s)); len(bad) > 0 {
					t.Errorf("%s: %v in %q", c.ID, bad, s)
				}
			}
		}
		a := r.Addresses[0]
		if len(a.Certificates) == 0 || !strings.Contains(a.Certificates[0].Subject, "\x1b[2J") ||
			a.ClientAuth == nil || len(a.ClientAuth.AcceptableCAs) != 1 || !strings.Contains(a.ClientAuth.AcceptableCAs[0], "\u202e") {
			t.Errorf("the facts lost what the server sent: %+v", a)
		}
		if a.OCSP == nil || !strings.Contains(a.OCSP.Responder, "PWNED") {
			t.Errorf("the OCSP responder name = %+v", a.OCSP)
		}
	})

	// An alert number no registry knows is named by number.
	t.Run("unknown alert", func(t *testing.T) {
		_, port, _ := net.SplitHostPort(testpki.StartAlert(t, 0xff))
		res := runBinary(t, "probe", "localhost:"+port, "--resolve", "localhost:"+port+":127.0.0.1", "--timeout", "3s")
		if bad := rawControls([]byte(res.stdout)); len(bad) > 0 {
			t.Errorf("raw on stdout: %v", bad)
		}
		if !strings.Contains(res.stdout, "255") {
			t.Errorf("the alert is not named:\n%s", res.stdout)
		}
	})
}
