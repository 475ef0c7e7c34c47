package integration

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/conntrack"
	"github.com/wacheck/wacheck/internal/delayproxy"
	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/pkg/assemble"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/render"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
	"github.com/wacheck/wacheck/pkg/wacheck"
)

// BenchmarkProbe times wacheck's probe pipeline in process against a Go TLS
// server on 127.0.0.1 serving the healthy configuration (full chain, a
// stapled good response, h2), with allocations:
//
//   - handshake: one bare TLS handshake with Go's client, the floor;
//   - pipeline: wacheck.Probe as `wacheck probe` runs it (the protocol and
//     cipher enumeration included), everything but printing;
//   - pipeline-quick: the same with --enumerate=false;
//   - pipeline/rtt=50ms and pipeline-quick/rtt=50ms: the same through
//     internal/delayproxy, 25 ms each way;
//   - legacy/rtt=0s and legacy/rtt=50ms: the whole probe of issue 10's
//     legacy server, nginx with TLS 1.0 to 1.3, `ssl_ciphers
//     ALL:@SECLEVEL=0`, ffdhe2048 and an RSA 2048 leaf (91 suites with
//     OpenSSL 3.0), as scripts/bench.sh serves it; skipped without nginx
//     and openssl (failed under WACHECK_REQUIRE_INTEGRATION=1);
//   - checks: the judgement alone, over evidence recorded once;
//   - json: rendering the report as JSON.
//
// The pipeline and legacy runs report conns/op, every connection the probe
// opened (counted at its dialer: the strict handshake, the one without
// SNI, the handshakes per key type, the resumption pair and the
// enumeration), and scan-conns/op, the enumeration's alone (as the report's
// enumeration.connections, the figure issue 10 set a target for).
//
// docs/performance.md records the figures.
func BenchmarkProbe(b *testing.B) {
	now := time.Now()
	chain := testpki.NewChain(b, now)
	cert := chain.TLSCertificate(chain.Intermediate.DER)
	cert.OCSPStaple = chain.OCSPResponse(b, testpki.OCSPOptions{Now: now})
	addr := testpki.StartTLS(b, &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2", "http/1.1"},
		MinVersion:   tls.VersionTLS12,
	})
	_, port, _ := net.SplitHostPort(addr)
	tgt, err := target.Parse("localhost:"+port, "")
	if err != nil {
		b.Fatal(err)
	}
	// The CLI's defaults: enumeration on, 8 connections at once.
	cfg := wacheck.Config{
		Probe: probe.Options{
			Target:      tgt,
			Pinned:      map[string][]netip.Addr{tgt.HostPort(): {netip.MustParseAddr("127.0.0.1")}},
			Enumerate:   true,
			Concurrency: 8,
		},
		Roots: trust.New("bench", chain.Root.Cert),
	}
	quick := cfg
	quick.Probe.Enumerate = false
	ctx := context.Background()

	b.Run("handshake", func(b *testing.B) {
		b.ReportAllocs()
		tlsCfg := &tls.Config{ServerName: "localhost", RootCAs: chain.Pool(), NextProtos: probe.DefaultALPN}
		for b.Loop() {
			c, err := tls.Dial("tcp", addr, tlsCfg)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})

	// The same server a 50 ms round trip away.
	proxy, err := delayproxy.Listen("127.0.0.1:0", addr, 25*time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { proxy.Close() })
	far := func(c wacheck.Config) wacheck.Config {
		_, port, _ := net.SplitHostPort(proxy.Addr().String())
		t, err := target.Parse("localhost:"+port, "")
		if err != nil {
			b.Fatal(err)
		}
		c.Probe.Target = t
		c.Probe.Pinned = map[string][]netip.Addr{t.HostPort(): {netip.MustParseAddr("127.0.0.1")}}
		return c
	}

	for _, bc := range []struct {
		name string
		cfg  wacheck.Config
	}{{"pipeline", cfg}, {"pipeline-quick", quick}, {"pipeline/rtt=50ms", far(cfg)}, {"pipeline-quick/rtt=50ms", far(quick)}} {
		b.Run(bc.name, func(b *testing.B) {
			benchPipeline(b, bc.cfg, func(rep *report.Report) {
				// Warnings are expected (the port is not 443, Go's server
				// offers CBC suites); a failure would mean timing an error
				// path, not the pipeline.
				if rep.Worst() == report.Fail {
					b.Fatalf("the probe failed: %+v", rep.Checks)
				}
			})
		})
	}

	for _, rtt := range []time.Duration{0, 50 * time.Millisecond} {
		b.Run("legacy/rtt="+rtt.String(), func(b *testing.B) {
			benchPipeline(b, startLegacyNginx(b, rtt), func(rep *report.Report) {
				// The legacy server fails checks (it accepts insecure
				// suites): what must hold is that everything was probed.
				a := rep.Addresses
				if len(a) != 1 || a[0].TLS == nil || a[0].Enumeration == nil || a[0].Resumption == nil || a[0].NoSNI == nil {
					b.Fatalf("the probe did not get through: %+v", rep.Addresses)
				}
				if n := len(a[0].Enumeration.Protocols); n != 5 {
					b.Fatalf("%d protocols enumerated", n)
				}
				for _, p := range a[0].Enumeration.Protocols {
					if p.Offered == nil || *p.Offered != (p.Version != "SSLv3") {
						b.Fatalf("%s offered %v (%s)", p.Version, p.Offered, p.Reason)
					}
				}
			})
		})
	}

	ev := probe.Run(ctx, cfg.Probe)
	cx := checks.Context{Profile: profile.MustLookup(profile.Default), Roots: cfg.Roots,
		Thresholds: checks.DefaultThresholds(), Now: ev.StartedAt}
	b.Run("checks", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			assemble.Probe(ev, cx)
		}
	})

	rep := assemble.Probe(ev, cx)
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := render.JSON(io.Discard, rep); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchPipeline times wacheck.Probe with cfg, checking each report with ok,
// and reports every connection the probe opened (conns/op) and the
// enumeration's (scan-conns/op).
func benchPipeline(b *testing.B, cfg wacheck.Config, ok func(*report.Report)) {
	var dialed conntrack.Gauge
	cfg.Probe.Dial = dialed.Dial((&net.Dialer{}).DialContext)
	b.ReportAllocs()
	runs, scanned := 0, 0
	for b.Loop() {
		rep := wacheck.Probe(context.Background(), cfg)
		ok(rep)
		runs++
		for _, a := range rep.Addresses {
			if a.Enumeration != nil {
				scanned += a.Enumeration.Connections
			}
		}
	}
	b.ReportMetric(float64(dialed.Total())/float64(runs), "conns/op")
	if cfg.Probe.Enumerate {
		b.ReportMetric(float64(scanned)/float64(runs), "scan-conns/op")
	}
}

// startLegacyNginx starts nginx serving issue 10's legacy configuration, the one
// scripts/bench.sh calls legacy: TLS 1.0 to 1.3, `ssl_ciphers
// ALL:@SECLEVEL=0`, RFC 7919's ffdhe2048 as ssl_dhparam, an RSA 2048 leaf
// (for the RSA key-exchange suites) with its intermediate and a staple, one
// worker. It returns the CLI's configuration for a probe of it, through a
// delay proxy adding rtt when rtt is not zero.
func startLegacyNginx(b *testing.B, rtt time.Duration) wacheck.Config {
	nginx := requireBinary(b, "nginx")
	openssl := requireBinary(b, "openssl")
	dir := b.TempDir()
	now := time.Now()
	root := testpki.NewRoot(b, testpki.CAOptions{Now: now})
	inter := root.Intermediate(b, testpki.CAOptions{Now: now})
	leaf := inter.Leaf(b, testpki.LeafOptions{Now: now, DNSNames: []string{"localhost"}, KeyType: testpki.RSA2048,
		OCSPServer: []string{testpki.ChainOCSPURL}, IssuingCertificateURL: []string{testpki.ChainIssuerURL}})
	chain := &testpki.Chain{Root: root, Intermediate: inter, Leaf: leaf}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		return p
	}
	certFile := write("legacy.pem", testpki.CertsPEM(leaf.DER, inter.DER))
	keyFile := write("legacy.key", leaf.KeyPEM(b))
	stapleFile := write("legacy.ocsp.der", chain.OCSPResponse(b, testpki.OCSPOptions{Now: now}))
	dhFile := filepath.Join(dir, "ffdhe2048.pem")
	if out, err := exec.Command(openssl, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
		"-out", dhFile).CombinedOutput(); err != nil {
		b.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	port := testpki.FreePort(b, "127.0.0.1")
	conf := write("nginx.conf", fmt.Appendf(nil, `worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    default_type text/plain;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    ssl_session_cache shared:SSL:10m;
    ssl_prefer_server_ciphers off;
    server {
        listen 127.0.0.1:%[2]d ssl http2;
        server_name localhost;
        ssl_certificate     %[3]s;
        ssl_certificate_key %[4]s;
        ssl_dhparam         %[5]s;
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
        ssl_ciphers ALL:@SECLEVEL=0;
        ssl_stapling on;
        ssl_stapling_file %[6]s;
        location / { return 200 "ok\n"; }
    }
}
`, dir, port, certFile, keyFile, dhFile, stapleFile))
	cmd := exec.Command(nginx, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	b.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // the master stops its worker
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			b.Fatalf("nginx exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			b.Fatalf("nginx does not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rtt > 0 {
		proxy, err := delayproxy.Listen("127.0.0.1:0", addr, rtt/2)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { proxy.Close() })
		addr = proxy.Addr().String()
	}
	_, p, _ := net.SplitHostPort(addr)
	tgt, err := target.Parse("localhost:"+p, "")
	if err != nil {
		b.Fatal(err)
	}
	return wacheck.Config{
		Probe: probe.Options{
			Target:      tgt,
			Pinned:      map[string][]netip.Addr{tgt.HostPort(): {netip.MustParseAddr("127.0.0.1")}},
			Enumerate:   true,
			Concurrency: 8,
		},
		Roots: trust.New("bench", root.Cert),
	}
}
