package exporter

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/bcrypt"

	"github.com/wacheck/wacheck/internal/readfile"
)

// Bounds of the web config (wacheck serve --web-config).
const (
	// maxWebConfigSize bounds the web config file.
	maxWebConfigSize = 64 << 10
	// maxPEMSize bounds the certificate, key and client CA files.
	maxPEMSize = 1 << 20
	// maxUsers bounds basic_auth_users: every request compares its user
	// name with each.
	maxUsers = 100
	// maxBcryptCost bounds a password hash's cost: each step doubles the
	// work of checking a password (10 takes tens of milliseconds, 16 a
	// few seconds).
	maxBcryptCost = 16
)

// htpasswdHint is how to make a password hash.
const htpasswdHint = `hash a password with: htpasswd -nBC 10 "" | tr -d ':\n'`

// WebConfig is the exporter's own HTTP server's TLS and basic
// authentication: the subset of prometheus/exporter-toolkit's web
// configuration file (--web-config) that wacheck serve reads.
type WebConfig struct {
	// Path is the file it was read from.
	Path string
	// TLS, when set, makes the server serve HTTPS only.
	TLS *WebTLS
	// Users are the basic auth users and their bcrypt hashes; none: no
	// authentication.
	Users map[string]string
	// Headers are set on every answer (http_server_config.headers).
	Headers map[string]string
	// HTTP2 is http_server_config.http2 (default true; with TLS only).
	HTTP2 bool
}

// WebTLS is tls_server_config, its paths made relative to the current
// directory.
type WebTLS struct {
	CertFile, KeyFile string
	ClientAuth        tls.ClientAuthType
	ClientCAFile      string
	ClientCAs         *x509.CertPool
	MinVersion        uint16
	MaxVersion        uint16
	CipherSuites      []uint16

	certs *certReloader
}

// The file's shape. Values are nodes, so that a mistake names its line;
// the keys of exporter-toolkit's format that wacheck does not implement
// are named, so that they are refused as such rather than as unknown.
type webFileYAML struct {
	TLS       *webTLSYAML  `yaml:"tls_server_config"`
	HTTP      *webHTTPYAML `yaml:"http_server_config"`
	Users     yaml.Node    `yaml:"basic_auth_users"`
	RateLimit yaml.Node    `yaml:"rate_limit"`
}

type webTLSYAML struct {
	CertFile          yaml.Node `yaml:"cert_file"`
	KeyFile           yaml.Node `yaml:"key_file"`
	ClientAuthType    yaml.Node `yaml:"client_auth_type"`
	ClientCAFile      yaml.Node `yaml:"client_ca_file"`
	MinVersion        yaml.Node `yaml:"min_version"`
	MaxVersion        yaml.Node `yaml:"max_version"`
	CipherSuites      yaml.Node `yaml:"cipher_suites"`
	PreferServer      yaml.Node `yaml:"prefer_server_cipher_suites"`
	Cert              yaml.Node `yaml:"cert"`
	Key               yaml.Node `yaml:"key"`
	ClientCA          yaml.Node `yaml:"client_ca"`
	ClientAllowedSANs yaml.Node `yaml:"client_allowed_sans"`
	CurvePreferences  yaml.Node `yaml:"curve_preferences"`
}

type webHTTPYAML struct {
	HTTP2   yaml.Node `yaml:"http2"`
	Headers yaml.Node `yaml:"headers"`
}

// clientAuthTypes are client_auth_type's values.
var clientAuthTypes = map[string]tls.ClientAuthType{
	"NoClientCert":               tls.NoClientCert,
	"RequestClientCert":          tls.RequestClientCert,
	"RequireAnyClientCert":       tls.RequireAnyClientCert,
	"VerifyClientCertIfGiven":    tls.VerifyClientCertIfGiven,
	"RequireAndVerifyClientCert": tls.RequireAndVerifyClientCert,
}

// webHeaders are the headers http_server_config.headers may set, and the
// values each accepts (nil: any).
var webHeaders = map[string][]string{
	"Content-Security-Policy":   nil,
	"X-Frame-Options":           {"deny", "sameorigin"},
	"X-Content-Type-Options":    {"nosniff"},
	"X-XSS-Protection":          nil,
	"Strict-Transport-Security": nil,
}

// LoadWebConfig reads the web config file at path. It is strict: an
// unknown key, a key of exporter-toolkit's format wacheck does not
// implement, a value that is not one of its kind, a certificate, key or
// CA file that cannot be read or used, or a password hash that is not
// bcrypt is an error naming the line. Paths in it are relative to its
// directory.
func LoadWebConfig(path string) (*WebConfig, error) {
	data, err := readfile.Regular(path, maxWebConfigSize)
	if err != nil {
		return nil, &ConfigError{File: "web config", Path: path, Msg: readfile.Words(err).Error()}
	}
	return parseWebConfig(path, data)
}

func parseWebConfig(path string, data []byte) (*WebConfig, error) {
	bad := func(line int, format string, a ...any) *ConfigError {
		return &ConfigError{File: "web config", Path: path, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	var f webFileYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, bad(0, "%s", yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, bad(extra.Line, "more than one YAML document")
	}
	if set(&f.RateLimit) {
		return nil, bad(f.RateLimit.Line, "rate_limit is not supported by wacheck serve: --concurrency and --min-interval bound the probes")
	}
	dir := filepath.Dir(path)
	w := &WebConfig{Path: path, HTTP2: true}

	if h := f.HTTP; h != nil {
		if set(&h.HTTP2) {
			var b bool
			if h.HTTP2.Kind != yaml.ScalarNode || h.HTTP2.Decode(&b) != nil {
				return nil, bad(h.HTTP2.Line, "http_server_config.http2 must be true or false")
			}
			w.HTTP2 = b
		}
		if set(&h.Headers) {
			if err := w.setHeaders(&h.Headers); err != nil {
				return nil, bad(err.line, "%s", err.msg)
			}
		}
	}
	if set(&f.Users) {
		if err := w.setUsers(&f.Users); err != nil {
			e := bad(err.line, "%s", err.msg)
			e.Hint = err.hint
			return nil, e
		}
	}
	if f.TLS != nil {
		t, err := parseWebTLS(f.TLS, dir)
		if err != nil {
			e := bad(err.line, "%s", err.msg)
			e.Hint = err.hint
			return nil, e
		}
		w.TLS = t
	}
	return w, nil
}

// webError is a value's mistake on its line, and what to do about it.
type webError struct {
	line int
	msg  string
	hint string
}

func set(n *yaml.Node) bool { return n.Kind != 0 && n.Tag != "!!null" }

// str is a scalar node's value.
func str(n *yaml.Node, key string) (string, *webError) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Value == "" {
		return "", &webError{line: n.Line, msg: key + " must be a single value"}
	}
	return n.Value, nil
}

// relative is p relative to the config file's directory, as
// exporter-toolkit reads it.
func relative(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func (w *WebConfig) setHeaders(n *yaml.Node) *webError {
	if n.Kind != yaml.MappingNode {
		return &webError{line: n.Line, msg: "http_server_config.headers must be a map of header: value"}
	}
	w.Headers = map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		allowed, ok := webHeaders[k.Value]
		if !ok {
			names := slices.Sorted(maps.Keys(webHeaders))
			return &webError{line: k.Line, msg: fmt.Sprintf("unknown header %q (use %s)", truncate(k.Value, 64), strings.Join(names, ", "))}
		}
		val, err := str(v, "headers."+k.Value)
		if err != nil {
			return err
		}
		if strings.ContainsAny(val, "\r\n\x00") {
			return &webError{line: v.Line, msg: fmt.Sprintf("headers.%s: a header value is one line", k.Value)}
		}
		if allowed != nil && !slices.Contains(allowed, strings.ToLower(val)) {
			return &webError{line: v.Line, msg: fmt.Sprintf("headers.%s: invalid value %q (use %s)", k.Value, truncate(val, 64), strings.Join(allowed, " or "))}
		}
		w.Headers[k.Value] = val
	}
	return nil
}

func (w *WebConfig) setUsers(n *yaml.Node) *webError {
	if n.Kind != yaml.MappingNode {
		return &webError{line: n.Line, msg: "basic_auth_users must be a map of user: bcrypt hash"}
	}
	if len(n.Content)/2 > maxUsers {
		return &webError{line: n.Line, msg: fmt.Sprintf("%d basic_auth_users, at most %d", len(n.Content)/2, maxUsers),
			hint: "for many users, use client certificates (client_auth_type) or a reverse proxy"}
	}
	w.Users = map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		user := k.Value
		switch {
		case k.Kind != yaml.ScalarNode || user == "":
			return &webError{line: k.Line, msg: "a basic_auth_users name must be a non-empty string"}
		case strings.Contains(user, ":"):
			return &webError{line: k.Line, msg: fmt.Sprintf("user %q: a basic auth user name cannot hold ':'", truncate(user, 64))}
		}
		if _, dup := w.Users[user]; dup {
			return &webError{line: k.Line, msg: fmt.Sprintf("user %q is listed twice", truncate(user, 64))}
		}
		hash, err := str(v, "user "+fmt.Sprintf("%q", truncate(user, 64))+"'s hash")
		if err != nil {
			err.hint = htpasswdHint
			return err
		}
		cost, cerr := bcrypt.Cost([]byte(hash))
		if cerr != nil || len(hash) != 60 {
			return &webError{line: v.Line, msg: fmt.Sprintf("user %q: the password is not a bcrypt hash ($2y$10$ and 53 more characters)", truncate(user, 64)),
				hint: htpasswdHint}
		}
		if cost > maxBcryptCost {
			return &webError{line: v.Line, msg: fmt.Sprintf("user %q: bcrypt cost %d is above %d: each check would take seconds", truncate(user, 64), cost, maxBcryptCost),
				hint: htpasswdHint}
		}
		w.Users[user] = hash
	}
	return nil
}

func parseWebTLS(y *webTLSYAML, dir string) (*WebTLS, *webError) {
	for _, u := range []struct {
		n       *yaml.Node
		key, do string
	}{
		{&y.Cert, "cert", "give the file with cert_file"},
		{&y.Key, "key", "give the file with key_file"},
		{&y.ClientCA, "client_ca", "give the file with client_ca_file"},
		{&y.ClientAllowedSANs, "client_allowed_sans", "issue client certificates from a CA of their own"},
		{&y.CurvePreferences, "curve_preferences", "Go's defaults are used"},
	} {
		if set(u.n) {
			return nil, &webError{line: u.n.Line, msg: fmt.Sprintf("tls_server_config.%s is not supported by wacheck serve: %s", u.key, u.do)}
		}
	}
	if !set(&y.CertFile) || !set(&y.KeyFile) {
		return nil, &webError{msg: "tls_server_config needs cert_file and key_file"}
	}
	t := &WebTLS{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}
	certFile, err := str(&y.CertFile, "cert_file")
	if err != nil {
		return nil, err
	}
	keyFile, err := str(&y.KeyFile, "key_file")
	if err != nil {
		return nil, err
	}
	t.CertFile, t.KeyFile = relative(dir, certFile), relative(dir, keyFile)
	t.certs = &certReloader{certFile: t.CertFile, keyFile: t.KeyFile}
	if lerr := t.certs.load(); lerr != nil {
		line := y.CertFile.Line
		if lerr.key {
			line = y.KeyFile.Line
		}
		return nil, &webError{line: line, msg: lerr.Error(),
			hint: "cert_file is the PEM certificate chain (leaf first), key_file its PEM private key; paths are relative to the web config's directory"}
	}

	if set(&y.ClientAuthType) {
		v, err := str(&y.ClientAuthType, "client_auth_type")
		if err != nil {
			return nil, err
		}
		ca, ok := clientAuthTypes[v]
		if !ok {
			return nil, &webError{line: y.ClientAuthType.Line,
				msg: fmt.Sprintf("invalid client_auth_type %q (use NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)", truncate(v, 64))}
		}
		t.ClientAuth = ca
	}
	if set(&y.ClientCAFile) {
		v, err := str(&y.ClientCAFile, "client_ca_file")
		if err != nil {
			return nil, err
		}
		if t.ClientAuth == tls.NoClientCert {
			return nil, &webError{line: y.ClientCAFile.Line, msg: "client_ca_file without a client_auth_type that asks for certificates",
				hint: "add client_auth_type: RequireAndVerifyClientCert"}
		}
		t.ClientCAFile = relative(dir, v)
		data, rerr := readfile.Regular(t.ClientCAFile, maxPEMSize)
		if rerr != nil {
			return nil, &webError{line: y.ClientCAFile.Line, msg: fmt.Sprintf("client_ca_file %s: %v", t.ClientCAFile, readfile.Words(rerr))}
		}
		t.ClientCAs = x509.NewCertPool()
		if !t.ClientCAs.AppendCertsFromPEM(data) {
			return nil, &webError{line: y.ClientCAFile.Line, msg: fmt.Sprintf("client_ca_file %s: no PEM certificate in it", t.ClientCAFile)}
		}
	}
	if (t.ClientAuth == tls.VerifyClientCertIfGiven || t.ClientAuth == tls.RequireAndVerifyClientCert) && t.ClientCAs == nil {
		return nil, &webError{line: y.ClientAuthType.Line, msg: fmt.Sprintf("client_auth_type %s needs client_ca_file, the CA that issues the client certificates", y.ClientAuthType.Value)}
	}
	versions := map[string]uint16{"TLS12": tls.VersionTLS12, "TLS13": tls.VersionTLS13}
	for _, v := range []struct {
		n   *yaml.Node
		key string
		dst *uint16
	}{{&y.MinVersion, "min_version", &t.MinVersion}, {&y.MaxVersion, "max_version", &t.MaxVersion}} {
		if !set(v.n) {
			continue
		}
		s, err := str(v.n, v.key)
		if err != nil {
			return nil, err
		}
		ver, ok := versions[s]
		if !ok {
			return nil, &webError{line: v.n.Line, msg: fmt.Sprintf("invalid %s %q (use TLS12 or TLS13)", v.key, truncate(s, 64))}
		}
		*v.dst = ver
	}
	if t.MinVersion > t.MaxVersion {
		return nil, &webError{line: y.MinVersion.Line, msg: "min_version is above max_version"}
	}
	if set(&y.CipherSuites) {
		if y.CipherSuites.Kind != yaml.SequenceNode {
			return nil, &webError{line: y.CipherSuites.Line, msg: "cipher_suites must be a list of names such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
		}
		ids := map[string]uint16{}
		for _, s := range tls.CipherSuites() {
			ids[s.Name] = s.ID
		}
		for _, n := range y.CipherSuites.Content {
			id, ok := ids[n.Value]
			if n.Kind != yaml.ScalarNode || !ok {
				return nil, &webError{line: n.Line, msg: fmt.Sprintf("unknown or insecure cipher suite %q", truncate(n.Value, 64)),
					hint: "use the names of Go's crypto/tls CipherSuites(), e.g. TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
			}
			t.CipherSuites = append(t.CipherSuites, id)
		}
	}
	if set(&y.PreferServer) {
		var b bool
		if y.PreferServer.Kind != yaml.ScalarNode || y.PreferServer.Decode(&b) != nil {
			return nil, &webError{line: y.PreferServer.Line, msg: "prefer_server_cipher_suites must be true or false"}
		}
		// Go chooses the suite itself since 1.17: accepted, without effect.
	}
	return t, nil
}

// Config is the server's tls.Config: the certificate read again when its
// files change, client certificates as client_auth_type says.
func (t *WebTLS) Config() *tls.Config {
	return &tls.Config{
		GetCertificate: t.certs.get,
		ClientAuth:     t.ClientAuth,
		ClientCAs:      t.ClientCAs,
		MinVersion:     t.MinVersion,
		MaxVersion:     t.MaxVersion,
		CipherSuites:   t.CipherSuites,
	}
}

// certReloader serves the certificate of cert_file and key_file, and reads
// them again when either changes (size or modification time, checked at
// each handshake): a renewed certificate is served without a restart. A
// pair that does not load (a renewal half written) leaves the last good
// one in use, and is tried again at the next handshake.
type certReloader struct {
	certFile, keyFile string
	// logf, when set, is told of a pair that did not load.
	logf func(format string, a ...any)

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp
	lastErr string
}

type fileStamp struct {
	size int64
	mod  time.Time
}

type loadError struct {
	err error
	key bool // about the key file
}

func (e *loadError) Error() string { return e.err.Error() }

func stampOf(path string) (fileStamp, error) {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{st.Size(), st.ModTime()}, nil
}

// load reads the pair; c.mu is held or c is not yet shared.
func (c *certReloader) load() *loadError {
	// Stamped before reading: a change while reading is seen next time.
	cs, err := stampOf(c.certFile)
	var certPEM, keyPEM []byte
	if err == nil {
		certPEM, err = readfile.Regular(c.certFile, maxPEMSize)
	}
	if err != nil {
		return &loadError{err: fmt.Errorf("cert_file %s: %v", c.certFile, readfile.Words(err))}
	}
	ks, err := stampOf(c.keyFile)
	if err == nil {
		keyPEM, err = readfile.Regular(c.keyFile, maxPEMSize)
	}
	if err != nil {
		return &loadError{err: fmt.Errorf("key_file %s: %v", c.keyFile, readfile.Words(err)), key: true}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return &loadError{err: fmt.Errorf("cert_file %s with key_file %s: %v", c.certFile, c.keyFile,
			strings.TrimPrefix(err.Error(), "tls: "))}
	}
	c.cert, c.stamp = &cert, [2]fileStamp{cs, ks}
	return nil
}

func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cs, err1 := stampOf(c.certFile)
	ks, err2 := stampOf(c.keyFile)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err1 == nil && err2 == nil && [2]fileStamp{cs, ks} != c.stamp {
		if err := c.load(); err != nil {
			if msg := err.Error(); msg != c.lastErr && c.logf != nil {
				c.logf("wacheck: serve: still serving the last certificate: %s", msg)
				c.lastErr = msg
			}
		} else {
			c.lastErr = ""
		}
	}
	if c.cert == nil {
		return nil, errors.New("no certificate")
	}
	return c.cert, nil
}
