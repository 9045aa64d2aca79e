package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/paraat-nl/paraat/server"
)

// appendReq is one Append call waiting for the writer.
type appendReq struct {
	ctx     context.Context
	session string
	recs    []server.Record // the store's own copy, times in UTC
	times   []any           // recs' times as stored

	// Set by the writer, then sent on done.
	out []server.Record
	err error
	// done has room for the answer, so the writer never waits for a caller that gave up.
	done chan struct{}
}

// Append adds records to a session's log and returns them with their sequence numbers (the
// Seq of recs is ignored). It returns once they are committed to disk; appends that wait at the
// same time share one transaction and one fsync. All records of one call get consecutive
// numbers and are committed together or not at all. ErrNotFound if the session does not exist.
//
// If ctx ends first, Append returns ctx's error at once, but the records may still be
// committed: a request the writer has already taken into a transaction is not withdrawn. A
// caller that must know reads the log (paraat's answers carry ids, so a resend is idempotent).
// A request whose ctx has ended before the writer takes it is dropped unwritten.
func (db *DB) Append(ctx context.Context, session string, recs []server.Record) ([]server.Record, error) {
	req := &appendReq{ctx: ctx, session: session, recs: make([]server.Record, len(recs)),
		times: make([]any, len(recs)), done: make(chan struct{}, 1)}
	// Copy before queueing: a caller whose ctx ends returns while the writer may still read.
	for i, r := range recs {
		t, err := nanos(r.Time)
		if err != nil {
			return nil, fmt.Errorf("sqlite: append to %q: record %d: %w", session, i, err)
		}
		if !r.Time.IsZero() {
			r.Time = fromNanos(sql.NullInt64{Int64: t.(int64), Valid: true})
		}
		req.recs[i] = server.Record{Time: r.Time, Type: r.Type, Data: bytes.Clone(r.Data), Key: r.Key}
		req.times[i] = t
	}
	if db.closed() {
		return nil, ErrClosed
	}
	select {
	case db.reqs <- req:
	case <-ctx.Done():
		return nil, fmt.Errorf("sqlite: append to %q: %w", session, context.Cause(ctx))
	case <-db.stop:
		return nil, ErrClosed
	}
	select {
	case <-req.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("sqlite: append to %q: %w (it may still be committed)", session, context.Cause(ctx))
	case <-db.done:
		// The writer answers before it exits: look once more before calling it lost.
		select {
		case <-req.done:
		default:
			return nil, ErrClosed
		}
	}
	if req.err != nil {
		return nil, fmt.Errorf("sqlite: append to %q: %w", session, req.err)
	}
	return req.out, nil
}

// writer is the one goroutine that writes the event log. It owns the cache of each session's
// last sequence number, which is why it needs no lock: nobody else assigns numbers.
func (db *DB) writer() {
	defer close(db.done)
	last := map[string]int64{}
	batch := make([]*appendReq, 0, db.opts.batchLimit)
	for {
		select {
		case req := <-db.reqs:
			batch = db.collect(append(batch, req))
		case <-db.stop:
			// Commit what got into the queue before Close, so no Append that got in waits in vain.
			for {
				if batch = db.collect(batch); len(batch) == 0 {
					return
				}
				db.commit(batch, last)
				clear(batch)
				batch = batch[:0]
			}
		}
		db.commit(batch, last)
		clear(batch) // let the requests be collected
		batch = batch[:0]
	}
}

// collect adds the requests already queued to batch, up to the batch limit. It never waits:
// the requests that arrive while a batch is being synced are what makes the next batch big.
func (db *DB) collect(batch []*appendReq) []*appendReq {
	for len(batch) < db.opts.batchLimit {
		select {
		case req := <-db.reqs:
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// commit writes a batch in one transaction and answers every request in it.
//
// A request that fails on its own (unknown session, a sequence number taken behind the
// cache's back by another process) fails alone: its inserts are undone and the others go on.
// A failure of the transaction itself (begin, an I/O error, commit) fails every request of the
// batch with that error, and the cache is dropped because it may hold numbers that were never
// committed.
func (db *DB) commit(batch []*appendReq, last map[string]int64) {
	db.batches.Add(1)
	db.grouped.Add(int64(len(batch)))
	defer func() {
		for _, req := range batch {
			req.done <- struct{}{}
		}
	}()
	// The transaction is not bound to any caller's ctx: one caller giving up must not undo the
	// others' records.
	ctx := context.Background()
	failAll := func(err error) {
		for _, req := range batch {
			if req.err == nil {
				req.err, req.out = err, nil
			}
		}
		clear(last)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		failAll(err)
		return
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	insert := tx.StmtContext(ctx, db.insert)
	lastStmt := tx.StmtContext(ctx, db.last)
	next := map[string]int64{} // last numbers given out in this transaction, not yet committed
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.err = context.Cause(req.ctx) // its caller has gone: write nothing it will not see
			continue
		}
		seq, ok := next[req.session]
		if !ok {
			seq, ok = last[req.session]
		}
		if !ok {
			var exists bool
			if err := lastStmt.QueryRowContext(ctx, req.session).Scan(&exists, &seq); err != nil {
				failAll(err)
				return
			}
			if !exists {
				req.err = fmt.Errorf("session %q: %w", req.session, server.ErrNotFound)
				continue
			}
		}
		if err := db.insertAll(ctx, tx, insert, req, seq); err != nil {
			var reqErr requestError
			if !errors.As(err, &reqErr) {
				failAll(err)
				return
			}
			req.err = reqErr.err
			// Someone else wrote to this log: reload its last number on next use.
			delete(next, req.session)
			delete(last, req.session)
			continue
		}
		next[req.session] = seq + int64(len(req.recs))
	}
	if err := tx.Commit(); err != nil {
		failAll(err)
		return
	}
	if len(last)+len(next) > db.opts.cacheLimit {
		clear(last) // bounded memory; a miss costs one indexed MAX(seq)
	}
	for s, n := range next {
		last[s] = n
	}
}

// requestError is a failure of one request that leaves the transaction usable.
type requestError struct{ err error }

func (e requestError) Error() string { return e.err.Error() }

// insertAll inserts a request's records after seq and fills req.out. A request of several
// records runs inside a savepoint so a constraint failure halfway leaves none of them; a single
// INSERT is atomic by itself and needs none.
func (db *DB) insertAll(ctx context.Context, tx *sql.Tx, insert *sql.Stmt, req *appendReq, seq int64) error {
	multi := len(req.recs) > 1
	if multi {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT req`); err != nil {
			return err
		}
	}
	out := make([]server.Record, len(req.recs))
	for i, r := range req.recs {
		r.Seq = seq + 1 + int64(i)
		var key any // NULL: no key, never a duplicate
		if r.Key != "" {
			key = r.Key
		}
		if _, err := insert.ExecContext(ctx, req.session, r.Seq, req.times[i], r.Type, r.Data, key); err != nil {
			if err = classify(err); !errors.Is(err, server.ErrConflict) {
				return err
			}
			if multi {
				if _, rbErr := tx.ExecContext(ctx, `ROLLBACK TO req; RELEASE req`); rbErr != nil {
					return rbErr
				}
			}
			return requestError{fmt.Errorf("seq %d: %w", r.Seq, err)}
		}
		out[i] = r
	}
	if multi {
		if _, err := tx.ExecContext(ctx, `RELEASE req`); err != nil {
			return err
		}
	}
	req.out = out
	return nil
}
