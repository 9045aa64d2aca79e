package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

// migrate applies the migrations of fsys that the database has not applied yet, each in its
// own transaction together with its schema_migrations row, so a failed script leaves no trace
// (PostgreSQL's DDL is transactional) and is retried on the next open. It returns how many it
// applied.
//
// Several paraat nodes may start at once on a new database: each transaction first takes an
// advisory lock for the schema, then looks at the version, so exactly one node applies each
// script and the others see it done.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) (int, error) {
	ms, err := loadMigrations(fsys)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range ms {
		ok, err := apply(ctx, pool, m, ms[len(ms)-1].version)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// apply runs one migration in a transaction under the migration lock; false if the database
// already has it. latest is the newest version this program knows: a database beyond it is
// refused, because an older binary must not write to a schema it does not know.
func apply(ctx context.Context, pool *pgxpool.Pool, m migration, latest int) (bool, error) {
	// READ COMMITTED whatever the database's default, so that the version is read after the
	// lock is granted, not from a snapshot taken while waiting for it.
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	// The lock is per schema, so databases that hold several paraat schemas (tests) migrate
	// them in parallel. It is released at commit or rollback.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('paraat schema_migrations ' || COALESCE(current_schema(), ''), 0))`); err != nil {
		return false, fmt.Errorf("taking the migration lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer NOT NULL PRIMARY KEY,
		name    text    NOT NULL,
		applied bigint  NOT NULL
	)`); err != nil {
		return false, fmt.Errorf("creating schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return false, fmt.Errorf("reading schema_migrations: %w", err)
	}
	if current > latest {
		return false, fmt.Errorf("database schema version %d is newer than this program's (%d); upgrade paraat", current, latest)
	}
	var have bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&have); err != nil {
		return false, err
	}
	if have || m.version <= current {
		return false, tx.Commit(ctx) // commit keeps a newly created schema_migrations
	}
	// The simple protocol runs a script of several statements; the extended one takes one.
	if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES ($1, $2, $3)`,
		m.version, m.name, time.Now().UTC().UnixNano()); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}
