package checks

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/report"
	"github.com/wacheck/wacheck/pkg/tlsnames"
)

// Report evaluates every check and builds the report: the verdicts and the
// facts behind them (addresses, timings, certificates as served, OCSP), so
// that the report alone is enough to diagnose.
func Report(in Input) *report.Report {
	ev := in.Evidence
	t := ev.Target
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Target:        report.Target{Input: t.Input, Host: t.Host, Port: t.Port, SNI: t.SNI, Path: t.Path},
		Status:        report.Pass,
		StartedAt:     ev.StartedAt.UTC(),
		DurationMS:    msf(ev.EndedAt.Sub(ev.StartedAt)),
		Checks:        []report.Result{},
		Addresses:     []report.Address{},
		Certificates:  []report.Cert{},
		Protocols:     []report.Protocol{},
		Groups:        []string{},
	}
	r.Settings.Sender = in.sender()
	if in.Roots != nil {
		r.Settings.Roots = in.Roots.Name
	}
	r.Settings.TimeoutMS = msf(ev.Timeout)
	r.Settings.Samples = max(ev.Samples, 1)
	r.Settings.Address = ev.Only
	results, states := evaluateAll(&in)
	r.Add(results...)

	r.DNS = report.DNS{Resolver: ev.DNS.Resolver, Pinned: ev.DNS.Pinned, Addresses: nonNil(ev.DNS.Addresses)}
	if !ev.DNS.Start.IsZero() && !ev.DNS.End.IsZero() {
		r.DNS.DurationMS = ptr(msf(ev.DNS.End.Sub(ev.DNS.Start)))
	}
	if ev.DNS.Err != nil {
		r.DNS.Error = string(ev.DNS.Err.Kind) + ": " + ev.DNS.Err.Msg
	}
	r.TimingsMS = report.Timings{DNS: r.DNS.DurationMS, Total: r.DurationMS}

	for i, ep := range ev.Endpoints {
		a := report.Address{Address: ep.Address, HandshakeAttempt: ep.Handshake != nil}
		if ep.ConnectErr != nil {
			a.Error, a.ErrorKind = ep.ConnectErr.Msg, string(ep.ConnectErr.Kind)
		} else {
			a.ConnectMS = ptr(msf(ep.ConnectEnd.Sub(ep.ConnectStart)))
		}
		if hs := ep.Handshake; hs != nil {
			if hs.Err != nil {
				a.Error, a.ErrorKind = hs.Err.Msg, string(hs.Err.Kind)
			} else {
				a.TLSMS = ptr(msf(hs.End.Sub(hs.Start)))
			}
		}
		describeAddress(&a, &in, &ev.Endpoints[i])
		if st := states[i]; st.chain != nil && st.chain.leaf != nil {
			l := st.chain.leaf
			a.Leaf = &report.Leaf{Subject: l.Subject.String(), Issuer: l.Issuer.String(), NotAfter: l.NotAfter.UTC(),
				DaysLeft: days(l.NotAfter.Sub(in.Now)), SANs: sanList(l)}
		}
		r.Addresses = append(r.Addresses, a)
		if r.Scan == nil && ep.Scan != nil {
			describeScan(r, &ev.Endpoints[i])
		}
		if i == 0 {
			r.TimingsMS.Connect, r.TimingsMS.TLS = a.ConnectMS, a.TLSMS
			describeHandshake(r, &in, states[0])
		}
	}
	return r
}

// describeAddress adds one address's negotiated parameters, served chain,
// timing samples, SNI comparison and HTTP exchange.
func describeAddress(a *report.Address, in *Input, ep *probe.Endpoint) {
	a.ChainSHA256 = []string{}
	if hs := ep.Handshake; hs != nil {
		for _, der := range hs.Certificates {
			a.ChainSHA256 = append(a.ChainSHA256, fingerprint(der))
		}
		if hs.Version != 0 {
			a.TLSVersion = tlsnames.Version(hs.Version)
			a.Cipher = tls.CipherSuiteName(hs.CipherSuite)
		}
	}
	if len(ep.Samples) > 0 {
		a.Samples = &report.Samples{Rounds: len(ep.Samples) + 1, Failed: failedSamples(ep),
			Connect: phaseStats(connectTimes(ep)), TLS: phaseStats(handshakeTimes(ep))}
	}
	if ns := ep.NoSNI; ns != nil {
		a.NoSNI = &report.NoSNI{}
		if len(ns.Certificates) > 0 {
			a.NoSNI.LeafSHA256 = fingerprint(ns.Certificates[0])
			if c, err := x509.ParseCertificate(ns.Certificates[0]); err == nil {
				a.NoSNI.LeafSubject = c.Subject.String()
			}
		}
		if ns.Err != nil {
			a.NoSNI.Error = string(ns.Err.Kind) + ": " + ns.Err.Msg
		}
	}
	if ex := ep.HTTP; ex != nil {
		h := &report.HTTP{Method: ex.Method, Path: ex.Path, Proto: ex.Proto, StatusCode: ex.StatusCode}
		if ex.Err != nil {
			h.Error = string(ex.Err.Kind) + ": " + ex.Err.Msg
		} else if !ex.Start.IsZero() && !ex.FirstByte.IsZero() {
			h.TTFBMS = ptr(msf(ex.FirstByte.Sub(ex.Start)))
		}
		a.HTTP = h
	}
}

// describeScan reports one address's enumeration.
func describeScan(r *report.Report, ep *probe.Endpoint) {
	res := ep.Scan
	r.Scan = &report.Scan{Address: ep.Address, Connections: res.Connections, DurationMS: msf(res.Duration)}
	if ep.ScanErr != nil {
		r.Scan.Error = string(ep.ScanErr.Kind) + ": " + ep.ScanErr.Msg
	}
	for _, p := range res.Protocols {
		rp := report.Protocol{Version: p.Name, Offered: p.Offered, Reason: p.Reason, ServerOrder: p.ServerOrder,
			Ciphers: []report.Cipher{}, Groups: nonNil(p.Groups), DHBits: p.DHBits, Errors: p.Errors}
		for _, c := range p.Ciphers {
			rp.Ciphers = append(rp.Ciphers, report.Cipher{Name: c.Name, OpenSSLName: c.OpenSSLName, Grade: string(c.Grade)})
		}
		r.Protocols = append(r.Protocols, rp)
	}
	r.Groups = nonNil(res.Groups)
}

func phaseStats(ds []time.Duration) *report.PhaseStats {
	st := statsOf(ds)
	if st.N == 0 {
		return nil
	}
	return &report.PhaseStats{N: st.N, MinMS: msf(st.Min), MedianMS: msf(st.Median), P95MS: msf(st.P95), MaxMS: msf(st.Max)}
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// describeHandshake fills the report's TLS, certificate, chain, OCSP and
// client-auth facts from one endpoint's handshake.
func describeHandshake(r *report.Report, in *Input, s *endpointState) {
	hs := s.hs
	if hs == nil {
		return
	}
	if hs.Version != 0 {
		r.TLS = &report.TLS{
			Version:     tlsnames.Version(hs.Version),
			Cipher:      tls.CipherSuiteName(hs.CipherSuite),
			Group:       tlsnames.Group(hs.CurveID),
			ALPN:        hs.ALPN,
			OfferedALPN: nonNil(hs.OfferedALPN),
			SNI:         hs.ServerName,
		}
	}
	r.ClientAuth = &report.ClientAuth{Requested: hs.ClientCertRequested, AcceptableCAs: nonNil(DistinguishedNames(hs.AcceptableCAs)),
		Required: hs.ClientCertRequired()}
	if s.chain == nil {
		return
	}
	for _, c := range s.chain.certs {
		r.Certificates = append(r.Certificates, describeCert(c, in.Now))
	}
	ch := &report.Chain{Verified: s.chain.verified, Path: []string{}, Source: "handshake"}
	if s.fromScan {
		ch.Source = "enumeration"
	}
	if in.Roots != nil {
		ch.Roots = in.Roots.Name
	}
	for _, c := range s.chain.chain {
		ch.Path = append(ch.Path, c.Subject.String())
	}
	if s.chain.verifyErr != nil {
		ch.Error = s.chain.verifyErr.Error()
	}
	r.Chain = ch
	r.OCSP = describeOCSP(s)
}

func describeCert(s served, now time.Time) report.Cert {
	out := report.Cert{
		Index:  s.index,
		SHA256: fingerprint(s.raw),
		PEM:    string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.raw})),
		SANs:   []string{}, OCSPServers: []string{}, IssuingCertURLs: []string{},
	}
	c := s.cert
	if c == nil {
		out.ParseError = s.parseErr.Error()
		return out
	}
	out.Subject = c.Subject.String()
	out.Issuer = c.Issuer.String()
	out.Serial = fmt.Sprintf("%x", c.SerialNumber)
	out.NotBefore = c.NotBefore.UTC()
	out.NotAfter = c.NotAfter.UTC()
	out.DaysLeft = days(c.NotAfter.Sub(now))
	out.SANs = sanList(c)
	out.Key = KeyDescription(c)
	out.SignatureAlgorithm = c.SignatureAlgorithm.String()
	out.IsCA = c.IsCA
	out.SelfSigned = isSelfSigned(c)
	out.OCSPServers = nonNil(c.OCSPServer)
	out.IssuingCertURLs = nonNil(c.IssuingCertificateURL)
	return out
}

func describeOCSP(s *endpointState) *report.OCSP {
	o := &report.OCSP{ResponderURLs: []string{}}
	if s.chain.leaf != nil {
		o.ResponderURLs = nonNil(s.chain.leaf.OCSPServer)
	}
	a := s.ocsp
	if a == nil {
		return o
	}
	o.Stapled = true
	o.Size = len(a.raw)
	switch {
	case a.parseErr != nil:
		o.Error = a.parseErr.Error()
	case a.sigErr != nil:
		o.Error = a.sigErr.Error()
	}
	if r := a.resp; r != nil {
		o.Status = map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}[r.Status]
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
		} else if s.chain.issuer != nil {
			o.Responder = s.chain.issuer.Subject.String()
		}
		o.Verified = a.issuerKnown && a.sigErr == nil
	}
	return o
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
