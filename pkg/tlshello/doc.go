// Package tlshello finds out which protocol versions, cipher suites and key-exchange groups a
// TLS server accepts, using ClientHello messages built byte by byte.
//
// Go's TLS client cannot offer SSL 3.0, DHE, CAMELLIA, ARIA, CCM, NULL, EXPORT or anonymous
// suites, nor choose the TLS 1.3 suites it offers. This package does not need to: it writes a
// ClientHello offering exactly the versions, suites and groups wanted, reads the server's first
// flight (ServerHello, HelloRetryRequest, alert, reset or silence) and hangs up. It never
// completes a handshake and implements no cipher.
//
// Scan enumerates a server; BuildClientHello and ParseServerFlight are the building blocks,
// exported for tests and fuzzing. Registry is the IANA cipher-suite table with a grade for every
// suite. What each webhook sender offers is in package profile.
package tlshello
