package trust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

func TestMozilla(t *testing.T) {
	s := Mozilla()
	if s.Name != "mozilla" || s.Count < 100 || len(s.Certs) != s.Count {
		t.Errorf("mozilla store: %s with %d roots (%d listed)", s.Name, s.Count, len(s.Certs))
	}
	if Mozilla() != s {
		t.Error("the bundle is parsed more than once")
	}
}

func TestFromFile(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	dir := t.TempDir()
	both := filepath.Join(dir, "both.pem")
	os.WriteFile(both, append(append(c.RootPEM(), []byte("junk between blocks\n")...), c.Intermediate.PEM()...), 0o644)
	s, err := FromFile(both)
	if err != nil || s.Count != 2 || s.Name != "file:"+both {
		t.Fatalf("FromFile = %+v, %v", s, err)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, []byte("no pem here"), 0o644)
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
	for path, want := range map[string]string{
		filepath.Join(dir, "missing.pem"): "no such file",
		empty:                             "no PEM certificates found",
		bad:                               "certificate 1",
	} {
		if _, err := FromFile(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FromFile(%s) error = %v, want %q", filepath.Base(path), err, want)
		}
	}
}

func TestSystemHonoursSSLCertFile(t *testing.T) {
	c := testpki.NewChain(t, time.Now())
	t.Setenv("SSL_CERT_FILE", c.WriteRootPEM(t, ""))
	t.Setenv("SSL_CERT_DIR", t.TempDir())
	s, err := System()
	if err != nil || s.Count != 1 || !s.Certs[0].Equal(c.Root.Cert) {
		t.Fatalf("System() = %+v, %v", s, err)
	}
	t.Setenv("SSL_CERT_FILE", filepath.Join(t.TempDir(), "none.pem"))
	if _, err := System(); err == nil || !strings.Contains(err.Error(), "no system root certificates") {
		t.Errorf("System() with no roots: %v", err)
	}
}
