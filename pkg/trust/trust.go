// Package trust builds the explicit root pools wacheck verifies chains
// against. It never hands verification to the operating system: on macOS and
// Windows the OS verifier fetches missing intermediates through AIA and would
// hide the most common cause of failed webhook deliveries.
package trust

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Store is a root pool and a name for it, for reports.
type Store struct {
	Name  string
	Pool  *x509.CertPool
	Count int
	// Certs are the roots in the pool, for explaining a chain that does not
	// verify (x509.CertPool cannot be listed).
	Certs []*x509.Certificate
}

func (s *Store) add(c *x509.Certificate, constraint func([]*x509.Certificate) error) {
	if constraint != nil {
		s.Pool.AddCertWithConstraint(c, constraint)
	} else {
		s.Pool.AddCert(c)
	}
	s.Certs = append(s.Certs, c)
	s.Count++
}

var (
	mozillaOnce  sync.Once
	mozillaStore *Store
)

// Mozilla returns Mozilla's root program, as bundled in the binary by
// golang.org/x/crypto/x509roots/fallback/bundle, with NSS's distrust-after
// constraints.
func Mozilla() *Store {
	mozillaOnce.Do(func() {
		s := &Store{Name: "mozilla", Pool: x509.NewCertPool()}
		for r := range bundle.Roots() {
			c, err := x509.ParseCertificate(r.Certificate)
			if err != nil {
				continue
			}
			s.add(c, r.Constraint)
		}
		mozillaStore = s
	})
	return mozillaStore
}

// FromFile reads PEM certificates from path into a new pool (curl's --cacert).
func FromFile(path string) (*Store, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := &Store{Name: "file:" + path, Pool: x509.NewCertPool()}
	if err := s.addPEM(data); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Count == 0 {
		return nil, fmt.Errorf("%s: no PEM certificates found", path)
	}
	return s, nil
}

// New returns a store of the given certificates, for tests and callers
// with their own roots.
func New(name string, certs ...*x509.Certificate) *Store {
	s := &Store{Name: name, Pool: x509.NewCertPool()}
	for _, c := range certs {
		s.add(c, nil)
	}
	return s
}

func (s *Store) addPEM(data []byte) error {
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return fmt.Errorf("certificate %d: %w", n, err)
		}
		s.add(c, nil)
	}
}

// systemFiles and systemDirs are where Linux and BSD distributions keep
// their root bundles (the same list crypto/x509 reads).
var systemFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/tls/cacert.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
	"/usr/local/etc/ssl/cert.pem",
	"/usr/local/share/certs/ca-root-nss.crt",
}

var systemDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// System reads the operating system's root files into a pool that wacheck
// verifies against itself. SSL_CERT_FILE and SSL_CERT_DIR override the
// default locations, as for OpenSSL.
func System() (*Store, error) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil, errors.New("--trust system reads root files and is not available on " + runtime.GOOS +
			" (its roots live in the OS keychain): export them to PEM and use --ca-file")
	}
	files, dirs := systemFiles, systemDirs
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = filepath.SplitList(d)
	}
	s := &Store{Name: "system", Pool: x509.NewCertPool()}
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			_ = s.addPEM(data) // a damaged entry does not void the rest
			if s.Count > 0 {
				break
			}
		}
	}
	if s.Count == 0 {
		for _, d := range dirs {
			entries, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if data, err := os.ReadFile(filepath.Join(d, e.Name())); err == nil {
					_ = s.addPEM(data)
				}
			}
		}
	}
	if s.Count == 0 {
		return nil, errors.New("no system root certificates found (set SSL_CERT_FILE or use --ca-file)")
	}
	return s, nil
}
