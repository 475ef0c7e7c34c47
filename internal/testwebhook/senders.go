package testwebhook

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SenderHandler is a handler of another sender's deliveries (stripe,
// github, slack, shopify), written from that sender's documentation,
// independently of package webhook: Stripe-Signature with its t= and every
// v1 tried, X-Hub-Signature-256, X-Slack-Signature with
// X-Slack-Request-Timestamp, X-Shopify-Hmac-SHA256 in base64. The
// timestamped schemes refuse a timestamp more than 5 minutes from Now. A
// correct Slack handler answers url_verification with the challenge; a
// GitHub one answers the ping event 200.
type SenderHandler struct {
	Sender string
	// Secret is the shared secret: Stripe's, GitHub's, Slack's, Shopify's,
	// Zoom's secret token, Twitch's subscription secret, LINE's channel
	// secret, Twilio's auth token, Microsoft Graph's clientState.
	Secret string
	// PublicKey is the Ed25519 public key a Discord handler checks with.
	PublicKey ed25519.PublicKey
	// Fault: Correct, NoSignature (accepts every delivery), Reserialise
	// (hashes the JSON parsed and written out again), Slow (takes Delay),
	// and for Slack HTMLEcho (the challenge inside HTML) or QuotedEcho
	// (the challenge as JSON, which Slack accepts).
	Fault Fault
	Delay time.Duration
	// Now is the handler's clock; time.Now when nil.
	Now func() time.Time
}

func (h *SenderHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch h.Sender {
	case "zoom", "twitch", "discord", "line", "twilio", "msgraph":
		h.serveMore(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil || r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	signed := body
	if h.Fault == Reserialise {
		var ok bool
		if signed, ok = Reserialised(body); !ok {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
	}
	if h.Fault != NoSignature && !h.signed(r, signed) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	var ev struct{ Type, Object, Challenge string }
	if json.Unmarshal(body, &ev) != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	switch {
	case h.Sender == "slack" && ev.Type == "url_verification":
		switch h.Fault {
		case HTMLEcho:
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>"+ev.Challenge+"</body></html>")
		case QuotedEcho: // JSON, which Slack accepts
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"challenge": ev.Challenge})
		default:
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, ev.Challenge)
		}
		return
	case h.Sender == "slack" && ev.Type != "event_callback",
		h.Sender == "stripe" && ev.Object != "event",
		h.Sender == "github" && r.Header.Get("X-GitHub-Event") == "",
		h.Sender == "shopify" && r.Header.Get("X-Shopify-Topic") == "":
		http.Error(w, "not an event", http.StatusBadRequest)
		return
	}
	if h.Fault == Slow {
		time.Sleep(h.Delay)
	}
	w.WriteHeader(http.StatusOK)
}

func (h *SenderHandler) mac(msg ...string) []byte {
	m := hmac.New(sha256.New, []byte(h.Secret))
	for _, s := range msg {
		io.WriteString(m, s)
	}
	return m.Sum(nil)
}

func (h *SenderHandler) fresh(ts string) bool {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	d := now().Sub(time.Unix(n, 0))
	return d <= 5*time.Minute && d >= -5*time.Minute
}

func hexEqual(want []byte, got string) bool {
	b, err := hex.DecodeString(got)
	return err == nil && hmac.Equal(want, b)
}

func (h *SenderHandler) signed(r *http.Request, body []byte) bool {
	switch h.Sender {
	case "stripe":
		var ts string
		var sigs []string
		for _, part := range strings.Split(r.Header.Get("Stripe-Signature"), ",") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				sigs = append(sigs, v)
			}
		}
		if !h.fresh(ts) {
			return false
		}
		want := h.mac(ts, ".", string(body))
		for _, s := range sigs {
			if hexEqual(want, s) {
				return true
			}
		}
		return false
	case "github":
		v, ok := strings.CutPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256=")
		return ok && hexEqual(h.mac(string(body)), v)
	case "slack":
		ts := r.Header.Get("X-Slack-Request-Timestamp")
		v, ok := strings.CutPrefix(r.Header.Get("X-Slack-Signature"), "v0=")
		return ok && h.fresh(ts) && hexEqual(h.mac("v0:", ts, ":", string(body)), v)
	case "shopify":
		got, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Shopify-Hmac-SHA256"))
		return err == nil && hmac.Equal(h.mac(string(body)), got)
	}
	return false
}
