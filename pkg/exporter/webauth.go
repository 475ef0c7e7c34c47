package exporter

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Bounds of basic authentication's work.
const (
	// bcryptSlots is how many password checks run at once: a flood of
	// wrong passwords takes at most this many CPUs.
	bcryptSlots = 2
	// bcryptWait bounds a request's wait for a slot; then it is answered
	// 503.
	bcryptWait = 5 * time.Second
	// maxAuthCache bounds the remembered good (user, password, hash)s.
	maxAuthCache = 256
	// authRealm is the WWW-Authenticate realm.
	authRealm = "wacheck"
)

// basicAuth checks the basic auth credentials of every request against
// the web config's users.
type basicAuth struct {
	users []authUser
	// dummy is the hash an unknown user's password is checked against,
	// so that an unknown user costs what a wrong password does.
	dummy []byte
	// compare is bcrypt's; tests count its calls.
	compare func(hash, password []byte) error
	slots   chan struct{}

	mu sync.Mutex
	// good are the checks that passed, by authKey: a scrape every few
	// seconds does not pay bcrypt every time.
	good map[[32]byte]struct{}
}

type authUser struct {
	sum  [32]byte // SHA-256 of the name: every name compares in the same time
	hash []byte
}

func newBasicAuth(users map[string]string) *basicAuth {
	a := &basicAuth{compare: bcrypt.CompareHashAndPassword, slots: make(chan struct{}, bcryptSlots),
		good: map[[32]byte]struct{}{}}
	// The dummy is the costliest of the users' hashes.
	maxCost := -1
	for _, name := range slices.Sorted(maps.Keys(users)) {
		h := []byte(users[name])
		a.users = append(a.users, authUser{sum: sha256.Sum256([]byte(name)), hash: h})
		if c, err := bcrypt.Cost(h); err == nil && c > maxCost {
			maxCost, a.dummy = c, h
		}
	}
	return a
}

// authKey is the cache key of a check: user, password and the hash
// compared, each length-prefixed.
func authKey(user, password string, hash []byte) [32]byte {
	h := sha256.New()
	for _, p := range [][]byte{[]byte(user), []byte(password), hash} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

type authResult int

const (
	authDenied authResult = iota
	authOK
	authBusy // no bcrypt slot in time
	authGone // the client went away while waiting
)

// check says whether user and password are a user's: constant time in
// the user name, bcrypt's time for an unknown user as for a wrong
// password, at most bcryptSlots checks at once, good ones remembered.
func (a *basicAuth) check(ctx context.Context, user, password string) authResult {
	sum := sha256.Sum256([]byte(user))
	hash, known := a.dummy, 0
	for _, u := range a.users {
		eq := subtle.ConstantTimeCompare(sum[:], u.sum[:])
		if eq == 1 {
			hash = u.hash
		}
		known |= eq
	}
	key := authKey(user, password, hash)
	a.mu.Lock()
	_, ok := a.good[key]
	a.mu.Unlock()
	if ok && known == 1 {
		return authOK
	}
	timer := time.NewTimer(bcryptWait)
	defer timer.Stop()
	select {
	case a.slots <- struct{}{}:
	case <-timer.C:
		return authBusy
	case <-ctx.Done():
		return authGone
	}
	err := a.compare(hash, []byte(password))
	<-a.slots
	if err != nil || known != 1 {
		return authDenied
	}
	a.mu.Lock()
	if len(a.good) >= maxAuthCache {
		for k := range a.good { // any one
			delete(a.good, k)
			break
		}
	}
	a.good[key] = struct{}{}
	a.mu.Unlock()
	return authOK
}

// wrap asks every request for credentials.
func (a *basicAuth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		res := authDenied
		if ok {
			res = a.check(r.Context(), user, password)
		}
		switch res {
		case authOK:
			next.ServeHTTP(w, r)
			return
		case authGone:
			return
		case authBusy:
			w.Header().Set("Retry-After", "1")
			plain(w, http.StatusServiceUnavailable, "busy checking passwords: try again")
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="`+authRealm+`"`)
		plain(w, http.StatusUnauthorized, "unauthorized: give a user and password of the web config (basic_auth_users)")
	})
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(msg + "\n"))
}

// wrapHeaders sets the web config's headers on every answer.
func wrapHeaders(headers map[string]string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		next.ServeHTTP(w, r)
	})
}

// handler is the server's handler as the web config says: its headers on
// every answer, then basic authentication, then the pages.
func (s *Server) handler() http.Handler {
	h := s.Handler()
	w := s.cfg.Web
	if w == nil {
		return h
	}
	if s.auth != nil {
		h = s.auth.wrap(h)
	}
	if len(w.Headers) > 0 {
		h = wrapHeaders(w.Headers, h)
	}
	return h
}

// Scheme is the server's URL scheme: https with the web config's TLS.
func (c *Config) Scheme() string {
	if c.Web != nil && c.Web.TLS != nil {
		return "https"
	}
	return "http"
}
