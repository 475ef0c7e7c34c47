package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/checks"
)

func streams(tty, noColorEnv bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, OutTTY: tty, NoColorEnv: noColorEnv}, &out, &errOut
}

func TestColorIsDecidedOnce(t *testing.T) {
	tests := []struct {
		tty, env, flag, want bool
	}{
		{true, false, false, true},
		{true, true, false, false},
		{true, false, true, false},
		{false, false, false, false},
	}
	for _, tt := range tests {
		ios, _, _ := streams(tt.tty, tt.env)
		if got := ios.ColorEnabled(tt.flag); got != tt.want {
			t.Errorf("tty=%v NO_COLOR=%v --no-color=%v: colour %v, want %v", tt.tty, tt.env, tt.flag, got, tt.want)
		}
	}
}

// TestFlagsFillOptions checks the cobra layer: flags are validated and land
// in the options struct the run function takes.
func TestFlagsFillOptions(t *testing.T) {
	ios, _, _ := streams(false, false)
	var got *ProbeOptions
	cmd := newProbeCmd(ios, func(_ context.Context, o *ProbeOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"https://Hooks.Example.com:8443/wh", "--format", "json", "--fail-on", "warn", "--timeout", "3s",
		"--resolve", "hooks.example.com:8443:127.0.0.2,[::1]", "--samples", "3", "--address", "127.0.0.2",
		"--handshake-warn", "300ms", "--expiry-warn", "14", "--concurrency", "4", "--enumerate=false", "--resolver", "127.0.0.1:5353"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Target.Host != "hooks.example.com" || got.Target.Port != 8443 || got.Target.Path != "/wh" {
		t.Errorf("target = %+v", got.Target)
	}
	if got.Format != "json" || got.FailOn != "warn" || got.Timeout != 3*time.Second || got.Samples != 3 ||
		got.Concurrency != 4 || got.Enumerate || got.ResolverAddr != "127.0.0.1:5353" {
		t.Errorf("options = %+v", got)
	}
	if got.Only != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("address = %v", got.Only)
	}
	pins := got.Pinned["hooks.example.com:8443"]
	if len(pins) != 2 || pins[1] != netip.MustParseAddr("::1") {
		t.Errorf("pins = %v", got.Pinned)
	}
	if got.Thresholds.HandshakeWarn != 300*time.Millisecond || got.Thresholds.ExpiryWarn != 14*24*time.Hour ||
		got.Thresholds.ExpiryWarnRelative {
		t.Errorf("thresholds = %+v", got.Thresholds)
	}
	if got.Roots == nil || got.Roots.Name != "mozilla" || got.Roots.Count < 100 {
		t.Errorf("roots = %+v", got.Roots)
	}
}

func TestParseResolver(t *testing.T) {
	for in, want := range map[string]string{"1.1.1.1": "1.1.1.1:53", "127.0.0.1:5353": "127.0.0.1:5353",
		"::1": "[::1]:53", "[::1]:5353": "[::1]:5353"} {
		if got, err := parseResolver(in); err != nil || got != want {
			t.Errorf("parseResolver(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"dns.google", "1.1.1.1:0", "1.1.1.1:99999", "", "[::1"} {
		if _, err := parseResolver(bad); err == nil {
			t.Errorf("parseResolver(%q) accepted", bad)
		}
	}
}

func TestExitCodeMap(t *testing.T) {
	tests := []struct {
		err    error
		code   int
		stderr string
	}{
		{nil, 0, ""},
		{ErrFindings, 1, ""},
		{fmt.Errorf("wrapped: %w", ErrFindings), 1, ""},
		{usageErrorf("do this", "bad %s", "thing"), 2, "wacheck: bad thing\nhint: do this\n"},
		{&RuntimeError{Err: errors.New("writing the report: broken pipe")}, 1, "wacheck: writing the report: broken pipe\n"},
		{errors.New(`unknown command "x" for "wacheck"`), 2, "wacheck: unknown command \"x\" for \"wacheck\"\nhint: run 'wacheck --help' for usage\n"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if got := exitCode(tt.err, &stderr); got != tt.code || stderr.String() != tt.stderr {
			t.Errorf("exitCode(%v) = %d, %q; want %d, %q", tt.err, got, stderr.String(), tt.code, tt.stderr)
		}
	}
}

// probeOpts builds options for a loopback server through the flags.
func probeOpts(t *testing.T, ios *IOStreams, addr, root string, args ...string) *ProbeOptions {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	var got *ProbeOptions
	cmd := newProbeCmd(ios, func(_ context.Context, o *ProbeOptions) error { got = o; return nil })
	cmd.SetArgs(append([]string{"localhost:" + port, "--resolve", "localhost:" + port + ":127.0.0.1", "--ca-file", root}, args...))
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestRunProbe(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	root := c.WriteRootPEM(t, "")
	good := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate(c.Intermediate.DER)}, NextProtos: []string{"h2"}})
	broken := testpki.StartTLS(t, &tls.Config{Certificates: []tls.Certificate{c.TLSCertificate()}})

	t.Run("json, fails at warn", func(t *testing.T) {
		ios, out, _ := streams(false, false)
		err := runProbe(context.Background(), probeOpts(t, ios, good, root, "--format", "json", "--fail-on", "warn"))
		if !errors.Is(err, ErrFindings) {
			t.Errorf("err = %v, want ErrFindings (connect.port warns off 443)", err)
		}
		var rep struct {
			Status   string `json:"status"`
			Settings struct {
				FailOn string `json:"fail_on"`
			} `json:"settings"`
			Tool struct{ Name string } `json:"tool"`
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Status != "warn" || rep.Settings.FailOn != "warn" || rep.Tool.Name != "wacheck" {
			t.Errorf("report = %+v", rep)
		}
	})
	t.Run("text on a terminal is coloured", func(t *testing.T) {
		ios, out, _ := streams(true, false)
		if err := runProbe(context.Background(), probeOpts(t, ios, broken, root)); !errors.Is(err, ErrFindings) {
			t.Errorf("err = %v, want ErrFindings", err)
		}
		if !strings.Contains(out.String(), "\x1b[") {
			t.Error("no colour on a terminal")
		}
	})
	t.Run("NO_COLOR", func(t *testing.T) {
		ios, out, _ := streams(true, true)
		_ = runProbe(context.Background(), probeOpts(t, ios, broken, root))
		if strings.Contains(out.String(), "\x1b[") {
			t.Error("colour despite NO_COLOR")
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		ios, _, _ := streams(false, false)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var ie *InterruptedError
		if err := runProbe(ctx, probeOpts(t, ios, good, root)); !errors.As(err, &ie) || !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("err = %v, want an InterruptedError", err)
		}
	})
}

// TestExpiryWarnGiven: --expiry-warn given, even at its default value, is
// used as is; left out, the warning is relative to a certificate's lifetime.
func TestExpiryWarnGiven(t *testing.T) {
	p := newCertPKI(t)
	leaf := p.file(t, "leaf.pem", p.Leaf.PEM())
	for _, tt := range []struct {
		args     []string
		relative bool
	}{
		{nil, true},
		{[]string{"--expiry-warn", "30"}, false},
		{[]string{"--expiry-warn", "7"}, false},
	} {
		ios, _, _ := streams(false, false)
		var probeTh, certTh checks.Thresholds
		probe := newProbeCmd(ios, func(_ context.Context, o *ProbeOptions) error { probeTh = o.Thresholds; return nil })
		probe.SetArgs(append([]string{"hooks.example.com"}, tt.args...))
		cert := newCertCmd(ios, func(_ context.Context, o *CertOptions) error { certTh = o.Thresholds; return nil })
		cert.SetArgs(append([]string{leaf}, tt.args...))
		for _, cmd := range []interface{ Execute() error }{probe, cert} {
			if err := cmd.Execute(); err != nil {
				t.Fatalf("%v: %v", tt.args, err)
			}
		}
		if probeTh.ExpiryWarnRelative != tt.relative || certTh.ExpiryWarnRelative != tt.relative {
			t.Errorf("%v: relative = %v (probe), %v (cert), want %v", tt.args, probeTh.ExpiryWarnRelative,
				certTh.ExpiryWarnRelative, tt.relative)
		}
	}
}
