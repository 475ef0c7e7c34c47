// Package render turns a report into what a person or a program reads: a
// checklist for the terminal (Text) and the JSON contract pasted into support
// tickets (JSON, documented in docs/json.md and docs/schema/report.v1.json).
//
// Renderers never decide anything about the environment: whether to colour
// is the caller's choice, passed in TextOptions.
package render

import (
	"encoding/json"
	"io"

	"github.com/wacheck/wacheck/pkg/report"
)

// JSON writes r as indented JSON followed by a newline.
//
// Lists are always arrays, never null: a list the probe left nil (no
// certificates after a refused connection, say) is written as []. r itself is
// not modified.
func JSON(w io.Writer, r *report.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Details and remediations quote config such as "<VirtualHost>"; keep
	// them readable rather than \u003c-escaped.
	enc.SetEscapeHTML(false)
	return enc.Encode(normalize(r))
}

// normalize returns a copy of r in which every nil slice is empty, so that
// the JSON has [] where the schema promises an array, and the overall status
// is set even when no check was added.
func normalize(r *report.Report) *report.Report {
	c := *r
	c.Status = overall(r)
	c.Checks = nonNil(r.Checks)
	c.Addresses = make([]report.Address, len(r.Addresses))
	for i, a := range r.Addresses {
		a.ChainSHA256 = nonNil(a.ChainSHA256)
		c.Addresses[i] = a
	}
	c.DNS.Addresses = nonNil(r.DNS.Addresses)
	c.Groups = nonNil(r.Groups)
	c.Protocols = make([]report.Protocol, len(r.Protocols))
	for i, p := range r.Protocols {
		p.Ciphers = nonNil(p.Ciphers)
		p.Groups = nonNil(p.Groups)
		c.Protocols[i] = p
	}
	if r.TLS != nil {
		t := *r.TLS
		t.OfferedALPN = nonNil(t.OfferedALPN)
		c.TLS = &t
	}
	c.Certificates = make([]report.Cert, len(r.Certificates))
	for i, cert := range r.Certificates {
		cert.SANs = nonNil(cert.SANs)
		cert.OCSPServers = nonNil(cert.OCSPServers)
		cert.IssuingCertURLs = nonNil(cert.IssuingCertURLs)
		c.Certificates[i] = cert
	}
	if r.Chain != nil {
		ch := *r.Chain
		ch.Path = nonNil(ch.Path)
		c.Chain = &ch
	}
	if r.OCSP != nil {
		o := *r.OCSP
		o.ResponderURLs = nonNil(o.ResponderURLs)
		c.OCSP = &o
	}
	if r.ClientAuth != nil {
		ca := *r.ClientAuth
		ca.AcceptableCAs = nonNil(ca.AcceptableCAs)
		c.ClientAuth = &ca
	}
	return &c
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// overall is the report's overall status, derived from the checks when the
// builder left it unset.
func overall(r *report.Report) report.Status {
	if r.Status != "" {
		return r.Status
	}
	return r.Worst().Overall()
}
