package live_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// newStore returns the store the tests run against: the real SQLite event log in a
// temporary directory, so that durability and replay are exercised as in production.
func newStore(t *testing.T) server.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "paraat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
