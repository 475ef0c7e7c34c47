package testpki

import (
	"bytes"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// TestHostilePKI checks that the hostile values survive into what a client
// parses: the point is to feed them to wacheck.
func TestHostilePKI(t *testing.T) {
	now := time.Now()
	h := NewHostilePKI(t, now)
	leaf := h.Leaf.Cert
	if !strings.Contains(leaf.Subject.CommonName, "\x1b[2J") || !strings.Contains(leaf.Issuer.String(), "PWNED") {
		t.Errorf("leaf names: %q / %q", leaf.Subject, leaf.Issuer)
	}
	if !strings.Contains(leaf.Subject.String(), "\u0080") {
		t.Errorf("the T61String's C1 control is lost: %q", leaf.Subject.String())
	}
	if !strings.Contains(leaf.OCSPServer[0], "\xff\xfe") {
		t.Errorf("the OCSP URL's bytes that are not UTF-8 are lost: %q", leaf.OCSPServer[0])
	}
	if len(leaf.DNSNames) != 2 || !strings.Contains(leaf.DNSNames[1], "\r\n") {
		t.Errorf("SANs = %q", leaf.DNSNames)
	}
	if !strings.Contains(leaf.OCSPServer[0], "\x1b") || !strings.Contains(leaf.IssuingCertificateURL[0], "\n") {
		t.Errorf("AIA = %q %q", leaf.OCSPServer, leaf.IssuingCertificateURL)
	}
	resp, err := ocsp.ParseResponse(h.Staple, h.Intermediate.Cert)
	if err != nil || !strings.Contains(resp.Certificate.Subject.CommonName, "PWNED") || len(resp.RawResponderName) == 0 {
		t.Errorf("staple: %v, %+v", err, resp)
	}
	addr := StartHostileTLS(t, h)
	var cas [][]byte
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost",
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cas = cri.AcceptableCAs
			return &tls.Certificate{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	buf := make([]byte, 512)
	n, _ := conn.Read(buf)
	conn.Close()
	if len(cas) != 1 || !bytes.Contains(cas[0], []byte("PWNED")) || !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 2\x1b") {
		t.Errorf("client CAs %q, answer %q", cas, buf[:n])
	}
}
