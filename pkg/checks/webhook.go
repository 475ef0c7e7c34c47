package checks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wacheck/wacheck/pkg/probe"
	"github.com/wacheck/wacheck/pkg/profile"
	"github.com/wacheck/wacheck/pkg/subject"
	"github.com/wacheck/wacheck/pkg/webhook"
)

// The webhook checks judge the exchange of wacheck webhook (package
// webhook): the verification request with the right and a wrong token, and
// with --deliver the signed deliveries. The protocol's details (parameter
// names, signature header, payload size, latency guidance) come from the
// profile's Webhook; no check names a sender.

// webhookVerify judges the verification request: 200 and the challenge as
// the whole body, byte for byte.
func webhookVerify(cx *Context, s *State) verdict {
	w := s.Webhook
	p := cx.Profile
	v := w.Protocol.Verification
	if v.Kind == profile.VerifyNone {
		if v.Answer != "" {
			return skip("%s sends no verification request: nothing to judge (%s)", p.Short, v.Answer)
		}
		return skip("%s sends no verification request: nothing to judge", p.Short)
	}
	r := w.Find(webhook.RoleVerify)
	if r == nil {
		return skip("not sent: %s", stopWords(w))
	}
	switch v.Kind {
	case profile.VerifyPostChallenge, profile.VerifyPing:
		return verifyByPost(cx, w, r)
	case profile.VerifyQueryToken:
		return verifyQueryToken(cx, w, r)
	}
	what := fmt.Sprintf("%s %s", r.Method, webhook.Escape([]byte(r.Path)))
	if len(w.Dropped) > 0 {
		what += " (the " + strings.Join(w.Dropped, ", ") + " in the URL you gave " + were(len(w.Dropped)) +
			" replaced by wacheck's own)"
	}
	if r.Err != nil {
		return fail("Make the callback URL answer "+v.Method+" requests: check that the server or proxy in front "+
			"of the handler passes them on, and its logs",
			"%s failed: %s. %s cannot verify the endpoint, so it sends no deliveries", what, errWords(r.Err), p.Short)
	}
	got := answerWords(r)
	c := r.Challenge
	if isRedirect(r.Status) {
		return fail(redirectFix,
			"%s answered %s: %s expects 200 with the challenge from the callback URL itself, and wacheck follows no "+
				"redirect", what, got, p.Short)
	}
	if !w.TokenGiven {
		return verifyWithoutToken(cx, w, r, what, got)
	}
	body := r.Excerpt
	echoed := r.Status == http.StatusOK && string(body) == c && !r.Truncated
	if echoed {
		return pass("%s answered 200 with exactly the challenge (%d bytes) after %s", what, len(c), ms(r.TTFB()))
	}
	mismatch := ""
	if v.Mismatch != "" {
		mismatch = fmt.Sprintf(" %s answers: %s, expected value=\"%s\", received=%s", p.Short, v.Mismatch, c,
			quotedBody(body))
	}
	echoFix := echoFix(v)
	if r.Status == http.StatusOK {
		trimmed := bytes.TrimSpace(body)
		switch {
		case string(body) == `"`+c+`"`:
			return fail(echoFix, "%s answered 200 with the challenge in JSON quotes, %s: the body must be the "+
				"challenge alone.%s", what, quotedBody(body), mismatch)
		case string(trimmed) == c:
			return fail(echoFix, "%s answered 200 with the challenge and white space around it (%s): the body must "+
				"be the challenge alone, without a trailing newline.%s", what, quotedBody(body), mismatch)
		case bytes.Contains(body, []byte(c)) && bytes.Contains(body, []byte("<")):
			return fail(echoFix, "%s answered 200 with the challenge inside HTML or a template (%s): the body must be "+
				"the challenge alone.%s", what, quotedBody(body), mismatch)
		case bytes.Contains(body, []byte(c)):
			return fail(echoFix, "%s answered 200 with the challenge wrapped in other text (%s): the body must be "+
				"the challenge alone.%s", what, quotedBody(body), mismatch)
		}
	}
	if phpNames(w) {
		return fail(fmt.Sprintf("Read the parameters as %s, %s and %s (only PHP's $_GET spells them with underscores)",
			v.ModeParam, v.ChallengeParam, v.TokenParam),
			"%s answered %s, but the same request with the parameters named %s, %s and %s got 200 and its challenge: "+
				"the handler reads PHP's spelling. PHP turns the dots in parameter names into underscores "+
				"($_GET['%s']); every other language sees %s", what, got, php(v.ModeParam), php(v.ChallengeParam),
			php(v.TokenParam), php(v.ChallengeParam), v.ChallengeParam)
	}
	switch {
	case r.Status == http.StatusOK && r.BodyLen == 0:
		return fail(echoFix, "%s answered 200 with an empty body: the handler did not find %s (code ported from PHP "+
			"that reads %s gets nothing outside PHP).%s", what, v.ChallengeParam, php(v.ChallengeParam), mismatch)
	case r.Status == http.StatusOK:
		return fail(echoFix, "%s answered 200 with %s, not the challenge %s.%s", what, bodyWords(r), c, mismatch)
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return fail("Give wacheck the "+v.Token+" the handler is configured with (--verify-token-file or "+
			"WACHECK_VERIFY_TOKEN), the same one you enter in the app's webhook settings; compare it exactly, "+
			"without surrounding white space",
			"%s answered %s: the handler refused the %s wacheck sent, so it does not match the handler's", what, got,
			v.Token)
	case r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed:
		return fail("Route "+v.Method+" requests for this path to the handler (the same path as the deliveries' POST)",
			"%s answered %s: no handler answers %s at this path, so %s cannot verify the endpoint", what, got,
			v.Method, p.Short)
	case r.Status >= 500:
		return fail("Check the handler's logs for the error on the verification request",
			"%s answered %s: the handler fails on the verification request", what, got)
	}
	return fail(echoFix, "%s answered %s, not 200 with the challenge %s.%s", what, got, c, mismatch)
}

// verifyByPost judges a verification request sent as a signed POST: a
// challenge to answer 200 with (text/plain, form or JSON: Slack's
// url_verification), or an event to answer 2xx (GitHub's ping).
func verifyByPost(cx *Context, w *subject.Webhook, r *webhook.Request) verdict {
	p := cx.Profile
	v := w.Protocol.Verification
	sig := w.Protocol.Signature
	what := fmt.Sprintf("The %s POST (signed, %s)", v.Event, sig.Header)
	if r.Err != nil {
		return fail("Make the callback URL answer POST requests: check that the server or proxy in front of the "+
			"handler passes them on, and its logs",
			"%s failed: %s. %s cannot verify the endpoint", what, errWords(r.Err), p.Short)
	}
	got := answerWords(r)
	switch {
	case isRedirect(r.Status):
		return fail(redirectFix, "%s answered %s: wacheck follows no redirect, and the answer must come from the "+
			"callback URL itself", what, got)
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return fail(signingFix(sig, p.Key), "%s answered %s: the handler refused a correctly signed %s request", what, got,
			v.Event)
	case r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed:
		return fail("Route POST requests for this path to the handler",
			"%s answered %s: no handler answers POST at this path", what, got)
	case r.Status >= 500:
		return fail("Check the handler's logs for the error on the "+v.Event+" request",
			"%s answered %s: the handler fails on it", what, got)
	}
	if v.Kind == profile.VerifyPing {
		if r.Status >= 200 && r.Status < 300 {
			return pass("%s answered %d after %s", what, r.Status, ms(r.TTFB()))
		}
		return fail("Answer 2xx to the "+v.Event+" request like any correctly signed delivery",
			"%s answered %s: %s does not confirm the webhook", what, got, p.Short)
	}
	c := r.Challenge
	fix := "Answer the " + v.Event + " request with " + v.Answer + ", nothing else in the body"
	switch v.Reply {
	case profile.ReplyRawChallenge:
		return rawChallengeAnswer(cx, r, what, got, fix)
	case profile.ReplyTokenHMAC:
		return tokenHMACAnswer(cx, w, r, what, got, fix)
	case profile.ReplyPong:
		return pongAnswer(cx, r, what, got, fix)
	}
	if form, ok := challengeAnswer(r, c); ok {
		return pass("%s answered 200 with the challenge (%s) after %s", what, form, ms(r.TTFB()))
	}
	if r.Status == http.StatusOK && bytes.Contains(r.Excerpt, []byte(c)) {
		return fail(fix, "%s answered 200 with the challenge inside something else (%s): %s accepts %s", what,
			quotedBody(r.Excerpt), p.Short, v.Answer)
	}
	return fail(fix, "%s answered %s, not 200 with the challenge %s", what, got, c)
}

// rawChallengeAnswer judges an answer that must be the challenge alone,
// byte for byte (Twitch).
func rawChallengeAnswer(cx *Context, r *webhook.Request, what, got, fix string) verdict {
	p := cx.Profile
	c := r.Challenge
	b := r.Excerpt
	switch {
	case r.Status == http.StatusOK && string(b) == c && !r.Truncated:
		return pass("%s answered 200 with exactly the raw challenge (%d bytes) after %s", what, len(c), ms(r.TTFB()))
	case r.Status != http.StatusOK:
		return fail(fix, "%s answered %s, not 200 with the challenge %s", what, got, c)
	case string(b) == `"`+c+`"`:
		return fail(fix, "%s answered 200 with the challenge in JSON quotes, %s: %s wants the raw challenge alone",
			what, quotedBody(b), p.Short)
	case bytes.Contains(b, []byte(c)) && bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")):
		return fail(fix, "%s answered 200 with the challenge inside JSON (%s): %s wants the raw challenge alone, "+
			"not an object", what, quotedBody(b), p.Short)
	case string(bytes.TrimSpace(b)) == c:
		return fail(fix, "%s answered 200 with the challenge and white space around it (%s): %s wants it alone",
			what, quotedBody(b), p.Short)
	case bytes.Contains(b, []byte(c)):
		return fail(fix, "%s answered 200 with the challenge inside other text (%s): %s wants it alone", what,
			quotedBody(b), p.Short)
	}
	return fail(fix, "%s answered 200 with %s, not the challenge %s", what, bodyWords(r), c)
}

// tokenHMACAnswer judges an answer that must be JSON with the plainToken
// and its HMAC with the secret (Zoom).
func tokenHMACAnswer(cx *Context, w *subject.Webhook, r *webhook.Request, what, got, fix string) verdict {
	p := cx.Profile
	sig := w.Protocol.Signature
	if r.Status != http.StatusOK {
		return fail(fix, "%s answered %s, not 200 with the plainToken and its encryptedToken", what, got)
	}
	var ans struct {
		PlainToken     *string `json:"plainToken"`
		EncryptedToken *string `json:"encryptedToken"`
	}
	if r.Truncated || json.Unmarshal(r.Excerpt, &ans) != nil {
		return fail(fix, "%s answered 200 with %s, not a JSON object with plainToken and encryptedToken", what,
			bodyWords(r))
	}
	switch {
	case ans.PlainToken == nil || *ans.PlainToken != r.Challenge:
		return fail(fix, "%s answered 200 with %s: plainToken is not the %s sent", what, bodyWords(r), r.Challenge)
	case ans.EncryptedToken == nil:
		return fail(fix, "%s answered 200 with %s: no encryptedToken", what, bodyWords(r))
	case r.Want == "" || !strings.EqualFold(*ans.EncryptedToken, r.Want):
		return fail(fmt.Sprintf("Compute encryptedToken as the hex HMAC-SHA256 of plainToken alone, keyed with the %s "+
			"wacheck was given (--app-secret-file or WACHECK_APP_SECRET): Node crypto.createHmac('sha256', "+
			"secret).update(plainToken).digest('hex')", sig.Secret),
			"%s answered 200 with plainToken right but encryptedToken %s, which is not the HMAC-SHA256 of plainToken "+
				"with the %s wacheck was given: %s refuses the endpoint", what, quotedBody([]byte(*ans.EncryptedToken)),
			sig.Secret, p.Short)
	}
	return pass("%s answered 200 with plainToken and the right encryptedToken after %s", what, ms(r.TTFB()))
}

// pongAnswer judges an answer that must be JSON {"type": 1} (Discord).
func pongAnswer(cx *Context, r *webhook.Request, what, got, fix string) verdict {
	if r.Status != http.StatusOK {
		return fail(fix, "%s answered %s, not 200 with {\"type\": 1}", what, got)
	}
	var ans struct {
		Type *json.Number `json:"type"`
	}
	if !r.Truncated && json.Unmarshal(r.Excerpt, &ans) == nil && ans.Type != nil && ans.Type.String() == "1" {
		return pass("%s answered 200 with a PONG (type 1) after %s", what, ms(r.TTFB()))
	}
	return fail(fix, "%s answered 200 with %s, not a PONG ({\"type\": 1}): %s refuses the endpoint", what,
		bodyWords(r), cx.Profile.Short)
}

// verifyQueryToken judges the answer to a token sent in the query: 200,
// text/plain, the token URL-decoded as the whole body (Microsoft Graph).
func verifyQueryToken(cx *Context, w *subject.Webhook, r *webhook.Request) verdict {
	p := cx.Profile
	v := w.Protocol.Verification
	what := fmt.Sprintf("POST with ?%s=... (no body)", v.ChallengeParam)
	fix := fmt.Sprintf("Answer the %s request with %s, within %s: ASP.NET Content(validationToken, \"text/plain\"); "+
		"Express res.type('text/plain').send(req.query.%s); Flask return request.args['%s'], 200, "+
		"{'Content-Type': 'text/plain'}", v.ChallengeParam, v.Answer, dur(deadlineOf(w, v)), v.ChallengeParam,
		v.ChallengeParam)
	if r.Err != nil {
		return fail(fix, "%s failed: %s. %s does not create the subscription", what, errWords(r.Err), p.Short)
	}
	got := answerWords(r)
	c := r.Challenge
	b := r.Excerpt
	ct := strings.ToLower(strings.TrimSpace(strings.Split(r.ContentType, ";")[0]))
	switch {
	case isRedirect(r.Status):
		return fail(redirectFix, "%s answered %s: the answer must come from the notification URL itself", what, got)
	case r.Status == http.StatusNotFound || r.Status == http.StatusMethodNotAllowed:
		return fail("Route POST requests with "+v.ChallengeParam+" in the query to the handler, before any "+
			"check of the body", "%s answered %s: no handler answers it at this path", what, got)
	case r.Status != http.StatusOK:
		return fail(fix, "%s answered %s, not 200 with the token", what, got)
	case string(b) == c && !r.Truncated && ct == "text/plain":
		return pass("%s answered 200, text/plain, with exactly the URL-decoded token (%d bytes) after %s", what, len(c),
			ms(r.TTFB()))
	case string(b) == c && !r.Truncated:
		return fail(fix, "%s answered 200 with exactly the token but Content-Type %s: %s wants text/plain", what,
			quotedBody([]byte(r.ContentType)), p.Short)
	case string(b) == url.QueryEscape(c) || string(b) == strings.ReplaceAll(url.QueryEscape(c), "+", "%20"):
		return fail(fix, "%s answered 200 with the token still URL-encoded (%s): decode it first", what, quotedBody(b))
	case string(b) == `"`+c+`"`:
		return fail(fix, "%s answered 200 with the token in JSON quotes (%s): the body must be the token alone, as "+
			"text/plain", what, quotedBody(b))
	case string(bytes.TrimSpace(b)) == c:
		return fail(fix, "%s answered 200 with the token and white space around it (%s)", what, quotedBody(b))
	case bytes.Contains(b, []byte(c)):
		return fail(fix, "%s answered 200 with the token inside other text (%s)", what, quotedBody(b))
	}
	return fail(fix, "%s answered 200 with %s, not the token %s", what, bodyWords(r), quotedBody([]byte(c)))
}

// deadlineOf is how long the sender waits for the verification answer.
func deadlineOf(w *subject.Webhook, v profile.Verification) time.Duration {
	if v.Deadline > 0 {
		return v.Deadline
	}
	return w.Deadline
}

// signingFix says how to make a handler accept wacheck's correctly signed
// requests: the same secret (or, for Ed25519, the public half of
// wacheck's signing key) and the signed bytes right.
func signingFix(sig profile.Signature, sender string) string {
	if sig.Asymmetric() {
		return "Configure the handler, for this test, with the public key of the key wacheck signs with " +
			"(`wacheck sign --sender " + sender + " --signing-key FILE --public-key` prints it), and check " +
			sig.Header + " over " + sig.TimestampHeader + " followed by the raw body bytes"
	}
	if sig.SignsURL() {
		return fmt.Sprintf("Check that the handler's %s is the one wacheck signed with (--app-secret-file or "+
			"WACHECK_APP_SECRET) and that it signs the URL exactly as requested (https, host, port, path and query) "+
			"followed by the POST parameters sorted by name; `wacheck sign --sender %s --url URL` computes it",
			sig.Secret, sender)
	}
	return fmt.Sprintf("Check that the handler's %s is the one wacheck signed with (--app-secret-file or "+
		"WACHECK_APP_SECRET) and that it computes the %s over the raw body bytes; `wacheck sign --sender %s` "+
		"computes the signature of a payload", sig.Secret, sig.Algorithm, sender)
}

// challengeAnswer reports whether r answered 200 with the challenge c in
// one of the forms a POST challenge accepts: alone (text/plain), as a form
// (challenge=c) or as a JSON object whose "challenge" is c; and which.
func challengeAnswer(r *webhook.Request, c string) (string, bool) {
	if r.Status != http.StatusOK || r.Truncated {
		return "", false
	}
	b := r.Excerpt
	switch {
	case string(b) == c:
		return "as plain text", true
	case string(b) == "challenge="+c:
		return "as a form, challenge=...", true
	}
	var obj map[string]any
	if json.Unmarshal(b, &obj) == nil && obj["challenge"] == c {
		return "as JSON, {\"challenge\": ...}", true
	}
	return "", false
}

// verifyWithoutToken says what a verification request with a random token
// shows, and what it cannot.
func verifyWithoutToken(cx *Context, w *subject.Webhook, r *webhook.Request, what, got string) verdict {
	v := w.Protocol.Verification
	c := r.Challenge
	if r.Status == http.StatusOK {
		body := r.Excerpt
		switch {
		case string(body) == c && !r.Truncated:
			return pass("%s, with a random %s (none was given), answered 200 with exactly the challenge: the echo is "+
				"right (webhook.verify_rejects judges that the token was not checked)", what, v.Token)
		case bytes.Contains(body, []byte(c)):
			return fail(echoFix(v), "%s, with a random %s (none was given), answered 200 with the challenge, but not "+
				"alone: %s. The body must be the challenge alone", what, v.Token, quotedBody(body))
		}
	}
	return info("%s, with a random %s (none was given: --verify-token-file or WACHECK_VERIFY_TOKEN), answered %s. "+
		"The handler is reachable; whether it answers 200 with the challenge for the right %s was not verified",
		what, v.Token, got, v.Token)
}

// webhookVerifyRejects judges the verification request with a wrong token:
// it must not get the challenge back.
func webhookVerifyRejects(cx *Context, s *State) verdict {
	w := s.Webhook
	v := w.Protocol.Verification
	switch v.Kind {
	case profile.VerifyNone:
		return skip("%s sends no verification request: nothing to judge", cx.Profile.Short)
	case profile.VerifyPing:
		return skip("the %s request carries no token to check; webhook.signature judges deliveries signed with a "+
			"wrong secret", v.Event)
	case profile.VerifyQueryToken:
		return skip("the %s request carries no secret: anyone may send one, and answering it confirms nothing to "+
			"them; webhook.signature judges notifications with a wrong %s", v.Event, w.Protocol.Signature.Secret)
	case profile.VerifyPostChallenge:
		return verifyRejectsForged(cx, w)
	}
	role := webhook.RoleVerifyWrong
	if !w.TokenGiven {
		role = webhook.RoleVerify // its token was random
	}
	r := w.Find(role)
	if r == nil {
		return skip("not sent: %s", stopWords(w))
	}
	what := fmt.Sprintf("%s with a wrong %s", r.Method, v.Token)
	switch {
	case r.Err != nil:
		return skip("%s got no answer (%s): nothing to judge", what, errWords(r.Err))
	case isRedirect(r.Status):
		return skip("%s answered %s: the endpoint redirects (webhook.verify)", what, answerWords(r))
	case r.Status == http.StatusOK && bytes.Contains(r.Excerpt, []byte(r.Challenge)):
		return fail(fmt.Sprintf("Compare %s with your %s and answer 403 when they differ", v.TokenParam, v.Token),
			"%s answered 200 with the challenge: the handler does not check %s, so anyone who knows the URL can "+
				"subscribe their own app to it", what, v.TokenParam)
	case r.Status == http.StatusOK:
		return pass("%s answered 200 without the challenge (%s), so the subscription fails; 403 says it more clearly",
			what, bodyWords(r))
	}
	return pass("%s answered %s, without the challenge", what, answerWords(r))
}

// verifyRejectsForged judges a POST challenge signed with a wrong secret:
// it must not get the challenge back.
func verifyRejectsForged(cx *Context, w *subject.Webhook) verdict {
	v := w.Protocol.Verification
	sig := w.Protocol.Signature
	r := w.Find(webhook.RoleVerifyWrong)
	if r == nil {
		return skip("not sent: %s", stopWords(w))
	}
	what := fmt.Sprintf("The %s POST signed with a wrong secret", v.Event)
	if sig.Asymmetric() {
		what = fmt.Sprintf("The %s POST with a signature that does not verify", v.Event)
	}
	switch {
	case r.Err != nil:
		return skip("%s got no answer (%s): nothing to judge", what, errWords(r.Err))
	case isRedirect(r.Status):
		return skip("%s answered %s: the endpoint redirects (webhook.verify)", what, answerWords(r))
	case v.ForgedStatus != 0 && r.Status >= 200 && r.Status < 300:
		return fail(signatureFix(sig)+fmt.Sprintf("; answer %d to the %s too", v.ForgedStatus, v.Event),
			"%s answered %s: the handler accepts requests whose signature does not verify. %s sends such requests "+
				"on purpose and refuses the endpoint (or removes it) when they are accepted", what, answerWords(r),
			cx.Profile.Short)
	case v.ForgedStatus != 0 && r.Status != v.ForgedStatus:
		return warn(signatureFix(sig)+fmt.Sprintf("; answer exactly %d", v.ForgedStatus),
			"%s answered %s: refused, but %s documents %d %s for a signature that does not verify", what,
			answerWords(r), cx.Profile.Short, v.ForgedStatus, http.StatusText(v.ForgedStatus))
	case v.ForgedStatus != 0:
		return pass("%s answered %d, as %s requires", what, r.Status, cx.Profile.Short)
	case r.Status == http.StatusOK && bytes.Contains(r.Excerpt, []byte(r.Challenge)):
		return fail(signatureFix(sig)+"; check the signature before answering "+v.Event+" too",
			"%s answered 200 with the challenge: the handler answers %s without checking %s, so anyone who knows "+
				"the URL can confirm it for their own app", what, v.Event, sig.Header)
	}
	return pass("%s answered %s, without the challenge", what, answerWords(r))
}

// webhookDelivery judges the correctly signed deliveries: 2xx within the
// sender's deadline.
func webhookDelivery(cx *Context, s *State) verdict {
	w := s.Webhook
	p := cx.Profile
	ds := w.All(webhook.RoleDelivery)
	if len(ds) == 0 {
		return skip("%s", noDeliveryWords(w))
	}
	sig := w.Protocol.Signature
	var ok []string
	for _, r := range ds {
		what := fmt.Sprintf("A signed delivery (%s)", changeKind(r, ds))
		switch {
		case r.Err != nil:
			return fail(slowFix, "%s failed: %s. %s", what, errWords(r.Err), retryWords(p))
		case isRedirect(r.Status):
			return fail(redirectFix, "%s answered %s: senders do not follow redirects on POST, so the delivery "+
				"fails. %s", what, answerWords(r), retryWords(p))
		case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
			fix := fmt.Sprintf("Check that the handler's %s is the one wacheck signed with (--app-secret-file or "+
				"WACHECK_APP_SECRET), and that it computes the %s over the raw request body bytes, not over JSON it "+
				"parsed and wrote out again; `wacheck sign` computes the signature of a payload",
				sig.Secret, sig.Algorithm)
			signedWith := fmt.Sprintf("signed with the %s wacheck was given (%s)", sig.Secret, sig.Header)
			switch {
			case w.Protocol.ClientState:
				fix = "Check that the handler compares clientState with the one its subscription set, and that wacheck " +
					"was given the same (--app-secret-file or WACHECK_APP_SECRET)"
				signedWith = "with the clientState wacheck was given"
			case sig.Asymmetric() || sig.SignsURL():
				fix = signingFix(sig, p.Key)
			}
			return fail(fix, "%s, %s, answered %s: the handler refused a correctly signed delivery", what, signedWith,
				answerWords(r))
		case r.Status == http.StatusRequestEntityTooLarge:
			return fail(bodySizeFix, "%s of %s answered %s: a body size limit below even a small delivery",
				what, size(r.BodySize), answerWords(r))
		case r.Status >= 500:
			return fail("Check the handler's logs for the error; answer 200 once the delivery is stored and do the "+
				"work afterwards", "%s answered %s: the handler fails. %s", what, answerWords(r), retryWords(p))
		case r.Status < 200 || r.Status >= 300:
			return fail("Answer 200 to every correctly signed delivery the handler can store, whatever its fields; "+
				"check the handler's logs for why it refused this one",
				"%s answered %s: the handler refused a correctly signed delivery", what, answerWords(r))
		}
		ok = append(ok, fmt.Sprintf("%s got %d after %s", changeKind(r, ds), r.Status, ms(r.TTFB())))
	}
	if w.Protocol.ClientState {
		return pass("Notifications (with the %s, Content-Type %s): %s", sig.Secret, w.Protocol.ContentType,
			strings.Join(ok, "; "))
	}
	return pass("Signed deliveries (%s, Content-Type %s): %s", sig.Header, w.Protocol.ContentType, strings.Join(ok, "; "))
}

// webhookSignature judges the forged and the unsigned delivery: both must
// be refused.
func webhookSignature(cx *Context, s *State) verdict {
	w := s.Webhook
	sig := w.Protocol.Signature
	forged, unsigned := w.Find(webhook.RoleForged), w.Find(webhook.RoleUnsigned)
	if forged == nil && unsigned == nil {
		return skip("%s", noDeliveryWords(w))
	}
	if !deliveryAccepted(w) {
		return skip("the correctly signed deliveries were not accepted either (webhook.delivery), so refusing " +
			"these proves nothing")
	}
	if w.Protocol.ClientState {
		return clientStateVerdict(cx, w, forged, unsigned)
	}
	var accepted, refused, noAnswer []string
	forgedWords := "signed with a wrong secret"
	if sig.Asymmetric() {
		forgedWords = "signed with another key"
	}
	for _, c := range []sent{{forged, forgedWords}, {unsigned, "without " + sig.Header}} {
		if c.r == nil {
			continue
		}
		switch {
		case c.r.Err != nil:
			noAnswer = append(noAnswer, fmt.Sprintf("the delivery %s got no answer (%s)", c.what, errWords(c.r.Err)))
		case c.r.Status >= 200 && c.r.Status < 300:
			accepted = append(accepted, fmt.Sprintf("the delivery %s got %d", c.what, c.r.Status))
		default:
			refused = append(refused, fmt.Sprintf("the delivery %s got %s", c.what, answerWords(c.r)))
		}
	}
	if len(accepted) > 0 {
		return fail(signatureFix(sig),
			"%s: the handler accepts forged deliveries, so anyone who knows the URL can inject messages and statuses",
			capitalize(strings.Join(accepted, " and ")))
	}
	if t := w.Find(webhook.RoleJSONTampered); t != nil && sig.BodyHashParam != "" && t.Answered() &&
		t.Status >= 200 && t.Status < 300 {
		return fail(bodyHashFix(sig),
			"A JSON delivery whose URL was correctly signed but whose body is not the one the URL's %s is the "+
				"SHA-256 of got %d: the handler does not check %s against the raw body, so a JSON body is not "+
				"authenticated (%s signs the URL alone): anyone who has seen one signed JSON request to this URL can "+
				"send it again with any body. %s", sig.BodyHashParam, t.Status, sig.BodyHashParam, cx.Profile.Short,
			sig.BodyHashWhen)
	}
	if len(noAnswer) > 0 {
		return warn(signatureFix(sig), "%s: answer 401 or 403 at once", capitalize(strings.Join(append(refused, noAnswer...), "; ")))
	}
	return pass("%s: refused", capitalize(strings.Join(refused, " and ")))
}

// sent is a request the webhook checks judge, with how its messages name
// it ("with a wrong clientState").
type sent struct {
	r    *webhook.Request
	what string
}

// clientStateVerdict judges the notifications with a wrong clientState and
// with none, for a sender that signs nothing (Microsoft Graph): refused is
// right; accepted cannot be judged from outside, since the sender asks for
// 202 to every notification whatever the handler does with it.
func clientStateVerdict(cx *Context, w *subject.Webhook, forged, unsigned *webhook.Request) verdict {
	p := cx.Profile
	var accepted, refused []string
	for _, c := range []sent{{forged, "with a wrong clientState"}, {unsigned, "without clientState"}} {
		switch {
		case c.r == nil:
		case c.r.Err != nil:
			refused = append(refused, fmt.Sprintf("the notification %s got no answer (%s)", c.what, errWords(c.r.Err)))
		case c.r.Status >= 200 && c.r.Status < 300:
			accepted = append(accepted, fmt.Sprintf("the notification %s got %d", c.what, c.r.Status))
		default:
			refused = append(refused, fmt.Sprintf("the notification %s got %s", c.what, answerWords(c.r)))
		}
	}
	if len(accepted) == 0 {
		return pass("%s signs nothing; its notifications carry the subscription's clientState instead, and %s: the "+
			"handler checks it", p.Short, strings.Join(refused, " and "))
	}
	return info("%s signs nothing; its notifications carry the subscription's clientState instead. %s: %s asks for "+
		"2xx to every notification, so the answer cannot show whether the handler drops one whose clientState "+
		"differs. Make sure it compares clientState (in constant time) before acting on a notification",
		p.Short, capitalize(strings.Join(accepted, " and ")), p.Short)
}

// webhookRawBody judges the delivery with escaped non-ASCII text: it must
// be accepted like the ASCII ones.
func webhookRawBody(cx *Context, s *State) verdict {
	w := s.Webhook
	p := cx.Profile
	switch {
	case w.Protocol.ClientState:
		return skip("%s signs nothing (a clientState instead, judged by webhook.signature): no signature over the "+
			"body to keep", p.Short)
	case w.Protocol.Signature.SignsURL() && w.Protocol.Signature.BodyHashParam != "":
		return rawBodyHash(cx, w)
	case w.Protocol.Signature.SignsURL():
		return skip("%s signs the URL and the decoded form parameters, not the body's bytes: there is no raw body "+
			"to keep", p.Short)
	}
	r := w.Find(webhook.RoleNonASCII)
	if r == nil {
		return skip("%s", noDeliveryWords(w))
	}
	if !deliveryAccepted(w) {
		return skip("the ASCII deliveries were not accepted either (webhook.delivery)")
	}
	sig := w.Protocol.Signature
	what := "A correctly signed delivery whose text has non-ASCII characters, escaped as " + p.Short +
		" sends them (" + string(webhook.EscapeNonASCII([]byte("äöå"))) + "),"
	if !w.Protocol.EscapesNonASCII {
		what = "A correctly signed delivery whose text has non-ASCII characters, sent escaped (" +
			string(webhook.EscapeNonASCII([]byte("äöå"))) + "),"
	}
	return nonASCIIVerdict(p, r, what, rawBodyFix(sig), nonASCIIWords{ascii: "the ASCII deliveries",
		passes: "hashes the raw body", computes: "the signature", sent: "signed", unit: "message",
		logs: "compute the signature over the raw body bytes"})
}

// nonASCIIWords name, in nonASCIIVerdict, the deliveries and what the
// handler does with a body.
type nonASCIIWords struct {
	ascii    string // the deliveries without non-ASCII text, accepted
	passes   string // what a handler that accepts r does right
	computes string // what a handler refusing r computes over a re-serialised body
	sent     string // what the sender did to the bytes: "signed", "sent"
	unit     string // what every one with an accent is refused: "message"
	logs     string // the fix of a handler failing otherwise
}

// nonASCIIVerdict judges r, the delivery of escaped non-ASCII text (what
// describes it), the ASCII ones having got 2xx: accepted, or refused as
// re-serialising handlers refuse it (fix), or failing otherwise.
func nonASCIIVerdict(p *profile.Profile, r *webhook.Request, what, fix string, n nonASCIIWords) verdict {
	switch {
	case r.Err != nil:
		return fail(fix, "%s failed (%s), while %s got 2xx", what, errWords(r.Err), n.ascii)
	case r.Status >= 200 && r.Status < 300:
		return pass("%s got %d: the handler %s", what, r.Status, n.passes)
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return fail(fix,
			"%s got %s, while %s got 2xx: the handler computes %s over a re-serialised body (parsed and written out "+
				"again, which turns \\u00e4 into ä), not over the bytes %s %s. Every %s with an accent, an umlaut or an "+
				"emoji is refused. %s", what, answerWords(r), n.ascii, n.computes, p.Short, n.sent, n.unit, retryWords(p))
	}
	return fail("Check the handler's logs: it fails on non-ASCII text; "+n.logs+" and decode the JSON as UTF-8",
		"%s got %s, while %s got 2xx", what, answerWords(r), n.ascii)
}

// rawBodyHash judges the JSON deliveries of a URL-signing scheme with a
// body hash (Twilio's bodySHA256): the one with escaped non-ASCII text
// must be accepted like the ASCII one. A handler that refuses JSON
// altogether is told so, not failed: the sender sends JSON only for some
// products, and the URL may not be one of them. One that does not check
// the body hash at all is webhook.signature's finding.
func rawBodyHash(cx *Context, w *subject.Webhook) verdict {
	p := cx.Profile
	sig := w.Protocol.Signature
	plain, r := w.Find(webhook.RoleJSONDelivery), w.Find(webhook.RoleJSONNonASCII)
	if plain == nil || r == nil {
		return skip("%s", noDeliveryWords(w))
	}
	if !deliveryAccepted(w) {
		return skip("the form-encoded deliveries were not accepted either (webhook.delivery)")
	}
	json := fmt.Sprintf("A correctly signed JSON delivery (Content-Type application/json, the URL with %s, the "+
		"URL signed alone)", sig.BodyHashParam)
	switch {
	case plain.Err != nil || plain.Status >= 500:
		got := "got " + answerWords(plain)
		if plain.Err != nil {
			got = "failed (" + errWords(plain.Err) + ")"
		}
		return warn(bodyHashFix(sig), "%s %s, while the form-encoded deliveries got 2xx: the handler fails on a JSON "+
			"body instead of refusing it. %s. If this URL receives JSON from it, those deliveries fail", json, got,
			sig.BodyHashWhen)
	case plain.Status < 200 || plain.Status >= 300:
		return info("%s got %s, while the form-encoded deliveries got 2xx: the handler takes form-encoded requests "+
			"only, or checks a JSON request as if it were a form (%s's error 57012), so whether it hashes a JSON body's "+
			"raw bytes cannot be seen. %s. If this URL receives JSON from %s, check %s against the raw body and "+
			"the signature over the URL alone (the SDKs' validateRequestWithBody)",
			json, answerWords(plain), p.Short, sig.BodyHashWhen, p.Short, sig.BodyHashParam)
	}
	if t := w.Find(webhook.RoleJSONTampered); t != nil && t.Answered() && t.Status >= 200 && t.Status < 300 {
		return skip("the handler accepted a JSON body that is not the one the URL's %s is the hash of "+
			"(webhook.signature): it does not check %s at all, so whether it would hash the raw bytes cannot be seen",
			sig.BodyHashParam, sig.BodyHashParam)
	}
	what := fmt.Sprintf("A correctly signed JSON delivery (the URL with %s, signed alone) whose text has non-ASCII "+
		"characters, sent escaped (%s),", sig.BodyHashParam, webhook.EscapeNonASCII([]byte("äöå")))
	return nonASCIIVerdict(p, r, what, bodyHashFix(sig), nonASCIIWords{ascii: "the ASCII JSON delivery",
		passes:   "checks " + sig.BodyHashParam + " against the raw body",
		computes: "the SHA-256 it compares with " + sig.BodyHashParam, sent: "sent", unit: "JSON request",
		logs: "hash the raw body bytes"})
}

// bodyHashFix is what a handler of a URL-signing scheme with a body hash
// must do with a JSON request.
func bodyHashFix(sig profile.Signature) string {
	return fmt.Sprintf("For a JSON request, compute the %s of the full URL as requested (%s included) with no "+
		"parameters, and compare the lowercase hex SHA-256 of the raw request body bytes with %s, before any JSON "+
		"parsing; answer 403 when either differs. The SDKs' validateRequestWithBody does both when given the raw "+
		"body: Express express.raw({type: 'application/json'}) or express.json({verify: (req, res, buf) => { "+
		"req.rawBody = buf }}), never JSON.stringify(req.body); Flask request.get_data(); Django request.body; Go "+
		"io.ReadAll(r.Body)", sig.Algorithm, sig.BodyHashParam, sig.BodyHashParam)
}

// webhookBodySize judges the delivery of about the sender's largest payload.
func webhookBodySize(cx *Context, s *State) verdict {
	w := s.Webhook
	p := cx.Profile
	if w.Protocol.MaxPayload == 0 {
		return skip("%s documents no largest payload, so there is no size to test against", p.Short)
	}
	r := w.Find(webhook.RoleLarge)
	if r == nil {
		return skip("%s", noDeliveryWords(w))
	}
	if !deliveryAccepted(w) {
		return skip("the small deliveries were not accepted either (webhook.delivery)")
	}
	what := fmt.Sprintf("A signed delivery of %s (%d updates; %s's payloads reach %s)", size(r.BodySize),
		w.Protocol.MaxBatch, p.Short, size(w.Protocol.MaxPayload))
	switch {
	case r.Err != nil && r.Err.Kind == probe.ErrTimeout:
		return fail(bodySizeFix+". "+slowFix, "%s got no answer in time (%s)", what, errWords(r.Err))
	case r.Err != nil:
		return fail(bodySizeFix, "%s failed: %s. A server or proxy that closes the connection on a large body "+
			"does this", what, errWords(r.Err))
	case r.Status >= 200 && r.Status < 300:
		return pass("%s got %d after %s", what, r.Status, ms(r.TTFB()))
	case r.Status == http.StatusRequestEntityTooLarge:
		return fail(bodySizeFix, "%s was refused with %s%s: a body size limit below %s's",
			what, answerWords(r), serverWords(r), p.Short)
	case r.Status == http.StatusBadRequest:
		return fail(bodySizeFix, "%s was refused with %s, while small deliveries got 2xx: a body size limit "+
			"(Django answers 400 beyond DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MB by default)", what, answerWords(r))
	}
	return fail(bodySizeFix, "%s got %s, while small deliveries got 2xx", what, answerWords(r))
}

// webhookLatency judges the timed deliveries against the sender's deadline
// and latency guidance.
func webhookLatency(cx *Context, s *State) verdict {
	w := s.Webhook
	p := cx.Profile
	reqs := w.All(webhook.RoleLatency)
	if len(reqs) == 0 {
		if w.NoDeliveries == "" && w.Deliveries == 0 {
			return skip("no timed delivery was asked for (--deliveries 0)")
		}
		return skip("%s", noDeliveryWords(w))
	}
	if !deliveryAccepted(w) {
		return skip("the deliveries were not accepted (webhook.delivery): their timing says nothing")
	}
	g := w.Protocol.Latency
	l := WebhookLatency(w.Exchange, g)
	dist := l.Words()
	guidance := latencyGuidance(p)
	deadline := w.Deadline
	if l.Failed > 0 {
		var why []string
		for _, r := range reqs {
			switch {
			case r.Err != nil:
				why = append(why, errWords(r.Err))
			case r.Status < 200 || r.Status >= 300:
				why = append(why, answerWords(r))
			}
		}
		slices.Sort(why)
		why = slices.Compact(why)
		burst := ""
		if l.FailedConcurrent > 0 && l.FailedConcurrent == l.Failed {
			burst = " (all of them sent in a burst: the handler does not cope with concurrent deliveries)"
		}
		return fail(slowFix, "%d of %d timed deliveries did not get 2xx within %s%s: %s. %s. %s", l.Failed, l.N,
			ms(deadline), burst, strings.Join(why, "; "), dist, retryWords(p))
	}
	switch {
	case l.Median > time.Second:
		return fail(slowFix, "%s. More than half the deliveries took over 1 s. %s", dist, guidance)
	case g.Median > 0 && l.Median > g.Median, g.Slow > 0 && l.OverSlow > 0 && float64(l.OverSlow) >= g.SlowShare*float64(l.N):
		return warn(slowFix, "%s. %s", dist, guidance)
	}
	return pass("%s. %s", dist, guidance)
}

// Latency summarises the timed deliveries of an exchange, for the check and
// the report alike.
type Latency struct {
	// N is the timed deliveries made; Sequential and Concurrent split them.
	N, Sequential, Concurrent int
	// Failed got no 2xx answer in time; FailedConcurrent of them were in a
	// burst.
	Failed, FailedConcurrent int
	// The times to first byte of the 2xx answers.
	Min, Median, P95, P99, Max time.Duration
	// SequentialMedian and ConcurrentMedian split the median.
	SequentialMedian, ConcurrentMedian time.Duration
	// OverSlow is how many took longer than the guidance's Slow.
	OverSlow int
	// Buckets count the answers by time to first byte.
	Buckets []Bucket
	// Guidance is what they were judged against.
	Guidance profile.LatencyGuidance
}

// Bucket counts the answers that took at most Le (and more than the
// previous bucket's Le); Le 0 is "longer".
type Bucket struct {
	Le    time.Duration
	Count int
}

// latencyBuckets are the bounds of the distribution shown.
var latencyBuckets = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond,
	500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second}

// WebhookLatency summarises ex's timed deliveries against the guidance g.
func WebhookLatency(ex *webhook.Exchange, g profile.LatencyGuidance) Latency {
	l := Latency{Guidance: g}
	var all, seq, conc []time.Duration
	for _, r := range ex.All(webhook.RoleLatency) {
		l.N++
		if r.Concurrent {
			l.Concurrent++
		} else {
			l.Sequential++
		}
		if !r.Answered() || r.Status < 200 || r.Status >= 300 {
			l.Failed++
			if r.Concurrent {
				l.FailedConcurrent++
			}
			continue
		}
		d := r.TTFB()
		if g.Slow > 0 && d > g.Slow {
			l.OverSlow++
		}
		all = append(all, d)
		if r.Concurrent {
			conc = append(conc, d)
		} else {
			seq = append(seq, d)
		}
	}
	if len(all) == 0 {
		return l
	}
	st := StatsOf(all)
	l.Min, l.Median, l.P95, l.Max = st.Min, st.Median, st.P95, st.Max
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	l.P99 = percentile(sorted, 99)
	l.SequentialMedian = StatsOf(seq).Median
	l.ConcurrentMedian = StatsOf(conc).Median
	counts := make([]int, len(latencyBuckets)+1)
	for _, d := range all {
		i, _ := slices.BinarySearch(latencyBuckets, d)
		counts[i]++
	}
	for i, n := range counts {
		b := Bucket{Count: n}
		if i < len(latencyBuckets) {
			b.Le = latencyBuckets[i]
		}
		l.Buckets = append(l.Buckets, b)
	}
	return l
}

// Words describes the distribution: "20 deliveries (10 one at a time, 10
// in bursts of 5): median 12 ms, p95 30 ms, p99 31 ms, max 31 ms; ≤50 ms:
// 18, ≤100 ms: 2".
func (l Latency) Words() string {
	answered := l.N - l.Failed
	s := fmt.Sprintf("%d timed deliveries (%d one at a time, %d in bursts of up to %d)", l.N, l.Sequential,
		l.Concurrent, webhook.Burst)
	if answered == 0 {
		return s + ": none answered 2xx"
	}
	s += fmt.Sprintf(", time to first byte of the %d answered: median %s, p95 %s, p99 %s, max %s", answered,
		ms(l.Median), ms(l.P95), ms(l.P99), ms(l.Max))
	if l.Sequential > 0 && l.Concurrent > 0 {
		s += fmt.Sprintf(" (median %s one at a time, %s in bursts)", ms(l.SequentialMedian), ms(l.ConcurrentMedian))
	}
	var parts []string
	for _, b := range l.Buckets {
		if b.Count == 0 {
			continue
		}
		if b.Le == 0 {
			parts = append(parts, fmt.Sprintf("over %s: %d", ms(latencyBuckets[len(latencyBuckets)-1]), b.Count))
			continue
		}
		parts = append(parts, fmt.Sprintf("≤%s: %d", ms(b.Le), b.Count))
	}
	return s + "; distribution " + strings.Join(parts, ", ")
}

// latencyGuidance says what the timings are judged against, and whose
// numbers they are.
func latencyGuidance(p *profile.Profile) string {
	g := p.Webhook.Latency
	var parts []string
	if g.Median > 0 {
		parts = append(parts, fmt.Sprintf("guidance from %s: a median of %s or less, fewer than %g%% over %s",
			g.Source, dur(g.Median), g.SlowShare*100, dur(g.Slow)))
	}
	if d := p.Deadlines.Response; d > 0 {
		s := fmt.Sprintf("%s gives up after %s", p.Short, dur(d))
		if g.DeadlineSource != "" {
			s += " (" + g.DeadlineSource + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "The sender publishes no latency guidance"
	}
	return capitalize(strings.Join(parts, "; "))
}

// dur is a duration for people: "250 ms", "1 s", "1.5 s".
func dur(d time.Duration) string {
	if d < time.Second {
		return ms(d)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// deliveryAccepted reports whether a correctly signed ASCII delivery got
// 2xx: without one, the other deliveries' answers say nothing of their own.
func deliveryAccepted(w *subject.Webhook) bool {
	for _, r := range w.All(webhook.RoleDelivery) {
		if r.Answered() && r.Status >= 200 && r.Status < 300 {
			return true
		}
	}
	return false
}

// phpNames reports whether the handler answered the challenge only when
// the parameters were spelt as PHP sees them.
func phpNames(w *subject.Webhook) bool {
	r := w.Find(webhook.RoleVerifyPHP)
	return r != nil && r.Answered() && r.Status == http.StatusOK && string(bytes.TrimSpace(r.Excerpt)) == r.Challenge
}

func php(name string) string { return strings.ReplaceAll(name, ".", "_") }

// stopWords says why a request was not sent.
func stopWords(w *subject.Webhook) string {
	if w.Err != nil {
		return w.Err.Msg
	}
	return "the exchange stopped before it"
}

// noDeliveryWords says why a delivery was not sent.
func noDeliveryWords(w *subject.Webhook) string {
	if w.NoDeliveries != "" {
		return w.NoDeliveries
	}
	return "not sent: " + stopWords(w)
}

func changeKind(r *webhook.Request, ds []*webhook.Request) string {
	if len(ds) > 1 && r == ds[len(ds)-1] {
		return "a status update"
	}
	return "an incoming message"
}

// answerWords is "403 Forbidden, body \"...\" (text/plain)".
func answerWords(r *webhook.Request) string {
	s := fmt.Sprintf("%d %s", r.Status, http.StatusText(r.Status))
	if isRedirect(r.Status) {
		if r.Location != "" {
			s += " to " + webhook.Escape([]byte(r.Location))
		}
		return s
	}
	if r.BodyLen > 0 {
		s += " with " + bodyWords(r)
	}
	return strings.TrimSpace(s)
}

// bodyWords is the body's excerpt, escaped, and its size when cut.
func bodyWords(r *webhook.Request) string {
	if r.BodyLen == 0 {
		return "an empty body"
	}
	s := "the body " + quotedBody(r.Excerpt)
	switch {
	case r.Truncated:
		s += fmt.Sprintf(" (first %d bytes of more than %d)", len(r.Excerpt), r.BodyLen)
	case r.BodyLen > int64(len(r.Excerpt)):
		s += fmt.Sprintf(" (first %d of %d bytes)", len(r.Excerpt), r.BodyLen)
	}
	return s
}

// quotedBody is server bytes escaped and in double quotes.
func quotedBody(b []byte) string {
	return `"` + strings.ReplaceAll(webhook.Escape(b), `"`, `\"`) + `"`
}

// serverWords names the server when its error page does ("nginx").
func serverWords(r *webhook.Request) string {
	l := bytes.ToLower(r.Excerpt)
	for _, s := range []struct{ mark, name string }{
		{"nginx", "nginx"}, {"apache", "Apache"}, {"haproxy", "HAProxy"}, {"payloadtoolargeerror", "Express (body-parser)"},
		{"cloudflare", "Cloudflare"}, {"envoy", "Envoy"},
	} {
		if bytes.Contains(l, []byte(s.mark)) {
			return " from " + s.name
		}
	}
	return ""
}

func errWords(e *probe.NetError) string {
	if e.Kind == probe.ErrTimeout {
		return e.Msg
	}
	return string(e.Kind) + ": " + e.Msg
}

func isRedirect(status int) bool { return status >= 300 && status < 400 }

func were(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func retryWords(p *profile.Profile) string {
	if p.Retries != "" {
		return capitalize(p.Retries) + ", and deliveries are late meanwhile"
	}
	return "The sender retries failed deliveries, and they are late meanwhile"
}

const redirectFix = "Give the final URL as the callback URL, so that nothing redirects: the exact path (a trailing " +
	"slash matters), https, the host name the server answers on"

func echoFix(v profile.Verification) string {
	return fmt.Sprintf("Answer 200 with the value of %s as the whole body, as plain text: not JSON, no quotes, no "+
		"newline, no HTML. Express: res.status(200).send(req.query['%s']) (not res.json); Flask: return "+
		"request.args['%s'], 200; Go: w.Write([]byte(r.URL.Query().Get(\"%s\")))",
		v.ChallengeParam, v.ChallengeParam, v.ChallengeParam, v.ChallengeParam)
}

func signatureFix(sig profile.Signature) string {
	if sig.Asymmetric() {
		return fmt.Sprintf("Verify %s, an %s signature of %s followed by the raw request body, with the "+
			"application's public key (tweetnacl nacl.sign.detached.verify, PyNaCl VerifyKey.verify, Go "+
			"ed25519.Verify) and answer 401 when it fails or is missing", sig.Header, sig.Algorithm, sig.TimestampHeader)
	}
	if sig.SignsURL() {
		return fmt.Sprintf("Compute the %s of the full URL as requested followed by the POST parameters sorted by "+
			"name, with the %s (the sender's RequestValidator does it), compare it in constant time with %s and "+
			"answer 403 when it differs or is missing", sig.Algorithm, sig.Secret, sig.Header)
	}
	return fmt.Sprintf("Compute the %s of the raw request body with the %s, compare it in constant time with %s "+
		"(hmac.compare_digest, crypto.timingSafeEqual, hmac.Equal) and answer 401 or 403 when it differs or is "+
		"missing; `wacheck sign` shows the signature a payload must carry", sig.Algorithm, sig.Secret, sig.Header)
}

func rawBodyFix(sig profile.Signature) string {
	return fmt.Sprintf("Compute the %s over the raw request body bytes, before any JSON parsing: Express "+
		"express.json({verify: (req, res, buf) => { req.rawBody = buf }}) or express.raw({type: "+
		"'application/json'}), never JSON.stringify(req.body); Flask request.get_data(); Django request.body; Go "+
		"io.ReadAll(r.Body) and the MAC over those bytes", sig.Algorithm)
}

const bodySizeFix = "Allow request bodies of at least 3 MB on the webhook's path: nginx client_max_body_size 5m " +
	"(1 MB by default); Apache LimitRequestBody, and ModSecurity's SecRequestBodyNoFilesLimit (128 kB in its " +
	"recommended configuration); HAProxy: an http-request deny on req.body_size; Express: express.json({limit: " +
	"'5mb'}) (100 kB by default); Django DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default); Flask " +
	"MAX_CONTENT_LENGTH"

const slowFix = "Answer 200 as soon as the delivery is verified and stored, and do the work afterwards (a " +
	"queue or a background job); make sure bursts of concurrent deliveries are served in parallel"

// getHint says why a plain GET may be refused, in the sender's terms: the
// verification parameters of a sender that verifies by GET (Meta's hub.*).
func getHint(p *profile.Profile) string {
	if w := p.Webhook; w != nil && w.Verification.Kind == profile.VerifyHubChallenge && w.Verification.ModeParam != "" {
		prefix, _, _ := strings.Cut(w.Verification.ModeParam, ".")
		return "A GET without " + prefix + ".* parameters may rightly be refused; senders POST deliveries."
	}
	if p.Webhook != nil {
		return "A GET may rightly be refused: " + p.Short + " POSTs every request it makes."
	}
	return "A GET may rightly be refused: senders POST deliveries."
}
