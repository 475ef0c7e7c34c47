//go:build linux

package integration

import (
	"os"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/wacheck/wacheck/internal/testpki"
)

// TestApache runs every scenario against one Apache httpd
// (testdata/apache2.conf.tmpl) with mod_ssl and mod_http2. Apache has no
// stapling from a file, so its responses come from a loopback responder
// serving the staples openssl ocsp made.
func TestApache(t *testing.T) {
	apache := requireBinary(t, "apache2")
	requireBinary(t, "openssl")
	const modules = "/usr/lib/apache2/modules"
	if !fileExists(filepath.Join(modules, "mod_ssl.so")) {
		testpki.SkipOrFail(t, "Apache's modules are not in "+modules+" (Debian's layout): install apache2")
	}
	runServerTests(t, "apache2", scenarios, func(t *testing.T, dir string, sites []*site) {
		ocspResponder(t, sites)
		conf := filepath.Join(dir, "apache2.conf")
		data := serverConf{Dir: dir, Sites: sites, ModernCiphers: modernCiphers}
		if os.Geteuid() == 0 {
			data.User, data.Group = unprivileged(t)
		}
		startServer(t, serverSpec{name: "apache2", dir: dir, sites: sites, configure: func() ([]string, []string) {
			renderTemplate(t, "apache2.conf.tmpl", conf, data)
			return []string{apache, "-f", conf, "-DFOREGROUND"}, []string{filepath.Join(dir, "error.log")}
		}})
	})
}

// unprivileged returns the user and group Apache's children switch to when
// the test runs as root: www-data on Debian, else nobody.
func unprivileged(t *testing.T) (string, string) {
	for _, name := range []string{"www-data", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			continue
		}
		return u.Username, g.Name
	}
	t.Fatal("running as root, and there is neither a www-data nor a nobody user for Apache's children")
	return "", ""
}
