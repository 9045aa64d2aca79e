package server

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors a Store returns; adapters wrap them with %w.
var (
	// ErrNotFound: no such session, user or code.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a duplicate id, code or user name, or a sequence number already taken.
	ErrConflict = errors.New("conflict")
	// ErrDuplicate: a record's Key is already in the session's log. It is an ErrConflict too.
	ErrDuplicate = fmt.Errorf("%w: duplicate key", ErrConflict)
)

// Record is one event of a session's append-only log. Seq is assigned by the store: 1, 2, 3 ...
// per session, without gaps. Data is the event's JSON payload, opaque to the store.
//
// Key, when not empty, names the one change the record makes (an answer's client id, "close
// question q in world w"): a session's log holds at most one record per key, and the database
// refuses a second one (UNIQUE (session, client_id)), so a command retried after an append whose
// outcome was unknown can never be logged twice.
type Record struct {
	Seq  int64
	Time time.Time
	Type string
	Data []byte
	Key  string
}

// SessionRow is what the store keeps about a session besides its log.
type SessionRow struct {
	ID       string
	Code     string // join code, unique among sessions
	Owner    string // the facilitator's user name; "" for a self-study run
	Scenario string
	Created  time.Time
	Expires  time.Time // when the join code stops working
	Ended    bool
	Meta     []byte // JSON: lens, scope, teams ... (opaque to the store)
}

// User is a facilitator account.
type User struct {
	Name    string
	Hash    []byte // password hash, with its parameters
	Admin   bool
	Created time.Time
}

// Store is the durable event log and the few tables around it. Implementations: sqlite
// (the default) and postgres. All methods are safe for concurrent use.
type Store interface {
	// CreateSession stores a new session; ErrConflict if its id or code exists.
	CreateSession(ctx context.Context, s SessionRow) error
	// EndSession marks a session ended.
	EndSession(ctx context.Context, id string) error
	// Session returns a session by id; ErrNotFound if there is none.
	Session(ctx context.Context, id string) (SessionRow, error)
	// SessionByCode returns a session by join code; ErrNotFound if there is none.
	SessionByCode(ctx context.Context, code string) (SessionRow, error)
	// Sessions lists the sessions of an owner ("" for all), newest first.
	Sessions(ctx context.Context, owner string) ([]SessionRow, error)
	// Append adds records to a session's log and returns them with their sequence numbers.
	// It returns only once they are durable. Concurrent calls may be committed together.
	// A call is atomic: if one of its records has a Key already in the log (or twice in the
	// call), none is written and the error wraps ErrDuplicate.
	Append(ctx context.Context, session string, recs []Record) ([]Record, error)
	// Events returns the records of a session with Seq > after, in order, at most limit
	// (0: no limit).
	Events(ctx context.Context, session string, after int64, limit int) ([]Record, error)
	// PutUser creates or replaces a user.
	PutUser(ctx context.Context, u User) error
	// User returns a user by name; ErrNotFound if there is none.
	User(ctx context.Context, name string) (User, error)
	// Close releases the store.
	Close() error
}

// StoredLogin is a facilitator's login as a store shared by several nodes keeps it.
type StoredLogin struct {
	User    string
	CSRF    string
	Expires time.Time
	// Account is a fingerprint of the account when the login was made (its password hash
	// and admin right): a login whose account changed since is void.
	Account string
}

// Logins is a store that keeps facilitator logins, so that every node of several on it knows
// every login and a load balancer needs no sticky sessions (PostgreSQL). A store without it
// leaves logins in the memory of the one serving process.
type Logins interface {
	// PutLogin stores a login under id (a hash of the cookie's value, not the value).
	PutLogin(ctx context.Context, id string, l StoredLogin) error
	// GetLogin returns a login; ErrNotFound if there is none.
	GetLogin(ctx context.Context, id string) (StoredLogin, error)
	// EndLogins deletes every login of a user.
	EndLogins(ctx context.Context, user string) error
}
