// Package exporter is wacheck's Prometheus exporter (wacheck serve), in the
// blackbox_exporter style: Prometheus asks /probe?target=T&module=M, the
// exporter probes T as module M says and answers with the probe's metrics
// (docs/metrics.md). A module is a sender profile plus settings; every
// profile is a built-in module of its name, and a YAML file adds more.
package exporter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wacheck/wacheck/internal/readfile"
	"github.com/wacheck/wacheck/pkg/checks"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/trust"
)

// Defaults of the exporter's settings (wacheck serve's flags).
const (
	DefaultListen      = ":9116"
	DefaultConcurrency = 8
	DefaultMinInterval = 10 * time.Second
)

// Bounds of the settings.
const (
	// MaxConcurrency bounds Config.Concurrency: an exporter, not a load
	// generator.
	MaxConcurrency = 256
	// MaxMinInterval bounds Config.MinInterval.
	MaxMinInterval = time.Hour
	// MaxTimeout bounds a module's timeout.
	MaxTimeout = 2 * time.Minute
	// maxConfigSize bounds the config file.
	maxConfigSize = 1 << 20
	// maxTokenSize bounds a verify token file.
	maxTokenSize = 4 << 10
	// maxModules bounds the modules of a config file.
	maxModules = 1000
)

// Config is the exporter's configuration.
type Config struct {
	// Listen is the address to listen on (host:port).
	Listen string
	// Modules are the modules by name: the built-in ones (one per sender
	// profile) and the config file's, which replace a built-in one of the
	// same name.
	Modules map[string]*Module
	// Roots is the root store of the modules that name none (--ca-file,
	// --trust); Mozilla's when nil.
	Roots *trust.Store
	// Concurrency is how many probes run at once; more wait.
	Concurrency int
	// MinInterval is the least time between two probes of one target with
	// one module; a scrape within it gets the last probe's result. 0
	// probes every time.
	MinInterval time.Duration
	// Version is the build's version, for wacheck_exporter_build_info.
	Version string
	// Web is the server's TLS and basic authentication (--web-config);
	// nil serves plain HTTP to anyone.
	Web *WebConfig
	// Log, when set, is told what goes wrong outside a request (a renewed
	// certificate that does not load).
	Log io.Writer
}

// Module is how to probe a target: as which sender, judged how.
type Module struct {
	// Sender is the profile key (meta, stripe, ...).
	Sender string
	// FailOn is the level at or above which a check fails the probe
	// (wacheck_probe_success 0): pass, info, warn, fail or never.
	FailOn    string
	Enumerate bool
	Timeout   time.Duration
	// Trust ("mozilla" or "system") and CAFile name the module's root
	// store; both "" for the server's (Config.Roots).
	Trust  string
	CAFile string
	// Roots is the store Trust or CAFile loaded; nil for the server's.
	Roots      *trust.Store
	Thresholds checks.Thresholds
	// Webhook, when set, makes the webhook verification request too.
	Webhook *WebhookModule
}

// WebhookModule is a module's webhook verification request.
type WebhookModule struct {
	// Path is the callback URL's path, used when the target has none.
	Path string
	// VerifyTokenFile holds the verify token; VerifyToken is what it held.
	VerifyTokenFile string
	VerifyToken     string
}

// DefaultModule is a sender's built-in module: the probe command's
// defaults.
func DefaultModule(sender string) *Module {
	return &Module{
		Sender:     sender,
		FailOn:     "fail",
		Enumerate:  true,
		Timeout:    probe.DefaultTimeout,
		Thresholds: checks.DefaultThresholds(),
	}
}

// BuiltinModules are the built-in modules: one per sender profile, named
// by its key.
func BuiltinModules() map[string]*Module {
	out := map[string]*Module{}
	for _, k := range profile.Keys() {
		out[k] = DefaultModule(k)
	}
	return out
}

// DefaultConfig is the configuration without a config file.
func DefaultConfig() *Config {
	return &Config{
		Listen:      DefaultListen,
		Modules:     BuiltinModules(),
		Concurrency: DefaultConcurrency,
		MinInterval: DefaultMinInterval,
	}
}

// ConfigError is a mistake in the config file, or in the web config file
// (File "web config"); Line is 0 when it is not about one line, Hint says
// what to do when there is more to say than the documentation.
type ConfigError struct {
	File string // "config" when empty
	Path string
	Line int
	Msg  string
	Hint string
}

func (e *ConfigError) Error() string {
	file := e.File
	if file == "" {
		file = "config"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s %s: line %d: %s", file, e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s %s: %s", file, e.Path, e.Msg)
}

// LoadConfig reads the YAML config file at path: the default
// configuration plus its modules. It is strict: an unknown key, a sender
// that is no profile, a fail_on, trust or duration that is not one is an
// error naming the line.
func LoadConfig(path string) (*Config, error) {
	data, err := readfile.Regular(path, maxConfigSize)
	if err != nil {
		return nil, &ConfigError{Path: path, Msg: readfile.Words(err).Error()}
	}
	mods, err := parseConfig(path, data)
	if err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	for name, m := range mods {
		cfg.Modules[name] = m
	}
	return cfg, nil
}

// The file's shape. Scalars that need checking have their own types, so
// that their errors name the line.
type fileYAML struct {
	Modules map[string]moduleYAML `yaml:"modules"`
}

type moduleYAML struct {
	Sender     senderKey       `yaml:"sender"`
	FailOn     failOn          `yaml:"fail_on"`
	Enumerate  *bool           `yaml:"enumerate"`
	Timeout    duration        `yaml:"timeout"`
	Trust      trustName       `yaml:"trust"`
	CAFile     string          `yaml:"ca_file"`
	Thresholds *thresholdsYAML `yaml:"thresholds"`
	Webhook    *webhookYAML    `yaml:"webhook"`
}

type thresholdsYAML struct {
	DNSWarn        duration `yaml:"dns_warn"`
	DNSFail        duration `yaml:"dns_fail"`
	ConnectWarn    duration `yaml:"connect_warn"`
	HandshakeWarn  duration `yaml:"handshake_warn"`
	HandshakeFail  duration `yaml:"handshake_fail"`
	ExpiryWarnDays *days    `yaml:"expiry_warn_days"`
}

type webhookYAML struct {
	Path            string `yaml:"path"`
	VerifyTokenFile string `yaml:"verify_token_file"`
}

// lineError is a value's mistake on its line.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", &lineError{n.Line, what + " must be a single value"}
	}
	return n.Value, nil
}

type senderKey string

func (s *senderKey) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalar(n, "sender")
	if err != nil {
		return err
	}
	if _, ok := profile.Lookup(v); !ok {
		return &lineError{n.Line, fmt.Sprintf("unknown sender %q (known: %s)", v, strings.Join(profile.Keys(), ", "))}
	}
	*s = senderKey(v)
	return nil
}

type failOn string

// failOnLevels are fail_on's values.
var failOnLevels = []string{"pass", "info", "warn", "fail", "never"}

func (f *failOn) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalar(n, "fail_on")
	if err != nil {
		return err
	}
	for _, l := range failOnLevels {
		if v == l {
			*f = failOn(v)
			return nil
		}
	}
	return &lineError{n.Line, fmt.Sprintf("invalid fail_on %q (use %s)", v, strings.Join(failOnLevels, ", "))}
}

type trustName string

func (t *trustName) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalar(n, "trust")
	if err != nil {
		return err
	}
	if v != "mozilla" && v != "system" {
		return &lineError{n.Line, fmt.Sprintf("invalid trust %q (use mozilla or system, or ca_file)", v)}
	}
	*t = trustName(v)
	return nil
}

type duration struct {
	d    time.Duration
	line int
}

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalar(n, "a duration")
	if err != nil {
		return err
	}
	p, err := time.ParseDuration(v)
	if err != nil || p <= 0 {
		return &lineError{n.Line, fmt.Sprintf("invalid duration %q (a positive duration such as 10s or 500ms)", v)}
	}
	d.d, d.line = p, n.Line
	return nil
}

type days int

func (d *days) UnmarshalYAML(n *yaml.Node) error {
	v, err := scalar(n, "expiry_warn_days")
	if err != nil {
		return err
	}
	var i int
	if _, err := fmt.Sscanf(v, "%d", &i); err != nil || fmt.Sprint(i) != v || i < 0 || i > 3650 {
		return &lineError{n.Line, fmt.Sprintf("invalid expiry_warn_days %q (whole days, 0 to 3650)", v)}
	}
	*d = days(i)
	return nil
}

// moduleName is what a module may be called: it becomes a label value.
// The regular expressions are compiled on first use, not at every wacheck
// command's start.
var moduleName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`) })

// yamlFieldError is yaml's wording of an unknown key.
var yamlFieldError = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`field (\S+) not found in type \S+`) })

// parseConfig parses the file's modules.
func parseConfig(path string, data []byte) (map[string]*Module, error) {
	bad := func(line int, format string, a ...any) error {
		return &ConfigError{Path: path, Line: line, Msg: fmt.Sprintf(format, a...)}
	}
	var f fileYAML
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		var le *lineError
		if errors.As(err, &le) {
			return nil, bad(le.line, "%s", le.msg)
		}
		return nil, bad(0, "%s", yamlMessage(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, bad(extra.Line, "more than one YAML document")
	}
	// The lines of the module names, for the mistakes found below.
	lines := moduleLines(data)
	if len(f.Modules) > maxModules {
		return nil, bad(0, "%d modules, at most %d", len(f.Modules), maxModules)
	}
	out := map[string]*Module{}
	for name, y := range f.Modules {
		line := lines[name]
		if !moduleName().MatchString(name) {
			return nil, bad(line, "invalid module name %q (letters, digits, '_', '-' and '.', at most 64)", name)
		}
		m := DefaultModule(profile.Default)
		if y.Sender != "" {
			m.Sender = string(y.Sender)
		}
		if y.FailOn != "" {
			m.FailOn = string(y.FailOn)
		}
		if y.Enumerate != nil {
			m.Enumerate = *y.Enumerate
		}
		if y.Timeout.d > 0 {
			if y.Timeout.d > MaxTimeout {
				return nil, bad(y.Timeout.line, "timeout %s is longer than %s", y.Timeout.d, MaxTimeout)
			}
			m.Timeout = y.Timeout.d
		}
		if y.CAFile != "" && y.Trust != "" {
			return nil, bad(line, "module %q: ca_file replaces the root store: drop trust", name)
		}
		var err error
		switch {
		case y.CAFile != "":
			m.CAFile = y.CAFile
			if m.Roots, err = trust.FromFile(y.CAFile); err != nil {
				return nil, bad(line, "module %q: ca_file: %v", name, err)
			}
		case y.Trust == "system":
			m.Trust = "system"
			if m.Roots, err = trust.System(); err != nil {
				return nil, bad(line, "module %q: trust system: %v", name, err)
			}
		case y.Trust == "mozilla":
			m.Trust = "mozilla"
			m.Roots = trust.Mozilla()
		}
		if t := y.Thresholds; t != nil {
			th := &m.Thresholds
			for _, p := range []struct {
				d   duration
				dst *time.Duration
			}{{t.DNSWarn, &th.DNSWarn}, {t.DNSFail, &th.DNSFail}, {t.ConnectWarn, &th.ConnectWarn},
				{t.HandshakeWarn, &th.HandshakeWarn}, {t.HandshakeFail, &th.HandshakeFail}} {
				if p.d.d > 0 {
					*p.dst = p.d.d
				}
			}
			if th.HandshakeWarn > th.HandshakeFail {
				return nil, bad(line, "module %q: handshake_warn %s is above handshake_fail %s", name, th.HandshakeWarn, th.HandshakeFail)
			}
			if th.DNSWarn > th.DNSFail {
				return nil, bad(line, "module %q: dns_warn %s is above dns_fail %s", name, th.DNSWarn, th.DNSFail)
			}
			if t.ExpiryWarnDays != nil {
				th.ExpiryWarn = time.Duration(*t.ExpiryWarnDays) * 24 * time.Hour
				th.ExpiryWarnRelative = false
			}
		}
		if w := y.Webhook; w != nil {
			if err := m.setWebhook(w); err != nil {
				return nil, bad(line, "module %q: webhook: %v", name, err)
			}
		}
		out[name] = m
	}
	return out, nil
}

// setWebhook checks the webhook section and reads its token file.
func (m *Module) setWebhook(w *webhookYAML) error {
	if ok, why := subject.WebhookSupported(profile.MustLookup(m.Sender)); !ok {
		return errors.New(why)
	}
	if w.Path == "" {
		w.Path = "/"
	}
	if !strings.HasPrefix(w.Path, "/") || strings.ContainsAny(w.Path, " \t\r\n#") || len(w.Path) > 1024 {
		return fmt.Errorf("path %q must be a URL path such as /webhook", w.Path)
	}
	wm := &WebhookModule{Path: w.Path, VerifyTokenFile: w.VerifyTokenFile}
	if w.VerifyTokenFile != "" {
		data, err := readfile.Regular(w.VerifyTokenFile, maxTokenSize)
		if err != nil {
			return fmt.Errorf("verify_token_file %s: %v", w.VerifyTokenFile, readfile.Words(err))
		}
		wm.VerifyToken = strings.TrimRight(string(data), "\r\n")
		if wm.VerifyToken == "" || strings.ContainsAny(wm.VerifyToken, "\r\n") {
			return fmt.Errorf("verify_token_file %s: want one line, the token", w.VerifyTokenFile)
		}
	}
	m.Webhook = wm
	return nil
}

// yamlMessage is a yaml error on one line, an unknown key said so.
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	msg = yamlFieldError().ReplaceAllString(msg, `unknown key "$1"`)
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// moduleLines maps each module's name to its line in the file.
func moduleLines(data []byte) map[string]int {
	out := map[string]int{}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "modules" {
			continue
		}
		mods := root.Content[i+1]
		for j := 0; j+1 < len(mods.Content); j += 2 {
			out[mods.Content[j].Value] = mods.Content[j].Line
		}
	}
	return out
}
