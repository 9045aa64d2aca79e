package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paraat-nl/paraat/server"
)

// expireLease moves a lease's expiry into the past, as if its holder had stopped renewing it.
func expireLease(t *testing.T, schema, session string) {
	t.Helper()
	exec(t, `UPDATE `+schema+`.leases SET expires = clock_timestamp() - interval '1 second' WHERE session = $1`, session)
}

func TestLeaseFencing(t *testing.T) {
	ctx := context.Background()
	db, _, schema := open(t)
	createSessions(t, db, "s1")
	a, err := db.Acquire(ctx, "s1", "node-a", time.Minute)
	if err != nil || a.Epoch != 1 || a.Node != "node-a" {
		t.Fatalf("first acquire = %+v, %v", a, err)
	}
	held, err := db.Acquire(ctx, "s1", "node-b", time.Minute)
	if !errors.Is(err, server.ErrLeased) || held.Node != "node-a" || held.Epoch != 1 {
		t.Fatalf("acquire of a held lease = %+v, %v; want ErrLeased with node-a's lease", held, err)
	}
	fa := server.WithFence(ctx, server.Fence{Node: "node-a", Epoch: a.Epoch})
	if _, err := db.Append(fa, "s1", []server.Record{{Type: "x", Key: "k1"}}); err != nil {
		t.Fatalf("owner's append: %v", err)
	}

	// node-a stops renewing; node-b takes over with a new epoch.
	expireLease(t, schema, "s1")
	if _, err := db.Append(fa, "s1", []server.Record{{Type: "x", Key: "k2"}}); !errors.Is(err, server.ErrFenced) {
		t.Fatalf("append on an expired lease: %v; want ErrFenced", err)
	}
	if ids, err := db.Expired(ctx); err != nil || len(ids) != 1 || ids[0] != "s1" {
		t.Fatalf("expired = %v, %v", ids, err)
	}
	b, err := db.Acquire(ctx, "s1", "node-b", time.Minute)
	if err != nil || b.Epoch != 2 {
		t.Fatalf("takeover = %+v, %v", b, err)
	}
	// node-a's lease is gone: a renewal does not bring it back, and its appends are refused.
	if ls, err := db.Heartbeat(ctx, "node-a", "http://a", time.Minute); err != nil || len(ls) != 0 {
		t.Fatalf("heartbeat of the old owner = %v, %v; want no leases", ls, err)
	}
	if _, err := db.Append(fa, "s1", []server.Record{{Type: "x", Key: "k2"}}); !errors.Is(err, server.ErrFenced) {
		t.Fatalf("append with the old epoch: %v; want ErrFenced", err)
	}
	fb := server.WithFence(ctx, server.Fence{Node: "node-b", Epoch: b.Epoch})
	out, err := db.Append(fb, "s1", []server.Record{{Type: "x", Key: "k2"}})
	if err != nil || out[0].Seq != 2 {
		t.Fatalf("new owner's append = %v, %v; want seq 2", out, err)
	}
	if ls, err := db.Heartbeat(ctx, "node-b", "http://b", time.Minute); err != nil || len(ls) != 1 || ls[0].Epoch != 2 {
		t.Fatalf("heartbeat of the new owner = %v, %v", ls, err)
	}
	nodes, leases, err := db.Cluster(ctx, time.Minute)
	if err != nil || len(nodes) != 2 || len(leases) != 1 || leases[0].Node != "node-b" {
		t.Fatalf("cluster = %v %v %v", nodes, leases, err)
	}
	// A release by the old owner does nothing; the new owner's frees the session at once.
	if err := db.Release(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Acquire(ctx, "s1", "node-c", time.Minute); !errors.Is(err, server.ErrLeased) {
		t.Fatalf("acquire after a stale release: %v; want ErrLeased", err)
	}
	if err := db.Release(ctx, b); err != nil {
		t.Fatal(err)
	}
	if c, err := db.Acquire(ctx, "s1", "node-c", time.Minute); err != nil || c.Epoch != 1 {
		t.Fatalf("acquire after release = %+v, %v", c, err)
	}
	if _, err := db.Acquire(ctx, "nope", "node-c", time.Minute); !errors.Is(err, server.ErrNotFound) {
		t.Fatalf("lease of an unknown session: %v; want ErrNotFound", err)
	}
	if got := seqsOf(t, db, "s1"); len(got) != 2 {
		t.Fatalf("log %v; want the two appends of the owners", got)
	}
}

// TestStaleAppendFailsAlone: a fenced-off append that shares a transaction with others fails
// alone; the others are written.
func TestStaleAppendFailsAlone(t *testing.T) {
	ctx := context.Background()
	db, _, schema := open(t)
	createSessions(t, db, "s0", "s1", "s2")
	a, err := db.Acquire(ctx, "s2", "node-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	expireLease(t, schema, "s2")
	held, release := holdWriter(t, db, schema, "s0")
	res := make(chan error, 2)
	go func() {
		_, err := db.Append(ctx, "s1", []server.Record{{Type: "a"}})
		res <- err
	}()
	waitFor(func() bool { return len(db.reqs) == 1 })
	stale := make(chan error, 1)
	go func() {
		_, err := db.Append(server.WithFence(ctx, server.Fence{Node: "node-a", Epoch: a.Epoch}), "s2", []server.Record{{Type: "a"}})
		stale <- err
	}()
	waitFor(func() bool { return len(db.reqs) == 2 })
	release()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Errorf("unfenced append: %v", err)
	}
	if err := <-stale; !errors.Is(err, server.ErrFenced) {
		t.Errorf("stale append: %v; want ErrFenced", err)
	}
	if got := seqsOf(t, db, "s2"); len(got) != 0 {
		t.Errorf("s2 has seqs %v, want none", got)
	}
}

// TestAppendNotifies: every committed append wakes the listeners with the session and its last
// sequence number.
func TestAppendNotifies(t *testing.T) {
	ctx := context.Background()
	db, dsn, _ := open(t)
	createSessions(t, db, "s1")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN paraat"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Append(ctx, "s1", []server.Record{{Type: "a"}, {Type: "b"}}); err != nil {
		t.Fatal(err)
	}
	n, err := conn.WaitForNotification(ctx)
	if err != nil || n.Payload != "e s1 2" {
		t.Fatalf("notification %+v, %v; want e s1 2", n, err)
	}
}

func TestLogins(t *testing.T) {
	ctx := context.Background()
	db, _, _ := open(t)
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	if err := db.PutLogin(ctx, "k1", server.StoredLogin{User: "anna", CSRF: "c", Expires: exp, Account: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutLogin(ctx, "k2", server.StoredLogin{User: "bob", CSRF: "d", Expires: time.Now().Add(-time.Second), Account: "b"}); err != nil {
		t.Fatal(err)
	}
	l, err := db.GetLogin(ctx, "k1")
	if err != nil || l.User != "anna" || l.CSRF != "c" || !l.Expires.Equal(exp) || l.Account != "a" {
		t.Fatalf("login = %+v, %v", l, err)
	}
	if _, err := db.GetLogin(ctx, "k2"); !errors.Is(err, server.ErrNotFound) {
		t.Fatalf("expired login: %v; want ErrNotFound", err)
	}
	if err := db.EndLogins(ctx, "anna"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetLogin(ctx, "k1"); !errors.Is(err, server.ErrNotFound) {
		t.Fatalf("ended login: %v; want ErrNotFound", err)
	}
}
