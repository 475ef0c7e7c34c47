package webhook

import (
	"net/url"
	"strconv"
	"time"

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
	// contentType replaces the protocol's Content-Type when not "".
	contentType string
	// bodyHash sends the JSON variant of a URL-signing scheme: the URL
	// with the body hash of body, signed alone (Signature.BodyHashParam).
	bodyHash bool
	// sent, when not nil, is sent instead of body, whose hash the URL
	// carries: a tampered body.
	sent []byte
}

// family reports whether the payload family f is one wacheck builds.
func family(f string) bool {
	switch f {
	case profile.PayloadWhatsApp, profile.PayloadStripe, profile.PayloadGitHub, profile.PayloadSlack,
		profile.PayloadShopify, profile.PayloadZoom, profile.PayloadLINE, profile.PayloadTwitch,
		profile.PayloadDiscord, profile.PayloadTwilio, profile.PayloadGraph:
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
	return p.buildMore(f, kind, text, id, ts)
}

// buildMore builds the deliveries of the further senders: Zoom event
// notifications, LINE webhook events, Twitch EventSub notifications,
// Discord interactions, Twilio's form-encoded messaging webhooks and
// Microsoft Graph change notifications (its clientState a placeholder the
// exchange fills in: clientStateMark).
func (p *payloads) buildMore(f string, kind int, text, id string, ts int64) delivery {
	rfc := time.Unix(ts, 0).UTC().Format(time.RFC3339Nano)
	switch f {
	case profile.PayloadZoom:
		event, obj := "meeting.started", map[string]any{"id": p.n, "start_time": rfc, "topic": text,
			"uuid": "WACHECK_TEST_" + id}
		if kind == kindStatus {
			event, obj = "meeting.ended", map[string]any{"end_time": rfc, "id": p.n,
				"topic": "wacheck test meeting, not a real one", "uuid": "WACHECK_TEST_" + id}
		}
		return delivery{body: Encode(map[string]any{"event": event, "event_ts": ts * 1000,
			"payload": map[string]any{"account_id": "WACHECK_TEST_ACCOUNT", "object": obj}})}
	case profile.PayloadLINE:
		ev := map[string]any{"deliveryContext": map[string]any{"isRedelivery": false}, "mode": "active",
			"message":    map[string]any{"id": strconv.Itoa(p.n), "text": text, "type": "text"},
			"replyToken": "WACHECK_TEST_REPLY_TOKEN", "source": map[string]any{"type": "user", "userId": lineUser},
			"timestamp": ts * 1000, "type": "message", "webhookEventId": "WACHECK_TEST_" + id}
		if kind == kindStatus {
			ev = map[string]any{"deliveryContext": map[string]any{"isRedelivery": false}, "mode": "active",
				"replyToken": "WACHECK_TEST_REPLY_TOKEN", "source": map[string]any{"type": "user", "userId": lineUser},
				"timestamp": ts * 1000, "type": "follow", "webhookEventId": "WACHECK_TEST_" + id}
		}
		return delivery{body: Encode(map[string]any{"destination": lineUser, "events": []any{ev}})}
	case profile.PayloadTwitch:
		typ, ev := "channel.chat.message", map[string]any{
			"broadcaster_user_id": "0", "broadcaster_user_login": "wacheck_test", "broadcaster_user_name": "wacheck_test",
			"chatter_user_id": "0", "chatter_user_login": "wacheck_test", "chatter_user_name": "wacheck_test",
			"message": map[string]any{"text": text}, "message_id": "WACHECK_TEST_" + id, "message_type": "text",
		}
		if kind == kindStatus {
			typ, ev = "stream.online", map[string]any{"broadcaster_user_id": "0", "broadcaster_user_login": "wacheck_test",
				"broadcaster_user_name": "wacheck_test", "id": "WACHECK_TEST_" + id, "started_at": rfc, "type": "live"}
		}
		return delivery{body: Encode(map[string]any{"event": ev, "subscription": twitchSubscription(typ, "enabled", rfc)}),
			header: []Header{{"Twitch-Eventsub-Message-Type", "notification"}, {"Twitch-Eventsub-Message-Retry", "0"},
				{"Twitch-Eventsub-Subscription-Type", typ}, {"Twitch-Eventsub-Subscription-Version", "1"}}}
	case profile.PayloadDiscord:
		v := map[string]any{"application_id": "0", "channel_id": "0", "guild_id": "0", "id": strconv.Itoa(p.n),
			"member": map[string]any{"user": map[string]any{"id": "0", "username": "wacheck-test"}},
			"token":  "WACHECK_TEST_INTERACTION_TOKEN", "type": 2, "version": 1,
			"data": map[string]any{"id": "0", "name": "wacheck-test", "type": 1,
				"options": []any{map[string]any{"name": "text", "type": 3, "value": text}}}}
		if kind == kindStatus {
			v["type"] = 3
			v["data"] = map[string]any{"component_type": 2, "custom_id": "wacheck-test-" + id}
		}
		return delivery{body: Encode(v)}
	case profile.PayloadTwilio:
		q := url.Values{"AccountSid": {twilioAccount}, "ApiVersion": {"2010-04-01"}, "From": {"+" + testWaID},
			"MessageSid": {"SMWACHECKTEST" + strconv.Itoa(p.n)}, "To": {"+" + testDisplayPhone}}
		if kind == kindStatus {
			q.Set("MessageStatus", "delivered")
			q.Set("SmsStatus", "delivered")
		} else {
			q.Set("Body", text)
			q.Set("NumMedia", "0")
			q.Set("SmsStatus", "received")
		}
		return delivery{body: []byte(q.Encode())}
	case profile.PayloadGraph:
		change, res := "created", "Users/WACHECK_TEST/Messages/"+id
		if kind == kindStatus {
			change = "updated"
		}
		n := map[string]any{"changeType": change, "clientState": clientStateMark, "resource": res,
			"resourceData": map[string]any{"@odata.id": res, "@odata.type": "#Microsoft.Graph.Message", "id": id,
				"subject": text},
			"subscriptionExpirationDateTime": time.Unix(ts, 0).Add(72 * time.Hour).UTC().Format(time.RFC3339),
			"subscriptionId":                 "WACHECK_TEST_SUBSCRIPTION", "tenantId": "WACHECK_TEST_TENANT"}
		return delivery{body: Encode(map[string]any{"value": []any{n}})}
	}
	return delivery{}
}

// clientStateMark stands for the clientState in a Microsoft Graph
// notification until the exchange puts the right one, a wrong one or none
// in its place.
const clientStateMark = "WACHECK_CLIENT_STATE_MARK"

const (
	lineUser      = "UWACHECKTEST0000000000000000000000"
	twilioAccount = "ACWACHECKTEST00000000000000000000"
)

func twitchSubscription(typ, status, created string) map[string]any {
	return map[string]any{"condition": map[string]any{"broadcaster_user_id": "0"}, "cost": 0, "created_at": created,
		"id": "WACHECK_TEST_SUBSCRIPTION", "status": status, "transport": map[string]any{"method": "webhook",
			"callback": "https://example.invalid/wacheck-test"}, "type": typ, "version": "1"}
}

func githubRepo() map[string]any {
	return map[string]any{"full_name": "wacheck-test/not-a-real-repository", "id": 1, "name": "not-a-real-repository",
		"private": true}
}

// verification is the body of a verification request sent by POST:
// Slack's url_verification, GitHub's ping, Zoom's endpoint.url_validation,
// Twitch's webhook_callback_verification, Discord's PING, LINE's verify.
func (p *payloads) verification(f, challenge string) delivery {
	ts, _ := strconv.ParseInt(p.timestamp, 10, 64)
	switch f {
	case profile.PayloadZoom:
		return delivery{body: Encode(map[string]any{"event": "endpoint.url_validation", "event_ts": ts * 1000,
			"payload": map[string]any{"plainToken": challenge}})}
	case profile.PayloadTwitch:
		rfc := time.Unix(ts, 0).UTC().Format(time.RFC3339Nano)
		return delivery{body: Encode(map[string]any{"challenge": challenge,
			"subscription": twitchSubscription("channel.chat.message", "webhook_callback_verification_pending", rfc)}),
			header: []Header{{"Twitch-Eventsub-Message-Type", "webhook_callback_verification"},
				{"Twitch-Eventsub-Message-Retry", "0"}, {"Twitch-Eventsub-Subscription-Type", "channel.chat.message"},
				{"Twitch-Eventsub-Subscription-Version", "1"}}}
	case profile.PayloadDiscord:
		return delivery{body: Encode(map[string]any{"application_id": "0", "id": challenge,
			"token": "WACHECK_TEST_INTERACTION_TOKEN", "type": 1, "version": 1})}
	case profile.PayloadLINE:
		return delivery{body: Encode(map[string]any{"destination": lineUser, "events": []any{}})}
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
