package cli

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wacheck/wacheck/internal/testpki"
	"github.com/wacheck/wacheck/internal/testwebhook"
)

// twilioJSONFault is what a Twilio handler gets wrong with JSON bodies.
type twilioJSONFault int

const (
	twilioJSONCorrect     twilioJSONFault = iota
	twilioJSONReserialise                 // hashes the JSON it parsed and wrote out again
	twilioJSONIgnoreHash                  // checks the signature over the URL, never bodySHA256
)

// twilioJSONHandler is a Twilio handler written from Twilio's documents
// and twilio-node's validateRequestWithBody, independently of package
// webhook: a form-encoded request is checked as base64 HMAC-SHA1 (auth
// token) of the full URL and the POST parameters sorted by name; a request
// whose URL has bodySHA256 as HMAC-SHA1 of the full URL alone, and
// bodySHA256 as the lowercase hex SHA-256 of the raw body.
type twilioJSONHandler struct {
	token string
	fault twilioJSONFault
}

func (h *twilioJSONHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	full := "https://" + r.Host + r.URL.RequestURI()
	signed := full
	hash, isJSON := r.URL.Query()["bodySHA256"]
	if !isJSON {
		q, err := url.ParseQuery(string(body))
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			for _, v := range q[k] {
				signed += k + v
			}
		}
	}
	m := hmac.New(sha1.New, []byte(h.token))
	io.WriteString(m, signed)
	if base64.StdEncoding.EncodeToString(m.Sum(nil)) != r.Header.Get("X-Twilio-Signature") {
		http.Error(w, "Twilio Request Validation Failed.", http.StatusForbidden)
		return
	}
	if isJSON && h.fault != twilioJSONIgnoreHash {
		hashed := body
		if h.fault == twilioJSONReserialise {
			var ok bool
			if hashed, ok = testwebhook.Reserialised(body); !ok {
				http.Error(w, "bad json", http.StatusBadRequest)
				return
			}
		}
		sum := sha256.Sum256(hashed)
		if len(hash) != 1 || !hmac.Equal([]byte(hex.EncodeToString(sum[:])), []byte(hash[0])) {
			http.Error(w, "Twilio Request Validation Failed.", http.StatusForbidden)
			return
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, "<Response></Response>")
}

// TestWebhookTwilioJSON runs wacheck webhook --sender twilio --deliver
// against Twilio handlers that take JSON bodies: the correct one passes
// webhook.raw_body; one that hashes re-serialised JSON fails it naming
// that, and nothing else warns or fails; one that never checks bodySHA256
// fails webhook.signature (a JSON body is then not authenticated) and
// raw_body skips saying why, since the raw bytes are never looked at. The
// form deliveries' verdicts are the same for all three.
func TestWebhookTwilioJSON(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile("../../docs/schema/report.v2.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		fault twilioJSONFault
		id    string
		st    string
		in    []string
		skip  map[string]string // other checks' expected status, besides pass
	}{
		{"correct", twilioJSONCorrect, "webhook.raw_body", "pass",
			[]string{"checks bodySHA256 against the raw body"}, nil},
		{"re-serialised", twilioJSONReserialise, "webhook.raw_body", "fail",
			[]string{"re-serialised body", "bodySHA256", "403 Forbidden"}, nil},
		{"ignores bodySHA256", twilioJSONIgnoreHash, "webhook.signature", "fail",
			[]string{"does not check bodySHA256 against the raw body", "any body"},
			map[string]string{"webhook.raw_body": "skip"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testpki.NewChain(t, time.Now())
			addr := testwebhook.Start(t, &twilioJSONHandler{token: testSecret, fault: tc.fault},
				c.TLSCertificate(c.Intermediate.DER))
			r := runWebhookCmd(t, addr, c.WriteRootPEM(t, ""), nil, senderArgs(t, "twilio")...)
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("the report does not match schema v2: %v", err)
			}
			st, detail := r.check(tc.id)
			if st != tc.st {
				t.Errorf("%s = %s (%s), want %s\n%s", tc.id, st, detail, tc.st, r)
			}
			for _, in := range tc.in {
				if !strings.Contains(detail, in) {
					t.Errorf("%s: %q lacks %q", tc.id, detail, in)
				}
			}
			want := map[string]string{"webhook.verify": "skip", "webhook.verify_rejects": "skip",
				"webhook.body_size": "skip"}
			for id, s := range tc.skip {
				want[id] = s
			}
			for _, id := range webhookCheckIDs {
				if id == tc.id {
					continue
				}
				w := want[id]
				if w == "" {
					w = "pass"
				}
				if st, d := r.check(id); st != w {
					t.Errorf("%s = %s (%s), want %s", id, st, d, w)
				}
			}
			if tc.fault == twilioJSONIgnoreHash {
				if _, d := r.check("webhook.raw_body"); !strings.Contains(d, "does not check bodySHA256 at all") {
					t.Errorf("webhook.raw_body does not say why it skips: %q", d)
				}
			}
		})
	}
}
