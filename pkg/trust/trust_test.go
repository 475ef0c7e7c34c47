package trust

import (
	"fmt"
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

// TestSystemSkipsDamagedEntries loads a bundle of five roots whose third is
// damaged: the four others load, and the one skipped is counted.
func TestSystemSkipsDamagedEntries(t *testing.T) {
	var bundle []byte
	var want []string
	for i := range 5 {
		root := testpki.NewRoot(t, testpki.CAOptions{Now: time.Now(), CommonName: fmt.Sprintf("root %d", i+1)})
		if i == 2 {
			bundle = append(bundle, "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n"...)
			continue
		}
		bundle = append(bundle, root.PEM()...)
		want = append(want, root.Cert.Subject.CommonName)
	}
	path := filepath.Join(t.TempDir(), "ca-certificates.crt")
	os.WriteFile(path, bundle, 0o644)
	t.Setenv("SSL_CERT_FILE", path)
	t.Setenv("SSL_CERT_DIR", t.TempDir())
	s, err := System()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range s.Certs {
		got = append(got, c.Subject.CommonName)
	}
	if s.Count != 4 || s.Skipped != 1 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("loaded %d (%v), skipped %d; want %v and 1 skipped", s.Count, got, s.Skipped, want)
	}
	// --ca-file is the user's own file: a damaged entry is an error there.
	if _, err := FromFile(path); err == nil || !strings.Contains(err.Error(), "certificate 3") {
		t.Errorf("FromFile with a damaged third certificate: %v", err)
	}
}

// TestLocalFilesAreBounded: a device, a directory or a named pipe is refused
// at once, never read until memory or time runs out.
func TestLocalFilesAreBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	big := filepath.Join(dir, "big.pem")
	os.WriteFile(big, make([]byte, MaxBundleSize+1), 0o644)
	for path, want := range map[string]string{
		"/dev/zero": "a device, not a regular file",
		fifo:        "a named pipe, not a regular file",
		dir:         "a directory, not a regular file",
		big:         "larger than 4 MiB",
	} {
		start := time.Now()
		_, err := FromFile(path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("FromFile(%s) = %v, want %q", path, err, want)
		}
		t.Setenv("SSL_CERT_FILE", path)
		t.Setenv("SSL_CERT_DIR", dir)
		if _, err := System(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("System() with SSL_CERT_FILE=%s: %v, want %q", path, err, want)
		}
		// Bounded, not quick: reading /dev/zero to the end never ends.
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %s", path, took)
		}
	}
}
