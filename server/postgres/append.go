package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/paraat-nl/paraat/server"
)

// appendReq is one Append call waiting for the writer.
type appendReq struct {
	ctx     context.Context
	session string
	recs    []server.Record // the store's own copy, times as they will come back
	times   []*int64        // recs' times as stored
	fence   server.Fence    // Epoch 0: unfenced (a command-line tool, a single node)

	// Set by the writer, then sent on done.
	out []server.Record
	err error
	// done has room for the answer, so the writer never waits for a caller that gave up.
	done chan struct{}
}

// Append adds records to a session's log and returns them with their sequence numbers (the
// Seq of recs is ignored). It returns once they are committed (with synchronous_commit on, the
// commit record is flushed to disk first); appends that wait at the same time share one
// transaction. All records of one call get consecutive numbers and are committed together or
// not at all. ErrNotFound if the session does not exist.
//
// If ctx carries a server.Fence (a live node's lease), the append is refused with an error
// wrapping server.ErrFenced, in the same transaction, unless the session's lease is still that
// node's with that epoch and unexpired. A committed append wakes the other nodes: NOTIFY on
// channel paraat with "e <session> <last seq>", far below PostgreSQL's 8,000-byte limit.
//
// Numbers stay gapless across processes: a transaction locks the rows of the sessions it
// appends to, in id order so that two processes never deadlock, and only then reads each log's
// last number. ErrConflict if a number it chose was taken meanwhile by a writer that bypassed
// that lock (no paraat process does).
//
// If ctx ends first, Append returns ctx's error at once, but the records may still be
// committed: a request the writer has already taken into a transaction is not withdrawn. A
// caller that must know reads the log (paraat's answers carry ids, so a resend is idempotent).
// A request whose ctx has ended before the writer takes it is dropped unwritten. The same
// holds when the connection breaks during COMMIT: Append fails, and the records may be there.
func (db *DB) Append(ctx context.Context, session string, recs []server.Record) ([]server.Record, error) {
	req := &appendReq{ctx: ctx, session: session, recs: make([]server.Record, len(recs)),
		times: make([]*int64, len(recs)), done: make(chan struct{}, 1)}
	req.fence, _ = server.FenceOf(ctx)
	// Copy before queueing: a caller whose ctx ends returns while the writer may still read.
	for i, r := range recs {
		t, err := nanos(r.Time)
		if err != nil {
			return nil, fmt.Errorf("postgres: append to %q: record %d: %w", session, i, err)
		}
		req.recs[i] = server.Record{Time: fromNanos(t), Type: r.Type, Data: bytes.Clone(r.Data), Key: r.Key}
		req.times[i] = t
	}
	if db.closed() {
		return nil, ErrClosed
	}
	select {
	case db.reqs <- req:
	case <-ctx.Done():
		return nil, fmt.Errorf("postgres: append to %q: %w", session, context.Cause(ctx))
	case <-db.stop:
		return nil, ErrClosed
	}
	select {
	case <-req.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("postgres: append to %q: %w (it may still be committed)", session, context.Cause(ctx))
	case <-db.done:
		// The writer answers before it exits: look once more before calling it lost.
		select {
		case <-req.done:
		default:
			return nil, ErrClosed
		}
	}
	if req.err != nil {
		return nil, fmt.Errorf("postgres: append to %q: %w", session, req.err)
	}
	return req.out, nil
}

// writer is the one goroutine of this process that appends to the event log.
func (db *DB) writer() {
	defer close(db.done)
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
				db.commit(batch)
				clear(batch)
				batch = batch[:0]
			}
		}
		db.commit(batch)
		clear(batch) // let the requests be collected
		batch = batch[:0]
	}
}

// collect adds the requests already queued to batch, up to the batch limit. It never waits:
// the requests that arrive while a batch is being committed are what makes the next batch big.
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
// When PostgreSQL refuses the batch (a duplicate key, a string it cannot store, a deadlock with
// a foreign writer), nothing of it was committed and the connection is sound, so each request is
// tried again in a transaction of its own: only the request at fault fails. Any other failure
// (the connection, the network) fails every request of the batch, since trying again one by one
// would only fail slower, and a broken COMMIT may have committed.
func (db *DB) commit(batch []*appendReq) {
	defer func() {
		for _, req := range batch {
			req.done <- struct{}{}
		}
	}()
	live := make([]*appendReq, 0, len(batch))
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.err = context.Cause(req.ctx) // its caller has gone: write nothing it will not see
			continue
		}
		live = append(live, req)
	}
	if len(live) == 0 {
		return
	}
	// The transaction is not bound to any caller's ctx: one caller giving up must not undo the
	// others' records.
	ctx := context.Background()
	err := db.write(ctx, live)
	if err == nil {
		return
	}
	var pe *pgconn.PgError
	if len(live) > 1 && errors.As(err, &pe) {
		for _, req := range live {
			if err := db.write(ctx, []*appendReq{req}); err != nil {
				req.err = classify(err)
			}
		}
		return
	}
	for _, req := range live {
		req.err = classify(err)
	}
}

// lockSessions takes the row lock that serialises appends to a session across processes. The
// rows are locked in the order of the sort, so two transactions that share sessions always
// lock them in the same order and never deadlock. FOR NO KEY UPDATE still lets the events'
// foreign key checks (FOR KEY SHARE) through.
const lockSessions = `SELECT id FROM sessions WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE`

// insertEvents numbers and inserts the records of a transaction in one statement and returns
// the last number each existing session had. It must be a statement of its own after
// lockSessions: at READ COMMITTED each statement reads a fresh snapshot, so the MAX(seq) here
// sees whatever the previous lock holder committed. Records of unknown sessions drop out of
// the join and are not written.
const insertEvents = `WITH last AS MATERIALIZED (
	SELECT s.id, COALESCE((SELECT MAX(e.seq) FROM events e WHERE e.session = s.id), 0) AS seq
	FROM sessions s WHERE s.id = ANY($1::text[])
), ins AS (
	INSERT INTO events (session, seq, time, type, data, client_id)
	SELECT r.session, l.seq + r.off, r.time, r.type, r.data, r.key
	FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bytea[], $7::text[]) AS r (session, off, time, type, data, key)
	JOIN last l ON l.id = r.session
)
SELECT l.id, l.seq, pg_notify('paraat', 'e ' || l.id || ' ' || (l.seq + c.n))
FROM last l JOIN unnest($1::text[], $8::bigint[]) AS c (id, n) ON c.id = l.id`

// write appends the records of reqs in one transaction and, once it is committed, fills each
// request's out (or err, for an unknown session). An error means nothing was answered and, but
// for a broken COMMIT, nothing was written.
func (db *DB) write(ctx context.Context, reqs []*appendReq) error {
	db.batches.Add(1)
	db.grouped.Add(int64(len(reqs)))
	var (
		ids   []string // the distinct sessions
		sess  []string // per record, column-wise for unnest
		offs  []int64  // a record's place in its session's part of this transaction, from 1
		times []*int64
		types []string
		data  [][]byte
		keys  []*string // NULL: no key
		// The fences of the fenced requests, column-wise for paraat_fence.
		fsess, fnodes []string
		fepochs       []int64
	)
	used := map[string]int64{} // records of each session so far
	first := make([]int64, len(reqs))
	for i, req := range reqs {
		n, seen := used[req.session]
		if !seen {
			ids = append(ids, req.session)
		}
		first[i] = n
		for j, r := range req.recs {
			sess = append(sess, req.session)
			offs = append(offs, n+1+int64(j))
			times = append(times, req.times[j])
			types = append(types, r.Type)
			data = append(data, r.Data)
			var key *string
			if r.Key != "" {
				key = &r.Key
			}
			keys = append(keys, key)
		}
		used[req.session] = n + int64(len(req.recs))
		if req.fence.Epoch != 0 {
			fsess, fnodes, fepochs = append(fsess, req.session), append(fnodes, req.fence.Node), append(fepochs, req.fence.Epoch)
		}
	}
	counts := make([]int64, len(ids))
	for i, id := range ids {
		counts[i] = used[id]
	}

	// READ COMMITTED whatever the database's default: under REPEATABLE READ the snapshot would
	// be taken before the session lock is granted, and MAX(seq) would miss the last holder's
	// records.
	tx, err := db.wpool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	// Both statements go in one round trip; the server runs the second once the first holds
	// its locks.
	b := &pgx.Batch{}
	b.Queue(lockSessions, ids)
	if len(fsess) > 0 {
		b.Queue(`SELECT paraat_fence($1::text[], $2::text[], $3::bigint[])`, fsess, fnodes, fepochs)
	}
	b.Queue(insertEvents, ids, sess, offs, times, types, data, keys, counts)
	br := tx.SendBatch(ctx, b)
	last := make(map[string]int64, len(ids))
	_, err = br.Exec()
	if err == nil && len(fsess) > 0 {
		_, err = br.Exec()
	}
	if err == nil {
		rows, _ := br.Query() // its error comes back from ForEachRow
		var id string
		var seq int64
		_, err = pgx.ForEachRow(rows, []any{&id, &seq, nil}, func() error {
			last[id] = seq
			return nil
		})
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	for i, req := range reqs {
		seq, ok := last[req.session]
		if !ok {
			req.err = fmt.Errorf("session %q: %w", req.session, server.ErrNotFound)
			continue
		}
		out := make([]server.Record, len(req.recs))
		for j, r := range req.recs {
			r.Seq = seq + first[i] + 1 + int64(j)
			out[j] = r
		}
		req.out = out
	}
	return nil
}
