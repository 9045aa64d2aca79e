// Package postgres is the server.Store for deployments that outgrow one SQLite file: the same
// tables on PostgreSQL, through github.com/jackc/pgx/v5.
//
// Appends go through one goroutine per process that group-commits them, like the sqlite
// store: every append waiting while a transaction commits joins the next one, so one WAL flush
// acknowledges many answers. Sequence numbers are assigned inside the transaction under a row
// lock on each session, so several processes on one database can append to the same session
// and the log stays gapless. Reads and the other writes use a separate connection pool.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paraat-nl/paraat/server"
)

// ErrClosed is returned by every method called after Close, and by an Append that Close
// overtook before the writer took it.
var ErrClosed = errors.New("postgres: store closed")

var _ server.Store = (*DB)(nil)

// DB is a server.Store backed by a PostgreSQL database. It is safe for concurrent use; Close
// it once done (twice is harmless).
type DB struct {
	pool *pgxpool.Pool // reads and the small writes (sessions, users)
	// One connection for the append writer: appends never wait for a connection behind reads.
	wpool *pgxpool.Pool
	// One connection for the lease heartbeat: a node under load must still renew its leases,
	// or it would lose its sessions for being busy.
	hpool *pgxpool.Pool
	opts  options

	reqs      chan *appendReq // bounded: a full queue makes Append wait (or give up with its ctx)
	stop      chan struct{}   // closed by Close: the writer drains the queue and exits
	done      chan struct{}   // closed by the writer when it has exited
	closeOnce sync.Once

	// Counters for tests and benchmarks: how well appends are being grouped.
	batches atomic.Int64 // transactions the writer began
	grouped atomic.Int64 // append requests those transactions carried
}

// Option changes a default of Open.
type Option func(*options)

type options struct {
	batchLimit int
}

// WithBatchLimit sets how many append requests the writer commits in one transaction at most.
// Default 512. 1 turns group commit off, which only benchmarks should want.
func WithBatchLimit(n int) Option {
	return func(o *options) { o.batchLimit = n }
}

// Open connects to the PostgreSQL database named by dsn (a postgres:// URL or a key=value
// string, as pgx reads them; pool_max_conns and the like apply to the read pool), brings its
// schema up to date and starts the writer. ctx bounds only the opening; the store lives until
// Close. The tables go into the first schema of the connection's search_path.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{batchLimit: 512}
	for _, f := range opts {
		f(&o)
	}
	if dsn == "" {
		// pgx would fall back to PG* variables and a local socket: too surprising for a store.
		return nil, errors.New("postgres: open: empty connection string")
	}
	if o.batchLimit < 1 {
		return nil, errors.New("postgres: open: batch limit must be positive")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err) // pgx leaves the password out
	}
	// Named by host and database only: the string may hold a password.
	name := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	fail := func(err error, pools ...*pgxpool.Pool) (*DB, error) {
		for _, p := range pools {
			p.Close()
		}
		return nil, fmt.Errorf("postgres: open %s: %w", name, err)
	}

	wcfg := cfg.Copy()
	wcfg.MaxConns, wcfg.MinConns = 1, 0
	// An acknowledged answer must survive a crash of the database server, so the writer never
	// runs with synchronous_commit=off, whatever the server or the dsn says. Stronger settings
	// (remote_write, remote_apply with standbys) are kept.
	wcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		var v string
		if err := c.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
			return err
		}
		if v == "off" {
			_, err := c.Exec(ctx, `SET synchronous_commit = on`)
			return err
		}
		return nil
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fail(err)
	}
	if err := pool.Ping(ctx); err != nil {
		return fail(err, pool)
	}
	if _, err := migrate(ctx, pool, migrations()); err != nil {
		return fail(err, pool)
	}
	wpool, err := pgxpool.NewWithConfig(ctx, wcfg)
	if err != nil {
		return fail(err, pool)
	}
	if err := wpool.Ping(ctx); err != nil {
		return fail(err, pool, wpool)
	}
	hcfg := cfg.Copy()
	hcfg.MaxConns, hcfg.MinConns = 1, 0
	hpool, err := pgxpool.NewWithConfig(ctx, hcfg)
	if err != nil {
		return fail(err, pool, wpool)
	}
	db := &DB{pool: pool, wpool: wpool, hpool: hpool, opts: o,
		reqs: make(chan *appendReq, 4*o.batchLimit),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go db.writer()
	return db, nil
}

// Close stops the writer, which first commits every append already queued, then closes the
// connections. Appends that arrive during or after Close fail with ErrClosed. Safe to call
// more than once and from several goroutines; every call returns once the store is closed.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.done
		db.wpool.Close()
		db.hpool.Close()
		db.pool.Close()
	})
	return nil
}

// closed reports whether Close has begun; methods check it so a caller gets ErrClosed rather
// than pgx's less telling "closed pool".
func (db *DB) closed() bool {
	select {
	case <-db.stop:
		return true
	default:
		return false
	}
}

// CreateSession stores a new session; ErrConflict if its id or code is taken.
func (db *DB) CreateSession(ctx context.Context, s server.SessionRow) error {
	if db.closed() {
		return ErrClosed
	}
	created, err := nanos(s.Created)
	if err != nil {
		return fmt.Errorf("postgres: create session %q: created: %w", s.ID, err)
	}
	expires, err := nanos(s.Expires)
	if err != nil {
		return fmt.Errorf("postgres: create session %q: expires: %w", s.ID, err)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO sessions (id, code, owner, scenario, created, expires, ended, meta)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, s.ID, s.Code, s.Owner, s.Scenario, created, expires, s.Ended, s.Meta)
	if err != nil {
		return fmt.Errorf("postgres: create session %q: %w", s.ID, classify(err))
	}
	return nil
}

// EndSession marks a session ended; ending it again is no error. ErrNotFound if there is no
// such session.
func (db *DB) EndSession(ctx context.Context, id string) error {
	if db.closed() {
		return ErrClosed
	}
	tag, err := db.pool.Exec(ctx, `UPDATE sessions SET ended = true WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: end session %q: %w", id, classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: end session %q: %w", id, server.ErrNotFound)
	}
	return nil
}

const sessionCols = `id, code, owner, scenario, created, expires, ended, meta`

// Session returns a session by id; ErrNotFound if there is none.
func (db *DB) Session(ctx context.Context, id string) (server.SessionRow, error) {
	return db.sessionWhere(ctx, "id", id)
}

// SessionByCode returns a session by join code; ErrNotFound if there is none.
func (db *DB) SessionByCode(ctx context.Context, code string) (server.SessionRow, error) {
	return db.sessionWhere(ctx, "code", code)
}

// sessionWhere reads the session whose column col (a constant, never user input) equals v.
func (db *DB) sessionWhere(ctx context.Context, col, v string) (server.SessionRow, error) {
	if db.closed() {
		return server.SessionRow{}, ErrClosed
	}
	s, err := scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE `+col+` = $1`, v))
	if errors.Is(err, pgx.ErrNoRows) {
		err = server.ErrNotFound
	}
	if err != nil {
		return server.SessionRow{}, fmt.Errorf("postgres: session with %s %q: %w", col, v, err)
	}
	return s, nil
}

// Sessions lists the sessions of an owner ("" for all), newest first; sessions created at the
// same instant are listed last-inserted first, and sessions without a creation time last, as
// the sqlite store does.
func (db *DB) Sessions(ctx context.Context, owner string) ([]server.SessionRow, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE owner = $1 ORDER BY created DESC NULLS LAST, ord DESC`
	args := []any{owner}
	if owner == "" {
		q = `SELECT ` + sessionCols + ` FROM sessions ORDER BY created DESC NULLS LAST, ord DESC`
		args = nil
	}
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: sessions of %q: %w", owner, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (server.SessionRow, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: sessions of %q: %w", owner, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// scanSession reads the sessionCols of one row.
func scanSession(row pgx.Row) (server.SessionRow, error) {
	var s server.SessionRow
	var created, expires *int64
	if err := row.Scan(&s.ID, &s.Code, &s.Owner, &s.Scenario, &created, &expires, &s.Ended, &s.Meta); err != nil {
		return server.SessionRow{}, err
	}
	s.Created, s.Expires = fromNanos(created), fromNanos(expires)
	return s, nil
}

// Events returns the records of a session with Seq > after, in order, at most limit (0 or
// less: all). An unknown session has no records; that is not an error.
func (db *DB) Events(ctx context.Context, session string, after int64, limit int) ([]server.Record, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	var lim *int64 // NULL: LIMIT ALL
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, err := db.pool.Query(ctx, `SELECT seq, time, type, data, client_id FROM events
		WHERE session = $1 AND seq > $2 ORDER BY seq LIMIT $3`, session, after, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: events of %q: %w", session, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (server.Record, error) {
		var r server.Record
		var t *int64
		var key *string
		err := row.Scan(&r.Seq, &t, &r.Type, &r.Data, &key)
		r.Time = fromNanos(t)
		if key != nil {
			r.Key = *key
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: events of %q: %w", session, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// PutUser creates or replaces a user, all fields.
func (db *DB) PutUser(ctx context.Context, u server.User) error {
	if db.closed() {
		return ErrClosed
	}
	created, err := nanos(u.Created)
	if err != nil {
		return fmt.Errorf("postgres: put user %q: created: %w", u.Name, err)
	}
	_, err = db.pool.Exec(ctx, `INSERT INTO users (name, hash, admin, created) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, admin = excluded.admin, created = excluded.created`,
		u.Name, u.Hash, u.Admin, created)
	if err != nil {
		return fmt.Errorf("postgres: put user %q: %w", u.Name, classify(err))
	}
	return nil
}

// User returns a user by name; ErrNotFound if there is none.
func (db *DB) User(ctx context.Context, name string) (server.User, error) {
	if db.closed() {
		return server.User{}, ErrClosed
	}
	var u server.User
	var created *int64
	err := db.pool.QueryRow(ctx, `SELECT name, hash, admin, created FROM users WHERE name = $1`, name).
		Scan(&u.Name, &u.Hash, &u.Admin, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		err = server.ErrNotFound
	}
	if err != nil {
		return server.User{}, fmt.Errorf("postgres: user %q: %w", name, err)
	}
	u.Created = fromNanos(created)
	return u, nil
}

// uniqueViolation is PostgreSQL's SQLSTATE for a duplicate key.
const uniqueViolation = "23505"

// fenceViolation is the SQLSTATE paraat_fence raises for an append with a stale lease.
const fenceViolation = "PT409"

// classify wraps constraint violations that mean "already taken" in server.ErrConflict, keeping
// the driver's error in the chain for the message.
func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == fenceViolation {
		return fmt.Errorf("%w: %w", server.ErrFenced, err)
	}
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		if pe.ConstraintName == "events_session_client_id" {
			return fmt.Errorf("%w: %w", server.ErrDuplicate, err)
		}
		return fmt.Errorf("%w: %w", server.ErrConflict, err)
	}
	return err
}

// The range of instants that unix nanoseconds in an int64 can hold: about 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos is how a time is stored: UTC unix nanoseconds, or NULL (nil) for the zero time, which
// lies outside that range and would otherwise come back as a different instant.
func nanos(t time.Time) (*int64, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, fmt.Errorf("time %s is outside the years 1678-2262 that the store can hold", t.Format(time.RFC3339))
	}
	n := t.UnixNano()
	return &n, nil
}

// fromNanos reverses nanos. Times come back in UTC without a monotonic reading, whatever
// location they went in with.
func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// isForeignKeyViolation reports PostgreSQL's SQLSTATE 23503.
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}
