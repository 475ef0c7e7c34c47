package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"time"

	"github.com/wacheck/wacheck/pkg/target"
)

// userAgent names wacheck in the requests it makes.
const userAgent = "wacheck (webhook endpoint check)"

// maxBody is how much of a response body is read (and discarded).
const maxBody = 64 << 10

// httpRequest sends one GET for the target's path to addr over a fresh
// connection (drawn from the budget) and records when the first response
// byte arrived.
func httpRequest(ctx context.Context, opts Options, b *budget, addr string) *HTTPExchange {
	hostport := net.JoinHostPort(addr, strconv.Itoa(opts.Target.Port))
	dial := b.dial(opts.Dial, high)
	return roundTrip(ctx, opts, &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dial(ctx, network, hostport)
		},
		TLSClientConfig:   clientConfig(opts, opts.Target.SNI),
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
		Proxy:             nil,
	})
}

// requestOn sends the GET for the target's path on tc, the connection of
// the strict handshake, which then ends.
func requestOn(ctx context.Context, opts Options, tc *tls.Conn) *HTTPExchange {
	return roundTrip(ctx, opts, oneConnTransport(tc))
}

// roundTrip sends one GET for the target's path through tr and records it.
func roundTrip(ctx context.Context, opts Options, tr *http.Transport) *HTTPExchange {
	t := opts.Target
	ex := &HTTPExchange{Method: http.MethodGet, Path: t.Path}
	defer tr.CloseIdleConnections()
	req, err := newGet(ctx, t, t.Path)
	if err != nil {
		ex.Err = &NetError{Kind: ErrOther, Msg: err.Error()}
		return ex
	}
	// HTTP/2 calls WroteRequest from its writer and GotFirstResponseByte
	// from its reader, in either order when the answer is quick, and the
	// writer's may come after RoundTrip returns: the times are kept aside
	// until RoundTrip returns, and a request was written before its answer
	// came, whatever the order of the calls.
	var mu sync.Mutex
	var wrote, first time.Time
	done := false
	trace := &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) {
			now := opts.Now()
			mu.Lock()
			defer mu.Unlock()
			if !done {
				wrote = now
			}
		},
		GotFirstResponseByte: func() {
			now := opts.Now()
			mu.Lock()
			defer mu.Unlock()
			if !done {
				first = now
			}
		},
	}
	req = req.WithContext(httptrace.WithClientTrace(ctx, trace))
	resp, err := tr.RoundTrip(req)
	mu.Lock()
	done = true
	ex.Start, ex.FirstByte = wrote, first
	mu.Unlock()
	if err != nil {
		ex.Err = classify(ctx, err)
		return ex
	}
	defer resp.Body.Close()
	ex.StatusCode = resp.StatusCode
	ex.Proto = resp.Proto
	if ex.FirstByte.IsZero() {
		ex.FirstByte = opts.Now()
	}
	if ex.Start.IsZero() || ex.Start.After(ex.FirstByte) {
		ex.Start = ex.FirstByte
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	return ex
}

// newGet builds wacheck's GET of path on the target, addressed by the name
// the certificate is checked against (the SNI, else the host).
func newGet(ctx context.Context, t target.Target, path string) (*http.Request, error) {
	url := "https://" + net.JoinHostPort(t.VerifyName(), strconv.Itoa(t.Port)) + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// oneConnTransport is an HTTP transport that sends its one request over tc,
// an established TLS connection (HTTP/2 when ALPN chose it), and no other.
func oneConnTransport(tc *tls.Conn) *http.Transport {
	used := false
	return &http.Transport{
		DialTLSContext: func(context.Context, string, string) (net.Conn, error) {
			if used {
				return nil, errors.New("one connection only")
			}
			used = true
			return tc, nil
		},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
	}
}
