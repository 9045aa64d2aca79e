package postgres

import (
	"context"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paraat-nl/paraat/server"
)

// TestSubmitBatch: one Submit of several commands for two sessions stores them all, gives
// their ids in the order given, and wakes each session's owner once.
func TestSubmitBatch(t *testing.T) {
	ctx := context.Background()
	db, dsn, _ := open(t)
	createSessions(t, db, "s1", "s2")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN paraat"); err != nil {
		t.Fatal(err)
	}
	cmds := []server.Submission{{Session: "s1", Body: []byte("a")}, {Session: "s2", Body: []byte("b")}, {Session: "s1", Body: []byte("c")}}
	ids, err := db.Submit(ctx, "node-b", cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Fatalf("ids %v, want three ascending", ids)
	}
	var got []string
	for range 2 {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n.Payload)
	}
	sort.Strings(got)
	if got[0] != "c s1" || got[1] != "c s2" {
		t.Errorf("notifications %v, want c s1 and c s2", got)
	}
	taken, err := db.Take(ctx, "s1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(taken) != 2 || taken[0].ID != ids[0] || string(taken[0].Body) != "a" || taken[1].ID != ids[2] ||
		string(taken[1].Body) != "c" || taken[0].Node != "node-b" {
		t.Errorf("s1's commands %+v, want a then c from node-b with ids %d, %d", taken, ids[0], ids[2])
	}
}
