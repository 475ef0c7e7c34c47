package render

import (
	"fmt"
	"strings"

	"github.com/wacheck/wacheck/pkg/report"
)

// keyTypeGroup is one chain served to clients offering only one key type's
// suites, with the addresses that serve it.
type keyTypeGroup struct {
	keyType, cipher string
	certs           []report.Cert
	addrs           []string
}

// keyTypeGroups lists the key-type chains of every address
// (addresses[].key_type_chains), those of one key type and the same
// certificates merged, in the order first seen.
func keyTypeGroups(r *report.Report) []keyTypeGroup {
	var out []keyTypeGroup
	index := map[string]int{}
	for _, a := range r.Addresses {
		for _, k := range a.KeyTypeChains {
			if len(k.Certificates) == 0 {
				continue
			}
			var id strings.Builder
			id.WriteString(k.KeyType + "|" + k.Cipher)
			for _, c := range k.Certificates {
				id.WriteString("|" + c.SHA256)
			}
			if i, ok := index[id.String()]; ok {
				out[i].addrs = append(out[i].addrs, a.Address)
				continue
			}
			index[id.String()] = len(out)
			out = append(out, keyTypeGroup{keyType: k.KeyType, cipher: k.Cipher, certs: k.Certificates, addrs: []string{a.Address}})
		}
	}
	return out
}

// keyTypeChains prints, in verbose mode, a short table for each other chain
// the server serves to a client offering only one key type's suites (a
// server with an ECDSA and an RSA certificate): the chain and certificate
// checks judge it apart, and its results name it ("RSA chain").
func (t *textWriter) keyTypeChains(r *report.Report) {
	for _, g := range keyTypeGroups(r) {
		n := len(g.certs)
		title := fmt.Sprintf("%s chain, for clients offering only %s suites (%d %s, leaf first; %s",
			g.keyType, g.keyType, n, pluralWord(n, "certificate"), g.cipher)
		if t.multiAddress {
			if len(g.addrs) == len(r.Addresses) && len(g.addrs) > 1 {
				title += fmt.Sprintf("; served by all %d addresses", len(g.addrs))
			} else {
				title += "; served by " + strings.Join(g.addrs, ", ")
			}
		}
		t.heading(title + ")")
		rows := make([][]string, 0, n)
		for _, c := range g.certs {
			if c.ParseError != "" {
				rows = append(rows, []string{"unparseable: " + c.ParseError, "", ""})
				continue
			}
			rows = append(rows, []string{certName(c.Subject, c.SANs), certName(c.Issuer, nil), expires(c)})
		}
		t.table([]string{"Subject", "Issuer", "Expires"}, rows, []int{0, 1}, nil)
	}
}
