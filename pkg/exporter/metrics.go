package exporter

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wacheck/wacheck/internal/escape"
	"github.com/wacheck/wacheck/pkg/report"
)

// Error reasons: wacheck_probe_error's reason label.
const (
	ReasonNone        = "none"
	ReasonBadTarget   = "bad_target"
	ReasonRateLimited = "rate_limited"
	ReasonBusy        = "busy"
	ReasonTimeout     = "timeout"
	ReasonDNS         = "dns"
	ReasonConnect     = "connect"
	ReasonTLS         = "tls"
	ReasonInternal    = "internal"
)

// Label bounds (docs/metrics.md).
const (
	maxCNBytes     = 64
	maxSerialChars = 40
	// maxAddressLabels bounds the addresses that get series: the probe's
	// own cap on the addresses it takes from DNS is higher than any real
	// name needs.
	maxAddressLabels = 64
)

// StatusValue is a status as a metric value: pass 0, info 1, skip 2, warn 3,
// fail 4 (higher is worse); -1 for what is none of them.
func StatusValue(s report.Status) float64 {
	switch s {
	case report.Pass:
		return 0
	case report.Info:
		return 1
	case report.Skip:
		return 2
	case report.Warn:
		return 3
	case report.Fail:
		return 4
	}
	return -1
}

// failOnValue is the status value at or above which a check fails a probe.
func failOnValue(level string) float64 {
	switch level {
	case "pass":
		return 0
	case "info":
		return 1
	case "warn":
		return 3
	case "never":
		return 5
	}
	return 4
}

// outcome is one probe's result, what its metrics are made of.
type outcome struct {
	rep *report.Report // nil when no probe ran
	// reason is wacheck_probe_error's reason.
	reason   string
	success  bool
	duration time.Duration
	at       time.Time
}

// worst is the worst check's status value, 0 without checks.
func worst(rep *report.Report) float64 {
	w := 0.0
	for _, c := range rep.Checks {
		w = max(w, StatusValue(c.Status))
	}
	return w
}

// judge fills in o's reason and success from its report.
func (o *outcome) judge(m *Module, timeout time.Duration) {
	if o.rep == nil {
		if o.reason == "" {
			o.reason = ReasonInternal
		}
		return
	}
	o.reason = reason(o.rep, o.duration >= timeout)
	o.success = o.reason == ReasonNone && worst(o.rep) < failOnValue(m.FailOn)
}

// reason says why a probe that ran could not judge the server: none when an
// address completed the handshake, else timeout (the probe used up its
// time, or every address timed out), dns (no address), tls (a handshake
// failed) or connect.
func reason(rep *report.Report, timedOut bool) string {
	handshake, timeouts := false, 0
	for _, a := range rep.Addresses {
		switch {
		case a.ErrorKind == "" && a.TLS != nil, a.ErrorKind == "http_refused":
			return ReasonNone
		case a.ErrorKind == "timeout":
			timeouts++
		}
		if a.HandshakeAttempt {
			handshake = true
		}
	}
	switch {
	case timedOut || len(rep.Addresses) > 0 && timeouts == len(rep.Addresses):
		return ReasonTimeout
	case len(rep.Addresses) == 0:
		return ReasonDNS
	case handshake:
		return ReasonTLS
	}
	return ReasonConnect
}

// families are a probe's metrics, built from its outcome.
func families(m *Module, o *outcome) []*family {
	var fams []*family
	gauge := func(name, help string, labels ...string) *family {
		f := newFamily(name, help, typeGauge, labels...)
		fams = append(fams, f)
		return f
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	gauge("wacheck_probe_success", "1 when no check is at or above the module's fail_on level and the probe ran.").
		set(b2f(o.success))
	gauge("wacheck_probe_duration_seconds", "Wall time of the probe run.").
		set(o.duration.Seconds())
	gauge("wacheck_probe_error", "1 for the reason the probe could not judge the server, none when it could.", "reason").
		set(1, o.reason)
	th := m.Thresholds
	hs := gauge("wacheck_handshake_threshold_seconds", "The module's TLS handshake thresholds.", "level")
	hs.set(th.HandshakeWarn.Seconds(), "warn")
	hs.set(th.HandshakeFail.Seconds(), "fail")

	rep := o.rep
	if rep == nil {
		return fams
	}
	gauge("wacheck_probe_status", "Overall report status: pass 0, info 1, skip 2, warn 3, fail 4.").
		set(StatusValue(rep.Status))

	// The addresses probed, "ip:port", and nothing else is an address label.
	port := strconv.Itoa(rep.Target.Port)
	addrs := map[string]string{}
	for i, a := range rep.Addresses {
		if i == maxAddressLabels {
			break
		}
		addrs[a.Address] = net.JoinHostPort(a.Address, port)
	}

	checks := gauge("wacheck_check_status", "A check's status: pass 0, info 1, skip 2, warn 3, fail 4.", "check", "address")
	type key struct{ check, address string }
	worstOf := map[key]float64{}
	for _, c := range rep.Checks {
		k := key{check: c.ID}
		if c.Address != "" {
			a, ok := addrs[c.Address]
			if !ok {
				continue
			}
			k.address = a
		}
		v := StatusValue(c.Status)
		if old, ok := worstOf[k]; !ok || v > old {
			worstOf[k] = v
		}
	}
	for k, v := range worstOf {
		checks.set(v, escape.Line(k.check), k.address)
	}

	phases := gauge("wacheck_phase_duration_seconds", "Duration of a probe phase: dns, connect, tls, first_byte.", "phase", "address")
	if rep.DNS != nil && rep.DNS.DurationMS != nil {
		phases.set(*rep.DNS.DurationMS/1000, "dns", "")
	}
	notAfter := gauge("wacheck_cert_not_after_seconds", "A served certificate's notAfter, Unix seconds.", "address", "position", "cn", "serial")
	notBefore := gauge("wacheck_cert_not_before_seconds", "A served certificate's notBefore, Unix seconds.", "address", "position", "cn", "serial")
	staple := gauge("wacheck_ocsp_staple_next_update_seconds", "The stapled OCSP response's nextUpdate, Unix seconds.", "address")
	info := gauge("wacheck_tls_info", "The TLS version and cipher suite the handshake negotiated.", "address", "version", "cipher")
	versions := gauge("wacheck_tls_versions_accepted", "How many protocol versions the enumeration found offered.", "address")
	suites := gauge("wacheck_cipher_suites", "How many offered cipher suites are of the grade.", "address", "grade")

	for i, a := range rep.Addresses {
		if i == maxAddressLabels {
			break
		}
		addr := addrs[a.Address]
		t := a.TimingsMS
		for _, p := range []struct {
			phase string
			ms    *float64
		}{{"connect", t.Connect}, {"tls", t.TLS}, {"first_byte", t.TTFB}} {
			if p.ms != nil {
				phases.set(*p.ms/1000, p.phase, addr)
			}
		}
		for _, c := range a.Certificates {
			cn, serial := certLabels(c)
			pos := strconv.Itoa(c.Index)
			if !c.NotAfter.IsZero() {
				notAfter.set(float64(c.NotAfter.Unix()), addr, pos, cn, serial)
			}
			if !c.NotBefore.IsZero() {
				notBefore.set(float64(c.NotBefore.Unix()), addr, pos, cn, serial)
			}
		}
		if o := a.OCSP; o != nil && o.Stapled && o.NextUpdate != nil {
			staple.set(float64(o.NextUpdate.Unix()), addr)
		}
		if a.TLS != nil {
			info.set(1, addr, escape.Line(a.TLS.Version), escape.Line(a.TLS.Cipher))
		}
		if e := a.Enumeration; e != nil {
			offered, known := 0, false
			graded := map[string]map[string]bool{"weak": {}, "insecure": {}}
			for _, p := range e.Protocols {
				if p.Offered == nil {
					continue
				}
				known = true
				if *p.Offered {
					offered++
				}
				for _, c := range p.Ciphers {
					if g, ok := graded[c.Grade]; ok {
						g[c.Name] = true
					}
				}
			}
			if known {
				versions.set(float64(offered), addr)
			}
			for grade, names := range graded {
				suites.set(float64(len(names)), addr, grade)
			}
		}
	}
	return fams
}

// certLabels are a certificate's cn and serial labels: the subject CN
// escaped and cut to maxCNBytes, the serial cut to maxSerialChars.
func certLabels(c report.Cert) (cn, serial string) {
	if b, _ := pem.Decode([]byte(c.PEM)); b != nil {
		if cert, err := x509.ParseCertificate(b.Bytes); err == nil {
			cn = cert.Subject.CommonName
		}
	}
	return truncate(escape.Line(cn), maxCNBytes), truncate(escape.Line(c.Serial), maxSerialChars)
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
