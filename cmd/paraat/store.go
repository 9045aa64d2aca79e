package main

import (
	"context"
	"net/url"
	"strings"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/postgres"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// openStore opens the event log named by dsn: a postgres:// or postgresql:// URL, or else a
// SQLite file path. Only the URL form selects PostgreSQL, so that no file name is ever taken
// for a connection string.
func openStore(ctx context.Context, dsn string) (server.Store, error) {
	if isPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// isPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redact hides the password of a database URL, so that it is not printed back.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		return u.Redacted()
	}
	return dsn
}
