package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/internal/testwebhook"
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/target"
	"github.com/wacheck/wacheck/pkg/trust"
)

const testToken = "tok-Verify-7f3a9c2e51d84b06"

// server serves h on loopback and returns the exchange's options for it:
// the URL https://localhost:PORT/webhook pinned to 127.0.0.1, the meta
// profile's client and protocol, and roots that trust the server.
func server(t *testing.T, h http.Handler) Options {
	t.Helper()
	c := testpki.NewChain(t, time.Now())
	addr := testwebhook.Start(t, h, c.TLSCertificate(c.Intermediate.DER))
	_, port, _ := net.SplitHostPort(addr)
	tg, err := target.Parse("https://localhost:"+port+"/webhook", "")
	if err != nil {
		t.Fatal(err)
	}
	p := profile.MustLookup("meta")
	return Options{Probe: probe.Options{Target: tg, Client: probe.ClientFromProfile(p)}, Address: "127.0.0.1",
		Roots: trust.New("test", c.Root.Cert), Protocol: p.Webhook, Deadline: 5 * time.Second,
		VerifyToken: testToken, Secret: []byte(testKey), Deliveries: 4}
}

// recorder keeps every request a handler got.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next http.Handler
}

type recorded struct {
	method, uri string
	header      http.Header
	body        []byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{r.Method, r.RequestURI, r.Header.Clone(), body})
	rc.mu.Unlock()
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	rc.next.ServeHTTP(w, r)
}

// TestRequestsAsMetaSendsThem: the verification request and the deliveries
// are what Meta sends, as a server sees them.
func TestRequestsAsMetaSendsThem(t *testing.T) {
	rc := &recorder{next: &testwebhook.Handler{Token: testToken, Secret: testKey}}
	opts := server(t, rc)
	opts.Deliver = true
	ex := Run(context.Background(), opts)
	if ex.Err != nil || len(ex.Requests) != len(rc.reqs) {
		t.Fatalf("exchange error %v; %d requests made, the server saw %d", ex.Err, len(ex.Requests), len(rc.reqs))
	}
	verify := regexp.MustCompile(`^/webhook\?hub\.mode=subscribe&hub\.challenge=([1-9][0-9]{9})&hub\.verify_token=(.+)$`)
	m := verify.FindStringSubmatch(rc.reqs[0].uri)
	if rc.reqs[0].method != "GET" || m == nil || m[1] != ex.Challenge || m[2] != testToken {
		t.Errorf("verification request %s %s (challenge %s)", rc.reqs[0].method, rc.reqs[0].uri, ex.Challenge)
	}
	if m := verify.FindStringSubmatch(rc.reqs[1].uri); m == nil || m[2] == testToken {
		t.Errorf("wrong-token request %s", rc.reqs[1].uri)
	}
	var posts, signed int
	for i, r := range rc.reqs {
		q := ex.Requests[i]
		if strings.Contains(q.Path, testToken) || !strings.Contains(rc.reqs[0].uri, testToken) {
			t.Errorf("the recorded path %q shows the token", q.Path)
		}
		if r.method != "POST" {
			continue
		}
		posts++
		// Deliveries sent at once may arrive in any order.
		if r.uri != "/webhook" || r.header.Get("Content-Type") != "application/json" ||
			q.BodySize != len(r.body) && !q.Concurrent {
			t.Errorf("%s: %s %s %q, %d bytes (recorded %d)", q.Role, r.method, r.uri, r.header.Get("Content-Type"), len(r.body), q.BodySize)
		}
		sig := r.header.Get("X-Hub-Signature-256")
		mac := hmac.New(sha256.New, []byte(testKey))
		mac.Write(r.body)
		good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		switch q.Role {
		case RoleUnsigned:
			if sig != "" {
				t.Errorf("unsigned delivery has %q", sig)
			}
		case RoleForged:
			if sig == "" || sig == good {
				t.Errorf("forged delivery has %q", sig)
			}
		default:
			if sig != good {
				t.Errorf("%s: signature %q, want %q", q.Role, sig, good)
			}
			signed++
		}
		for _, h := range q.Header {
			if h.Name == "X-Hub-Signature-256" && strings.Contains(h.Value, sig[7:]) {
				t.Errorf("%s: the recorded header gives the MAC: %q", q.Role, h.Value)
			}
		}
	}
	if posts != 2+1+1+1+1+4 || signed != 2+1+1+4 {
		t.Errorf("%d POSTs, %d signed", posts, signed)
	}
	if large := ex.Find(RoleLarge); large.BodySize < 3_000_000 || large.Status != 200 {
		t.Errorf("large delivery: %d bytes, status %d", large.BodySize, large.Status)
	}
}

// TestNoRedirectFollowed: a 3xx is recorded, not followed.
func TestNoRedirectFollowed(t *testing.T) {
	rc := &recorder{next: &testwebhook.Handler{Fault: testwebhook.Redirect}}
	opts := server(t, rc)
	opts.Deliver = true
	ex := Run(context.Background(), opts)
	for _, r := range rc.reqs {
		if strings.HasPrefix(r.uri, "/webhook/") {
			t.Errorf("the redirect was followed: %s %s", r.method, r.uri)
		}
	}
	if v := ex.Find(RoleVerify); v.Status != 301 || v.Location != "/webhook/" {
		t.Errorf("verify: %d %q", v.Status, v.Location)
	}
	if ex.Find(RoleVerifyPHP) != nil {
		t.Error("the PHP-names request was sent after a redirect")
	}
}

// TestBoundedAnswers: a huge or endless body is read only as far as the
// bounds, secrets a server echoes are scrubbed, and a server that does not
// answer is given up on at the deadline.
func TestBoundedAnswers(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && strings.Contains(r.URL.RawQuery, testToken):
			// Echo the token, across the excerpt's end, and in a Location.
			w.Header().Set("Location", "https://localhost/again?hub.verify_token="+testToken)
			w.WriteHeader(http.StatusFound)
			io.WriteString(w, strings.Repeat("x", ExcerptMax-5)+testToken)
		case r.Method == "GET":
			// An endless body.
			w.WriteHeader(http.StatusForbidden)
			chunk := []byte(strings.Repeat("y", 4096))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		default:
			<-stop // never answers a delivery
		}
	})
	opts := server(t, h)
	opts.Deliver, opts.Deadline, opts.Deliveries = true, 300*time.Millisecond, 0
	start := time.Now()
	ex := Run(context.Background(), opts)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the exchange took %s", d)
	}
	v := ex.Find(RoleVerify)
	if strings.Contains(string(v.Excerpt), testToken[:8]) || strings.Contains(v.Location, testToken) ||
		!strings.Contains(v.Location, Redacted) || len(v.Excerpt) != ExcerptMax {
		t.Errorf("verify: excerpt %q, location %q", v.Excerpt, v.Location)
	}
	w := ex.Find(RoleVerifyWrong)
	if len(w.Excerpt) != ExcerptMax || w.BodyLen != maxRead || !w.Truncated {
		t.Errorf("endless body: excerpt %d bytes, read %d, truncated %v", len(w.Excerpt), w.BodyLen, w.Truncated)
	}
	d := ex.Find(RoleDelivery)
	if d == nil || d.Err == nil || d.Err.Kind != probe.ErrTimeout || d.Err.Msg != "no answer within 300ms" {
		t.Errorf("delivery to a silent handler: %+v", d)
	}
}

// TestNothingSentToAnUntrustedServer: a chain that does not verify stops
// the exchange before any request.
func TestNothingSentToAnUntrustedServer(t *testing.T) {
	h := &testwebhook.Handler{Token: testToken, Secret: testKey}
	opts := server(t, h)
	opts.Deliver = true
	opts.Roots = trust.New("other", testpki.NewChain(t, time.Now()).Root.Cert)
	ex := Run(context.Background(), opts)
	if ex.Err == nil || ex.Err.Kind != ErrUntrusted || len(ex.Requests) != 1 {
		t.Fatalf("exchange: err %v, %d requests", ex.Err, len(ex.Requests))
	}
	if n := h.Requests.Load(); n != 0 {
		t.Errorf("the handler got %d requests", n)
	}
	// The right name matters too: the certificate is for localhost.
	opts = server(t, h)
	opts.Probe.Target.SNI = "example.com"
	if ex := Run(context.Background(), opts); ex.Err == nil || ex.Err.Kind != ErrUntrusted || h.Requests.Load() != 0 {
		t.Errorf("a name the certificate does not cover: %v, %d requests", ex.Err, h.Requests.Load())
	}
}

// TestBudget: the caller's deadline stops the exchange where it is.
func TestBudget(t *testing.T) {
	opts := server(t, &testwebhook.Handler{Token: testToken, Secret: testKey, Fault: testwebhook.Slow,
		Delay: 200 * time.Millisecond})
	opts.Deliver, opts.Deliveries = true, 20
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	ex := Run(ctx, opts)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the exchange took %s", d)
	}
	if ex.Err == nil || !strings.Contains(ex.Err.Msg, "--timeout") || len(ex.All(RoleLatency)) == 20 {
		t.Errorf("exchange: err %v, %d timed deliveries", ex.Err, len(ex.All(RoleLatency)))
	}
}
