package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"reflect"
	"strings"
	"syscall"
)

// classify turns a dial or handshake error into a NetError a check can put in
// plain words.
func classify(ctx context.Context, err error) *NetError {
	ne := &NetError{Kind: ErrOther, Msg: err.Error()}
	var recHdr tls.RecordHeaderError
	var netErr net.Error
	if a, ok := remoteAlert(err); ok {
		ne.Kind = ErrAlert
		ne.Alert = a
		// handshake_failure (40), protocol_version (70) and
		// insufficient_security (71) answer a hello with nothing in common.
		if a == 40 || a == 70 || a == 71 {
			ne.Kind = ErrNoCommon
		}
		return ne
	}
	switch {
	case errors.As(err, &recHdr):
		ne.Kind = ErrNotTLS
		if looksLikeHTTP(recHdr.RecordHeader[:]) {
			ne.Kind = ErrPlainHTTP
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		ne.Kind = ErrRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		ne.Kind = ErrReset
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EAFNOSUPPORT):
		ne.Kind = ErrUnreachable
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		ne.Kind = ErrClosed
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		ne.Kind = ErrTimeout
	case errors.Is(err, context.Canceled):
		ne.Kind = ErrCanceled
		if errDeadline(ctx) {
			ne.Kind = ErrTimeout
		}
	case errors.As(err, &netErr) && netErr.Timeout():
		ne.Kind = ErrTimeout
	case strings.Contains(err.Error(), "no supported versions") ||
		strings.Contains(err.Error(), "server selected unsupported protocol version") ||
		strings.Contains(err.Error(), "no cipher suite supported"):
		ne.Kind = ErrNoCommon
	case strings.HasPrefix(err.Error(), "tls: "):
		ne.Kind = ErrProtocol
	}
	return ne
}

// remoteAlert extracts the alert a server sent. Over TCP crypto/tls reports
// it as a *net.OpError with Op "remote error" wrapping its unexported alert
// type (a uint8); tls.AlertError is used for QUIC only.
func remoteAlert(err error) (int, bool) {
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return int(ae), true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		v := reflect.ValueOf(op.Err)
		if v.Kind() == reflect.Uint8 {
			return int(v.Uint()), true
		}
	}
	return 0, false
}

// looksLikeHTTP reports whether the first bytes of a reply are an HTTP
// response or request line.
func looksLikeHTTP(b []byte) bool {
	s := string(b)
	for _, p := range []string{"HTTP/", "HTTP", "<htm", "<!DO", "GET ", "POST"} {
		if strings.HasPrefix(s, p) || strings.HasPrefix(p, s) && len(s) >= 4 {
			return true
		}
	}
	return false
}

// classifyDNS turns a resolver error into a NetError.
func classifyDNS(ctx context.Context, err error) *NetError {
	ne := &NetError{Kind: ErrDNS, Msg: err.Error()}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		ne.Kind = ErrNXDomain
	case errors.As(err, &dnsErr) && strings.Contains(dnsErr.Err, "server misbehaving"):
		// Go's words for SERVFAIL (and for answers it cannot parse).
		ne.Kind = ErrServFail
	case errors.As(err, &dnsErr) && dnsErr.IsTimeout,
		errors.Is(err, context.DeadlineExceeded):
		ne.Kind = ErrDNSTimeout
	case errors.Is(err, context.Canceled):
		ne.Kind = ErrCanceled
		if errDeadline(ctx) {
			ne.Kind = ErrDNSTimeout
		}
	}
	return ne
}
