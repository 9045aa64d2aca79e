package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106's second recommended option, with less memory).
const (
	kdfTime    = 3
	kdfMemory  = 64 << 10 // KiB
	kdfThreads = 2
	kdfKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) []byte {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, kdfTime, kdfMemory, kdfThreads, kdfKeyLen)
	return []byte(fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, kdfMemory, kdfTime, kdfThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)))
}

// CheckPassword reports whether pw matches a hash made by HashPassword.
func CheckPassword(hash []byte, pw string) bool {
	parts := strings.Split(string(hash), "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// MinPassword is the shortest password accepted by `paraat user add`.
const MinPassword = 10

const cookieName = "paraat_session"

type login struct {
	user    User
	csrf    string
	expires time.Time
}

// auth keeps facilitator logins in memory and limits failed attempts.
type auth struct {
	store  Store
	now    func() time.Time
	secure bool
	ttl    time.Duration

	mu       sync.Mutex
	logins   map[string]*login
	failures map[string][]time.Time // name or address → recent failures
}

func newAuth(store Store, now func() time.Time, secure bool) *auth {
	return &auth{store: store, now: now, secure: secure, ttl: 12 * time.Hour,
		logins: map[string]*login{}, failures: map[string][]time.Time{}}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

const maxFailures = 5

// limited reports whether a key had too many failures in the last minute.
func (a *auth) limited(keys ...string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	cut := a.now().Add(-time.Minute)
	for _, k := range keys {
		fs := a.failures[k]
		for len(fs) > 0 && fs[0].Before(cut) {
			fs = fs[1:]
		}
		a.failures[k] = fs
		if len(fs) == 0 {
			delete(a.failures, k)
		}
		if len(fs) >= maxFailures {
			return true
		}
	}
	return false
}

func (a *auth) fail(keys ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		a.failures[k] = append(a.failures[k], a.now())
	}
}

// Login checks a password and returns a new login.
func (a *auth) Login(ctx context.Context, name, pw, addr string) (string, *login, error) {
	keys := []string{"u:" + name, "a:" + addr}
	if a.limited(keys...) {
		return "", nil, Errorf(ERateLimited, "too many failed logins; wait a minute")
	}
	u, err := a.store.User(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", nil, err
	}
	if err != nil || !CheckPassword(u.Hash, pw) {
		if err != nil {
			CheckPassword(dummyHash, pw) // same time for unknown names
		}
		a.fail(keys...)
		return "", nil, Errorf(EUnauthorized, "wrong name or password")
	}
	id := randomToken()
	l := &login{user: u, csrf: randomToken(), expires: a.now().Add(a.ttl)}
	a.mu.Lock()
	a.logins[id] = l
	a.mu.Unlock()
	return id, l, nil
}

var dummyHash = HashPassword("not a password")

// session returns the login of a request, or nil.
func (a *auth) session(r *http.Request) (string, *login) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return "", nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	l := a.logins[ck.Value]
	if l == nil {
		return "", nil
	}
	if a.now().After(l.expires) {
		delete(a.logins, ck.Value)
		return "", nil
	}
	return ck.Value, l
}

func (a *auth) logout(id string) {
	a.mu.Lock()
	delete(a.logins, id)
	a.mu.Unlock()
}

func (a *auth) cookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: value, Path: "/", HttpOnly: true, Secure: a.secure,
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

// checkCSRF verifies the token of a state-changing request made with the login cookie.
func checkCSRF(r *http.Request, l *login) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(l.csrf)) != 1 {
		return Errorf(EForbidden, "missing or wrong CSRF token (X-CSRF-Token header)")
	}
	return nil
}
