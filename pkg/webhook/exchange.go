// Package webhook makes the webhook exchange: the requests a sender makes to
// a callback URL besides the TLS handshake. It sends the verification
// request as the sender does (Meta: GET with hub.mode, hub.verify_token and
// hub.challenge, with the right token and a wrong one; Slack, Twitch, Zoom
// and Discord: a signed POST challenge, and the same signed wrongly;
// GitHub and LINE: a signed ping; Microsoft Graph: a POST with
// validationToken; Stripe, Shopify and Twilio: none), and with --deliver
// the signed deliveries (a message, a status, a forged and an unsigned one,
// one with escaped non-ASCII text, one of about 3 MB, and --deliveries more
// to time; for Twilio also its JSON variant: application/json bodies to the
// URL with bodySHA256, an ASCII one, a non-ASCII one and one whose body is
// not the one hashed). It records what it sent and what came back as evidence, and
// judges nothing: package checks does.
//
// All its network I/O goes through the probe's options (the pinned address,
// the dialer, the profile's TLS client) inside the caller's deadline, and
// only to a server whose certificate chain verifies against the root pool:
// the verify token and the signed deliveries are never sent to a server
// wacheck cannot authenticate, as the sender would not deliver to it.
package webhook

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/trust"
)

// Role is what a request is for.
type Role string

// The requests of an exchange.
const (
	RoleVerify      Role = "verify"             // the verification request, with the token (or a random one)
	RoleVerifyWrong Role = "verify_wrong_token" // the same with a wrong token
	RoleVerifyPHP   Role = "verify_php_names"   // the same with PHP's parameter names (hub_challenge)
	RoleDelivery    Role = "delivery"           // a signed delivery (a message, then a status)
	RoleForged      Role = "forged_signature"   // signed with a wrong secret
	RoleUnsigned    Role = "unsigned"           // no signature header
	RoleNonASCII    Role = "non_ascii"          // signed, escaped non-ASCII text
	RoleLarge       Role = "large"              // signed, about the sender's largest payload
	RoleLatency     Role = "latency"            // the timed deliveries

	// The JSON-bodied deliveries of a URL-signing scheme with a body hash
	// (Twilio's bodySHA256): the URL carries the hash and is signed alone.
	RoleJSONDelivery Role = "json_delivery"      // signed, ASCII text
	RoleJSONNonASCII Role = "json_non_ascii"     // signed, escaped non-ASCII text
	RoleJSONTampered Role = "json_tampered_body" // the URL signed, the body not the one it hashes
)

// ErrUntrusted is the error kind of a request not sent because the
// server's certificate chain does not verify.
const ErrUntrusted probe.ErrorKind = "untrusted"

// Redacted replaces a secret wherever the exchange records it.
const Redacted = "REDACTED"

// ExcerptMax is the most of a response body kept, in bytes.
const ExcerptMax = 256

// maxRead bounds how much of a response body is read (and counted); the
// rest is not read.
const maxRead = 64 << 10

// DefaultDeliveries is --deliveries's default.
const DefaultDeliveries = 20

// Burst is how many timed deliveries are sent at once in the second half
// of them: Meta sends bursts.
const Burst = 5

// DefaultDeadline bounds one request when the sender documents no
// response deadline.
const DefaultDeadline = 10 * time.Second

// Options configure one exchange.
type Options struct {
	// Probe gives the target (its Path is the callback URL's path and
	// query, without the verification parameters: StripParams), the
	// dialer, the clock and the sender's TLS client.
	Probe probe.Options
	// Address is the IP address to send to: one that completed the
	// sender's handshake.
	Address string
	// Roots is the pool the server's chain must verify against; Mozilla's
	// when nil.
	Roots *trust.Store
	// Protocol is the sender's webhook protocol.
	Protocol *profile.Webhook
	// Deadline bounds each request: the sender's response deadline.
	Deadline time.Duration
	// VerifyToken is the verify token, "" to send a random one.
	VerifyToken string
	// Secret signs the deliveries (Meta's App Secret); required with
	// Deliver.
	Secret []byte
	// Deliver sends the signed deliveries.
	Deliver bool
	// Deliveries is how many timed deliveries to send.
	Deliveries int
	// Rand is the source of the challenge and the random tokens;
	// crypto/rand when nil.
	Rand io.Reader
}

// Exchange is what one exchange sent and received.
type Exchange struct {
	// URL is the callback URL delivered to, without query.
	URL     string
	Address string
	// TokenGiven is true when the user gave the verify token; otherwise a
	// random one was sent.
	TokenGiven bool
	// Deliver is true when the signed deliveries were asked for.
	Deliver bool
	// Deliveries is how many timed deliveries were asked for.
	Deliveries int
	// Challenge is the challenge of the verification request.
	Challenge string
	// Deadline bounds each request.
	Deadline time.Duration
	// Requests in the order they were made (the timed deliveries in the
	// order they were started).
	Requests []*Request
	// Err says why the exchange stopped early: the server could not be
	// authenticated (ErrUntrusted), or the time budget ran out. The
	// requests made before are kept.
	Err        *probe.NetError
	Start, End time.Time
}

// Request is one request and its answer.
type Request struct {
	Role   Role
	Method string
	// Path is the path and query as sent, the verify token Redacted.
	Path string
	// Header is what was sent besides Host, the signature described, not
	// given.
	Header []Header
	// BodySize is the request body's length.
	BodySize int
	// Concurrent is true for a timed delivery sent in a burst.
	Concurrent bool
	// Challenge is the challenge a verification request carried.
	Challenge string
	// Want is the answer's value the sender computes from a secret and
	// expects back (Zoom's encryptedToken), "" when none. Not reported.
	Want string

	// Start is when the request's headers were written; FirstByte when the
	// first byte of the answer arrived; End when the answer was read.
	Start, FirstByte, End time.Time

	Status      int
	Proto       string
	Location    string // a redirect's Location, secrets redacted
	ContentType string
	// Excerpt is the first ExcerptMax bytes of the answer's body, raw
	// (secrets redacted): escape it before printing (Escape).
	Excerpt []byte
	// BodyLen is the bytes of the body read, at most maxRead; Truncated is
	// true when there were more.
	BodyLen   int64
	Truncated bool
	Err       *probe.NetError
}

// Header is one request header.
type Header struct {
	Name, Value string
}

// TTFB is the time from the request to the first byte of the answer, 0
// when none came.
func (r *Request) TTFB() time.Duration {
	if r.FirstByte.IsZero() || r.Start.IsZero() {
		return 0
	}
	return r.FirstByte.Sub(r.Start)
}

// Answered reports whether an HTTP answer came.
func (r *Request) Answered() bool { return r.Err == nil && r.Status != 0 }

// Find returns the first request of role, nil when none was made.
func (e *Exchange) Find(role Role) *Request {
	for _, r := range e.Requests {
		if r.Role == role {
			return r
		}
	}
	return nil
}

// All returns the requests of role in order.
func (e *Exchange) All(role Role) []*Request {
	var out []*Request
	for _, r := range e.Requests {
		if r.Role == role {
			out = append(out, r)
		}
	}
	return out
}

// run is one exchange in progress.
type run struct {
	opts     Options
	ex       *Exchange
	tr       *http.Transport
	base     *url.URL
	secrets  [][]byte // scrubbed from everything recorded
	payloads *payloads
	mu       sync.Mutex
	randMu   sync.Mutex
}

// Run makes the exchange. It returns the evidence, never an error: a
// failed request is a fact about the endpoint.
func Run(ctx context.Context, opts Options) *Exchange {
	o := opts.Probe
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dial == nil {
		o.Dial = (&net.Dialer{}).DialContext
	}
	opts.Probe = o
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Roots == nil {
		opts.Roots = trust.Mozilla()
	}
	if opts.Deadline <= 0 {
		opts.Deadline = DefaultDeadline
	}
	if opts.Deliveries < 0 {
		opts.Deliveries = 0
	}
	t := o.Target
	ex := &Exchange{Address: opts.Address, TokenGiven: opts.VerifyToken != "", Deliver: opts.Deliver,
		Deliveries: opts.Deliveries, Deadline: opts.Deadline, Start: o.Now()}
	defer func() { ex.End = o.Now() }()
	if opts.Protocol == nil || !opts.Protocol.Supported() {
		ex.Err = &probe.NetError{Kind: probe.ErrOther, Msg: "the sender has no webhook protocol wacheck can act out"}
		return ex
	}

	host := t.VerifyName()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if t.Port != 443 {
		host += ":" + strconv.Itoa(t.Port)
	}
	base, err := url.Parse("https://" + host + t.Path)
	if err != nil || base.Path == "" {
		base, _ = url.Parse("https://" + host + "/")
	}
	ex.URL = (&url.URL{Scheme: "https", Host: host, Path: base.Path, RawPath: base.RawPath}).String()

	r := &run{opts: opts, ex: ex, base: base}
	if opts.VerifyToken != "" {
		r.secrets = append(r.secrets, []byte(opts.VerifyToken), []byte(url.QueryEscape(opts.VerifyToken)))
	}
	if len(opts.Secret) > 0 {
		r.secrets = append(r.secrets, opts.Secret)
	}
	r.tr = r.transport()
	defer r.tr.CloseIdleConnections()

	runID := r.randomHex(4)
	r.payloads = newPayloads(strings.ToUpper(runID), o.Now().Unix())
	if !r.verify(ctx) || !opts.Deliver {
		return ex
	}
	r.deliver(ctx)
	return ex
}

// verify sends the verification requests; false when the exchange must
// stop.
func (r *run) verify(ctx context.Context) bool {
	v := r.opts.Protocol.Verification
	switch v.Kind {
	case profile.VerifyNone:
		return true
	case profile.VerifyPostChallenge, profile.VerifyPing:
		return r.verifyByPost(ctx, v)
	case profile.VerifyQueryToken:
		return r.verifyQueryToken(ctx, v)
	}
	r.ex.Challenge = r.challenge(v.ChallengeDigits)
	token := r.opts.VerifyToken
	if token == "" {
		token = "wacheck-random-" + r.randomHex(8)
	}
	first := r.get(ctx, RoleVerify, v, token, r.ex.Challenge, false)
	if !r.proceed(ctx, first) {
		return false
	}
	if !r.ex.TokenGiven {
		// The random token is the wrong one: the request above tells both
		// whether the handler answers and whether it refuses a wrong token.
		return true
	}
	wrong := r.get(ctx, RoleVerifyWrong, v, "wacheck-wrong-"+r.randomHex(8), r.challenge(v.ChallengeDigits), false)
	if !r.proceed(ctx, wrong) {
		return false
	}
	if !(first.Status == http.StatusOK && string(first.Excerpt) == r.ex.Challenge) && first.Answered() &&
		(first.Status < 300 || first.Status >= 400) {
		// The handler did not echo the challenge: does it read PHP's
		// names for the parameters (hub_challenge)?
		php := r.get(ctx, RoleVerifyPHP, v, token, r.challenge(v.ChallengeDigits), true)
		if !r.proceed(ctx, php) {
			return false
		}
	}
	return true
}

// verifyByPost sends a verification request that is a signed POST (Slack's
// url_verification, GitHub's ping) and, for a challenge, the same signed
// with a wrong secret: a handler must not answer that one with the
// challenge.
func (r *run) verifyByPost(ctx context.Context, v profile.Verification) bool {
	f := r.opts.Protocol.Payloads
	r.ex.Challenge = r.challenge(v.ChallengeDigits)
	d := r.payloads.verification(f, r.ex.Challenge)
	first := r.record(&Request{Role: RoleVerify, Challenge: r.ex.Challenge, Want: r.tokenHMAC(v, r.ex.Challenge)})
	r.fillPost(ctx, first, d, sigGood)
	if !r.proceed(ctx, first) || v.Kind != profile.VerifyPostChallenge {
		return r.proceed(ctx, first)
	}
	c := r.challenge(v.ChallengeDigits)
	wrong := r.record(&Request{Role: RoleVerifyWrong, Challenge: c, Want: r.tokenHMAC(v, c)})
	r.fillPost(ctx, wrong, r.payloads.verification(f, c), sigForged)
	return r.proceed(ctx, wrong)
}

// tokenHMAC is the encryptedToken a ReplyTokenHMAC challenge must be
// answered with: the hex HMAC-SHA256 of the token keyed with the secret.
func (r *run) tokenHMAC(v profile.Verification, token string) string {
	if v.Reply != profile.ReplyTokenHMAC {
		return ""
	}
	m := hmac.New(sha256.New, r.opts.Secret)
	m.Write([]byte(token))
	return hex.EncodeToString(m.Sum(nil))
}

// verifyQueryToken sends a verification request that is a POST with a
// token in the query (Microsoft Graph's validationToken), to be answered
// with the token URL-decoded. The token has spaces and a colon, as
// Graph's do, so that a handler that echoes it still encoded is caught.
func (r *run) verifyQueryToken(ctx context.Context, v profile.Verification) bool {
	token := "Validation: wacheck test of the notification URL, Request-Id: " + r.randomHex(8)
	r.ex.Challenge = token
	q := r.base.RawQuery
	if q != "" {
		q += "&"
	}
	q += url.QueryEscape(v.ChallengeParam) + "=" + url.QueryEscape(token)
	u := *r.base
	u.RawQuery = q
	req := r.record(&Request{Role: RoleVerify, Method: v.Method, Path: u.RequestURI(), Challenge: token})
	hreq, err := http.NewRequestWithContext(ctx, v.Method, u.String(), nil)
	if err != nil {
		req.Err = &probe.NetError{Kind: probe.ErrOther, Msg: r.scrub(err.Error())}
		return r.proceed(ctx, req)
	}
	r.header(hreq, req, "User-Agent", userAgent)
	r.header(hreq, req, "Content-Type", "text/plain; charset=utf-8")
	r.do(ctx, hreq, req, []byte{})
	return r.proceed(ctx, req)
}

// proceed records why the exchange stops after req, if it must.
func (r *run) proceed(ctx context.Context, req *Request) bool {
	switch {
	case req.Err != nil && req.Err.Kind == ErrUntrusted:
		r.ex.Err = req.Err
		return false
	case ctx.Err() != nil:
		r.ex.Err = &probe.NetError{Kind: probe.ErrTimeout, Msg: "the time budget (--timeout) ran out"}
		if errors.Is(ctx.Err(), context.Canceled) {
			r.ex.Err = &probe.NetError{Kind: probe.ErrCanceled, Msg: "interrupted"}
		}
		return false
	}
	return true
}

// get sends one verification request.
func (r *run) get(ctx context.Context, role Role, v profile.Verification, token, challenge string, php bool) *Request {
	names := []string{v.ModeParam, v.ChallengeParam, v.TokenParam}
	if php {
		for i, n := range names {
			names[i] = strings.ReplaceAll(n, ".", "_")
		}
	}
	q := r.base.RawQuery
	add := func(k, val string) {
		if q != "" {
			q += "&"
		}
		q += url.QueryEscape(k) + "=" + url.QueryEscape(val)
	}
	// Meta's order: mode, challenge, token.
	add(names[0], v.Mode)
	add(names[1], challenge)
	add(names[2], token)
	u := *r.base
	u.RawQuery = q
	shown := u
	shown.RawQuery = strings.Replace(q, url.QueryEscape(names[2])+"="+url.QueryEscape(token),
		url.QueryEscape(names[2])+"="+Redacted, 1)
	req := &Request{Role: role, Method: v.Method, Path: shown.RequestURI(), Challenge: challenge}
	hreq, err := http.NewRequestWithContext(ctx, v.Method, u.String(), nil)
	if err != nil {
		req.Err = &probe.NetError{Kind: probe.ErrOther, Msg: r.scrub(err.Error())}
		return r.record(req)
	}
	r.header(hreq, req, "User-Agent", userAgent)
	r.do(ctx, hreq, req, nil)
	return r.record(req)
}

// userAgent names wacheck in its requests, as the probe does.
const userAgent = "wacheck (webhook endpoint check)"

// deliver sends the signed deliveries.
func (r *run) deliver(ctx context.Context) {
	p := r.payloads
	total := r.opts.Deliveries
	f := r.opts.Protocol.Payloads
	msg := func(text string) delivery { return p.build(f, kindMessage, text) }
	steps := []func() *Request{
		func() *Request {
			return r.post(ctx, RoleDelivery, msg("wacheck test delivery, not a real message"), sigGood)
		},
		func() *Request { return r.post(ctx, RoleDelivery, p.build(f, kindStatus, ""), sigGood) },
		func() *Request {
			return r.post(ctx, RoleForged, msg("wacheck forged delivery, not a real message"), sigForged)
		},
		func() *Request {
			return r.post(ctx, RoleUnsigned, msg("wacheck unsigned delivery, not a real message"), sigNone)
		},
		func() *Request { return r.post(ctx, RoleNonASCII, msg(NonASCIIText), sigGood) },
	}
	if r.opts.Protocol.Signature.SignsURL() && r.opts.Protocol.Signature.BodyHashParam != "" {
		// The JSON variant: the body's hash in the URL, the URL signed.
		json := func(text string) delivery { return p.jsonDelivery(f, text) }
		steps = append(steps,
			func() *Request {
				return r.post(ctx, RoleJSONDelivery, json("wacheck test JSON delivery, not a real message"), sigGood)
			},
			func() *Request { return r.post(ctx, RoleJSONNonASCII, json(NonASCIIText), sigGood) },
			func() *Request {
				d := json("wacheck test JSON delivery, not a real message")
				d.sent = p.jsonDelivery(f, "wacheck tampered JSON delivery: not the body the URL's hash is of").body
				return r.post(ctx, RoleJSONTampered, d, sigGood)
			})
	}
	if r.opts.Protocol.MaxPayload > 0 {
		// The sender documents its largest payload: send about that.
		steps = append(steps, func() *Request {
			size := r.opts.Protocol.MaxPayload - 16<<10
			n := max(r.opts.Protocol.MaxBatch, 1)
			return r.post(ctx, RoleLarge, p.large(f, n, size), sigGood)
		})
	}
	for _, step := range steps {
		if !r.proceed(ctx, step()) {
			return
		}
	}
	// The timed deliveries: the first half one at a time, the rest in
	// bursts.
	seq := (total + 1) / 2
	body := func(i int) delivery {
		if i%2 == 1 {
			return p.build(f, kindStatus, "")
		}
		return msg(fmt.Sprintf("wacheck timed delivery %d of %d, not a real message", i+1, total))
	}
	for i := 0; i < seq; i++ {
		if !r.proceed(ctx, r.post(ctx, RoleLatency, body(i), sigGood)) {
			return
		}
	}
	for i := seq; i < total; i += Burst {
		n := min(Burst, total-i)
		bodies := make([]delivery, n)
		for j := range bodies {
			bodies[j] = body(i + j)
		}
		reqs := make([]*Request, n)
		var wg sync.WaitGroup
		for j := range n {
			reqs[j] = r.record(&Request{Role: RoleLatency, Concurrent: true})
			wg.Go(func() { r.fillPost(ctx, reqs[j], bodies[j], sigGood) })
		}
		wg.Wait()
		for _, q := range reqs {
			if !r.proceed(ctx, q) {
				return
			}
		}
	}
}

type sigKind int

const (
	sigGood sigKind = iota
	sigForged
	sigNone
)

// post sends one delivery.
func (r *run) post(ctx context.Context, role Role, body delivery, sig sigKind) *Request {
	req := r.record(&Request{Role: role})
	r.fillPost(ctx, req, body, sig)
	return req
}

func (r *run) fillPost(ctx context.Context, req *Request, d delivery, sig sigKind) {
	w := r.opts.Protocol
	s := w.Signature
	body := d.body
	if w.ClientState {
		body = r.clientState(body, sig)
	}
	target, ctype := r.base, w.ContentType
	if d.contentType != "" {
		ctype = d.contentType
	}
	if d.bodyHash {
		// The URL carries the hash of d.body and is signed alone.
		u := *r.base
		u.RawQuery = strings.TrimPrefix(withParam("?"+r.base.RawQuery, s.BodyHashParam, BodySHA256(body)), "?")
		target = &u
		if d.sent != nil {
			body = d.sent
		}
	}
	req.Method, req.Path, req.BodySize = http.MethodPost, target.RequestURI(), len(body)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), nil)
	if err != nil {
		req.Err = &probe.NetError{Kind: probe.ErrOther, Msg: r.scrub(err.Error())}
		return
	}
	r.header(hreq, req, "User-Agent", userAgent)
	r.header(hreq, req, "Content-Type", ctype)
	for _, h := range d.header {
		r.header(hreq, req, h.Name, h.Value)
	}
	m := Message{Body: body, Timestamp: s.FormatTimestamp(r.opts.Probe.Now()), URL: target.String()}
	if d.bodyHash {
		m.Body = nil // no parameters: the URL alone is signed
	}
	if s.TimestampHeader != "" {
		r.header(hreq, req, s.TimestampHeader, m.Timestamp)
	}
	if s.MessageIDHeader != "" {
		m.MessageID = "wacheck-test-" + r.randomHex(16)
		r.header(hreq, req, s.MessageIDHeader, m.MessageID)
	}
	if s.Header != "" && (sig == sigGood || sig == sigForged) {
		what, with := "HMAC of the body", "the "+s.Secret
		switch {
		case d.bodyHash:
			what = s.Algorithm + " of the URL (with " + s.BodyHashParam + ") alone"
		case s.SignsURL():
			what = s.Algorithm + " of the URL and the sorted parameters"
		}
		key, how := r.opts.Secret, what+" with "+with
		if s.Asymmetric() {
			how = "Ed25519 signature with wacheck's signing key (--signing-key)"
		}
		if sig == sigForged {
			key, how = []byte("wacheck-wrong-secret-"+r.randomHex(8)), what+" with a wrong secret"
			if s.Asymmetric() {
				seed := make([]byte, ed25519.SeedSize)
				r.randMu.Lock()
				if _, err := io.ReadFull(r.opts.Rand, seed); err != nil {
					seed[0] = 1
				}
				r.randMu.Unlock()
				key, how = ed25519.NewKeyFromSeed(seed), "Ed25519 signature with another key than wacheck's"
			}
		}
		v, err := SignMessage(s, key, m)
		if err != nil {
			req.Err = &probe.NetError{Kind: probe.ErrOther, Msg: err.Error()}
			return
		}
		hreq.Header.Set(s.Header, v)
		req.Header = append(req.Header, Header{s.Header, strings.ReplaceAll(Described(s, how), "{timestamp}", m.Timestamp)})
	}
	r.do(ctx, hreq, req, body)
}

// clientState puts the clientState of a notification in place of its
// mark: the secret for a good delivery, a wrong one for a forged one, none
// for an unsigned one.
func (r *run) clientState(body []byte, sig sigKind) []byte {
	mark := Encode(clientStateMark)
	switch sig {
	case sigGood:
		return bytes.ReplaceAll(body, mark, Encode(string(r.opts.Secret)))
	case sigForged:
		return bytes.ReplaceAll(body, mark, Encode("wacheck-wrong-client-state-"+r.randomHex(8)))
	}
	return bytes.ReplaceAll(body, append([]byte(`"clientState":`), append(mark, ',')...), nil)
}

func (r *run) header(hreq *http.Request, req *Request, name, value string) {
	hreq.Header.Set(name, value)
	req.Header = append(req.Header, Header{name, value})
}

// do sends hreq (with body) within the per-request deadline and records
// the answer in req.
func (r *run) do(ctx context.Context, hreq *http.Request, req *Request, body []byte) {
	now := r.opts.Probe.Now
	deadline := r.deadline(req)
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	// The trace's callbacks run on the transport's goroutines, the HTTP/2
	// read loop among them, which must never wait for this one: they
	// only store a time, under their own lock.
	var mu sync.Mutex
	var wrote, first time.Time
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { mu.Lock(); wrote = now(); mu.Unlock() },
		GotFirstResponseByte: func() {
			mu.Lock()
			if first.IsZero() {
				first = now()
			}
			mu.Unlock()
		},
	}
	hreq = hreq.WithContext(httptrace.WithClientTrace(ctx, trace))
	if body != nil {
		hreq.Body = io.NopCloser(bytes.NewReader(body))
		hreq.ContentLength = int64(len(body))
		hreq.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	started := now()
	resp, err := r.tr.RoundTrip(hreq)
	answered := now()
	mu.Lock()
	req.Start, req.FirstByte = wrote, first
	mu.Unlock()
	if req.Start.IsZero() || req.Start.After(answered) {
		req.Start = started
	}
	if err != nil {
		req.Err = r.classify(ctx, err, deadline)
		req.End = now()
		return
	}
	defer resp.Body.Close()
	if req.FirstByte.IsZero() || req.FirstByte.Before(req.Start) {
		req.FirstByte = answered
	}
	req.Status, req.Proto = resp.StatusCode, resp.Proto
	req.ContentType = r.scrub(clip(resp.Header.Get("Content-Type"), ExcerptMax))
	if loc := resp.Header.Get("Location"); loc != "" {
		req.Location = r.scrub(clip(loc, 2*ExcerptMax))
	}
	// Read a secret's length beyond the excerpt, so that a secret the
	// server echoes across the excerpt's end is scrubbed whole.
	buf := make([]byte, ExcerptMax+r.longestSecret())
	n, _ := io.ReadFull(resp.Body, buf)
	rest, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, int64(maxRead-n+1)))
	req.Excerpt = []byte(clip(r.scrub(string(buf[:n])), ExcerptMax))
	req.BodyLen = int64(n) + rest
	if req.BodyLen > maxRead {
		req.BodyLen, req.Truncated = maxRead, true
	}
	req.End = now()
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// record appends req to the exchange.
func (r *run) record(req *Request) *Request {
	r.mu.Lock()
	r.ex.Requests = append(r.ex.Requests, req)
	r.mu.Unlock()
	return req
}

func (r *run) longestSecret() int {
	n := 0
	for _, s := range r.secrets {
		n = max(n, len(s))
	}
	return n
}

// scrub replaces the secrets in s.
func (r *run) scrub(s string) string {
	for _, sec := range r.secrets {
		if len(sec) > 0 {
			s = strings.ReplaceAll(s, string(sec), Redacted)
		}
	}
	return s
}

// untrustedError is a server chain that does not verify.
type untrustedError struct{ err error }

func (e *untrustedError) Error() string {
	return "the server's certificate does not verify: " + e.err.Error()
}

// deadline is how long req may take: the verification's own deadline
// when the sender has one, else the deliveries'.
func (r *run) deadline(req *Request) time.Duration {
	v := r.opts.Protocol.Verification
	if (req.Role == RoleVerify || req.Role == RoleVerifyWrong) && v.Deadline > 0 {
		return v.Deadline
	}
	return r.opts.Deadline
}

func (r *run) classify(ctx context.Context, err error, deadline time.Duration) *probe.NetError {
	var ue *untrustedError
	if errors.As(err, &ue) {
		return &probe.NetError{Kind: ErrUntrusted, Msg: r.scrub(ue.Error())}
	}
	ne := probe.Classify(ctx, err)
	if ne.Kind == probe.ErrCanceled && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		ne.Kind = probe.ErrTimeout
	}
	if ne.Kind == probe.ErrTimeout {
		ne.Msg = "no answer within " + deadline.String()
	}
	ne.Msg = r.scrub(ne.Msg)
	return ne
}

// transport is the sender's HTTP client: the pinned address, the profile's
// TLS client, the chain verified against the roots before a byte of the
// request is sent, no proxy, no redirects followed (RoundTrip never
// follows them).
func (r *run) transport() *http.Transport {
	o := r.opts.Probe
	t := o.Target
	sni := t.SNI
	if o.Client.NoSNI {
		sni = ""
	}
	hostport := net.JoinHostPort(r.opts.Address, strconv.Itoa(t.Port))
	name := t.VerifyName()
	roots := r.opts.Roots
	return &http.Transport{
		Proxy: nil,
		DialTLSContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			conn, err := o.Dial(ctx, network, hostport)
			if err != nil {
				return nil, err
			}
			cfg := probe.ClientConfig(o, sni)
			cfg.VerifyConnection = func(cs tls.ConnectionState) error {
				return verifyChain(cs.PeerCertificates, roots, name, o.Now())
			}
			tc := tls.Client(conn, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				conn.Close()
				return nil, err
			}
			return tc, nil
		},
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    Burst,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// verifyChain verifies a served chain as a strict sender does: only the
// certificates served, the root pool, the name, the clock.
func verifyChain(certs []*x509.Certificate, roots *trust.Store, name string, now time.Time) error {
	if len(certs) == 0 {
		return &untrustedError{errors.New("no certificate")}
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{DNSName: name, Roots: roots.Pool, Intermediates: inter,
		CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return &untrustedError{err}
	}
	return nil
}

// challenge is a random number of n digits, without a leading zero.
func (r *run) challenge(n int) string {
	if n <= 0 {
		n = 10
	}
	lo := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n-1)), nil)
	span := new(big.Int).Sub(new(big.Int).Mul(lo, big.NewInt(10)), lo)
	v, err := rand.Int(r.opts.Rand, span)
	if err != nil {
		v = big.NewInt(0)
	}
	return v.Add(v, lo).String()
}

func (r *run) randomHex(n int) string {
	b := make([]byte, n)
	r.randMu.Lock() // the bursts' deliveries draw message ids at once
	_, err := io.ReadFull(r.opts.Rand, b)
	r.randMu.Unlock()
	if err != nil {
		return strings.Repeat("0", 2*n)
	}
	return hex.EncodeToString(b)
}
