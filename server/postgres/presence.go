package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Publish replaces the node's presence rows: for each session it serves, the participants
// connected to it (one id per connection).
func (db *DB) Publish(ctx context.Context, node string, present map[string][]string) error {
	if db.closed() {
		return ErrClosed
	}
	sessions := make([]string, 0, len(present))
	for s := range present {
		sessions = append(sessions, s)
	}
	tx, err := db.hpool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: presence: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, `DELETE FROM presence WHERE node = $1 AND NOT (session = ANY ($2))`, node, sessions); err != nil {
		return fmt.Errorf("postgres: presence: %w", err)
	}
	b := &pgx.Batch{}
	for _, s := range sessions {
		ps := present[s]
		if ps == nil {
			ps = []string{}
		}
		b.Queue(`INSERT INTO presence (node, session, participants) VALUES ($1, $2, $3)
			ON CONFLICT (node, session) DO UPDATE SET participants = EXCLUDED.participants`, node, s, ps)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: presence: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: presence: %w", err)
	}
	return nil
}

// Presence returns, for each of the sessions, the connections of each participant on the
// other nodes that were heard from within window.
func (db *DB) Presence(ctx context.Context, node string, sessions []string, window time.Duration) (map[string]map[string]int, error) {
	if db.closed() {
		return nil, ErrClosed
	}
	rows, _ := db.hpool.Query(ctx, `SELECT p.session, p.participants FROM presence p JOIN nodes n ON n.id = p.node
		WHERE p.session = ANY ($1) AND p.node <> $2 AND n.seen > clock_timestamp() - $3 * interval '1 millisecond'`,
		sessions, node, window.Milliseconds())
	out := map[string]map[string]int{}
	var s string
	var ps []string
	_, err := pgx.ForEachRow(rows, []any{&s, &ps}, func() error {
		m := out[s]
		if m == nil {
			m = map[string]int{}
			out[s] = m
		}
		for _, p := range ps {
			m[p]++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: presence: %w", err)
	}
	return out, nil
}
