package faultstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/faultstore"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// TestFailures appends through the wrapper many times: about the rate fails, a failure after
// the commit leaves its record in the log, one before leaves nothing.
func TestFailures(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := db.CreateSession(ctx, server.SessionRow{ID: "s", Code: "C1", Scenario: "x", Created: day}); err != nil {
		t.Fatal(err)
	}
	fs := faultstore.Wrap(db, 0.5, 1)
	ok := 0
	for range 200 {
		if _, err := fs.Append(ctx, "s", []server.Record{{Time: day, Type: "a"}}); err == nil {
			ok++
		} else if !errors.Is(err, faultstore.ErrInjected) {
			t.Fatal(err)
		}
	}
	n, before, after := fs.Counts()
	if n != 200 || before == 0 || after == 0 || int64(ok)+before+after != 200 {
		t.Fatalf("%d appends: %d ok, %d failed before, %d after", n, ok, before, after)
	}
	recs, err := db.Events(ctx, "s", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(recs)) != int64(ok)+after {
		t.Fatalf("%d records logged, want %d ok + %d committed before failing", len(recs), ok, after)
	}
}
