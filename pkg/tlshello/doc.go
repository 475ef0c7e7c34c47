// Package tlshello finds out which protocol versions, cipher suites and key-exchange groups a
// TLS server accepts, using ClientHello messages built by hand.
//
// Go's TLS client cannot offer SSL 3.0, DHE, CAMELLIA, ARIA, CCM, NULL, EXPORT or anonymous
// suites, nor choose the TLS 1.3 suites it offers. This package does not need to: it writes a
// ClientHello offering exactly the versions, suites and groups wanted, reads the server's first
// flight (ServerHello, HelloRetryRequest, alert, reset or silence) and hangs up. It never
// completes a handshake and implements no cipher. Hellos are built and replies parsed with
// golang.org/x/crypto/cryptobyte, whose reads are bounds-checked; a reply is read no further
// than the record holding what is needed, and at most 128 KiB of it.
//
// Scan enumerates a server; BuildClientHello and ParseServerFlight are the building blocks,
// exported for tests and fuzzing. Registry is the IANA cipher-suite table with a grade for every
// suite. What each webhook sender offers is in package profile.
//
// # Facts and "could not tell"
//
// Only a reply that keeps the rules of the protocol counts as evidence. A version is offered
// (Protocol.Offered true) when a well-formed ServerHello or HelloRetryRequest for it chose a
// suite, version, compression method and group that were offered; it is not offered (false)
// when the server refused the version itself (a protocol_version alert, or a ServerHello for
// a lower version) or refused every one of its suites with an alert. Everything else leaves
// Offered nil, "could not tell", with the Reason:
//
//   - a reset, a hang-up without a reply, a timeout, bytes that are not TLS, an SSLv2 reply;
//   - a protocol violation ("protocol violation: ..."): a suite, version, compression method
//     or group that was not offered, a HelloRetryRequest for a group whose key share was sent,
//     a TLS 1.3 ServerHello without a key share or not echoing the session ID, an ECDHE curve
//     that was not offered, a version higher than the one asked;
//   - a scan cut short (ctx ended) before every suite got an answer ("scan stopped: ...").
//
// The first hello of a version decides whether anything more is asked: when it gets no usable
// answer, the version is "could not tell" whatever later hellos would say. A version found
// offered stays offered; the hellos that got no usable answer are listed in Protocol.Errors,
// and the suites or groups they offered are then missing from the lists, never claimed.
//
// # How a scan works
//
// A scheduler keeps at most Options.Concurrency connections open and gives the next one to the
// part of the scan with the most left to find. Each version starts with one hello offering its
// likeliest suites; the same suites in the opposite order tell whether the server picks by its
// own preference or the client's (ChaCha20 suites are left out of that test and never put
// first, since many servers honour a client that puts ChaCha20 first).
//
// A server that follows the client's order chooses the first suite of a list it accepts, so
// each answer also settles every suite listed before it as refused. The suites still unknown
// are dealt into lists in flight at once, each the least likely suites first (settled for
// free when the server chooses one after them) and an anchor of likely ones last, likelihood
// being learnt as the scan goes (per kind of suite, and from what the other versions
// accepted). A server that imposes its own order is peeled instead: a list is offered again
// without the suite chosen until the server refuses it, which gives the server's order; the
// lists' orders are merged by offering their heads.
//
// Groups come with the suites: every hello offering suites lists every curve, rotated, so an
// ECDHE answer names one and, with a server following the client's order, settles the curves
// listed before it; a DHE answer shows the server's prime. The curves and RFC 7919 groups still
// unknown are then offered with the suites found. TLS 1.3 groups are tested without a key
// share, each likely group alone and the unlikely ones together, so that a server accepting
// the hello names its group in a HelloRetryRequest.
//
// Every answer settles at least one suite or group, so a scan makes at most about as many
// hellos as there are suites and groups to find, and never more than 3,000.
//
// # Handshakes beside the scan
//
// A scan may run beside full handshakes made to the same server by another client (package
// probe starts it together with its strict sender's handshake, and makes handshakes per key
// type meanwhile). Options.Handshakes brings what the server chose in them, read from
// ServerHellos that client checked: the strict handshake's TLS 1.3 ServerHello is the answer
// to the scan's first TLS 1.3 hello, which the TLS 1.3 part waits for instead of sending its
// own (the other versions start at once), and the suites the others got are found without a
// hello. Only the choice is taken, never an inference from the other client's lists; and for
// a server that imposes its order, TLS 1.0 to 1.2 suites are left to the peeling, which must
// see every suite to give the order.
//
// What that leaves for issue 10's legacy server (nginx, OpenSSL 3.0, TLS 1.0 to 1.3,
// ALL:@SECLEVEL=0, ffdhe2048, RSA key): one ServerHello per accepted suite and version not
// already seen (16 + 16 + 55 + the TLS 1.3 suites, which ride along the groups), one answer
// per TLS 1.3 group but the strict handshake's (9), one refused SSL 3.0 hello (the 126 suites
// SSL 3.0 can negotiate: its MAC is defined for MD5 and SHA-1 only, so the SHA-256 and SHA-384
// PSK suites of TLS 1.0 and later are not offered in it), one for the RFC 7919 groups in
// TLS 1.2 and one for the ML-KEM groups: 99 connections. docs/performance.md has the
// measurements.
package tlshello
