package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The test deliveries: WhatsApp Cloud API change notifications as Meta
// sends them (object whatsapp_business_account, entry[].changes[] with
// field messages or statuses), compact JSON, non-ASCII escaped as \u00e4
// with lowercase hex digits. Every id says WACHECK_TEST and every text says
// it is not a real message, so that a handler's logs and database show what
// they are.
//
// The keys are in sorted order at every level. Meta's own order differs
// ("object" first); sorted keys let a handler that parses the JSON and
// writes it out again (Go maps, Python's sort_keys, JavaScript's
// JSON.stringify of the parsed body) reproduce an ASCII delivery byte for
// byte, so that such a handler fails on exactly what Meta documents: the
// escaped non-ASCII characters (webhook.raw_body), and not on key order.

// Test identifiers in the payloads: WhatsApp's test numbers are in the
// fictional 555-01xx range.
const (
	testWABA          = "WACHECK_TEST_WABA_ID"
	testPhoneNumberID = "WACHECK_TEST_PHONE_NUMBER_ID"
	testDisplayPhone  = "15550100000"
	testWaID          = "15550100001"
	testContactName   = "wacheck test"
)

// NonASCIIText is the text of the non-ASCII delivery, before escaping: the
// characters Meta's documentation names (äöå), a German word and a
// character outside the Basic Multilingual Plane (a surrogate pair when
// escaped).
const NonASCIIText = "wacheck test message, not a real one: äöå Grüße 👋"

// payloads builds the deliveries of one exchange; run makes the message ids
// unique to it.
type payloads struct {
	run       string
	timestamp string
	n         int
}

func newPayloads(run string, unix int64) *payloads {
	return &payloads{run: run, timestamp: strconv.FormatInt(unix, 10)}
}

func (p *payloads) id() string {
	p.n++
	return fmt.Sprintf("wamid.WACHECK_TEST_%s_%d", p.run, p.n)
}

func (p *payloads) metadata() map[string]any {
	return map[string]any{"display_phone_number": testDisplayPhone, "phone_number_id": testPhoneNumberID}
}

// messageChange is one incoming text message.
func (p *payloads) messageChange(text string) map[string]any {
	return map[string]any{
		"field": "messages",
		"value": map[string]any{
			"contacts": []any{map[string]any{"profile": map[string]any{"name": testContactName}, "wa_id": testWaID}},
			"messages": []any{map[string]any{
				"from": testWaID, "id": p.id(), "text": map[string]any{"body": text},
				"timestamp": p.timestamp, "type": "text",
			}},
			"messaging_product": "whatsapp",
			"metadata":          p.metadata(),
		},
	}
}

// statusChange is one status update of a message the business sent.
func (p *payloads) statusChange() map[string]any {
	return map[string]any{
		"field": "messages",
		"value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          p.metadata(),
			"statuses": []any{map[string]any{
				"conversation": map[string]any{"id": "WACHECK_TEST_CONVERSATION_" + p.run,
					"origin": map[string]any{"type": "service"}},
				"id":           p.id(),
				"pricing":      map[string]any{"billable": true, "category": "service", "pricing_model": "CBP"},
				"recipient_id": testWaID,
				"status":       "delivered",
				"timestamp":    p.timestamp,
			}},
		},
	}
}

func notification(changes ...any) map[string]any {
	return map[string]any{
		"entry":  []any{map[string]any{"changes": changes, "id": testWABA}},
		"object": "whatsapp_business_account",
	}
}

// Message is a delivery of one incoming ASCII text message.
func (p *payloads) Message(text string) []byte {
	return Encode(notification(p.messageChange(text)))
}

// Status is a delivery of one status update.
func (p *payloads) Status() []byte {
	return Encode(notification(p.statusChange()))
}

// NonASCII is a delivery of one message whose text is NonASCIIText.
func (p *payloads) NonASCII() []byte {
	return Encode(notification(p.messageChange(NonASCIIText)))
}

// Batch is a delivery of n messages, ASCII only, padded to about size
// bytes (never more), as Meta batches up to 1,000 updates in payloads of
// up to 3 MB.
func (p *payloads) Batch(n, size int) []byte {
	build := func(pad int) []byte {
		changes := make([]any, n)
		for i := range changes {
			changes[i] = p.messageChange(padText(fmt.Sprintf("wacheck payload-size test, update %d of %d, not a real message. ", i+1, n), pad))
		}
		p.n -= n // the same ids in every build
		return Encode(notification(changes...))
	}
	base := len(build(0))
	pad := 0
	if n > 0 && size > base {
		pad = (size - base) / n
	}
	b := build(pad)
	p.n += n
	return b
}

// padText lengthens s by pad bytes of ASCII filler.
func padText(s string, pad int) string {
	const filler = "lorem ipsum dolor sit amet "
	var b strings.Builder
	b.Grow(len(s) + pad)
	b.WriteString(s)
	for i := 0; i < pad; i++ {
		b.WriteByte(filler[i%len(filler)])
	}
	return b.String()
}

// Encode writes v as compact JSON the way Meta does: no spaces, no HTML
// escaping, every non-ASCII character as \uXXXX with lowercase hex digits
// (a surrogate pair outside the Basic Multilingual Plane).
func Encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("webhook: payload does not encode: " + err.Error())
	}
	return EscapeNonASCII(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// EscapeNonASCII rewrites every non-ASCII character of a JSON text as a
// \uXXXX escape with lowercase hex digits. Outside strings JSON is ASCII,
// so only string contents change, and they decode to the same text.
func EscapeNonASCII(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			out = append(out, b[i])
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			continue
		}
		out = fmt.Appendf(out, `\u%04x`, r)
	}
	return out
}
