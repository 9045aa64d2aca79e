package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds the schema, one numbered SQL script per change. Scripts are never edited
// once released: a database remembers which numbers it has applied, not what they said.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations is the embedded schema as migrate expects it.
func migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; this cannot fail
	}
	return sub
}

// migration is one numbered script.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the *.sql files at the root of fsys, named NNNN_what.sql, in version
// order. Gaps are allowed; duplicates and unnumbered files are errors, because a typo there
// would otherwise skip or reorder a schema change silently.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, name := range names {
		num, _, ok := strings.Cut(strings.TrimSuffix(path.Base(name), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql with NNNN > 0", name)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number %d", other, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	return ms, nil
}

// migrate applies the migrations of fsys that db has not applied yet, each in its own
// transaction together with its schema_version row, so a failed script leaves no trace and is
// retried on the next open. It returns how many it applied.
//
// The write connection begins transactions IMMEDIATE, so two processes opening the same new
// file serialise here; the version is checked again inside the transaction for that reason.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) (int, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return 0, err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER NOT NULL PRIMARY KEY,
		name    TEXT    NOT NULL,
		applied INTEGER NOT NULL
	)`); err != nil {
		return 0, fmt.Errorf("creating schema_version: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return 0, fmt.Errorf("reading schema_version: %w", err)
	}
	if len(ms) > 0 && current > ms[len(ms)-1].version {
		// An older binary must not write to a schema it does not know.
		return 0, fmt.Errorf("database schema version %d is newer than this program's (%d); upgrade paraat",
			current, ms[len(ms)-1].version)
	}
	applied := 0
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		ok, err := apply(ctx, db, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// apply runs one migration in a transaction; false if another process applied it first.
func apply(ctx context.Context, db *sql.DB, m migration) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version WHERE version = ?`, m.version).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UTC().UnixNano()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
