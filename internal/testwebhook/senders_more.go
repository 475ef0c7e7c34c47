package testwebhook

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// The further senders' handlers, each written from its sender's documents
// and independently of package webhook:
//
//   - zoom: x-zm-signature "v0=" hex HMAC-SHA256 of "v0:<x-zm-request-timestamp>:<body>";
//     endpoint.url_validation answered {"plainToken", "encryptedToken": hex
//     HMAC-SHA256 of plainToken}.
//   - twitch: Twitch-Eventsub-Message-Signature "sha256=" hex HMAC-SHA256 of
//     message id + timestamp (RFC 3339, at most 10 minutes old) + body;
//     webhook_callback_verification answered with the raw challenge.
//   - discord: X-Signature-Ed25519 over X-Signature-Timestamp + body, checked
//     with PublicKey, 401 when it fails; PING (type 1) answered {"type":1}.
//   - line: x-line-signature, base64 HMAC-SHA256 of the body; verify (no
//     events) answered 200.
//   - twilio: X-Twilio-Signature, base64 HMAC-SHA1 of the full URL and the
//     POST parameters sorted by name, each name followed by its value.
//   - msgraph: ?validationToken=T answered 200 text/plain with T decoded;
//     a notification whose clientState differs from Secret refused with 403,
//     others answered 202.
func (h *SenderHandler) serveMore(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.Sender == "msgraph" && r.URL.Query().Has("validationToken") {
		h.graphValidation(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	signed := body
	if h.Fault == Reserialise && h.Sender != "twilio" {
		var ok bool
		if signed, ok = Reserialised(body); !ok {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
	}
	if h.Fault != NoSignature && h.Sender != "msgraph" && !h.signedMore(r, body, signed) {
		status := http.StatusUnauthorized
		if h.Fault == Refuses403 {
			status = http.StatusForbidden
		}
		http.Error(w, "invalid request signature", status)
		return
	}
	switch h.Sender {
	case "zoom":
		var ev struct {
			Event   string
			Payload struct{ PlainToken string }
		}
		if json.Unmarshal(body, &ev) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		if ev.Event == "endpoint.url_validation" {
			enc := hex.EncodeToString(h.mac(ev.Payload.PlainToken))
			if h.Fault == WrongEcho { // hashed the whole body instead of plainToken
				enc = hex.EncodeToString(h.mac(string(body)))
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]string{"plainToken": ev.Payload.PlainToken, "encryptedToken": enc})
			return
		}
	case "twitch":
		if r.Header.Get("Twitch-Eventsub-Message-Type") == "webhook_callback_verification" {
			var ev struct{ Challenge string }
			if json.Unmarshal(body, &ev) != nil {
				http.Error(w, "bad json", http.StatusBadRequest)
				return
			}
			switch h.Fault {
			case QuotedEcho:
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]string{"challenge": ev.Challenge})
			case WrongEcho:
				io.WriteString(w, "ok")
			default:
				w.Header().Set("Content-Type", "text/plain")
				io.WriteString(w, ev.Challenge)
			}
			return
		}
	case "discord":
		var ev struct{ Type int }
		if json.Unmarshal(body, &ev) != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if ev.Type == 1 {
			if h.Fault == WrongEcho {
				io.WriteString(w, `{"type":4,"data":{"content":"pong"}}`)
				return
			}
			io.WriteString(w, `{"type":1}`)
			return
		}
		h.slow()
		io.WriteString(w, `{"type":4,"data":{"content":"wacheck test: received"}}`)
		return
	case "twilio":
		h.slow()
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response></Response>")
		return
	case "msgraph":
		var n struct {
			Value []struct {
				ClientState *string `json:"clientState"`
			} `json:"value"`
		}
		if json.Unmarshal(body, &n) != nil || len(n.Value) == 0 {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		for _, v := range n.Value {
			if h.Fault != NoSignature && (v.ClientState == nil ||
				!hmac.Equal([]byte(*v.ClientState), []byte(h.Secret))) {
				http.Error(w, "clientState does not match", http.StatusForbidden)
				return
			}
		}
		h.slow()
		w.WriteHeader(http.StatusAccepted)
		return
	}
	h.slow()
	w.WriteHeader(http.StatusOK)
}

func (h *SenderHandler) slow() {
	if h.Fault == Slow {
		time.Sleep(h.Delay)
	}
}

// graphValidation answers Microsoft Graph's validationToken.
func (h *SenderHandler) graphValidation(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("validationToken")
	switch h.Fault {
	case QuotedEcho:
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(token)
		w.Write(b)
	case WrongEcho: // the raw query value, still encoded
		raw := strings.TrimPrefix(r.URL.RawQuery, "validationToken=")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, raw)
	default:
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, token)
	}
}

// signedMore checks the further senders' signatures; body is the raw
// body, signed what the handler hashes (the same unless it re-serialises).
func (h *SenderHandler) signedMore(r *http.Request, body, signed []byte) bool {
	switch h.Sender {
	case "zoom":
		ts := r.Header.Get("x-zm-request-timestamp")
		v, ok := strings.CutPrefix(r.Header.Get("x-zm-signature"), "v0=")
		return ok && ts != "" && hexEqual(h.mac("v0:", ts, ":", string(signed)), v)
	case "twitch":
		id, ts := r.Header.Get("Twitch-Eventsub-Message-Id"), r.Header.Get("Twitch-Eventsub-Message-Timestamp")
		v, ok := strings.CutPrefix(r.Header.Get("Twitch-Eventsub-Message-Signature"), "sha256=")
		t, err := time.Parse(time.RFC3339Nano, ts)
		now := time.Now
		if h.Now != nil {
			now = h.Now
		}
		if err != nil || now().Sub(t) > 10*time.Minute || id == "" {
			return false
		}
		return ok && hexEqual(h.mac(id, ts, string(signed)), v)
	case "discord":
		sig, err := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
		ts := r.Header.Get("X-Signature-Timestamp")
		return err == nil && len(h.PublicKey) == ed25519.PublicKeySize && ts != "" &&
			ed25519.Verify(h.PublicKey, append([]byte(ts), signed...), sig)
	case "line":
		got, err := base64.StdEncoding.DecodeString(r.Header.Get("x-line-signature"))
		return err == nil && hmac.Equal(h.mac(string(signed)), got)
	case "twilio":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return false
		}
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		s := "https://" + r.Host + r.URL.RequestURI()
		for _, k := range names {
			for _, v := range q[k] {
				s += k + v
			}
		}
		m := hmac.New(sha1.New, []byte(h.Secret))
		io.WriteString(m, s)
		got, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Twilio-Signature"))
		return err == nil && hmac.Equal(m.Sum(nil), got)
	}
	return false
}
