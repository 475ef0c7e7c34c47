// Package target parses what a user types as the endpoint to probe: a host,
// host:port, [v6]:port, an IP literal or an https:// URL.
package target

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// DefaultPort is the port webhook senders use when a URL names none.
const DefaultPort = 443

// Target is a parsed probe target.
type Target struct {
	// Input is what the user typed, verbatim.
	Input string `json:"input"`
	// Host is the DNS name or IP literal (without brackets) to connect to.
	Host string `json:"host"`
	// Port is the TCP port.
	Port int `json:"port"`
	// SNI is the server name sent in the ClientHello; empty when none is
	// sent (an IP literal without --sni: an IP is never sent as SNI).
	SNI string `json:"sni"`
	// Path is the path and query of an https:// URL target, "" otherwise.
	Path string `json:"path,omitempty"`
}

// IsIP reports whether Host is an IP literal.
func (t Target) IsIP() bool {
	_, err := netip.ParseAddr(t.Host)
	return err == nil
}

// HostPort is Host and Port joined for dialing and messages.
func (t Target) HostPort() string {
	return net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

// VerifyName is the name the certificate must cover: the SNI when one is
// sent, otherwise the host (an IP literal, matched against IP SANs).
func (t Target) VerifyName() string {
	if t.SNI != "" {
		return t.SNI
	}
	return t.Host
}

// Error is a target the user typed that cannot be probed. Hint says what to
// type instead.
type Error struct {
	Input string
	Msg   string
	Hint  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid target %q: %s", e.Input, e.Msg)
}

// Parse parses input. sni, when not empty, overrides the server name sent;
// it must be a DNS name.
func Parse(input, sni string) (Target, error) {
	bad := func(msg, hint string) (Target, error) {
		return Target{}, &Error{Input: input, Msg: msg, Hint: hint}
	}
	s := input
	if strings.TrimSpace(s) == "" {
		return bad("empty target", "give a host name, host:port or https:// URL, e.g. wacheck probe api.example.com")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return bad("contains white space", "give one host name, host:port or https:// URL")
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return bad("contains control characters", "give one host name, host:port or https:// URL")
		}
	}
	t := Target{Input: input}
	if i := strings.Index(s, "://"); i >= 0 {
		scheme := strings.ToLower(s[:i])
		if scheme != "https" {
			return bad(fmt.Sprintf("scheme %q is not https", scheme),
				"webhook senders deliver over HTTPS only: use https://"+s[i+3:])
		}
		u, err := url.Parse(s)
		if err != nil {
			return bad("not a valid URL", "check the URL's syntax, e.g. https://api.example.com/webhook")
		}
		if u.User != nil {
			return bad("URL carries user info", "remove the user:password@ part")
		}
		if u.Host == "" {
			return bad("URL has no host", "e.g. https://api.example.com/webhook")
		}
		t.Path = u.EscapedPath()
		if u.RawQuery != "" {
			t.Path += "?" + u.RawQuery
		}
		s = u.Host
	} else if strings.ContainsAny(s, "/?#@") {
		return bad("not a host name", "give a host name, host:port or a full https:// URL")
	}

	host, port, err := splitHostPort(s)
	if err != nil {
		return bad(err.Error(), "give the port as a number from 1 to 65535, e.g. api.example.com:8443")
	}
	t.Host, t.Port = host, port

	// "1.2.3.4." is the IP address 1.2.3.4 written as a fully qualified
	// name: a client sends it no SNI, so it is an IP literal here too.
	if a, err := netip.ParseAddr(strings.TrimSuffix(host, ".")); err == nil && a.Is4() {
		host = a.String()
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return bad("IPv6 zones are not supported", "give the address without %zone")
		}
		t.Host = addr.String()
	} else {
		name, err := checkName(host)
		if err != nil {
			return bad(err.Error(), "give a DNS name such as api.example.com")
		}
		t.Host = name
		t.SNI = name
	}
	if sni != "" {
		if _, err := netip.ParseAddr(strings.TrimSuffix(sni, ".")); err == nil {
			return bad("--sni must be a DNS name, not an IP address", "an IP is never sent as SNI; give the name the certificate is for")
		}
		name, err := checkName(sni)
		if err != nil {
			return bad("--sni: "+err.Error(), "give the DNS name the certificate is for")
		}
		t.SNI = name
	}
	return t, nil
}

// splitHostPort splits host, host:port, [v6] and [v6]:port.
func splitHostPort(s string) (string, int, error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", 0, errors.New("missing ] after IPv6 address")
		}
		host, rest := s[1:end], s[end+1:]
		if _, err := netip.ParseAddr(host); err != nil || !strings.Contains(host, ":") {
			return "", 0, fmt.Errorf("%q is not an IPv6 address", host)
		}
		if rest == "" {
			return host, DefaultPort, nil
		}
		if !strings.HasPrefix(rest, ":") {
			return "", 0, fmt.Errorf("unexpected %q after ]", rest)
		}
		p, err := parsePort(rest[1:])
		return host, p, err
	}
	if strings.Count(s, ":") > 1 {
		// A bare IPv6 literal without a port.
		if _, err := netip.ParseAddr(s); err == nil {
			return s, DefaultPort, nil
		}
		return "", 0, errors.New("too many colons (write IPv6 addresses as [addr]:port)")
	}
	host, portStr, found := strings.Cut(s, ":")
	if !found {
		return host, DefaultPort, nil
	}
	p, err := parsePort(portStr)
	return host, p, err
}

func parsePort(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty port")
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %q out of range", s)
	}
	return p, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// checkName validates a DNS name and returns it lower-cased without a
// trailing dot.
func checkName(name string) (string, error) {
	name = strings.TrimSuffix(name, ".")
	if !isASCII(name) {
		// An internationalised name: senders look up its A-label form.
		a, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", fmt.Errorf("invalid internationalised host name: %v", err)
		}
		name = a
	}
	name = strings.ToLower(name)
	if name == "" {
		return "", errors.New("empty host name")
	}
	if len(name) > 253 {
		return "", errors.New("host name longer than 253 characters")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return "", errors.New("host name has an empty label")
		}
		if len(label) > 63 {
			return "", errors.New("host name label longer than 63 characters")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("label %q starts or ends with a hyphen", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", fmt.Errorf("invalid character %q in host name", c)
			}
		}
	}
	return name, nil
}
