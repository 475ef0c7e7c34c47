package testdns

import (
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// ttl is the time to live of answered records, in seconds, unless the
// record says otherwise.
const ttl = 60

// maxChase bounds the CNAME chain the server follows in one answer.
const maxChase = 32

// garbage is what a Garbage record answers: fewer bytes than a DNS header,
// with a terminal escape sequence among them.
const garbage = "\x1b[31m\a\r\nNO"

// minUDPSize is the largest UDP answer a client that does not say otherwise
// with EDNS accepts (RFC 1035, section 4.2.1).
const minUDPSize = 512

// respond counts query and returns the answer to send, after the record's
// delay. It returns false when nothing is to be sent: the query is malformed
// or not a standard query, the record says to drop it, or cleanup began
// while it waited.
func (s *Server) respond(query []byte, overUDP bool) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response || h.OpCode != 0 {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	if _, err := p.Question(); err != dnsmessage.ErrSectionDone {
		return nil, false // more than one question
	}
	if overUDP {
		s.udpQueries.Add(1)
	} else {
		s.tcpQueries.Add(1)
	}

	rec, found := s.zone[strings.ToLower(q.Name.String())]
	if !found {
		rec = Record{Rcode: dnsmessage.RCodeNameError}
	}
	delay := rec.Delay
	if q.Type == dnsmessage.TypeAAAA {
		delay += rec.DelayAAAA
	}
	if rec.Drop || !s.wait(delay) {
		return nil, false
	}
	if rec.Garbage {
		return []byte(garbage), true
	}
	truncate := overUDP && rec.Truncate
	chain := s.chase(q.Name.String(), rec)
	resp, err := answer(h, q, chain, truncate)
	if err != nil {
		return nil, false
	}
	if overUDP && !truncate && len(resp) > udpSize(&p) {
		// Too big for the client's buffer: make it retry over TCP.
		resp, err = answer(h, q, chain, true)
		if err != nil {
			return nil, false
		}
	}
	return resp, true
}

// link is one name of a CNAME chain and its record.
type link struct {
	name string
	rec  Record
}

// chase returns the chain from name, whose record is rec, through the
// zone's CNAMEs: every link but the last is an alias.
func (s *Server) chase(name string, rec Record) []link {
	chain := []link{{strings.ToLower(name), rec}}
	seen := map[string]bool{chain[0].name: true}
	for len(chain) < maxChase {
		last := chain[len(chain)-1].rec
		if last.CNAME == "" || seen[last.CNAME] {
			break
		}
		next, ok := s.zone[last.CNAME]
		if !ok {
			break
		}
		seen[last.CNAME] = true
		chain = append(chain, link{last.CNAME, next})
	}
	return chain
}

// answer builds the response to question q of the query with header h,
// from chain (the queried name's record, then those its CNAMEs lead to). A
// truncated answer has the TC bit and no records.
func answer(h dnsmessage.Header, q dnsmessage.Question, chain []link, truncate bool) ([]byte, error) {
	rcode := chain[0].rec.Rcode
	if chain[0].rec.CNAME != "" {
		rcode = dnsmessage.RCodeSuccess
		if last := chain[len(chain)-1].rec; last.CNAME == "" {
			rcode = last.Rcode
		}
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
		ID:               h.ID,
		Response:         true,
		OpCode:           h.OpCode,
		Authoritative:    true,
		Truncated:        truncate,
		RecursionDesired: h.RecursionDesired,
		RCode:            rcode,
	})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if truncate || q.Class != dnsmessage.ClassINET {
		return b.Finish()
	}
	for _, l := range chain {
		name, err := dnsmessage.NewName(l.name)
		if err != nil {
			return nil, err
		}
		rh := dnsmessage.ResourceHeader{Name: name, Class: dnsmessage.ClassINET, TTL: ttl}
		if l.rec.TTL != 0 {
			rh.TTL = l.rec.TTL
		}
		if l.rec.CNAME != "" {
			target, err := dnsmessage.NewName(l.rec.CNAME)
			if err != nil {
				return nil, err
			}
			if err := b.CNAMEResource(rh, dnsmessage.CNAMEResource{CNAME: target}); err != nil {
				return nil, err
			}
			continue
		}
		if l.rec.Rcode != dnsmessage.RCodeSuccess {
			break
		}
		switch q.Type {
		case dnsmessage.TypeA:
			for _, a := range l.rec.A {
				if err := b.AResource(rh, dnsmessage.AResource{A: a.As4()}); err != nil {
					return nil, err
				}
			}
		case dnsmessage.TypeAAAA:
			for _, a := range l.rec.AAAA {
				if err := b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()}); err != nil {
					return nil, err
				}
			}
		}
	}
	return b.Finish()
}

// udpSize returns the largest UDP answer the client accepts: the size in the
// query's EDNS OPT record, or 512 without one. p must be positioned after
// the question.
func udpSize(p *dnsmessage.Parser) int {
	if p.SkipAllAnswers() != nil || p.SkipAllAuthorities() != nil {
		return minUDPSize
	}
	for {
		h, err := p.AdditionalHeader()
		if err != nil {
			return minUDPSize
		}
		if h.Type == dnsmessage.TypeOPT {
			return max(minUDPSize, int(h.Class))
		}
		if p.SkipAdditional() != nil {
			return minUDPSize
		}
	}
}
