package webhook

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wacheck/wacheck/pkg/profile"
)

// changeNotification is the shape of a WhatsApp Cloud API change changeNotification.
type changeNotification struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				MessagingProduct string `json:"messaging_product"`
				Metadata         struct {
					DisplayPhoneNumber string `json:"display_phone_number"`
					PhoneNumberID      string `json:"phone_number_id"`
				} `json:"metadata"`
				Contacts []struct {
					WaID string `json:"wa_id"`
				} `json:"contacts"`
				Messages []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
					Text struct {
						Body string `json:"body"`
					} `json:"text"`
				} `json:"messages"`
				Statuses []struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"statuses"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

func decode(t *testing.T, b []byte) changeNotification {
	t.Helper()
	var n changeNotification
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatalf("payload does not decode: %v\n%s", err, b)
	}
	return n
}

// TestPayloads: the deliveries are WhatsApp change notifications, compact,
// ASCII on the wire, with test ids, and survive a re-serialisation byte for
// byte unless they carry non-ASCII text (so that webhook.raw_body blames
// exactly that).
func TestPayloads(t *testing.T) {
	p := newPayloads("RUN1", 1700000000)
	msg, status, nonASCII := p.Message("wacheck test delivery, not a real message"), p.Status(), p.NonASCII()
	ids := map[string]bool{}
	for name, b := range map[string][]byte{"message": msg, "status": status, "non-ASCII": nonASCII} {
		for _, c := range b {
			if c >= 0x80 || c < 0x20 {
				t.Fatalf("%s: byte %q on the wire", name, c)
			}
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil || !bytes.Equal(compact.Bytes(), b) {
			t.Errorf("%s is not compact JSON (%v): %s", name, err, b)
		}
		n := decode(t, b)
		if n.Object != "whatsapp_business_account" || len(n.Entry) != 1 || len(n.Entry[0].Changes) != 1 {
			t.Fatalf("%s: shape %+v", name, n)
		}
		v := n.Entry[0].Changes[0].Value
		if n.Entry[0].Changes[0].Field != "messages" || v.MessagingProduct != "whatsapp" ||
			v.Metadata.PhoneNumberID != testPhoneNumberID || !strings.Contains(n.Entry[0].ID, "WACHECK_TEST") {
			t.Errorf("%s: %+v", name, n)
		}
		for _, m := range v.Messages {
			if !strings.HasPrefix(m.ID, "wamid.WACHECK_TEST_RUN1_") || ids[m.ID] || m.Type != "text" {
				t.Errorf("%s: message id %q", name, m.ID)
			}
			ids[m.ID] = true
		}
		for _, s := range v.Statuses {
			if !strings.HasPrefix(s.ID, "wamid.WACHECK_TEST_RUN1_") || ids[s.ID] || s.Status != "delivered" {
				t.Errorf("%s: status id %q", name, s.ID)
			}
			ids[s.ID] = true
		}
		// A handler that parses and writes the JSON out again (Go: map
		// keys sorted) gets the same bytes back, except for non-ASCII.
		var v2 any
		_ = json.Unmarshal(b, &v2)
		again, _ := json.Marshal(v2)
		if same := bytes.Equal(again, b); same != (name != "non-ASCII") {
			t.Errorf("%s: re-serialised equal = %v\n%s\n%s", name, same, b, again)
		}
	}
	if !bytes.Contains(nonASCII, []byte(`\u00e4\u00f6\u00e5 Gr\u00fc\u00dfe \ud83d\udc4b`)) {
		t.Errorf("non-ASCII text not escaped as Meta does: %s", nonASCII)
	}
	if got := decode(t, nonASCII).Entry[0].Changes[0].Value.Messages[0].Text.Body; got != NonASCIIText {
		t.Errorf("non-ASCII text decodes to %q", got)
	}
}

func TestBatchPayload(t *testing.T) {
	w := profile.MustLookup("meta").Webhook
	p := newPayloads("BIG", 1700000000)
	size := w.MaxPayload - 16<<10
	b := p.Batch(w.MaxBatch, size)
	if len(b) > size || len(b) < size-w.MaxBatch || len(b) < 3_000_000 {
		t.Errorf("batch of %d bytes, want about %d and at least 3,000,000", len(b), size)
	}
	n := decode(t, b)
	ids := map[string]bool{}
	for _, c := range n.Entry[0].Changes {
		for _, m := range c.Value.Messages {
			ids[m.ID] = true
		}
	}
	if len(n.Entry[0].Changes) != 1000 || len(ids) != 1000 {
		t.Errorf("%d changes, %d distinct ids; want 1000", len(n.Entry[0].Changes), len(ids))
	}
	if next := p.Message("x"); !bytes.Contains(next, []byte("_BIG_1001\"")) {
		t.Errorf("the ids after a batch do not follow it: %s", next)
	}
}

func TestEscapeNonASCII(t *testing.T) {
	for in, want := range map[string]string{
		`{"a":"b"}`:  `{"a":"b"}`,
		`"äöå"`:      `"\u00e4\u00f6\u00e5"`,
		`"Ω €"`:      `"\u03a9 \u20ac"`,
		`"👋"`:        `"\ud83d\udc4b"`,
		"\"\u2028\"": `"\u2028"`,
	} {
		if got := string(EscapeNonASCII([]byte(in))); got != want {
			t.Errorf("EscapeNonASCII(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"1158201444":          "1158201444",
		`"1158201444"`:        `"1158201444"`,
		"1158201444\r\n":      `1158201444\r\n`,
		`a\u00e4`:             `a\\u00e4`,
		"ä👋":                  `\u00e4\U0001f44b`,
		"\x1b[2J\u202e\x00\t": `\x1b[2J\u202e\x00\t`,
		"\xff\xfe":            `\xff\xfe`,
		"\x7f":                `\x7f`,
	} {
		if got := Escape([]byte(in)); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripAndRedactParams(t *testing.T) {
	v := profile.MustLookup("meta").Webhook.Verification
	for _, tc := range []struct {
		in, want, dropped string
	}{
		{"/webhook", "/webhook", ""},
		{"/webhook?app=1", "/webhook?app=1", ""},
		{"/webhook?hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=1", "/webhook", "hub.mode,hub.verify_token,hub.challenge"},
		{"/w?a=1&hub%2Everify_token=s3cret&b=2", "/w?a=1&b=2", "hub.verify_token"},
		{"/w?hub_verify_token=s3cret&x", "/w?x", "hub_verify_token"},
	} {
		got, dropped := StripParams(tc.in, v)
		if got != tc.want || strings.Join(dropped, ",") != tc.dropped {
			t.Errorf("StripParams(%q) = %q, %v; want %q, %s", tc.in, got, dropped, tc.want, tc.dropped)
		}
	}
	for in, want := range map[string]string{
		"https://h/w?hub.verify_token=s3cret&a=1":   "https://h/w?hub.verify_token=REDACTED&a=1",
		"https://h/w?a=1&hub_verify_token=s3cret#f": "https://h/w?a=1&hub_verify_token=REDACTED#f",
		"https://h/w?hub%2Everify_token=s3cret":     "https://h/w?hub%2Everify_token=REDACTED",
		"https://h/w":                               "https://h/w",
	} {
		if got := RedactParam(in, v.TokenParam); got != want {
			t.Errorf("RedactParam(%q) = %q, want %q", in, got, want)
		}
	}
}
