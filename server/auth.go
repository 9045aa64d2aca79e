package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"sync"
	"time"
)

const cookieName = "paraat_session"

type login struct {
	user    User
	csrf    string
	expires time.Time
}

// Login limits (SECURITY.md).
const (
	// MaxUserName is the longest account name `paraat user add` accepts.
	MaxUserName = 40
	// LoginFailures is how many failed logins a name or an address may have in LoginWindow.
	LoginFailures = 5
	LoginWindow   = time.Minute
	// DefaultLoginMemoryMiB is how much memory password checks may take at once: one check
	// with DefaultKDF. Checks beyond it are refused at once with 503 and Retry-After.
	DefaultLoginMemoryMiB = 64
)

// releaseKiB is the size of a password check above which its memory is handed back to the
// system at once.
const releaseKiB = 16 << 10

// auth keeps facilitator logins in memory, limits failed attempts and bounds the memory
// that password checks take.
type auth struct {
	store  Store
	now    func() time.Time
	secure bool
	ttl    time.Duration
	dummy  func() []byte // a hash to check unknown names against, for equal timing

	attempts *window
	hashing  *budget

	mu     sync.Mutex
	logins map[string]*login
}

func newAuth(store Store, now func() time.Time, secure bool, kdf KDF, memoryMiB int) *auth {
	if memoryMiB <= 0 {
		memoryMiB = DefaultLoginMemoryMiB
	}
	// The hash unknown names are checked against is made now, not at the first unknown name,
	// where it would take memory outside the budget while another check runs.
	dummy := kdf.Hash("not a password")
	if kdf.MemoryKiB >= releaseKiB {
		debug.FreeOSMemory()
	}
	return &auth{store: store, now: now, secure: secure, ttl: 12 * time.Hour,
		dummy:    func() []byte { return dummy },
		attempts: newWindow(now, LoginFailures, LoginWindow),
		hashing:  &budget{free: int64(memoryMiB) << 10, total: int64(memoryMiB) << 10},
		logins:   map[string]*login{}}
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Login checks a password and returns a new login. The attempt is counted against the name
// and the address before the password is hashed, in one step, so that concurrent attempts
// cannot all pass a check made before any of them failed; a successful login gives its
// count back.
func (a *auth) Login(ctx context.Context, name, pw, addr string) (string, *login, error) {
	if len(name) > MaxUserName {
		// No account has such a name; refusing it here keeps long names out of the limiter's
		// memory, and costs an attacker as little as it costs the server.
		return "", nil, Errorf(EUnauthorized, "wrong name or password")
	}
	keys := []string{"u:" + name, "a:" + host(addr)}
	booked, wait := a.attempts.book(keys...)
	if wait > 0 {
		return "", nil, Limited(ERateLimited, wait, "too many failed logins for this name or from this address; wait a minute")
	}
	u, err := a.store.User(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		a.attempts.unbook(booked, keys...)
		return "", nil, err
	}
	hash := u.Hash
	if err != nil {
		hash = a.dummy() // same time and memory for unknown names
	}
	cost := int64(hashCost(hash))
	if !a.hashing.take(cost) {
		a.attempts.unbook(booked, keys...)
		return "", nil, Limited(EUnavailable, time.Second, "the server is checking other passwords; try again in a second")
	}
	ok := CheckPassword(hash, pw)
	if cost >= releaseKiB {
		// The hash's memory is garbage now, but the runtime would keep it, and collect it
		// only when the heap doubles: a few checks in a row would hold hundreds of MiB.
		// Handing it back before the budget is freed makes the budget a bound on memory.
		debug.FreeOSMemory()
	}
	a.hashing.give(cost)
	if err != nil || !ok {
		return "", nil, Errorf(EUnauthorized, "wrong name or password")
	}
	a.attempts.unbook(booked, keys...)
	id := randomToken()
	l := &login{user: u, csrf: randomToken(), expires: a.now().Add(a.ttl)}
	if ls, ok := a.store.(Logins); ok {
		// Shared with the other nodes on the database.
		if err := ls.PutLogin(ctx, loginKey(id), StoredLogin{User: u.Name, CSRF: l.csrf, Expires: l.expires, Account: accountPrint(u)}); err != nil {
			return "", nil, err
		}
	}
	a.mu.Lock()
	a.logins[id] = l
	a.mu.Unlock()
	return id, l, nil
}

// session returns the login of a request, or nil.
func (a *auth) session(r *http.Request) (string, *login) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return "", nil
	}
	a.mu.Lock()
	l := a.logins[ck.Value]
	a.mu.Unlock()
	if l == nil {
		if l = a.shared(r.Context(), ck.Value); l == nil {
			return "", nil
		}
	}
	if a.now().After(l.expires) {
		a.mu.Lock()
		delete(a.logins, ck.Value)
		a.mu.Unlock()
		return "", nil
	}
	return ck.Value, l
}

// loginKey is what a shared store keeps a login under: a hash of the cookie's value, so
// that the table does not hold working cookies.
func loginKey(id string) string {
	sum := sha256.Sum256([]byte("paraat login " + id))
	return hex.EncodeToString(sum[:])
}

// accountPrint is a fingerprint of an account's password hash and admin right.
func accountPrint(u User) string {
	sum := sha256.Sum256(append([]byte(fmt.Sprintf("%v ", u.Admin)), u.Hash...))
	return hex.EncodeToString(sum[:])
}

// shared looks a login made on another node up in a shared store and keeps it here; nil if
// there is none, or its account has changed since.
func (a *auth) shared(ctx context.Context, id string) *login {
	ls, ok := a.store.(Logins)
	if !ok {
		return nil
	}
	sl, err := ls.GetLogin(ctx, loginKey(id))
	if err != nil {
		return nil
	}
	u, err := a.store.User(ctx, sl.User)
	if err != nil || accountPrint(u) != sl.Account {
		return nil
	}
	l := &login{user: u, csrf: sl.CSRF, expires: sl.Expires}
	a.mu.Lock()
	a.logins[id] = l
	a.mu.Unlock()
	return l
}

// endUser ends every login of a user.
func (a *auth) endUser(name string) {
	if ls, ok := a.store.(Logins); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := ls.EndLogins(ctx, name); err != nil {
			slog.Default().Error("ending shared logins", "user", name, "err", err)
		}
		cancel()
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, l := range a.logins {
		if l.user.Name == name {
			delete(a.logins, id)
		}
	}
}

// stale reports whether a login no longer matches its account: the account was removed, its
// password was set anew, or it lost the admin right.
func stale(l *login, u User, err error) bool {
	if errors.Is(err, ErrNotFound) {
		return true
	}
	if err != nil {
		return false // the store is unreachable: keep the login, the request will fail anyway
	}
	return !bytes.Equal(u.Hash, l.user.Hash) || l.user.Admin && !u.Admin
}

// revalidate checks every login against the store and returns the names of the users whose
// logins it ended.
func (a *auth) revalidate(ctx context.Context) []string {
	a.mu.Lock()
	byUser := map[string]*login{}
	for _, l := range a.logins {
		byUser[l.user.Name] = l
	}
	a.mu.Unlock()
	var ended []string
	for name, l := range byUser {
		u, err := a.store.User(ctx, name)
		if stale(l, u, err) {
			a.endUser(name)
			ended = append(ended, name)
		}
	}
	slices.Sort(ended)
	return ended
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

// budget is a non-blocking weighted semaphore: what does not fit now is refused at once,
// since a queue of waiting password checks would itself hold memory and connections.
type budget struct {
	mu          sync.Mutex
	free, total int64
}

// take reserves n units; a request larger than the whole budget runs alone.
func (b *budget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	n = min(n, b.total)
	if n > b.free {
		return false
	}
	b.free -= n
	return true
}

func (b *budget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.free += min(n, b.total)
}
