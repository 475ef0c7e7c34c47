package webhook

import (
	"strconv"

	"github.com/wacheck/wacheck/pkg/profile"
)

// The other senders' test deliveries, in the shape of their real ones:
// Stripe event objects, GitHub event payloads with X-GitHub-Event, Slack
// Events API envelopes, Shopify topic payloads with X-Shopify-Topic. Every
// id says WACHECK_TEST and every text says it is not real, as in Meta's.
// They are compact JSON with non-ASCII text escaped (\u00e4): a handler
// that parses and re-serialises the JSON then computes another signature,
// which is what webhook.raw_body finds whatever the sender's own spacing.

// delivery is one test delivery: its body and the headers its sender sends
// with it besides the signature (the event's type, its id).
type delivery struct {
	body   []byte
	header []Header
}

// family reports whether the payload family f is one wacheck builds.
func family(f string) bool {
	switch f {
	case profile.PayloadWhatsApp, profile.PayloadStripe, profile.PayloadGitHub, profile.PayloadSlack,
		profile.PayloadShopify:
		return true
	}
	return false
}

// kinds of delivery.
const (
	kindMessage = iota
	kindStatus
)

// build is a delivery of family f: a message-like event carrying text, or
// a status-like one.
func (p *payloads) build(f string, kind int, text string) delivery {
	if !family(f) || f == profile.PayloadWhatsApp {
		if kind == kindStatus {
			return delivery{body: p.Status()}
		}
		return delivery{body: p.Message(text)}
	}
	id := p.id()
	ts, _ := strconv.ParseInt(p.timestamp, 10, 64)
	switch f {
	case profile.PayloadStripe:
		typ, obj := "payment_intent.succeeded", map[string]any{
			"amount": 100, "currency": "usd", "description": text, "id": "pi_" + id, "livemode": false,
			"metadata": map[string]any{"wacheck": "test, not a real payment"}, "object": "payment_intent",
			"status": "succeeded",
		}
		if kind == kindStatus {
			typ, obj = "invoice.paid", map[string]any{"id": "in_" + id, "object": "invoice", "paid": true,
				"status": "paid", "livemode": false}
		}
		return delivery{body: Encode(map[string]any{
			"api_version": "2025-01-27.acacia", "created": ts, "data": map[string]any{"object": obj},
			"id": "evt_" + id, "livemode": false, "object": "event", "pending_webhooks": 1,
			"request": map[string]any{"id": nil, "idempotency_key": nil}, "type": typ,
		})}
	case profile.PayloadGitHub:
		event, v := "issue_comment", map[string]any{
			"action":     "created",
			"comment":    map[string]any{"body": text, "id": p.n, "user": map[string]any{"login": "wacheck-test"}},
			"issue":      map[string]any{"number": 1, "title": "wacheck test issue, not a real one"},
			"repository": githubRepo(),
			"sender":     map[string]any{"login": "wacheck-test", "type": "User"},
		}
		if kind == kindStatus {
			event, v = "check_run", map[string]any{
				"action": "completed", "check_run": map[string]any{"conclusion": "success", "id": p.n,
					"name": "wacheck test check, not a real one", "status": "completed"},
				"repository": githubRepo(), "sender": map[string]any{"login": "wacheck-test", "type": "User"},
			}
		}
		return delivery{body: Encode(v), header: []Header{{"X-GitHub-Event", event}, {"X-GitHub-Delivery", id}}}
	case profile.PayloadSlack:
		ev := map[string]any{"channel": "CWACHECKTEST", "event_ts": p.timestamp + ".000100", "text": text,
			"ts": p.timestamp + ".000100", "type": "message", "user": "UWACHECKTEST"}
		if kind == kindStatus {
			ev = map[string]any{"event_ts": p.timestamp + ".000200", "item": map[string]any{"channel": "CWACHECKTEST",
				"ts": p.timestamp + ".000100", "type": "message"}, "reaction": "white_check_mark", "type": "reaction_added",
				"user": "UWACHECKTEST"}
		}
		return delivery{body: Encode(map[string]any{
			"api_app_id": "AWACHECKTEST", "event": ev, "event_id": "Ev" + id, "event_time": ts,
			"team_id": "TWACHECKTEST", "token": "WACHECK_TEST_TOKEN", "type": "event_callback",
		})}
	case profile.PayloadShopify:
		topic, v := "orders/create", map[string]any{
			"admin_graphql_api_id": "gid://shopify/Order/" + id, "currency": "USD", "email": "wacheck-test@example.com",
			"id": p.n, "name": "#WACHECK" + strconv.Itoa(p.n), "note": text, "test": true, "total_price": "1.00",
		}
		if kind == kindStatus {
			topic, v = "orders/fulfilled", map[string]any{"admin_graphql_api_id": "gid://shopify/Order/" + id,
				"fulfillment_status": "fulfilled", "id": p.n, "name": "#WACHECK" + strconv.Itoa(p.n), "test": true}
		}
		return delivery{body: Encode(v), header: []Header{{"X-Shopify-Topic", topic},
			{"X-Shopify-Shop-Domain", "wacheck-test.myshopify.com"}, {"X-Shopify-Webhook-Id", id},
			{"X-Shopify-Triggered-At", p.timestamp}}}
	}
	return delivery{}
}

func githubRepo() map[string]any {
	return map[string]any{"full_name": "wacheck-test/not-a-real-repository", "id": 1, "name": "not-a-real-repository",
		"private": true}
}

// verification is the body of a verification request sent by POST:
// Slack's url_verification, GitHub's ping.
func (p *payloads) verification(f, challenge string) delivery {
	switch f {
	case profile.PayloadSlack:
		return delivery{body: Encode(map[string]any{"challenge": challenge, "token": "WACHECK_TEST_TOKEN",
			"type": "url_verification"})}
	case profile.PayloadGitHub:
		id := p.id()
		return delivery{body: Encode(map[string]any{
			"hook": map[string]any{"active": true, "config": map[string]any{"content_type": "json", "insecure_ssl": "0"},
				"events": []any{"*"}, "id": 1, "type": "Repository"},
			"hook_id": 1, "repository": githubRepo(), "sender": map[string]any{"login": "wacheck-test", "type": "User"},
			"zen": "wacheck test ping, not a real one " + challenge,
		}), header: []Header{{"X-GitHub-Event", "ping"}, {"X-GitHub-Delivery", id}}}
	}
	return delivery{}
}

// large is a delivery of about size bytes (never more): Meta's batch of n
// updates, one event with a long text for the others.
func (p *payloads) large(f string, n, size int) delivery {
	if f == profile.PayloadWhatsApp || f == "" {
		return delivery{body: p.Batch(n, size)}
	}
	head := "wacheck payload-size test, not real. "
	base := len(p.build(f, kindMessage, head).body)
	p.n--
	pad := max(size-base, 0)
	return p.build(f, kindMessage, padText(head, pad))
}
