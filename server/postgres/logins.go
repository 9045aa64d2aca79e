package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/paraat-nl/paraat/server"
)

var _ server.Logins = (*DB)(nil)

// PutLogin stores a login; expired ones are deleted on the way.
func (db *DB) PutLogin(ctx context.Context, id string, l server.StoredLogin) error {
	if db.closed() {
		return ErrClosed
	}
	_, err := db.pool.Exec(ctx, `WITH old AS (DELETE FROM logins WHERE expires < clock_timestamp())
		INSERT INTO logins (id, name, csrf, expires, account) VALUES ($1, $2, $3, $4, $5)`,
		id, l.User, l.CSRF, l.Expires, l.Account)
	if err != nil {
		return fmt.Errorf("postgres: store login: %w", err)
	}
	return nil
}

// GetLogin returns a login that has not expired; ErrNotFound if there is none.
func (db *DB) GetLogin(ctx context.Context, id string) (server.StoredLogin, error) {
	if db.closed() {
		return server.StoredLogin{}, ErrClosed
	}
	var l server.StoredLogin
	err := db.pool.QueryRow(ctx, `SELECT name, csrf, expires, account FROM logins WHERE id = $1 AND expires > clock_timestamp()`, id).
		Scan(&l.User, &l.CSRF, &l.Expires, &l.Account)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, fmt.Errorf("postgres: login: %w", server.ErrNotFound)
	}
	if err != nil {
		return l, fmt.Errorf("postgres: login: %w", err)
	}
	return l, nil
}

// EndLogins deletes a user's logins.
func (db *DB) EndLogins(ctx context.Context, user string) error {
	if db.closed() {
		return ErrClosed
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM logins WHERE name = $1`, user); err != nil {
		return fmt.Errorf("postgres: end logins of %q: %w", user, err)
	}
	return nil
}
