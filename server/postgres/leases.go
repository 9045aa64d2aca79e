package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paraat-nl/paraat/server"
)

var _ server.Leases = (*DB)(nil)

// Acquire takes the lease of a session for node, with a new epoch, if there is none, the one
// there has expired by the database's clock, or it is node's own (a node that loads the
// session again fences off its own older hub). Otherwise it returns the holder's lease and
// an error wrapping server.ErrLeased. The UPDATE waits for an append of the old holder that is
// being committed (it holds the row FOR SHARE), so a node that reads the log after Acquire sees
// every record the old holder could ever write.
func (db *DB) Acquire(ctx context.Context, session, node string, ttl time.Duration) (server.Lease, error) {
	if db.closed() {
		return server.Lease{}, ErrClosed
	}
	l := server.Lease{Session: session, Node: node}
	err := db.pool.QueryRow(ctx, `INSERT INTO leases (session, node, epoch, expires)
		VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
		ON CONFLICT (session) DO UPDATE SET node = EXCLUDED.node, epoch = leases.epoch + 1, expires = EXCLUDED.expires
		WHERE leases.expires < clock_timestamp() OR leases.node = EXCLUDED.node
		RETURNING epoch, expires`, session, node, ttl.Milliseconds()).Scan(&l.Epoch, &l.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		var held server.Lease
		err = db.pool.QueryRow(ctx, `SELECT session, node, epoch, expires FROM leases WHERE session = $1`, session).
			Scan(&held.Session, &held.Node, &held.Epoch, &held.Expires)
		if err != nil {
			return server.Lease{}, fmt.Errorf("postgres: lease of %q: %w", session, err)
		}
		return held, fmt.Errorf("postgres: lease of %q: held by node %s: %w", session, held.Node, server.ErrLeased)
	}
	if err != nil {
		return server.Lease{}, fmt.Errorf("postgres: lease of %q: %w", session, classifyLease(err))
	}
	return l, nil
}

// classifyLease turns the foreign key violation of a lease on an unknown session into
// ErrNotFound.
func classifyLease(err error) error {
	if isForeignKeyViolation(err) {
		return fmt.Errorf("%w: %w", server.ErrNotFound, err)
	}
	return err
}

// Heartbeat records the node and extends its leases by ttl, in one transaction, and returns
// the leases it still holds.
func (db *DB) Heartbeat(ctx context.Context, node, addr string, ttl time.Duration) ([]server.Lease, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	tx, err := db.hpool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: heartbeat: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, `INSERT INTO nodes (id, addr) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET addr = EXCLUDED.addr, seen = clock_timestamp()`, node, addr); err != nil {
		return nil, fmt.Errorf("postgres: heartbeat: %w", err)
	}
	rows, _ := tx.Query(ctx, `UPDATE leases SET expires = clock_timestamp() + $2 * interval '1 millisecond'
		WHERE node = $1 RETURNING session, node, epoch, expires`, node, ttl.Milliseconds())
	leases, err := pgx.CollectRows(rows, scanLease)
	if err != nil {
		return nil, fmt.Errorf("postgres: heartbeat: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: heartbeat: %w", err)
	}
	return leases, nil
}

func scanLease(row pgx.CollectableRow) (server.Lease, error) {
	var l server.Lease
	err := row.Scan(&l.Session, &l.Node, &l.Epoch, &l.Expires)
	return l, err
}

// Release deletes the lease if it is still the node's with that epoch.
func (db *DB) Release(ctx context.Context, l server.Lease) error {
	if db.closed() {
		return ErrClosed
	}
	_, err := db.pool.Exec(ctx, `DELETE FROM leases WHERE session = $1 AND node = $2 AND epoch = $3`, l.Session, l.Node, l.Epoch)
	if err != nil {
		return fmt.Errorf("postgres: release lease of %q: %w", l.Session, err)
	}
	return nil
}

// Expired lists the sessions that have not ended and whose lease has expired.
func (db *DB) Expired(ctx context.Context) ([]string, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	rows, _ := db.hpool.Query(ctx, `SELECT l.session FROM leases l JOIN sessions s ON s.id = l.session
		WHERE l.expires < clock_timestamp() AND NOT s.ended ORDER BY l.session`)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: expired leases: %w", err)
	}
	return ids, nil
}

// Cluster lists the nodes whose heartbeat is within window, and every lease.
func (db *DB) Cluster(ctx context.Context, window time.Duration) ([]server.Node, []server.Lease, error) {
	if db.closed() {
		return nil, nil, ErrClosed
	}
	rows, _ := db.pool.Query(ctx, `SELECT id, addr, started, seen FROM nodes
		WHERE seen > clock_timestamp() - $1 * interval '1 millisecond' ORDER BY started, id`, window.Milliseconds())
	nodes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (server.Node, error) {
		var n server.Node
		err := row.Scan(&n.ID, &n.Addr, &n.Started, &n.Seen)
		return n, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: nodes: %w", err)
	}
	rows, _ = db.pool.Query(ctx, `SELECT session, node, epoch, expires FROM leases ORDER BY session`)
	leases, err := pgx.CollectRows(rows, scanLease)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: leases: %w", err)
	}
	return nodes, leases, nil
}
