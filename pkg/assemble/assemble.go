// Package assemble builds the report: it runs the checks over the subjects
// an adapter made and describes, beside the verdicts, the facts behind them
// (per address: handshake, certificates, chain, OCSP, client auth,
// enumeration, timings; per name: DNS and which addresses agree), so that a
// report alone is enough to diagnose.
package assemble

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/tlsnames"
)

// Probe judges one probe's evidence and builds its report.
func Probe(ev *probe.Evidence, c checks.Context) *report.Report {
	return probeReport(ev, subject.FromProbe(ev), c)
}

// probeReport judges sets, which start with subject.FromProbe(ev)'s (more
// may follow: a webhook exchange's), and builds the probe's report.
func probeReport(ev *probe.Evidence, sets []*subject.Set, c checks.Context) *report.Report {
	out := checks.Run(c, sets)
	t := ev.Target
	r := newReport("probe", c, ev.StartedAt, ev.EndedAt)
	r.Target = report.Target{Input: t.Input, Host: t.Host, Port: t.Port, SNI: t.SNI, Path: t.Path}
	r.Settings.TimeoutMS = msf(ev.Timeout)
	r.Settings.Samples = max(ev.Samples, 1)
	r.Settings.Address = ev.Only
	if len(ev.Endpoints) > ev.MaxFull && ev.MaxFull > 0 {
		r.Settings.FullAddresses = ev.MaxFull
	}
	r.Add(out.Results...)

	r.DNS = &report.DNS{Resolver: ev.DNS.Resolver, Pinned: ev.DNS.Pinned, Addresses: nonNil(ev.DNS.Addresses)}
	if !ev.DNS.Start.IsZero() && !ev.DNS.End.IsZero() {
		r.DNS.DurationMS = ptr(msf(ev.DNS.End.Sub(ev.DNS.Start)))
	}
	r.DNS.CNAMEChain = ev.DNS.CNAMEs
	if ev.DNS.MinTTL != nil {
		r.DNS.MinTTL = ptr(int(*ev.DNS.MinTTL))
	}
	for _, q := range ev.DNS.Queries {
		rq := report.DNSQuery{Type: q.Type, DurationMS: msf(q.End.Sub(q.Start)), Rcode: q.Rcode, TCP: q.Truncated,
			Addresses: nonNil(q.Addresses)}
		if q.Err != nil {
			rq.Error = string(q.Err.Kind) + ": " + q.Err.Msg
		}
		r.DNS.Queries = append(r.DNS.Queries, rq)
	}
	if ev.DNS.Err != nil {
		r.DNS.Error = string(ev.DNS.Err.Kind) + ": " + ev.DNS.Err.Msg
	}
	for i := range ev.Endpoints {
		// sets[0] is the name; the addresses follow in order.
		r.Addresses = append(r.Addresses, address(&ev.Endpoints[i], out.Analyses[i+1], c))
	}
	// Then the chains per key type (subject.KeyTypeSets), for their address.
	for i := len(ev.Endpoints) + 1; i < len(sets); i++ {
		ch := sets[i].Chain
		if ch == nil || ch.KeyType == "" || out.Analyses[i] == nil {
			continue
		}
		for j := range r.Addresses {
			if r.Addresses[j].Address == sets[i].Address {
				r.Addresses[j].KeyTypeChains = append(r.Addresses[j].KeyTypeChains, keyTypeChain(ch, out.Analyses[i], c))
				break
			}
		}
	}
	r.Agreement, r.Common = agreement(r.Addresses)
	return r
}

// FilesInfo describes the files a Set came from, for the report.
type FilesInfo struct {
	Input   string
	Paths   []string
	Staple  string
	Key     string
	Fetched []report.Fetched
}

// Files judges certificate files (one Set, from subject.FromFiles) and
// builds their report.
func Files(set *subject.Set, info FilesInfo, c checks.Context, started, ended time.Time) *report.Report {
	out := checks.Run(c, []*subject.Set{set})
	r := newReport("cert", c, started, ended)
	r.Target = report.Target{Input: info.Input}
	if set.Chain != nil {
		r.Target.Host = set.Chain.Name
	}
	r.Add(out.Results...)
	f := &report.Files{Paths: nonNil(info.Paths), Staple: info.Staple, Key: info.Key, Fetched: nonNil(info.Fetched),
		Served: report.Served{Certificates: []report.Cert{}}}
	if set.Chain != nil {
		f.Name = set.Chain.Name
	}
	if a := out.Analyses[0]; a != nil {
		f.Served = served(a, c, "files", set.Staple != nil)
		f.Served.Chain.MessageBytes = checks.CertMessageSize(set.Chain.Certs)
	}
	r.Files = f
	return r
}

func newReport(kind string, c checks.Context, started, ended time.Time) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Kind:          kind,
		Status:        report.Pass,
		StartedAt:     started.UTC(),
		DurationMS:    msf(ended.Sub(started)),
		Checks:        []report.Result{},
		Addresses:     []report.Address{},
	}
	if c.Profile != nil {
		r.Sender = report.Sender{Key: c.Profile.Key, Name: c.Profile.Name}
	}
	if c.Roots != nil {
		r.Settings.Roots = c.Roots.Name
	}
	return r
}

// address describes everything one address served.
func address(ep *probe.Endpoint, a *checks.Analysis, c checks.Context) report.Address {
	out := report.Address{Address: ep.Address, HandshakeAttempt: ep.Handshake != nil, HandshakeOnly: ep.HandshakeOnly,
		Served: report.Served{Certificates: []report.Cert{}}}
	if ep.ConnectErr != nil {
		out.Error, out.ErrorKind = ep.ConnectErr.Msg, string(ep.ConnectErr.Kind)
	} else {
		out.TimingsMS.Connect = ptr(msf(ep.ConnectEnd.Sub(ep.ConnectStart)))
	}
	hs := ep.Handshake
	if hs != nil {
		if hs.Err != nil {
			out.Error, out.ErrorKind = hs.Err.Msg, string(hs.Err.Kind)
		} else {
			out.TimingsMS.TLS = ptr(msf(hs.End.Sub(hs.Start)))
		}
		if hs.Version != 0 {
			out.TLS = &report.TLS{
				Version:     tlsnames.Version(hs.Version),
				Cipher:      tls.CipherSuiteName(hs.CipherSuite),
				Group:       tlsnames.Group(hs.CurveID),
				ALPN:        hs.ALPN,
				OfferedALPN: nonNil(hs.OfferedALPN),
				SNI:         hs.ServerName,
				HelloRetry:  hs.HelloRetry,
				FlightBytes: hs.FlightBytes,
			}
			if hs.HelloRetry && hs.HelloRetryGroup != 0 {
				out.TLS.HelloRetryGroup = tlsnames.Group(hs.HelloRetryGroup)
			}
		}
		out.ClientAuth = &report.ClientAuth{Requested: hs.ClientCertRequested,
			AcceptableCAs: nonNil(checks.DistinguishedNames(hs.AcceptableCAs)), Required: hs.ClientCertRequired()}
	}
	if a != nil {
		source := "handshake"
		if hs == nil || len(hs.Certificates) == 0 {
			source = "enumeration"
		}
		out.Served = served(a, c, source, source == "handshake")
		if source == "handshake" {
			out.Chain.MessageBytes = checks.CertMessageSize(hs.Certificates)
		} else if ep.Scan != nil {
			out.Chain.MessageBytes = checks.CertMessageSize(ep.Scan.Certificates)
		}
		if l := a.Leaf(); l != nil {
			out.Leaf = leafSummary(l, c.Now)
		}
	}
	if len(ep.Samples) > 0 {
		out.Samples = &report.Samples{Rounds: len(ep.Samples) + 1, Failed: checks.FailedSamples(ep.Samples),
			Connect: phaseStats(checks.ConnectTimes(ep.ConnectStart, ep.ConnectEnd, ep.ConnectErr, ep.Samples)),
			TLS:     phaseStats(checks.HandshakeTimes(ep.Handshake, ep.Samples))}
	}
	if ns := ep.NoSNI; ns != nil {
		out.NoSNI = &report.NoSNI{}
		if len(ns.Certificates) > 0 {
			out.NoSNI.LeafSHA256 = fingerprint(ns.Certificates[0])
			if c, err := x509.ParseCertificate(ns.Certificates[0]); err == nil {
				out.NoSNI.LeafSubject = c.Subject.String()
			}
		}
		if ns.Err != nil {
			out.NoSNI.Error = string(ns.Err.Kind) + ": " + ns.Err.Msg
		}
	}
	if ex := ep.HTTP; ex != nil {
		h := &report.HTTP{Method: ex.Method, Path: ex.Path, Proto: ex.Proto, StatusCode: ex.StatusCode}
		if ex.Err != nil {
			h.Error = string(ex.Err.Kind) + ": " + ex.Err.Msg
		} else if !ex.Start.IsZero() && !ex.FirstByte.IsZero() {
			h.TTFBMS = ptr(msf(ex.FirstByte.Sub(ex.Start)))
			out.TimingsMS.TTFB = h.TTFBMS
		}
		out.HTTP = h
	}
	if ep.Scan != nil {
		out.Enumeration = enumeration(ep)
	}
	if rs := ep.Resumption; rs != nil {
		out.Resumption = &report.Resumption{Ticket: rs.Ticket, Resumed: rs.Resumed}
		if rs.Version != 0 {
			out.Resumption.Version = tlsnames.Version(rs.Version)
		}
		if rs.Err != nil {
			out.Resumption.Error = string(rs.Err.Kind) + ": " + rs.Err.Msg
		} else if !rs.Start.IsZero() && !rs.End.IsZero() {
			out.Resumption.TLSMS = ptr(msf(rs.End.Sub(rs.Start)))
		}
	}
	return out
}

// keyTypeChain describes a chain served to a client offering one key
// type's suites only.
func keyTypeChain(ch *subject.Chain, a *checks.Analysis, c checks.Context) report.KeyTypeChain {
	k := report.KeyTypeChain{KeyType: ch.KeyType, Cipher: tls.CipherSuiteName(ch.CipherSuite),
		Served: served(a, c, "handshake", true)}
	k.Chain.MessageBytes = checks.CertMessageSize(ch.Certs)
	if l := a.Leaf(); l != nil {
		k.Leaf = leafSummary(l, c.Now)
	}
	return k
}

func enumeration(ep *probe.Endpoint) *report.Enumeration {
	res := ep.Scan
	e := &report.Enumeration{Connections: res.Connections, DurationMS: msf(res.Duration),
		Protocols: []report.Protocol{}, Groups: nonNil(res.Groups)}
	if ep.ScanErr != nil {
		e.Error = string(ep.ScanErr.Kind) + ": " + ep.ScanErr.Msg
	}
	for _, p := range res.Protocols {
		rp := report.Protocol{Version: p.Name, Offered: p.Offered, Reason: p.Reason, ServerOrder: p.ServerOrder,
			Ciphers: []report.Cipher{}, Groups: nonNil(p.Groups), DHBits: p.DHBits, Errors: p.Errors}
		for _, c := range p.Ciphers {
			rp.Ciphers = append(rp.Ciphers, report.Cipher{Name: c.Name, OpenSSLName: c.OpenSSLName, Grade: string(c.Grade)})
		}
		e.Protocols = append(e.Protocols, rp)
	}
	return e
}

// served describes a chain as the checks analysed it; withOCSP adds the
// staple's facts (a handshake's chain, or files given with --staple).
func served(a *checks.Analysis, c checks.Context, source string, withOCSP bool) report.Served {
	out := report.Served{Certificates: []report.Cert{}}
	ch := &report.Chain{Verified: a.Verified(), Path: []string{}, Source: source, SHA256: []string{}, Cut: a.Cuts()}
	for _, s := range a.Certificates() {
		cert := describeCert(s, c.Now)
		if n := len(cert.SANs); n > MaxSANs {
			cert.SANs = cert.SANs[:MaxSANs]
			ch.Cut = append(ch.Cut, report.Cut{Limit: "sans", Max: MaxSANs, Total: n,
				Detail: fmt.Sprintf("certificate #%d has %d subject alternative names; the first %d are listed",
					s.Index, n, MaxSANs)})
		}
		out.Certificates = append(out.Certificates, cert)
		ch.SHA256 = append(ch.SHA256, fingerprint(s.Raw))
	}
	ch.ID = ChainID(ch.SHA256)
	if c.Roots != nil {
		ch.Roots = c.Roots.Name
	}
	for _, cert := range a.VerifiedChain() {
		ch.Path = append(ch.Path, cert.Subject.String())
	}
	if err := a.VerifyError(); err != nil {
		ch.Error = err.Error()
	}
	out.Chain = ch
	if withOCSP {
		out.OCSP = describeOCSP(a)
	}
	return out
}

// MaxSANs bounds the subject alternative names listed per certificate
// (a certificate may carry thousands); chain.cut says when it cut.
const MaxSANs = 100

// ChainID is a short fingerprint of a whole chain: the first 16 hex digits
// of the SHA-256 of its certificates' fingerprints in order.
func ChainID(fps []string) string {
	if len(fps) == 0 {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(fps, ",")))
	return hex.EncodeToString(sum[:8])
}

func leafSummary(l *x509.Certificate, now time.Time) *report.Leaf {
	return &report.Leaf{Subject: l.Subject.String(), Issuer: l.Issuer.String(), NotAfter: l.NotAfter.UTC(),
		DaysLeft: checks.DaysLeft(l, now), SANs: firstSANs(l)}
}

// agreement compares the addresses: which work, which chain each serves,
// and what is the same at all of them.
func agreement(addrs []report.Address) (*report.Agreement, *report.Common) {
	ag := &report.Agreement{Agree: len(addrs) > 0, Working: []string{}, Failing: []report.Failing{},
		Chains: []report.ChainGroup{}}
	groups := map[string]int{}
	var working []report.Address
	for _, a := range addrs {
		if a.Error == "" && a.TLS != nil {
			ag.Working = append(ag.Working, a.Address)
			working = append(working, a)
		} else {
			ag.Agree = false
			kind := a.ErrorKind
			if kind == "" {
				kind = "other"
			}
			ag.Failing = append(ag.Failing, report.Failing{Address: a.Address, ErrorKind: kind, Error: a.Error})
		}
		if a.Chain == nil {
			continue
		}
		i, ok := groups[a.Chain.ID]
		if !ok {
			i = len(ag.Chains)
			groups[a.Chain.ID] = i
			g := report.ChainGroup{ID: a.Chain.ID, Addresses: []string{}}
			if a.Leaf != nil {
				g.LeafSubject = a.Leaf.Subject
			}
			ag.Chains = append(ag.Chains, g)
		}
		ag.Chains[i].Addresses = append(ag.Chains[i].Addresses, a.Address)
	}
	if len(ag.Chains) > 1 {
		ag.Agree = false
	}
	cm := &report.Common{}
	if len(working) == 0 {
		return ag, cm
	}
	first := working[0]
	cm.TLSVersion, cm.Cipher, cm.Group, cm.ALPN = first.TLS.Version, first.TLS.Cipher, first.TLS.Group, first.TLS.ALPN
	if first.Chain != nil {
		cm.ChainID = first.Chain.ID
	}
	cm.Leaf = first.Leaf
	stapled := first.OCSP != nil && first.OCSP.Stapled
	for _, a := range working[1:] {
		if a.TLS.Version != cm.TLSVersion {
			cm.TLSVersion = ""
			ag.Agree = false
		}
		if a.TLS.Cipher != cm.Cipher {
			cm.Cipher = ""
		}
		if a.TLS.Group != cm.Group {
			cm.Group = ""
		}
		if a.TLS.ALPN != cm.ALPN {
			cm.ALPN = ""
			ag.Agree = false
		}
		if a.Chain == nil || a.Chain.ID != cm.ChainID {
			cm.ChainID, cm.Leaf = "", nil
		}
		if (a.OCSP != nil && a.OCSP.Stapled) != stapled {
			ag.Agree = false
		}
	}
	return ag, cm
}

func phaseStats(ds []time.Duration) *report.PhaseStats {
	st := checks.StatsOf(ds)
	if st.N == 0 {
		return nil
	}
	return &report.PhaseStats{N: st.N, MinMS: msf(st.Min), MedianMS: msf(st.Median), P95MS: msf(st.P95), MaxMS: msf(st.Max)}
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func describeCert(s checks.Served, now time.Time) report.Cert {
	out := report.Cert{
		Index:  s.Index,
		SHA256: fingerprint(s.Raw),
		PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Raw})),
		SANs:   []string{}, OCSPServers: []string{}, IssuingCertURLs: []string{},
	}
	c := s.Cert
	if c == nil {
		out.ParseError = s.ParseErr.Error()
		return out
	}
	out.Subject = c.Subject.String()
	out.Issuer = c.Issuer.String()
	out.Serial = fmt.Sprintf("%x", c.SerialNumber)
	out.NotBefore = c.NotBefore.UTC()
	out.NotAfter = c.NotAfter.UTC()
	out.DaysLeft = checks.DaysLeft(c, now)
	out.SANs = checks.SANs(c)
	out.Key = checks.KeyDescription(c)
	out.SignatureAlgorithm = c.SignatureAlgorithm.String()
	out.IsCA = c.IsCA
	out.SelfSigned = checks.IsSelfSigned(c)
	out.OCSPServers = nonNil(c.OCSPServer)
	out.IssuingCertURLs = nonNil(c.IssuingCertificateURL)
	return out
}

func describeOCSP(a *checks.Analysis) *report.OCSP {
	o := &report.OCSP{ResponderURLs: []string{}}
	if l := a.Leaf(); l != nil {
		o.ResponderURLs = nonNil(l.OCSPServer)
	}
	st := a.Staple()
	if st == nil {
		return o
	}
	o.Stapled = true
	o.Size = len(st.Raw)
	if err := st.Err(); err != nil {
		o.Error = err.Error()
	}
	if r := st.Response; r != nil {
		// A status is a fact only when the response verified.
		if st.Verified() {
			o.Status = map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}[r.Status]
		}
		o.ThisUpdate = timePtr(r.ThisUpdate)
		o.NextUpdate = timePtr(r.NextUpdate)
		if r.Status == ocsp.Revoked {
			o.RevokedAt = timePtr(r.RevokedAt)
		}
		if r.SerialNumber != nil {
			o.Serial = fmt.Sprintf("%x", r.SerialNumber)
		}
		if r.Certificate != nil {
			o.Responder = r.Certificate.Subject.String()
		} else if is := a.Issuer(); is != nil {
			o.Responder = is.Subject.String()
		}
		o.Verified = st.Verified()
	}
	return o
}

// firstSANs are c's first MaxSANs names, as certificates[] lists them (the
// chain's cut says how many more there were).
func firstSANs(c *x509.Certificate) []string {
	sans := checks.SANs(c)
	return sans[:min(len(sans), MaxSANs)]
}

func msf(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

func ptr[T any](v T) *T { return &v }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
