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

	"github.com/wacheck/wacheck/internal/readfile"
)

// MaxBundleSize bounds a CA file read (--ca-file, and each of the OS's root
// files): the OS bundles are a few hundred KiB.
const MaxBundleSize = 4 << 20

// Store is a root pool and a name for it, for reports.
type Store struct {
	Name  string
	Pool  *x509.CertPool
	Count int
	// Certs are the roots in the pool, for explaining a chain that does not
	// verify (x509.CertPool cannot be listed).
	Certs []*x509.Certificate
	// Skipped counts the CERTIFICATE blocks of the OS's root files that did
	// not parse and were left out (--trust system loads the rest).
	Skipped int
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

// FromFile reads PEM certificates from path into a new pool (curl's
// --cacert). Only a regular file of at most MaxBundleSize is read, and a
// certificate that does not parse is an error: the file is the user's own.
func FromFile(path string) (*Store, error) {
	data, err := readfile.Regular(path, MaxBundleSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, readfile.Words(err))
	}
	s := &Store{Name: "file:" + path, Pool: x509.NewCertPool()}
	if _, err := s.addPEM(data); err != nil {
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

// addPEM adds every CERTIFICATE block of data that parses. It returns how
// many did not, and the first of their errors ("certificate 3: ...").
func (s *Store) addPEM(data []byte) (skipped int, first error) {
	n := 0
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return skipped, first
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		n++
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("certificate %d: %w", n, err)
			}
			skipped++
			continue
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
// default locations, as for OpenSSL. Only regular files of at most
// MaxBundleSize are read; a certificate that does not parse is skipped and
// counted (Store.Skipped), the rest of its bundle still loaded.
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
	var readErr error // why SSL_CERT_FILE could not be read, for the message
	for _, f := range files {
		data, err := readfile.Regular(f, MaxBundleSize)
		if err != nil {
			if os.Getenv("SSL_CERT_FILE") != "" {
				readErr = fmt.Errorf("SSL_CERT_FILE %s: %w", f, readfile.Words(err))
			}
			continue
		}
		skipped, _ := s.addPEM(data) // a damaged entry does not void the rest
		if s.Count > 0 {
			s.Skipped += skipped
			break
		}
	}
	if s.Count == 0 {
		for _, d := range dirs {
			entries, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if data, err := readfile.Regular(filepath.Join(d, e.Name()), MaxBundleSize); err == nil {
					skipped, _ := s.addPEM(data)
					s.Skipped += skipped
				}
			}
		}
	}
	if s.Count == 0 {
		if readErr != nil {
			return nil, fmt.Errorf("no system root certificates found: %w", readErr)
		}
		return nil, errors.New("no system root certificates found (set SSL_CERT_FILE or use --ca-file)")
	}
	return s, nil
}
