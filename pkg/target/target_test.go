package target

import (
	"errors"
	"net"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, sni string
		want    Target
	}{
		{"api.example.com", "", Target{Host: "api.example.com", Port: 443, SNI: "api.example.com"}},
		{"API.Example.COM.", "", Target{Host: "api.example.com", Port: 443, SNI: "api.example.com"}},
		{"api.example.com:8443", "", Target{Host: "api.example.com", Port: 8443, SNI: "api.example.com"}},
		{"localhost", "", Target{Host: "localhost", Port: 443, SNI: "localhost"}},
		{"127.0.0.1", "", Target{Host: "127.0.0.1", Port: 443}},
		{"127.0.0.1:8443", "api.example.com", Target{Host: "127.0.0.1", Port: 8443, SNI: "api.example.com"}},
		{"[::1]:8443", "", Target{Host: "::1", Port: 8443}},
		{"[2001:db8::1]", "", Target{Host: "2001:db8::1", Port: 443}},
		{"2001:db8::1", "", Target{Host: "2001:db8::1", Port: 443}},
		{"https://api.example.com/webhook?x=1", "", Target{Host: "api.example.com", Port: 443, SNI: "api.example.com", Path: "/webhook?x=1"}},
		{"HTTPS://api.example.com:9443", "", Target{Host: "api.example.com", Port: 9443, SNI: "api.example.com"}},
		{"https://[::1]:8443/hook", "x.example", Target{Host: "::1", Port: 8443, SNI: "x.example", Path: "/hook"}},
		{"_dmarc-x.example.com", "", Target{Host: "_dmarc-x.example.com", Port: 443, SNI: "_dmarc-x.example.com"}},
		{"Bücher.example", "", Target{Host: "xn--bcher-kva.example", Port: 443, SNI: "xn--bcher-kva.example"}},
		// An IP address with a trailing dot is an IP literal: no SNI is
		// sent for it, so none may be claimed (found by FuzzParse).
		{"127.0.3.1.", "", Target{Host: "127.0.3.1", Port: 443}},
		{"127.0.3.1.:8443", "api.example.com", Target{Host: "127.0.3.1", Port: 8443, SNI: "api.example.com"}},
		{"https://1.2.3.4./hook", "", Target{Host: "1.2.3.4", Port: 443, Path: "/hook"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.sni)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", tt.in, tt.sni, err)
			continue
		}
		tt.want.Input = tt.in
		if got != tt.want {
			t.Errorf("Parse(%q, %q) = %+v, want %+v", tt.in, tt.sni, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ in, sni, msg string }{
		{"", "", "empty target"},
		{"   ", "", "empty target"},
		{"api example.com", "", "contains white space"},
		{"http://api.example.com", "", `scheme "http" is not https`},
		{"ftp://x", "", `scheme "ftp" is not https`},
		{"api.example.com:99999", "", `port "99999" out of range`},
		{"api.example.com:0", "", `port "0" out of range`},
		{"api.example.com:", "", "empty port"},
		{"api.example.com:http", "", `port "http" out of range`},
		{"api.example.com/webhook", "", "not a host name"},
		{"https://user:pw@api.example.com", "", "URL carries user info"},
		{"https:///path", "", "URL has no host"},
		{"-bad.example.com", "", `label "-bad" starts or ends with a hyphen`},
		{"a..b", "", "host name has an empty label"},
		{"[::1", "", "missing ] after IPv6 address"},
		{"[1.2.3.4]:443", "", `"1.2.3.4" is not an IPv6 address`},
		{"[::1]x", "", `unexpected "x" after ]`},
		{"fe80::1%eth0", "", "IPv6 zones are not supported"},
		{"1:2:3", "", "too many colons (write IPv6 addresses as [addr]:port)"},
		{"[fe80::1%25eth0]:443", "", "IPv6 zones are not supported"},
		{"1.2.3.4", "5.6.7.8", "--sni must be a DNS name, not an IP address"},
		{"1.2.3.4", "5.6.7.8.", "--sni must be a DNS name, not an IP address"},
		{"1.2.3.4", "bad name", "--sni: invalid character ' ' in host name"},
		{"exa\x00mple.com", "", "contains control characters"},
		{"ex*ample.com", "", "invalid character '*' in host name"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, tt.sni)
		var te *Error
		if !errors.As(err, &te) {
			t.Errorf("Parse(%q, %q) error = %v, want a *target.Error", tt.in, tt.sni, err)
			continue
		}
		if te.Msg != tt.msg {
			t.Errorf("Parse(%q, %q) msg = %q, want %q", tt.in, tt.sni, te.Msg, tt.msg)
		}
		if te.Hint == "" {
			t.Errorf("Parse(%q, %q) has no hint", tt.in, tt.sni)
		}
	}
}

func TestVerifyName(t *testing.T) {
	tg, _ := Parse("127.0.0.1", "")
	if got := tg.VerifyName(); got != "127.0.0.1" {
		t.Errorf("VerifyName() = %q, want the IP", got)
	}
	tg, _ = Parse("127.0.0.1", "api.example.com")
	if got := tg.VerifyName(); got != "api.example.com" {
		t.Errorf("VerifyName() = %q, want the SNI", got)
	}
	if got := tg.HostPort(); got != "127.0.0.1:443" {
		t.Errorf("HostPort() = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"api.example.com", "[::1]:443", "https://a.b/c?d", "1.2.3.4:5", "%", "[", "https://[::1"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, in, sni string) {
		tg, err := Parse(in, sni)
		if err != nil {
			return
		}
		if tg.Port < 1 || tg.Port > 65535 || tg.Host == "" {
			t.Fatalf("Parse(%q) = %+v: invalid result", in, tg)
		}
		if tg.IsIP() && tg.SNI == tg.Host {
			t.Fatalf("Parse(%q) sends an IP as SNI", in)
		}
		// Go's client sends no SNI for what net.ParseIP reads as an IP,
		// so a target claiming one would report SNI that was never sent.
		if tg.SNI != "" && net.ParseIP(tg.SNI) != nil {
			t.Fatalf("Parse(%q, %q) = SNI %q, an IP address no client sends", in, sni, tg.SNI)
		}
	})
}
