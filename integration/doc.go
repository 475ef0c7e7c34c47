// Package integration proves wacheck against the servers its users run in
// front of their webhook handlers — nginx, Apache httpd and HAProxy — rather
// than only against Go's TLS stack.
//
// The tests live in _test.go files and run with plain `go test ./...`. They
// build the wacheck binary once, generate a PKI at test time, make OCSP
// staples with `openssl ocsp`, start each server on free 127.0.0.1 ports from
// the templates in testdata/, run the binary with --format json against every
// scenario and assert the verdict of each check and the exit code.
//
// A test whose server binary is missing skips with a message naming it;
// with WACHECK_REQUIRE_INTEGRATION=1 (set by .ci/run) it fails instead. The
// server tests need Linux (process groups, /proc) and Debian's module paths.
package integration
