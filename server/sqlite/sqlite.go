// Package sqlite is the default server.Store: one SQLite file, opened with a pure-Go driver
// (modernc.org/sqlite, no cgo) so paraat stays a single static binary.
//
// The file runs in WAL mode with synchronous=FULL, so a commit is on disk when it returns and
// readers never block the writer. All writes go through one connection; appends to the event
// log go through one goroutine that group-commits them: every append waiting while a commit is
// being synced joins the next transaction, so one fsync acknowledges many answers. Reads use a
// separate pool of read-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/paraat-nl/paraat/server"
)

// ErrClosed is returned by every method called after Close, and by an Append that Close
// overtook before the writer took it.
var ErrClosed = errors.New("sqlite: store closed")

// ErrServing is returned by LockServe when another process already serves the file.
var ErrServing = errors.New("sqlite: the database is in use by another server")

var _ server.Store = (*DB)(nil)

// DB is a server.Store backed by one SQLite file. It is safe for concurrent use; Close it once
// done (twice is harmless).
type DB struct {
	w    *sql.DB // exactly one connection: SQLite has one writer per file anyway
	r    *sql.DB // read-only connections; WAL lets them read while w writes
	opts options

	// Prepared once on w and bound to each batch's transaction with Tx.StmtContext, which
	// reuses the connection's statement instead of preparing it again per batch.
	insert *sql.Stmt
	last   *sql.Stmt

	reqs      chan *appendReq // bounded: a full queue makes Append wait (or give up with its ctx)
	stop      chan struct{}   // closed by Close: the writer drains the queue and exits
	done      chan struct{}   // closed by the writer when it has exited
	closeOnce sync.Once
	closeErr  error

	// Counters for tests and benchmarks: how well appends are being grouped.
	batches atomic.Int64 // transactions the writer began
	grouped atomic.Int64 // append requests those transactions carried
}

// Option changes a default of Open.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readers     int
	batchLimit  int
	cacheLimit  int
}

// WithBusyTimeout sets how long a statement waits for a lock held by another process on the
// same file (another paraat command, a backup) before failing with SQLITE_BUSY. Default 5s.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithReaders sets the size of the read connection pool. Default: the number of CPUs, at
// least 4, since readers mostly wait on I/O or on Go code scanning rows.
func WithReaders(n int) Option {
	return func(o *options) { o.readers = n }
}

// WithBatchLimit sets how many append requests the writer commits in one transaction at most.
// Default 512. 1 turns group commit off, which only benchmarks should want.
func WithBatchLimit(n int) Option {
	return func(o *options) { o.batchLimit = n }
}

// Open opens (creating it if needed) the SQLite database at path, brings its schema up to date
// and starts the writer. ctx bounds only the opening; the store lives until Close.
// path is a file name; ":memory:" is refused because the read and write pools would each see
// their own empty database.
func Open(ctx context.Context, path string, opts ...Option) (*DB, error) {
	o := options{busyTimeout: 5 * time.Second, readers: max(4, runtime.NumCPU()), batchLimit: 512, cacheLimit: 1 << 14}
	for _, f := range opts {
		f(&o)
	}
	switch {
	case path == "" || path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlite: open %q: need a file name", path)
	case o.readers < 1 || o.batchLimit < 1 || o.busyTimeout < 0:
		return nil, fmt.Errorf("sqlite: open %q: readers and batch limit must be positive, busy timeout not negative", path)
	}
	busy := strconv.FormatInt(o.busyTimeout.Milliseconds(), 10)
	// Checked before SQLite opens the file, since opening replays the log and drops what it
	// cannot read.
	if err := checkWAL(path); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w; %s", path, err, recoveryHint(path))
	}

	// BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails halfway on a
	// lock another process holds; the busy timeout covers the wait.
	w, err := sql.Open("sqlite", dsn(path, "_busy_timeout="+busy+"&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	fail := func(err error, dbs ...*sql.DB) (*DB, error) {
		for _, d := range dbs {
			d.Close()
		}
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := w.PingContext(ctx); err != nil {
		return fail(err, w)
	}
	if err := quickCheck(ctx, w, path); err != nil {
		return fail(fmt.Errorf("%w; %s", err, recoveryHint(path)), w)
	}
	if _, err := migrate(ctx, w, migrations()); err != nil {
		return fail(err, w)
	}
	// Readers are opened after the writer made the file WAL; query_only guards against a read
	// path that writes by mistake, which would otherwise race the writer for the lock.
	r, err := sql.Open("sqlite", dsn(path, "_busy_timeout="+busy+"&_foreign_keys=1&_query_only=1"))
	if err != nil {
		return fail(err, w)
	}
	r.SetMaxOpenConns(o.readers)
	r.SetMaxIdleConns(o.readers)
	if err := r.PingContext(ctx); err != nil {
		return fail(err, w, r)
	}
	db := &DB{w: w, r: r, opts: o,
		reqs: make(chan *appendReq, 4*o.batchLimit),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	if db.insert, err = w.PrepareContext(ctx, `INSERT INTO events (session, seq, time, type, data, client_id) VALUES (?, ?, ?, ?, ?, ?)`); err != nil {
		return fail(err, w, r)
	}
	if db.last, err = w.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?1),
		(SELECT COALESCE(MAX(seq), 0) FROM events WHERE session = ?1)`); err != nil {
		return fail(err, w, r)
	}
	go db.writer()
	return db, nil
}

// dsn makes a SQLite URI of a file name, escaping what SQLite would read as URI syntax.
func dsn(path, query string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path) + "?" + query
}

// Close stops the writer, which first commits every append already queued, then closes the
// connections. Appends that arrive during or after Close fail with ErrClosed. Safe to call
// more than once; later calls return the first call's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.stop)
		<-db.done
		db.closeErr = errors.Join(db.insert.Close(), db.last.Close(), db.r.Close(), db.w.Close())
	})
	return db.closeErr
}

// closed reports whether Close has begun; methods check it so a caller gets ErrClosed rather
// than database/sql's less telling error.
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
		return fmt.Errorf("sqlite: create session %q: created: %w", s.ID, err)
	}
	expires, err := nanos(s.Expires)
	if err != nil {
		return fmt.Errorf("sqlite: create session %q: expires: %w", s.ID, err)
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO sessions (id, code, owner, scenario, created, expires, ended, meta)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.Code, s.Owner, s.Scenario, created, expires, s.Ended, s.Meta)
	if err != nil {
		return fmt.Errorf("sqlite: create session %q: %w", s.ID, classify(err))
	}
	return nil
}

// EndSession marks a session ended; ending it again is no error. ErrNotFound if there is no
// such session.
func (db *DB) EndSession(ctx context.Context, id string) error {
	if db.closed() {
		return ErrClosed
	}
	res, err := db.w.ExecContext(ctx, `UPDATE sessions SET ended = 1 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: end session %q: %w", id, classify(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: end session %q: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: end session %q: %w", id, server.ErrNotFound)
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
	s, err := scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE `+col+` = ?`, v))
	if errors.Is(err, sql.ErrNoRows) {
		err = server.ErrNotFound
	}
	if err != nil {
		return server.SessionRow{}, fmt.Errorf("sqlite: session with %s %q: %w", col, v, err)
	}
	return s, nil
}

// Sessions lists the sessions of an owner ("" for all), newest first; sessions created at the
// same instant are listed last-inserted first.
func (db *DB) Sessions(ctx context.Context, owner string) ([]server.SessionRow, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE owner = ? ORDER BY created DESC, rowid DESC`
	args := []any{owner}
	if owner == "" {
		q = `SELECT ` + sessionCols + ` FROM sessions ORDER BY created DESC, rowid DESC`
		args = nil
	}
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: sessions of %q: %w", owner, err)
	}
	defer rows.Close()
	var out []server.SessionRow
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: sessions of %q: %w", owner, err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: sessions of %q: %w", owner, err)
	}
	return out, nil
}

// scanSession reads the sessionCols of one row.
func scanSession(row interface{ Scan(...any) error }) (server.SessionRow, error) {
	var s server.SessionRow
	var created, expires sql.NullInt64
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
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := db.r.QueryContext(ctx, `SELECT seq, time, type, data, client_id FROM events
		WHERE session = ? AND seq > ? ORDER BY seq LIMIT ?`, session, after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: events of %q: %w", session, err)
	}
	defer rows.Close()
	var out []server.Record
	for rows.Next() {
		var r server.Record
		var t sql.NullInt64
		var key sql.NullString
		if err := rows.Scan(&r.Seq, &t, &r.Type, &r.Data, &key); err != nil {
			return nil, fmt.Errorf("sqlite: events of %q: %w", session, err)
		}
		r.Time, r.Key = fromNanos(t), key.String
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: events of %q: %w", session, err)
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
		return fmt.Errorf("sqlite: put user %q: created: %w", u.Name, err)
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO users (name, hash, admin, created) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, admin = excluded.admin, created = excluded.created`,
		u.Name, u.Hash, u.Admin, created)
	if err != nil {
		return fmt.Errorf("sqlite: put user %q: %w", u.Name, classify(err))
	}
	return nil
}

// User returns a user by name; ErrNotFound if there is none.
func (db *DB) User(ctx context.Context, name string) (server.User, error) {
	if db.closed() {
		return server.User{}, ErrClosed
	}
	var u server.User
	var created sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT name, hash, admin, created FROM users WHERE name = ?`, name).
		Scan(&u.Name, &u.Hash, &u.Admin, &created)
	if errors.Is(err, sql.ErrNoRows) {
		err = server.ErrNotFound
	}
	if err != nil {
		return server.User{}, fmt.Errorf("sqlite: user %q: %w", name, err)
	}
	u.Created = fromNanos(created)
	return u, nil
}

// classify wraps constraint violations that mean "already taken" in server.ErrConflict, keeping
// the driver's error in the chain for the message.
func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			if strings.Contains(se.Error(), "client_id") {
				return fmt.Errorf("%w: %w", server.ErrDuplicate, err)
			}
			return fmt.Errorf("%w: %w", server.ErrConflict, err)
		}
	}
	return err
}

// The range of instants that unix nanoseconds in an int64 can hold: about 1678 to 2262.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos is how a time is stored: UTC unix nanoseconds, or NULL for the zero time, which lies
// outside that range and would otherwise come back as a different instant.
func nanos(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, fmt.Errorf("time %s is outside the years 1678-2262 that the store can hold", t.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

// fromNanos reverses nanos. Times come back in UTC without a monotonic reading, whatever
// location they went in with.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
