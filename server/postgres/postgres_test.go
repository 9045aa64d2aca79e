package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/storetest"
)

// The tests run against a real PostgreSQL: PARAAT_TEST_POSTGRES names the database; without it
// the local server is tried as user postgres, then root. Each test gets a schema of its own,
// so test runs in parallel on one database do not meet.
var (
	serverOnce sync.Once
	serverDSN  string
	serverErr  error
)

// baseDSN returns the URL of the test database, or skips the test when there is none to reach
// (fails it instead under CI=true: CI has PostgreSQL, and a skip there would hide a broken
// store).
func baseDSN(tb testing.TB) string {
	tb.Helper()
	serverOnce.Do(func() {
		candidates := []string{os.Getenv("PARAAT_TEST_POSTGRES")}
		if candidates[0] == "" {
			candidates = []string{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
				"postgres://root@127.0.0.1:5432/test?sslmode=disable"}
		}
		var errs []error
		for _, dsn := range candidates {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			conn, err := pgx.Connect(ctx, dsn)
			if err == nil {
				conn.Close(ctx)
				cancel()
				serverDSN = dsn
				return
			}
			cancel()
			errs = append(errs, err)
		}
		serverErr = errors.Join(errs...)
	})
	if serverErr != nil {
		msg := fmt.Sprintf("no PostgreSQL to test against (set PARAAT_TEST_POSTGRES to a database URL): %v", serverErr)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return serverDSN
}

// exec runs one statement on the test database outside any store.
func exec(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, baseDSN(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// freshSchema creates an empty schema, dropped when the test ends, and returns its name and a
// DSN whose search_path is that schema. The DSN's application_name is the schema too, so a
// test can find its own store's connections in pg_stat_activity.
func freshSchema(tb testing.TB) (dsn, schema string) {
	tb.Helper()
	base := baseDSN(tb)
	b := make([]byte, 8)
	rand.Read(b)
	schema = "paraat_test_" + hex.EncodeToString(b)
	exec(tb, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { exec(tb, "DROP SCHEMA "+schema+" CASCADE") })
	return withParams(tb, base, "search_path", schema, "application_name", schema), schema
}

// withParams adds connection parameters (pairs of key and value) to a DSN, URL or key=value.
func withParams(tb testing.TB, dsn string, kv ...string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		for i := 0; i < len(kv); i += 2 {
			dsn += " " + kv[i] + "=" + kv[i+1]
		}
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	for i := 0; i < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads + as itself; Encode wrote a real + as %2B
	return u.String()
}

// dsns remembers each test's schema, so the suite's second open of a test reopens it.
var dsns sync.Map // *testing.T -> string

func openStore(t *testing.T) server.Store {
	t.Helper()
	dsn, ok := dsns.Load(t)
	if !ok {
		dsn, _ = freshSchema(t)
		dsns.Store(t, dsn)
	}
	db, err := Open(context.Background(), dsn.(string))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, openStore)
}

// open opens a store in a fresh schema and closes it when the test ends.
func open(t *testing.T, opts ...Option) (db *DB, dsn, schema string) {
	t.Helper()
	dsn, schema = freshSchema(t)
	db, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn, schema
}

func createSessions(t *testing.T, db *DB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := db.CreateSession(context.Background(), server.SessionRow{ID: id, Code: "C-" + id}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitFor polls until cond holds. It has no deadline of its own: a test that never gets
// there is stopped by go test's -timeout, which names it.
func waitFor(cond func() bool) {
	for !cond() {
		time.Sleep(2 * time.Millisecond)
	}
}

// lockWaiters counts the store's connections (named by schema) that wait for a lock.
func lockWaiters(t *testing.T, schema string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, baseDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity
		WHERE application_name = $1 AND wait_event_type = 'Lock'`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// holdSession locks a session's row from outside the store until the returned function is
// called: the writer, which must lock it to append, waits in its transaction meanwhile.
func holdSession(t *testing.T, schema, id string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, baseDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM `+schema+`.sessions WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			tx.Rollback(ctx)
			conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return release
}

// holdWriter makes the writer wait inside a transaction, holding the one append to session
// that it is given, so that the next appends queue up behind it. It returns the held
// append's result and the function that lets the writer go on.
func holdWriter(t *testing.T, db *DB, schema, session string) (held <-chan error, release func()) {
	t.Helper()
	release = holdSession(t, schema, session)
	errc := make(chan error, 1)
	go func() {
		_, err := db.Append(context.Background(), session, []server.Record{{Type: "held"}})
		errc <- err
	}()
	waitFor(func() bool { return lockWaiters(t, schema) == 1 })
	return errc, release
}

func seqsOf(t *testing.T, db *DB, session string) []int64 {
	t.Helper()
	ev, err := db.Events(context.Background(), session, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range ev {
		out = append(out, e.Seq)
	}
	return out
}

func oneTo(n int) []int64 {
	var out []int64
	for i := range n {
		out = append(out, int64(i+1))
	}
	return out
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	ctx := context.Background()
	db, dsn, _ := open(t)
	ms, err := loadMigrations(migrations())
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %v, %d", err, len(ms))
	}
	createSessions(t, db, "s1")
	db.Close()
	for range 2 {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		var n, top int
		if err := db.pool.QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &top); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || top != ms[len(ms)-1].version {
			t.Errorf("schema_migrations has %d rows up to %d, want %d up to %d", n, top, len(ms), ms[len(ms)-1].version)
		}
		if _, err := db.Session(ctx, "s1"); err != nil {
			t.Errorf("session lost on reopen: %v", err)
		}
		db.Close()
	}
}

// TestNodesStartTogether opens several stores on one new schema at once, as nodes of one
// deployment starting together do: without the migration lock, two of them would create the
// same tables and one would fail. Under repeatable read, a node that read the version before
// it got the lock would do the same.
func TestNodesStartTogether(t *testing.T) {
	t.Run("default isolation", func(t *testing.T) { testNodesStartTogether(t) })
	t.Run("repeatable read by default", func(t *testing.T) {
		testNodesStartTogether(t, "default_transaction_isolation", "repeatable read")
	})
}

func testNodesStartTogether(t *testing.T, params ...string) {
	dsn, _ := freshSchema(t)
	if len(params) > 0 {
		dsn = withParams(t, dsn, params...)
	}
	const nodes = 6
	dbs := make([]*DB, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			db, err := Open(context.Background(), dsn)
			if err != nil {
				t.Errorf("node %d: %v", i, err)
				return
			}
			dbs[i] = db
		})
	}
	wg.Wait()
	for _, db := range dbs {
		if db != nil {
			defer db.Close()
		}
	}
	if t.Failed() {
		return
	}
	var n int
	if err := dbs[0].pool.QueryRow(context.Background(), `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if ms, _ := loadMigrations(migrations()); n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
}

// TestMigrate runs migrate on scripted histories: each step migrates the same schema with a set
// of migrations and expects how many are applied and what the table holds.
func TestMigrate(t *testing.T) {
	v1 := &fstest.MapFile{Data: []byte("CREATE TABLE t (a integer);\nINSERT INTO t VALUES (1);")}
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
			ctx := context.Background()
			dsn, _ := freshSchema(t)
			for i, st := range tc.steps {
				pool, err := pgxpool.New(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				n, err := migrate(ctx, pool, st.files)
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
				if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM t`).Scan(&rows); err != nil && st.rows > 0 {
					t.Fatalf("step %d: %v", i, err)
				}
				if rows != st.rows {
					t.Errorf("step %d: t has %d rows, want %d", i, rows, st.rows)
				}
				pool.Close()
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
		opts []Option
		want string
	}{
		{"empty", "", nil, "empty connection string"},
		{"zero batch", "postgres://u@127.0.0.1/db", []Option{WithBatchLimit(0)}, "batch limit"},
		{"malformed", "postgres://u@127.0.0.1:notaport/db", nil, "postgres: open"},
		// Port 1 on the loopback has no server: refused at once, no server needed.
		{"unreachable, password kept out", "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=5", nil, "127.0.0.1:1/db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(context.Background(), tc.dsn, tc.opts...)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("err = %v, want one naming %q and no password", err, tc.want)
			}
		})
	}
}

// TestWriterCommitsSynchronously opens a store whose connections ask for
// synchronous_commit=off: the reads keep it, the append writer must not.
func TestWriterCommitsSynchronously(t *testing.T) {
	ctx := context.Background()
	dsn, _ := freshSchema(t)
	db, err := Open(ctx, withParams(t, dsn, "synchronous_commit", "off"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	show := func(p *pgxpool.Pool) string {
		var v string
		if err := p.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := show(db.pool); got != "off" {
		t.Fatalf("read pool synchronous_commit = %s: the dsn's setting did not arrive, the test proves nothing", got)
	}
	if got := show(db.wpool); got != "on" {
		t.Errorf("writer synchronous_commit = %s, want on", got)
	}
}

func TestConstraintsMapToConflict(t *testing.T) {
	ctx := context.Background()
	db, _, _ := open(t)
	createSessions(t, db, "s1")
	err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C2"})
	if !errors.Is(err, server.ErrConflict) || !strings.Contains(err.Error(), "s1") {
		t.Errorf("err = %v, want ErrConflict naming s1", err)
	}
}

func TestTimeOutOfRange(t *testing.T) {
	ctx := context.Background()
	db, _, _ := open(t)
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s1", Code: "C1", Expires: far}); err == nil {
		t.Error("CreateSession with a time in 3000 succeeded")
	}
	createSessions(t, db, "s2")
	if _, err := db.Append(ctx, "s2", []server.Record{{Time: far}}); err == nil {
		t.Error("Append with a time in 3000 succeeded")
	}
}

// TestTwoNodesAppend has two stores (two paraat nodes) on one database append to the same
// sessions at once: the numbers each hands out must not collide and the logs must be gapless.
//
// It runs again with the database's default isolation raised to repeatable read: the writer
// must still read each log's last number after taking the session lock, not before.
func TestTwoNodesAppend(t *testing.T) {
	t.Run("default isolation", func(t *testing.T) { testTwoNodesAppend(t) })
	t.Run("repeatable read by default", func(t *testing.T) {
		testTwoNodesAppend(t, "default_transaction_isolation", "repeatable read")
	})
}

func testTwoNodesAppend(t *testing.T, params ...string) {
	const (
		sessions  = 2
		workers   = 12 // per node
		perWorker = 25
	)
	ctx := context.Background()
	dsn, _ := freshSchema(t)
	if len(params) > 0 {
		dsn = withParams(t, dsn, params...)
	}
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	db1, db2 := dbs[0], dbs[1]
	for i := range sessions {
		createSessions(t, db1, fmt.Sprint("s", i))
	}
	type given struct {
		session string
		seq     int64
		data    string
	}
	results := make(chan given, 2*workers*perWorker*3)
	var wg sync.WaitGroup
	for node, db := range []*DB{db1, db2} {
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					sid := fmt.Sprint("s", (w+i)%sessions)
					var recs []server.Record
					for j := range 1 + (w+i)%3 {
						recs = append(recs, server.Record{Type: "answer", Data: fmt.Appendf(nil, `{"node":%d,"w":%d,"i":%d,"j":%d}`, node, w, i, j)})
					}
					out, err := db.Append(ctx, sid, recs)
					if err != nil {
						t.Errorf("node %d worker %d: %v", node, w, err)
						return
					}
					for k, r := range out {
						if k > 0 && r.Seq != out[k-1].Seq+1 {
							t.Errorf("node %d: one Append got seqs %d then %d", node, out[k-1].Seq, r.Seq)
						}
						results <- given{sid, r.Seq, string(r.Data)}
					}
				}
			})
		}
	}
	wg.Wait()
	close(results)
	bySeq := map[string]map[int64]string{}
	for g := range results {
		if bySeq[g.session] == nil {
			bySeq[g.session] = map[int64]string{}
		}
		if prev, dup := bySeq[g.session][g.seq]; dup {
			t.Errorf("%s seq %d given twice: %s and %s", g.session, g.seq, prev, g.data)
		}
		bySeq[g.session][g.seq] = g.data
	}
	for i := range sessions {
		sid := fmt.Sprint("s", i)
		ev, err := db2.Events(ctx, sid, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := seqsOf(t, db1, sid); !slices.Equal(got, oneTo(len(bySeq[sid]))) {
			t.Errorf("%s: seqs %v, want 1..%d", sid, got, len(bySeq[sid]))
		}
		for _, e := range ev {
			if want := bySeq[sid][e.Seq]; string(e.Data) != want {
				t.Errorf("%s seq %d: log has %s, Append answered %s", sid, e.Seq, e.Data, want)
			}
		}
	}
}

// TestGroupCommit checks that appends queued while a transaction is under way share the next
// one: with the writer held in a first transaction, twenty appends pile up and go in one more.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db, _, schema := open(t)
	createSessions(t, db, "s0", "s1", "s2", "s3")
	held, release := holdWriter(t, db, schema, "s0")
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := db.Append(ctx, fmt.Sprint("s", i%4), []server.Record{{Type: "x"}}); err != nil {
				t.Error(err)
			}
		})
	}
	waitFor(func() bool { return len(db.reqs) == n })
	release()
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if b, g := db.batches.Load(), db.grouped.Load(); b != 2 || g != n+1 {
		t.Errorf("%d appends took %d transactions, want 2", g, b)
	}
	for i := range 4 {
		want := n / 4
		if i == 0 {
			want++ // the held one
		}
		if got := seqsOf(t, db, fmt.Sprint("s", i)); !slices.Equal(got, oneTo(want)) {
			t.Errorf("s%d: seqs %v, want 1..%d", i, got, want)
		}
	}
}

// TestForeignWriterConflict has a writer that ignores the session lock take the number the
// store is about to use: that append fails with ErrConflict, the next one takes the number
// after, and the failed one leaves none of its records.
func TestForeignWriterConflict(t *testing.T) {
	ctx := context.Background()
	db, _, schema := open(t)
	createSessions(t, db, "s1")
	if _, err := db.Append(ctx, "s1", []server.Record{{Type: "a"}}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, baseDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+schema+`.events (session, seq, type) VALUES ('s1', 2, 'other')`); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := db.Append(ctx, "s1", []server.Record{{Type: "b"}, {Type: "c"}})
		errc <- err
	}()
	// The store's insert of number 2 waits on the uncommitted one in the primary key.
	waitFor(func() bool { return lockWaiters(t, schema) == 1 })
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, server.ErrConflict) {
		t.Errorf("Append racing a foreign writer = %v, want ErrConflict", err)
	}
	got, err := db.Append(ctx, "s1", []server.Record{{Type: "d"}})
	if err != nil || got[0].Seq != 3 {
		t.Fatalf("Append after the conflict = %v, %v; want seq 3", got, err)
	}
	ev, err := db.Events(ctx, "s1", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for _, e := range ev {
		log = append(log, fmt.Sprint(e.Seq, e.Type))
	}
	if strings.Join(log, " ") != "1a 2other 3d" {
		t.Errorf("log = %v, want [1a 2other 3d]", log)
	}
}

// TestBadRequestFailsAlone puts an append that PostgreSQL refuses (text with a NUL byte) in one
// transaction with good ones: it fails, they are committed.
func TestBadRequestFailsAlone(t *testing.T) {
	ctx := context.Background()
	db, _, schema := open(t)
	createSessions(t, db, "s0", "s1", "s2")
	held, release := holdWriter(t, db, schema, "s0")
	type result struct {
		recs []server.Record
		err  error
	}
	appendAsync := func(session, typ string) <-chan result {
		res := make(chan result, 1)
		go func() {
			out, err := db.Append(ctx, session, []server.Record{{Type: typ}})
			res <- result{out, err}
		}()
		return res
	}
	good1 := appendAsync("s1", "a")
	waitFor(func() bool { return len(db.reqs) == 1 })
	bad := appendAsync("s2", "nul\x00byte")
	waitFor(func() bool { return len(db.reqs) == 2 })
	good2 := appendAsync("s1", "b")
	waitFor(func() bool { return len(db.reqs) == 3 })
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if r := <-good1; r.err != nil || r.recs[0].Seq != 1 {
		t.Errorf("first good append = %v, %v; want seq 1", r.recs, r.err)
	}
	if r := <-bad; r.err == nil {
		t.Errorf("append with a NUL byte succeeded: %v", r.recs)
	}
	if r := <-good2; r.err != nil || r.recs[0].Seq != 2 {
		t.Errorf("second good append = %v, %v; want seq 2", r.recs, r.err)
	}
	// 1 held, 1 refused batch of three, then each of the three alone.
	if b := db.batches.Load(); b != 5 {
		t.Errorf("%d transactions, want 5 (the test relies on the three sharing one)", b)
	}
	if got := seqsOf(t, db, "s2"); len(got) != 0 {
		t.Errorf("s2 has seqs %v, want none", got)
	}
}

// TestAppendCancelledWhileWaiting checks that Append returns when its ctx ends, even though the
// writer cannot commit yet, and that the log stays gapless either way.
func TestAppendCancelledWhileWaiting(t *testing.T) {
	ctx := context.Background()
	db, _, schema := open(t)
	createSessions(t, db, "s1")
	release := holdSession(t, schema, "s1")
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := db.Append(cctx, "s1", []server.Record{{Type: "a"}})
		errc <- err
	}()
	waitFor(func() bool { return lockWaiters(t, schema) == 1 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) { // returned while the writer is still held
		t.Errorf("err = %v, want context.Canceled", err)
	}
	release()
	got, err := db.Append(ctx, "s1", []server.Record{{Type: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if seqs := seqsOf(t, db, "s1"); !slices.Equal(seqs, oneTo(int(got[0].Seq))) {
		t.Errorf("seqs %v, last given %d: want gapless", seqs, got[0].Seq)
	}
}

// TestCloseDrainsQueue checks that appends queued when Close begins are committed, not lost.
func TestCloseDrainsQueue(t *testing.T) {
	ctx := context.Background()
	db, dsn, schema := open(t)
	createSessions(t, db, "s1")
	held, release := holdWriter(t, db, schema, "s1")
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := db.Append(ctx, "s1", []server.Record{{Type: "a"}})
			errs <- err
		}()
	}
	waitFor(func() bool { return len(db.reqs) == n })
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	waitFor(db.closed)
	release()
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-held; err != nil {
		t.Errorf("held Append: %v", err)
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
	db2, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if got := seqsOf(t, db2, "s1"); !slices.Equal(got, oneTo(n+1)) {
		t.Errorf("after reopen: seqs %v, want 1..%d", got, n+1)
	}
}

// TestSessionsWithoutTimeLast pins an ordering the suite leaves open: sessions with no creation
// time come after the others, as in SQLite, where NULL sorts lowest (PostgreSQL's DESC would put
// it first).
func TestSessionsWithoutTimeLast(t *testing.T) {
	ctx := context.Background()
	db, _, _ := open(t)
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for _, s := range []server.SessionRow{
		{ID: "none1", Code: "N1"},
		{ID: "old", Code: "O1", Created: at},
		{ID: "none2", Code: "N2"},
		{ID: "new", Code: "W1", Created: at.Add(time.Hour)},
	} {
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.Sessions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	if want := []string{"new", "old", "none2", "none1"}; !slices.Equal(ids, want) {
		t.Errorf("Sessions = %v, want %v", ids, want)
	}
}

// TestMigrateClientKeys upgrades a database written before client keys existed, holding an
// answer logged twice (what an older version could do after a timed-out commit): the first
// copy gets the key, the second keeps none, and from then on the database refuses the key.
func TestMigrateClientKeys(t *testing.T) {
	ctx := context.Background()
	dsn, _ := freshSchema(t)
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	init, err := fs.ReadFile(migrations(), "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := migrate(ctx, pool, fstest.MapFS{"0001_init.sql": {Data: init}}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO sessions (id, code, scenario) VALUES ('s1', 'CODE01', 'x')`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 1, 'created', '\x7b7d')`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 2, 'answer', convert_to('{"id":"a1","question":"q"}', 'UTF8'))`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 3, 'answer', convert_to('{"id":"a1","question":"q"}', 'UTF8'))`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 4, 'answer', convert_to('{"id":"a2","question":"r"}', 'UTF8'))`,
		`INSERT INTO events (session, seq, type, data) VALUES ('s1', 5, 'blob', '\x00ff')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	pool.Close()
	db, err := Open(ctx, dsn)
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
