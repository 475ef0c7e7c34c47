//go:build linux

package integration

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestNginx runs every scenario, and the enumeration scenarios, against one
// nginx (testdata/nginx.conf.tmpl), stapling from ssl_stapling_file.
func TestNginx(t *testing.T) {
	nginx := requireBinary(t, "nginx")
	requireBinary(t, "openssl")
	runServerTests(t, "nginx", slices.Concat(scenarios, nginxScenarios), func(t *testing.T, dir string, sites []*site) {
		conf := filepath.Join(dir, "nginx.conf")
		errorLog := filepath.Join(dir, "error.log")
		startServer(t, serverSpec{name: "nginx", dir: dir, sites: sites, configure: func() ([]string, []string) {
			renderTemplate(t, "nginx.conf.tmpl", conf, serverConf{Dir: dir, Sites: sites, ModernCiphers: modernCiphers})
			// -e: the error log before the configuration is read, which
			// would otherwise go to /var/log/nginx.
			return []string{nginx, "-p", dir, "-c", conf, "-e", errorLog, "-g", "daemon off;"}, []string{errorLog}
		}})
	})
}
