package integration

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

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
//     internal/delayproxy, 25 ms each way; the pipeline runs report the
//     enumeration's connections (conns/op);
//   - checks: the judgement alone, over evidence recorded once;
//   - json: rendering the report as JSON.
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
			b.ReportAllocs()
			for b.Loop() {
				rep := wacheck.Probe(ctx, bc.cfg)
				// Warnings are expected (the port is not 443, Go's server
				// offers CBC suites); a failure would mean timing an error
				// path, not the pipeline.
				if rep.Worst() == report.Fail {
					b.Fatalf("the probe failed: %+v", rep.Checks)
				}
			}
			if bc.cfg.Probe.Enumerate {
				ev := probe.Run(ctx, bc.cfg.Probe)
				if len(ev.Endpoints) > 0 && ev.Endpoints[0].Scan != nil {
					b.ReportMetric(float64(ev.Endpoints[0].Scan.Connections), "conns/op")
				}
			}
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
