package testdns

import (
	"net"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// answers sends a UDP query and returns the response's header and its
// answers as name, type, TTL.
func answers(t *testing.T, s *Server, name string, qtype dnsmessage.Type) (dnsmessage.Header, []dnsmessage.ResourceHeader) {
	t.Helper()
	c, err := net.Dial("udp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write(query(t, 9, name, qtype)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var p dnsmessage.Parser
	h, err := p.Start(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SkipAllQuestions(); err != nil {
		t.Fatal(err)
	}
	var out []dnsmessage.ResourceHeader
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			return h, out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rh)
		if err := p.SkipAnswer(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCNAMEChain: an alias answers its CNAME, the chain through the zone
// with each record's TTL, then the last name's records; a loop ends.
func TestCNAMEChain(t *testing.T) {
	s := Start(t, Zone{
		"hooks.test.": {CNAME: "LB.test", TTL: 300},
		"lb.test.":    {CNAME: "edge.test.", TTL: 7},
		"edge.test.":  {A: hooksA[:1]},
		"loop1.test.": {CNAME: "loop2.test."},
		"loop2.test.": {CNAME: "loop1.test."},
		"gone.test.":  {CNAME: "nx.test.", Rcode: dnsmessage.RCodeServerFailure},
	})
	h, rrs := answers(t, s, "hooks.test.", dnsmessage.TypeA)
	want := []struct {
		name string
		typ  dnsmessage.Type
		ttl  uint32
	}{{"hooks.test.", dnsmessage.TypeCNAME, 300}, {"lb.test.", dnsmessage.TypeCNAME, 7}, {"edge.test.", dnsmessage.TypeA, ttl}}
	if h.RCode != dnsmessage.RCodeSuccess || len(rrs) != len(want) {
		t.Fatalf("hooks.test: %v, %d answers, want %d", h.RCode, len(rrs), len(want))
	}
	for i, w := range want {
		if rrs[i].Name.String() != w.name || rrs[i].Type != w.typ || rrs[i].TTL != w.ttl {
			t.Errorf("answer %d: %s %v TTL %d, want %s %v TTL %d", i, rrs[i].Name, rrs[i].Type, rrs[i].TTL, w.name, w.typ, w.ttl)
		}
	}
	// An AAAA query follows the same chain and ends without an AAAA record.
	// (Go's LookupCNAME is not asserted: it queries A and AAAA at once and
	// names the CNAME of whichever answer it reads first.)
	if h, rrs := answers(t, s, "hooks.test.", dnsmessage.TypeAAAA); h.RCode != dnsmessage.RCodeSuccess || len(rrs) != 2 ||
		rrs[1].Name.String() != "lb.test." || rrs[1].Type != dnsmessage.TypeCNAME {
		t.Errorf("hooks.test AAAA: %v, %d answers; want NOERROR with the two CNAMEs", h.RCode, len(rrs))
	}
	if _, rrs := answers(t, s, "loop1.test.", dnsmessage.TypeA); len(rrs) != 2 {
		t.Errorf("loop1.test: %d answers, want the 2 CNAMEs of the loop once", len(rrs))
	}
	// The alias's own Rcode is ignored; a target outside the zone ends the chain.
	if h, rrs := answers(t, s, "gone.test.", dnsmessage.TypeA); h.RCode != dnsmessage.RCodeSuccess || len(rrs) != 1 {
		t.Errorf("gone.test: %v, %d answers; want NOERROR with its CNAME", h.RCode, len(rrs))
	}
}

// TestRefusedAndDelayAAAA: REFUSED is answered as given, and DelayAAAA
// holds back AAAA answers only.
func TestRefusedAndDelayAAAA(t *testing.T) {
	const slow = 200 * time.Millisecond
	s := Start(t, Zone{
		"refused.test.": {Rcode: dnsmessage.RCodeRefused},
		"slow6.test.":   {A: hooksA[:1], AAAA: hooksAAAA, DelayAAAA: slow},
	})
	if h, rrs := answers(t, s, "refused.test.", dnsmessage.TypeA); h.RCode != dnsmessage.RCodeRefused || len(rrs) != 0 {
		t.Errorf("refused.test: %v, %d answers", h.RCode, len(rrs))
	}
	start := time.Now()
	answers(t, s, "slow6.test.", dnsmessage.TypeA)
	a := time.Since(start)
	start = time.Now()
	_, rrs := answers(t, s, "slow6.test.", dnsmessage.TypeAAAA)
	aaaa := time.Since(start)
	if a >= slow/2 || aaaa < slow || len(rrs) != 1 {
		t.Errorf("A took %v, AAAA %v (%d answers); want A under %v, AAAA %v or more", a, aaaa, len(rrs), slow/2, slow)
	}
}
