package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/paraat-nl/paraat/server"
)

var _ server.Cluster = (*DB)(nil)

// channel is the one NOTIFY channel of paraat; payloads name a session, so nodes of other
// paraat schemas in the same database ignore each other's.
const channel = "paraat"

// Submit inserts commands and wakes their owners, in one statement: one commit for a
// follower's whole flush. The ids are drawn in the order of cmds.
func (db *DB) Submit(ctx context.Context, node string, cmds []server.Submission) ([]int64, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	sessions := make([]string, len(cmds))
	bodies := make([][]byte, len(cmds))
	for i, c := range cmds {
		sessions[i], bodies[i] = c.Session, c.Body
	}
	rows, _ := db.pool.Query(ctx, `WITH u AS MATERIALIZED (
		SELECT nextval(pg_get_serial_sequence('commands', 'id')) AS id, s, b, i
		FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS x (s, b, i)
	), ins AS (
		INSERT INTO commands (id, session, node, body) SELECT id, s, $1, b FROM u
	), n AS (
		SELECT pg_notify('`+channel+`', 'c ' || d.s) FROM (SELECT DISTINCT s FROM u) d
	) SELECT id FROM u, (SELECT count(*) FROM n) w ORDER BY i`, node, sessions, bodies)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: submit %d commands: %w", len(cmds), classifyLease(err))
	}
	if len(ids) != len(cmds) {
		return nil, fmt.Errorf("postgres: submit %d commands: %d ids back", len(cmds), len(ids))
	}
	return ids, nil
}

// Take returns and marks the session's waiting commands.
func (db *DB) Take(ctx context.Context, session string, limit int) ([]server.Command, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	rows, _ := db.pool.Query(ctx, `WITH w AS (
		SELECT id, taken FROM commands WHERE session = $1 AND result IS NULL ORDER BY id LIMIT $2 FOR UPDATE
	) UPDATE commands c SET taken = true FROM w WHERE c.id = w.id
	RETURNING c.id, c.session, c.node, c.body, w.taken`, session, limit)
	cmds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (server.Command, error) {
		var c server.Command
		err := row.Scan(&c.ID, &c.Session, &c.Node, &c.Body, &c.Taken)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: take commands of %q: %w", session, err)
	}
	// UPDATE ... RETURNING gives no order.
	for i := 1; i < len(cmds); i++ {
		for j := i; j > 0 && cmds[j].ID < cmds[j-1].ID; j-- {
			cmds[j], cmds[j-1] = cmds[j-1], cmds[j]
		}
	}
	return cmds, nil
}

// Complete stores results and wakes their nodes, one notification per node and command.
// Results older than a minute are deleted on the way: their sender has long given up.
func (db *DB) Complete(ctx context.Context, cmds []server.Command, results [][]byte) error {
	if db.closed() {
		return ErrClosed
	}
	ids := make([]int64, len(cmds))
	nodes := make([]string, len(cmds))
	for i, c := range cmds {
		ids[i], nodes[i] = c.ID, c.Node
	}
	_, err := db.pool.Exec(ctx, `WITH r AS (
		SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[]) AS r (id, result, node)
	), up AS (
		UPDATE commands c SET result = r.result, done = clock_timestamp() FROM r
		WHERE c.id = r.id AND c.result IS NULL RETURNING c.id, r.node
	), old AS (
		DELETE FROM commands WHERE done < clock_timestamp() - interval '1 minute'
	) SELECT pg_notify('`+channel+`', 'r ' || node || ' ' || id) FROM up`, ids, results, nodes)
	if err != nil {
		return fmt.Errorf("postgres: complete %d commands: %w", len(cmds), err)
	}
	return nil
}

// Results returns the results that are there.
func (db *DB) Results(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	rows, _ := db.pool.Query(ctx, `SELECT id, result FROM commands WHERE id = ANY ($1) AND result IS NOT NULL`, ids)
	out := map[int64][]byte{}
	var id int64
	var res []byte
	_, err := pgx.ForEachRow(rows, []any{&id, &res}, func() error {
		out[id] = res
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: command results: %w", err)
	}
	return out, nil
}

// Heads returns each session's last sequence number.
func (db *DB) Heads(ctx context.Context, sessions []string) (map[string]int64, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	rows, _ := db.pool.Query(ctx, `SELECT s, (SELECT MAX(seq) FROM events WHERE session = s)
		FROM unnest($1::text[]) AS s`, sessions)
	out := map[string]int64{}
	var s string
	var seq *int64
	_, err := pgx.ForEachRow(rows, []any{&s, &seq}, func() error {
		if seq != nil {
			out[s] = *seq
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: log heads: %w", err)
	}
	return out, nil
}

// Waiting returns the sessions with commands that have no result.
func (db *DB) Waiting(ctx context.Context, sessions []string) ([]string, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	rows, _ := db.pool.Query(ctx, `SELECT DISTINCT session FROM commands WHERE session = ANY ($1) AND result IS NULL`, sessions)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: waiting commands: %w", err)
	}
	return ids, nil
}

// probeWait is how long Listen waits for its own probe notification.
const probeWait = 3 * time.Second

// Listen opens a connection of its own, LISTENs, and checks that a notification it sends
// itself arrives: through a transaction-pooling PgBouncer the LISTEN is lost with the
// server connection it ran on, and nothing would ever arrive.
func (db *DB) Listen(ctx context.Context, f func(payload string)) error {
	if db.closed() {
		return ErrClosed
	}
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("postgres: listen: %w: %w", server.ErrNoNotify, err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	probe := "p " + hex.EncodeToString(b)
	if _, err := db.pool.Exec(ctx, `SELECT pg_notify('`+channel+`', $1)`, probe); err != nil {
		return fmt.Errorf("postgres: listen: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, probeWait)
	for {
		n, err := conn.WaitForNotification(pctx)
		if err != nil {
			cancel()
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("postgres: listen: %w: no notification came back within %s "+
				"(a transaction-pooling PgBouncer between paraat and PostgreSQL loses LISTEN; give paraat a direct or session-pooled connection)",
				server.ErrNoNotify, probeWait)
		}
		if n.Payload == probe {
			break
		}
		f(n.Payload)
	}
	cancel()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("postgres: listen: %w", err)
		}
		f(n.Payload)
	}
}
