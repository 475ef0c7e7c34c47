package cli

import (
	"strings"
	"time"

	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/trust"
)

// The checks of the flags every judging command shares (probe, cert): the
// report's format, the exit level, the sender, the expiry threshold and the
// root store. One wording and one exit code for each mistake, whichever
// command it was made with.

func checkFormat(format string) error {
	switch format {
	case "text", "json":
		return nil
	}
	return usageErrorf("use --format text or --format json", "invalid --format %q", format)
}

func checkFailOn(level string) error {
	switch level {
	case "fail", "warn", "never":
		return nil
	}
	return usageErrorf("use --fail-on fail, warn or never", "invalid --fail-on %q", level)
}

func checkSender(key string) error {
	if _, ok := profile.Lookup(key); !ok {
		return usageErrorf("known senders: "+strings.Join(senderNames(), ", "), "unknown --sender %q", key)
	}
	return nil
}

// expiryWarn is --expiry-warn DAYS as a duration.
func expiryWarn(days int) (time.Duration, error) {
	if days < 0 {
		return 0, usageErrorf("e.g. --expiry-warn 30", "--expiry-warn must not be negative")
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// loadRoots is the root store --ca-file and --trust select.
func loadRoots(caFile, trustStore string) (*trust.Store, error) {
	switch {
	case caFile != "" && trustStore != "mozilla":
		return nil, usageErrorf("--ca-file replaces the root store; drop --trust", "--ca-file and --trust cannot be combined")
	case caFile != "":
		s, err := trust.FromFile(caFile)
		if err != nil {
			return nil, usageErrorf("give a PEM file of CA certificates, as for curl --cacert", "--ca-file: %v", err)
		}
		return s, nil
	case trustStore == "mozilla":
		return trust.Mozilla(), nil
	case trustStore == "system":
		s, err := trust.System()
		if err != nil {
			return nil, usageErrorf("use --trust mozilla or --ca-file", "--trust system: %v", err)
		}
		return s, nil
	}
	return nil, usageErrorf("use --trust mozilla or --trust system", "invalid --trust %q", trustStore)
}
