//go:build linux

package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHAProxy runs every scenario against one HAProxy
// (testdata/haproxy.cfg.tmpl), stapling from crt.ocsp files.
func TestHAProxy(t *testing.T) {
	haproxy := requireBinary(t, "haproxy")
	requireBinary(t, "openssl")
	runServerTests(t, "haproxy", scenarios, func(t *testing.T, dir string, sites []*site) {
		for _, s := range sites {
			if s.Staple == "" {
				continue
			}
			der, err := os.ReadFile(s.Staple)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.Bundle+".ocsp", der, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		conf := filepath.Join(dir, "haproxy.cfg")
		startServer(t, serverSpec{name: "haproxy", dir: dir, sites: sites, configure: func() ([]string, []string) {
			renderTemplate(t, "haproxy.cfg.tmpl", conf, serverConf{Dir: dir, Sites: sites, ModernCiphers: modernCiphers})
			return []string{haproxy, "-f", conf, "-db"}, nil
		}})
	})
}
