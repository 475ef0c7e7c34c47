package probe

import (
	"context"
	"crypto/tls"
)

// What other network stages (package webhook's exchange) build on, so that
// they speak as the same client and word their errors alike.

// ClientConfig is the TLS configuration of opts's client sending sni (none
// when empty): the profile's versions, suites, groups and ALPN. It verifies
// nothing (InsecureSkipVerify); a caller that must authenticate the server
// adds a VerifyConnection.
func ClientConfig(opts Options, sni string) *tls.Config {
	if opts.ALPN == nil {
		opts.ALPN = opts.Client.ALPN
	}
	if opts.ALPN == nil {
		opts.ALPN = DefaultALPN
	}
	return clientConfig(opts, sni)
}

// Classify turns a network error met under ctx into a NetError, as the
// probe's own errors are.
func Classify(ctx context.Context, err error) *NetError {
	return classify(ctx, err)
}
