package subject

import (
	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// Webhook is one webhook exchange: the verification requests and, with
// --deliver, the signed deliveries, made to one address.
type Webhook struct {
	*webhook.Exchange
	// Protocol is the sender's webhook protocol the exchange followed.
	Protocol *profile.Webhook
	// NoDeliveries says why no delivery was sent, "" when they were.
	NoDeliveries string
	// Dropped are the verification parameters taken out of the URL the
	// user gave (wacheck sends its own).
	Dropped []string
}

// DeliveryAddress is the address a webhook exchange goes to: the first, in
// DNS order, that completed the sender's handshake; "" when none did.
func DeliveryAddress(ev *probe.Evidence) string {
	for _, ep := range ev.Endpoints {
		if ep.ConnectErr == nil && ep.Handshake != nil && ep.Handshake.Err == nil {
			return ep.Address
		}
	}
	return ""
}

// WebhookSupported says whether wacheck can act out p's webhook protocol,
// and why not when it cannot.
func WebhookSupported(p *profile.Profile) (bool, string) {
	switch {
	case p.Webhook == nil:
		return false, p.Name + " has no webhook protocol (--sender " + p.Key + "): wacheck webhook judges the TLS side " +
			"only; give the sender whose deliveries you expect, e.g. --sender " + profile.Default
	case !p.Webhook.Supported():
		return false, p.Short + "'s verification and signature scheme are not implemented yet"
	}
	return true, ""
}

// FromWebhook makes the Set of a webhook exchange: ex is nil when none was
// made (the sender has no webhook protocol, or no address completed the
// handshake). dropped are the verification parameters taken out of the
// URL the user gave.
func FromWebhook(ev *probe.Evidence, ex *webhook.Exchange, p *profile.Profile, dropped []string) *Set {
	s := &Set{}
	if ok, why := WebhookSupported(p); !ok {
		s.miss(KindWebhook, why)
		return s
	}
	if ex == nil {
		why := "no request was sent: no address completed " + p.Short + "'s TLS handshake (see tls.handshake)"
		if len(ev.Endpoints) == 0 {
			why = "no request was sent: no address to connect to: " + DNSFailureWords(ev.DNS)
		}
		s.miss(KindWebhook, why)
		return s
	}
	s.Address = ex.Address
	if ex.Err != nil && len(ex.Requests) == 0 || ex.Err != nil && ex.Err.Kind == webhook.ErrUntrusted {
		s.miss(KindWebhook, exchangeStopped(ex, p))
		return s
	}
	w := &Webhook{Exchange: ex, Protocol: p.Webhook, Dropped: dropped}
	if !ex.Deliver {
		w.NoDeliveries = "not sent without --deliver: the signed deliveries reach the handler's business logic " +
			"(they are marked as tests), so wacheck sends them only when asked"
	}
	s.Webhook = w
	return s
}

// exchangeStopped says why an exchange stopped before it could be judged.
func exchangeStopped(ex *webhook.Exchange, p *profile.Profile) string {
	if ex.Err.Kind == webhook.ErrUntrusted {
		what := "signed delivery"
		if t := p.Webhook.Verification.Token; t != "" {
			what = t + " or signed delivery"
		}
		return "no request was sent: the server's certificate does not verify (see chain.* and cert.*), so " + p.Short +
			" would not deliver either, and wacheck sends no " + what + " to a server it cannot authenticate"
	}
	return "no request was sent: " + ex.Err.Msg
}
