package main

import (
	"context"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// openStore opens the event log named by dsn: a SQLite file path.
func openStore(ctx context.Context, dsn string) (server.Store, error) {
	return sqlite.Open(ctx, dsn)
}
