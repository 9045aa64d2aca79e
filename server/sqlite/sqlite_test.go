package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/storetest"
)

// paths remembers each test's database file, so the suite's second open of a test reopens it.
var paths sync.Map // *testing.T -> string

func openStore(t *testing.T) server.Store {
	t.Helper()
	p, _ := paths.LoadOrStore(t, filepath.Join(t.TempDir(), "paraat.db"))
	db, err := Open(context.Background(), p.(string))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openStore)
}

// open opens a store in a temporary file and closes it when the test ends.
func open(t *testing.T, opts ...Option) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "paraat.db")
	db, err := Open(context.Background(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestPragmas(t *testing.T) {
	db, _ := open(t)
	tests := []struct {
		pool       string
		conn       *sql.DB
		name, want string
	}{
		{"write", db.w, "journal_mode", "wal"},
		{"write", db.w, "synchronous", "2"}, // FULL
		{"write", db.w, "foreign_keys", "1"},
		{"write", db.w, "busy_timeout", "5000"},
		{"write", db.w, "query_only", "0"},
		{"read", db.r, "journal_mode", "wal"},
		{"read", db.r, "foreign_keys", "1"},
		{"read", db.r, "busy_timeout", "5000"},
		{"read", db.r, "query_only", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.pool+"/"+tc.name, func(t *testing.T) {
			if got := pragma(t, tc.conn, tc.name); got != tc.want {
				t.Errorf("PRAGMA %s = %s, want %s", tc.name, got, tc.want)
			}
		})
	}
}

func TestReadPoolIsReadOnly(t *testing.T) {
	db, _ := open(t)
	if _, err := db.r.Exec(`INSERT INTO users (name) VALUES ('x')`); err == nil {
		t.Error("insert through the read pool succeeded")
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	ms, err := loadMigrations(migrations())
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %v, %d", err, len(ms))
	}
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for range 2 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n, top int
		if err := db.r.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &top); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || top != ms[len(ms)-1].version {
			t.Errorf("schema_version has %d rows up to %d, want %d up to %d", n, top, len(ms), ms[len(ms)-1].version)
		}
		if _, err := db.Session(ctx, "s1"); err != nil {
			t.Errorf("session lost on reopen: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrate runs migrate on scripted histories: each step opens the same database with a
// set of migrations and expects how many are applied and what the table holds.
func TestMigrate(t *testing.T) {
	v1 := &fstest.MapFile{Data: []byte("CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1);")}
	v2 := &fstest.MapFile{Data: []byte("INSERT INTO t VALUES (2);\nINSERT INTO t VALUES (3);")}
	bad := &fstest.MapFile{Data: []byte("INSERT INTO t VALUES (4);\nINSERT INTO nosuchtable VALUES (5);")}
	type step struct {
		files   fstest.MapFS
		applied int
		err     string // substring; "" for none
		rows    int    // rows in t afterwards
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"fresh, then again", []step{
			{fstest.MapFS{"0001_t.sql": v1}, 1, "", 1},
			{fstest.MapFS{"0001_t.sql": v1}, 0, "", 1},
		}},
		{"only the new one on reopen", []step{
			{fstest.MapFS{"0001_t.sql": v1}, 1, "", 1},
			{fstest.MapFS{"0001_t.sql": v1, "0002_more.sql": v2}, 1, "", 3},
			{fstest.MapFS{"0001_t.sql": v1, "0002_more.sql": v2}, 0, "", 3},
		}},
		{"two at once, in number order", []step{
			{fstest.MapFS{"0010_more.sql": v2, "0002_t.sql": v1}, 2, "", 3},
		}},
		{"a failing migration leaves no trace and is retried", []step{
			{fstest.MapFS{"0001_t.sql": v1, "0002_bad.sql": bad}, 1, "nosuchtable", 1},
			{fstest.MapFS{"0001_t.sql": v1, "0002_bad.sql": bad}, 0, "nosuchtable", 1},
			{fstest.MapFS{"0001_t.sql": v1, "0002_more.sql": v2}, 1, "", 3},
		}},
		{"a newer database is refused", []step{
			{fstest.MapFS{"0001_t.sql": v1, "0002_more.sql": v2}, 2, "", 3},
			{fstest.MapFS{"0001_t.sql": v1}, 0, "newer than this program", 3},
		}},
		{"duplicate numbers", []step{
			{fstest.MapFS{"0001_t.sql": v1, "1_other.sql": v2}, 0, "same number", 0},
		}},
		{"unnumbered", []step{
			{fstest.MapFS{"init.sql": v1}, 0, "NNNN_description.sql", 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dsn := dsn(filepath.Join(t.TempDir(), "m.db"), "_journal_mode=WAL&_txlock=immediate")
			for i, st := range tc.steps {
				db, err := sql.Open("sqlite", dsn)
				if err != nil {
					t.Fatal(err)
				}
				n, err := migrate(context.Background(), db, st.files)
				switch {
				case st.err == "" && err != nil:
					t.Fatalf("step %d: %v", i, err)
				case st.err != "" && (err == nil || !strings.Contains(err.Error(), st.err)):
					t.Fatalf("step %d: err = %v, want one containing %q", i, err, st.err)
				}
				if n != st.applied {
					t.Errorf("step %d: applied %d, want %d", i, n, st.applied)
				}
				var rows int
				if err := db.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&rows); err != nil && st.rows > 0 {
					t.Fatalf("step %d: %v", i, err)
				}
				if rows != st.rows {
					t.Errorf("step %d: t has %d rows, want %d", i, rows, st.rows)
				}
				db.Close()
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		path string
		opts []Option
	}{
		{"empty path", "", nil},
		{"memory", ":memory:", nil},
		{"uri", "file:x.db", nil},
		{"missing folder", filepath.Join(dir, "no", "such", "folder", "x.db"), nil},
		{"a folder", dir, nil},
		{"zero readers", filepath.Join(dir, "x.db"), []Option{WithReaders(0)}},
		{"zero batch", filepath.Join(dir, "y.db"), []Option{WithBatchLimit(0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(context.Background(), tc.path, tc.opts...)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
		})
	}
}

// TestPathNeedsEscaping makes sure file names with URI syntax in them open the file they name.
func TestPathNeedsEscaping(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20d.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var file string
	if err := db.r.QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("opened %q, want %q", file, path)
	}
}

func TestConstraintsMapToConflict(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1"}); err != nil {
		t.Fatal(err)
	}
	err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C2"})
	if !errors.Is(err, server.ErrConflict) || !strings.Contains(err.Error(), "s1") {
		t.Errorf("err = %v, want ErrConflict naming s1", err)
	}
}

// holdWriter takes the one write connection away from the writer until the returned function
// is called, so the test decides when the writer can commit.
func holdWriter(t *testing.T, db *DB) (release func()) {
	t.Helper()
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { conn.Close() }) }
	t.Cleanup(release)
	return release
}

// waitFor polls until cond holds. It has no deadline of its own: a test that never gets
// there is stopped by go test's -timeout, which names it.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

// TestGroupCommit checks that appends queued while a commit is under way share the next
// transaction: with the writer held, twenty appends pile up and go in at most two batches.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	for i := range 4 {
		if err := db.CreateSession(ctx, server.SessionRow{ID: fmt.Sprint("s", i), Code: fmt.Sprint("C", i)}); err != nil {
			t.Fatal(err)
		}
	}
	release := holdWriter(t, db)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := db.Append(ctx, fmt.Sprint("s", i%4), []server.Record{{Type: "x"}}); err != nil {
				t.Error(err)
			}
		})
	}
	// The writer takes the first request, then blocks on the connection; the rest queue up.
	waitFor(func() bool { return db.grouped.Load()+int64(len(db.reqs)) == n })
	release()
	wg.Wait()
	if b := db.batches.Load(); b > 2 {
		t.Errorf("%d appends took %d transactions, want at most 2", n, b)
	}
	for i := range 4 {
		ev, err := db.Events(ctx, fmt.Sprint("s", i), 0, 0)
		if err != nil || len(ev) != n/4 || ev[len(ev)-1].Seq != n/4 {
			t.Errorf("s%d: %d events, %v", i, len(ev), err)
		}
	}
}

// TestStaleCacheConflict simulates another process appending to a session behind the writer's
// back: the writer's cached number collides, that append fails with ErrConflict alone, and the
// next one reloads the number and succeeds.
func TestStaleCacheConflict(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	for _, id := range []string{"s1", "s2"} {
		if err := db.CreateSession(ctx, server.SessionRow{ID: id, Code: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Append(ctx, "s1", []server.Record{{Type: "a"}}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", dsn(path, "_busy_timeout=5000"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`INSERT INTO events (session, seq, type) VALUES ('s1', 2, 'other')`); err != nil {
		t.Fatal(err)
	}

	// Hold the writer in a first batch, so that the next two requests queue up and share the
	// second one: the failing request must not take the other down with it.
	release := holdWriter(t, db)
	type result struct {
		recs []server.Record
		err  error
	}
	res0, res1, res2 := make(chan result, 1), make(chan result, 1), make(chan result, 1)
	appendAsync := func(res chan<- result, session string, recs ...server.Record) {
		go func() {
			out, err := db.Append(ctx, session, recs)
			res <- result{out, err}
		}()
	}
	appendAsync(res0, "s2", server.Record{Type: "a"})
	waitFor(func() bool { return db.grouped.Load() == 2 }) // the writer took it and waits for the connection
	appendAsync(res1, "s1", server.Record{Type: "b"}, server.Record{Type: "c"})
	waitFor(func() bool { return len(db.reqs) == 1 })
	appendAsync(res2, "s2", server.Record{Type: "b"})
	waitFor(func() bool { return len(db.reqs) == 2 })
	release()
	if r := <-res0; r.err != nil || r.recs[0].Seq != 1 {
		t.Errorf("first append to s2 = %v, %v; want seq 1", r.recs, r.err)
	}
	if r := <-res1; !errors.Is(r.err, server.ErrConflict) {
		t.Errorf("append on stale cache = %v, %v; want ErrConflict", r.recs, r.err)
	}
	if r := <-res2; r.err != nil || r.recs[0].Seq != 2 {
		t.Errorf("append to s2 in the same batch = %v, %v; want seq 2", r.recs, r.err)
	}
	if b := db.batches.Load(); b != 3 {
		t.Errorf("%d transactions, want 3 (the test relies on the last two appends sharing one)", b)
	}
	got, err := db.Append(ctx, "s1", []server.Record{{Type: "d"}})
	if err != nil || got[0].Seq != 3 {
		t.Fatalf("append after conflict = %v, %v; want seq 3", got, err)
	}
	ev, err := db.Events(ctx, "s1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range ev {
		types = append(types, fmt.Sprint(e.Seq, e.Type))
	}
	if strings.Join(types, " ") != "1a 2other 3d" {
		t.Errorf("log = %v, want [1a 2other 3d]: the failed request must leave none of its records", types)
	}
}

// TestAppendCancelledWhileWaiting checks that Append returns when its ctx ends, even though the
// writer cannot commit yet, and that the log stays gapless either way.
func TestAppendCancelledWhileWaiting(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1"}); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, db)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := db.Append(cctx, "s1", []server.Record{{Type: "a"}})
		errc <- err
	}()
	waitFor(func() bool { return db.grouped.Load() == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) { // returned while the writer is still held
		t.Errorf("err = %v, want context.Canceled", err)
	}
	release()
	got, err := db.Append(ctx, "s1", []server.Record{{Type: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := db.Events(ctx, "s1", 0, 0)
	if err != nil || int64(len(ev)) != got[0].Seq {
		t.Errorf("log has %d records, last seq %d, %v: want gapless", len(ev), got[0].Seq, err)
	}
}

// TestCloseDrainsQueue checks that appends queued when Close begins are committed, not lost.
func TestCloseDrainsQueue(t *testing.T) {
	ctx := context.Background()
	db, path := open(t)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1"}); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, db)
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := db.Append(ctx, "s1", []server.Record{{Type: "a"}})
			errs <- err
		}()
	}
	waitFor(func() bool { return db.grouped.Load()+int64(len(db.reqs)) == n })
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	waitFor(db.closed)
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("queued Append: %v", err)
		}
	}
	if _, err := db.Append(ctx, "s1", []server.Record{{Type: "late"}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := db.Session(ctx, "s1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Session after Close = %v, want ErrClosed", err)
	}
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if ev, err := db2.Events(ctx, "s1", 0, 0); err != nil || len(ev) != n {
		t.Errorf("after reopen: %d events, %v; want %d", len(ev), err, n)
	}
}

func TestTimeOutOfRange(t *testing.T) {
	ctx := context.Background()
	db, _ := open(t)
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1", Expires: far}); err == nil {
		t.Error("CreateSession with a time in 3000 succeeded")
	}
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s2", Code: "C2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, "s2", []server.Record{{Time: far}}); err == nil {
		t.Error("Append with a time in 3000 succeeded")
	}
}

// TestMigrateClientKeys upgrades a database written before client keys existed, holding an
// answer logged twice (what an older version could do after a timed-out commit): the first
// copy gets the key, the second keeps none, and from then on the database refuses the key.
func TestMigrateClientKeys(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", dsn(path, "_journal_mode=WAL&_txlock=immediate&_foreign_keys=1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, old, fstest.MapFS{"0001_init.sql": migrationFile(t, "0001_init.sql")}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO sessions (id, code, scenario) VALUES ('s1', 'CODE01', 'x')`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 1, 'created', X'7B7D')`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 2, 'answer', CAST('{"id":"a1","question":"q"}' AS BLOB))`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 3, 'answer', CAST('{"id":"a1","question":"q"}' AS BLOB))`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 4, 'answer', CAST('{"id":"a2","question":"r"}' AS BLOB))`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 5, 'blob', X'00FF')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ev, err := db.Events(ctx, "s1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range ev {
		keys = append(keys, r.Key)
	}
	if want := []string{"", "answer:a1", "", "answer:a2", ""}; fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("keys after migrating = %q, want %q", keys, want)
	}
	if _, err := db.Append(ctx, "s1", []server.Record{{Type: "answer", Key: "answer:a1"}}); !errors.Is(err, server.ErrDuplicate) {
		t.Errorf("Append of a migrated key = %v, want ErrDuplicate", err)
	}
}

func migrationFile(t *testing.T, name string) *fstest.MapFile {
	t.Helper()
	b, err := fs.ReadFile(migrations(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &fstest.MapFile{Data: b}
}
