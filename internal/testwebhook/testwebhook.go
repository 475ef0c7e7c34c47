// Package testwebhook holds webhook handlers for tests, correct and broken
// in the ways real ones are, and serves them on loopback. They implement
// Meta's protocol from its documentation, independently of package
// webhook: the verification GET (hub.mode, hub.verify_token,
// hub.challenge) and X-Hub-Signature-256 checked over the raw body.
package testwebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is what is wrong with a handler.
type Fault int

// The handlers' faults.
const (
	Correct      Fault = iota
	QuotedEcho         // answers the challenge as JSON: "1158201444"
	TrailingLine       // answers the challenge with a newline after it
	HTMLEcho           // answers the challenge inside an HTML page
	PHPNames           // reads hub_challenge and hub_verify_token, as ported PHP code does
	NoTokenCheck       // echoes the challenge whatever the token
	NoSignature        // accepts every delivery, signed or not
	Reserialise        // hashes the JSON parsed and written out again (Go: \u00e4 becomes ä)
	Slow               // takes Delay to answer a delivery
	SmallBody          // refuses bodies over 1 MB with 413, as nginx does by default
	Redirect           // redirects every request to the path with a trailing slash
	WrongEcho          // answers the verification with the wrong value (Zoom: a wrong encryptedToken; Twitch: another string; Graph: the token still URL-encoded; Discord: not a PONG)
	Refuses403         // refuses a bad signature with 403 where the sender requires 401 (Discord)
)

// Handler is a webhook handler with a fault (or none).
type Handler struct {
	Fault  Fault
	Token  string
	Secret string
	// Delay is how long a Slow handler takes to answer a delivery.
	Delay time.Duration
	// Deliveries counts the POSTs that got 200; Requests every request.
	Deliveries atomic.Int64
	Requests   atomic.Int64
}

// maxBody is the most a handler reads: more than any delivery.
const maxBody = 8 << 20

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Requests.Add(1)
	if h.Fault == Redirect {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return
	}
	switch r.Method {
	case http.MethodGet:
		h.verify(w, r)
	case http.MethodPost:
		h.deliver(w, r)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	mode, token, challenge := q.Get("hub.mode"), q.Get("hub.verify_token"), q.Get("hub.challenge")
	if h.Fault == PHPNames {
		mode, token, challenge = q.Get("hub_mode"), q.Get("hub_verify_token"), q.Get("hub_challenge")
	}
	if mode != "subscribe" || (token != h.Token && h.Fault != NoTokenCheck) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	switch h.Fault {
	case QuotedEcho:
		b, _ := json.Marshal(challenge) // res.json(challenge)
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	case TrailingLine:
		io.WriteString(w, challenge+"\n")
	case HTMLEcho:
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>"+challenge+"</body></html>")
	default:
		io.WriteString(w, challenge)
	}
}

func (h *Handler) deliver(w http.ResponseWriter, r *http.Request) {
	if h.Fault == SmallBody && r.ContentLength > 1<<20 {
		http.Error(w, "request entity too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if h.Fault != NoSignature {
		signed := body
		if h.Fault == Reserialise {
			var ok bool
			if signed, ok = Reserialised(body); !ok {
				http.Error(w, "bad json", http.StatusBadRequest)
				return
			}
		}
		mac := hmac.New(sha256.New, []byte(h.Secret))
		mac.Write(signed)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature-256"))) {
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
	}
	var n struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(body, &n); err != nil || n.Object != "whatsapp_business_account" {
		http.Error(w, "not a notification", http.StatusBadRequest)
		return
	}
	if h.Fault == Slow {
		time.Sleep(h.Delay)
	}
	h.Deliveries.Add(1)
	io.WriteString(w, "EVENT_RECEIVED")
}

// Start serves h over HTTPS (HTTP/2 and HTTP/1.1) on 127.0.0.1 with cert
// and returns "127.0.0.1:PORT". The server is closed by tb.Cleanup.
func Start(tb testing.TB, h http.Handler, cert tls.Certificate) string {
	tb.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ReadTimeout = 30 * time.Second
	srv.Config.WriteTimeout = 30 * time.Second
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

// Reserialised is body parsed as JSON and written out again, as a handler
// that verifies a signature over its framework's parsed body does (which
// turns \u00e4 into ä); false when body is not JSON.
func Reserialised(body []byte) ([]byte, bool) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil, false
	}
	out, err := json.Marshal(v)
	return out, err == nil
}
