//go:build linux

package integration

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
)

// site is one scenario as a server serves it: a listener on its own port
// with its own certificate. The exported fields are what the templates in
// testdata/ read.
type site struct {
	sc    scenario
	files *certFiles

	Name      string
	Port      int
	Cert      string // the served certificates: fullchain, or the leaf alone
	Key       string
	Bundle    string // HAProxy: Cert then Key in one file
	Staple    string // nginx: the ssl_stapling_file, "" for no stapling
	StapleURL string // Apache: SSLStaplingForceURL, "" for no stapling
	ClientCA  string // "" unless mTLS
	MTLS      string // "", "optional" or "required"
	Legacy    bool
	StaticRSA bool   // TLS 1.2, static RSA key exchange with AES-GCM only
	Curves    string // the only key-exchange groups accepted (OpenSSL's names); "" for the server's default

	// nginx: the scenario's own tlsConf, "" (false) where it has none.
	Protocols    string
	Ciphers      string
	Ciphersuites string
	DHParam      string // the ssl_dhparam file
	PreferServer bool
}

// The healthy configuration's ciphers for TLS 1.2: ECDHE with AES-GCM only.
const modernCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" +
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"

// staticRSACiphers are the staticRSA scenario's TLS 1.2 suites: RSA key
// exchange with AES-GCM, nothing a webhook sender offers.
const staticRSACiphers = "AES128-GCM-SHA256:AES256-GCM-SHA384"

// StaticRSACiphers gives the templates staticRSACiphers.
func (serverConf) StaticRSACiphers() string { return staticRSACiphers }

// serverConf is what a template is rendered with.
type serverConf struct {
	Dir           string // the server's own temporary directory
	Sites         []*site
	User, Group   string // Apache's children run as them when the test is root
	ModernCiphers string
}

// setupSites issues the certificates and staples of every scenario and
// returns the sites, ports not yet assigned.
func setupSites(t *testing.T, p *pki, scs []scenario) []*site {
	t.Helper()
	var sites []*site
	var dhparam string // made once, for the first scenario that needs it
	for _, sc := range scs {
		f := p.issue(sc)
		s := &site{sc: sc, files: f, Name: sc.name, Cert: f.fullchain, Key: f.key, Bundle: f.bundle,
			MTLS: sc.mtls, Legacy: sc.legacy, StaticRSA: sc.staticRSA, Curves: sc.curves}
		if sc.leafOnly {
			s.Cert = f.leafOnly
		}
		if c := sc.tls; c != nil {
			s.Protocols, s.Ciphers, s.Ciphersuites, s.PreferServer = c.protocols, c.ciphers, c.ciphersuites, c.preferServer
			if c.dhparam {
				if dhparam == "" {
					dhparam = ffdhe2048(t, p.dir)
				}
				s.DHParam = dhparam
			}
		}
		if sc.mtls != "" {
			s.ClientCA = p.privateClientCAs
			if sc.metaCA {
				s.ClientCA = p.metaClientCAs
			}
		}
		sites = append(sites, s)
	}
	// The CA database is complete: every staple can be made now.
	for _, s := range sites {
		if s.files.staple != "" {
			p.makeStaple(s.files, s.sc.staple == stapleGoodWithSignerCert)
			s.Staple = s.files.staple
		}
	}
	return sites
}

// healthyPort is the port for the healthy scenario: 443 when the test may
// bind it (as root in CI), because connect.port warns about any other port
// and only on 443 does a healthy endpoint pass with --fail-on warn.
// Elsewhere it returns 0 (a free port) and logs why; under
// WACHECK_REQUIRE_INTEGRATION=1 it fails instead, so CI always proves the
// exit code 0.
func healthyPort(t *testing.T) int {
	t.Helper()
	port443.Lock()
	ln, err := net.Listen("tcp4", "127.0.0.1:443")
	if err == nil {
		ln.Close()
		// Registered before the server starts, so run after it stopped.
		t.Cleanup(port443.Unlock)
		return 443
	}
	port443.Unlock()
	msg := fmt.Sprintf("cannot listen on 127.0.0.1:443 (%v): the healthy scenario runs on a free port, "+
		"where connect.port warns and --fail-on warn exits 1", err)
	if required() {
		t.Fatalf("%s (%s=1: CI must prove that a healthy endpoint exits 0)", msg, testpki.RequireEnv)
	}
	t.Log(msg)
	return 0
}

// port443 is held by the test whose server listens on 127.0.0.1:443.
var port443 sync.Mutex

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. The server may still lose a race for one; startServer retries.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// renderTemplate executes the template testdata/name with data into the
// file out.
func renderTemplate(t *testing.T, name, out string, data any) {
	t.Helper()
	tmpl, err := template.New(name).Option("missingkey=error").ParseFiles(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// serverSpec describes how to run one server process.
type serverSpec struct {
	name  string // for messages: "nginx"
	dir   string // its temporary directory
	sites []*site
	// configure writes the configuration for the sites' current ports and
	// returns the command line and the log files worth showing on failure.
	configure func() (argv []string, logs []string)
}

// startServer assigns ports to the sites (keeping a port already set, such
// as 443), starts the server in its own process group, waits until every
// port accepts connections and stops the whole group at cleanup. A lost
// race for a free port is retried with new ports.
func startServer(t *testing.T, spec serverSpec) {
	t.Helper()
	fixed := map[*site]bool{}
	for _, s := range spec.sites {
		fixed[s] = s.Port != 0
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports := freePorts(t, len(spec.sites))
		for i, s := range spec.sites {
			if !fixed[s] {
				s.Port = ports[i]
			}
		}
		argv, logs := spec.configure()
		p, err := launch(t, spec.name, spec.dir, argv, logs)
		if err == nil {
			err = p.waitReady(spec.sites, 20*time.Second)
			if err == nil {
				return
			}
			p.stop(t)
		}
		lastErr = err
		if !strings.Contains(strings.ToLower(err.Error()), "address already in use") {
			break
		}
	}
	t.Fatalf("start %s: %v", spec.name, lastErr)
}

// proc is a running server.
type proc struct {
	name   string
	cmd    *exec.Cmd
	output string   // its stdout and stderr
	logs   []string // its log files
	done   chan struct{}
	err    error // from Wait, once done is closed
	once   sync.Once
}

func launch(t *testing.T, name, dir string, argv, logs []string) (*proc, error) {
	t.Helper()
	p := &proc{name: name, output: filepath.Join(dir, name+".out"), logs: logs, done: make(chan struct{})}
	out, err := os.Create(p.output)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = out, out
	// Its own process group, so that stop reaches the workers too; and
	// killed with the test binary if that dies first.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, p.dumpLogs())
		}
	})
	return p, nil
}

// waitReady waits until every site's port accepts a connection.
func (p *proc) waitReady(sites []*site, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, s := range sites {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port))
		for {
			c, err := net.DialTimeout("tcp4", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-p.done:
				return fmt.Errorf("%s exited before listening on %s (%v):\n%s", p.name, addr, p.err, p.dumpLogs())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s does not accept connections on %s after %s:\n%s", p.name, addr, timeout, p.dumpLogs())
			}
		}
	}
	return nil
}

// stop terminates the process group: SIGTERM, then SIGKILL after five
// seconds, and waits until no process of the group is left.
func (p *proc) stop(t *testing.T) {
	p.once.Do(func() {
		pgid := p.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			t.Logf("%s did not stop within 5s of SIGTERM: killing it", p.name)
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
		// Workers the master left behind are still in its group.
		deadline := time.Now().Add(5 * time.Second)
		for groupAlive(pgid) {
			if time.Now().After(deadline) {
				t.Errorf("%s: processes of group %d outlived it", p.name, pgid)
				return
			}
			syscall.Kill(-pgid, syscall.SIGKILL)
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// groupAlive reports whether a process other than a zombie is left in the
// process group, from /proc: a zombie whose parent does not reap it (PID 1
// in some containers) must not count.
func groupAlive(pgid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp ...; comm may contain spaces.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

func (p *proc) dumpLogs() string {
	var b strings.Builder
	for _, f := range append([]string{p.output}, p.logs...) {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		fmt.Fprintf(&b, "--- %s\n%s", f, data)
	}
	return b.String()
}

// ocspResponder serves prepared OCSP responses on 127.0.0.1, one per path,
// whatever the request: Apache cannot staple from a file, only fetch from a
// responder, so its sites name this one in SSLStaplingForceURL.
func ocspResponder(t *testing.T, sites []*site) {
	t.Helper()
	responses := map[string][]byte{}
	for _, s := range sites {
		if s.Staple == "" {
			continue
		}
		der, err := os.ReadFile(s.Staple)
		if err != nil {
			t.Fatal(err)
		}
		responses["/"+s.Name] = der
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		der, ok := responses[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(der)
	}))
	t.Cleanup(srv.Close)
	for _, s := range sites {
		if s.Staple != "" {
			s.StapleURL = srv.URL + "/" + s.Name
		}
	}
}

// runServerTests is the body of each server's test: it sets up the PKI and
// the sites of scs, starts the server through start, and probes every
// scenario.
func runServerTests(t *testing.T, server string, scs []scenario, start func(t *testing.T, dir string, sites []*site)) {
	p := newPKI(t)
	sites := setupSites(t, p, scs)
	if sites[0].Name != "healthy" {
		t.Fatal("the healthy scenario must come first")
	}
	sites[0].Port = healthyPort(t)
	start(t, t.TempDir(), sites)
	for _, s := range sites {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			r := s.sc.verify(t, server, s.Port, p)
			certAgrees(t, s.Cert, p, r)
		})
	}
}
