package live_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/paraat-nl/paraat/server"
)

// fault is how faultStore fails the appends it is told to fail.
type fault int

const (
	noFault fault = iota
	// failBefore: the append fails and nothing is written (the database refused it).
	failBefore
	// failAfter: the records are committed, but the caller gets an error, as when the
	// connection breaks during COMMIT or the caller's deadline passes first: outcome unknown.
	failAfter
)

var errInjected = errors.New("injected store failure")

// faultStore is a real store whose appends fail on command: the next n appends, or all of
// them until told otherwise. Reads go through unless failReads is set.
type faultStore struct {
	server.Store
	mu        sync.Mutex
	mode      fault
	left      int // appends still to fail; < 0: every one
	appends   atomic.Int64
	failed    atomic.Int64
	failReads atomic.Bool
}

// failNext makes the next n appends fail in mode m (n < 0: all of them from now on).
func (s *faultStore) failNext(m fault, n int) {
	s.mu.Lock()
	s.mode, s.left = m, n
	s.mu.Unlock()
}

func (s *faultStore) heal() { s.failNext(noFault, 0) }

func (s *faultStore) Append(ctx context.Context, session string, recs []server.Record) ([]server.Record, error) {
	s.appends.Add(1)
	s.mu.Lock()
	mode := s.mode
	if mode != noFault {
		if s.left > 0 {
			s.left--
		}
		if s.left == 0 {
			s.mode = noFault
		}
	}
	s.mu.Unlock()
	switch mode {
	case failBefore:
		s.failed.Add(1)
		return nil, errInjected
	case failAfter:
		if _, err := s.Store.Append(ctx, session, recs); err != nil {
			return nil, err
		}
		s.failed.Add(1)
		return nil, errInjected
	}
	return s.Store.Append(ctx, session, recs)
}

func (s *faultStore) Events(ctx context.Context, session string, after int64, limit int) ([]server.Record, error) {
	if s.failReads.Load() {
		return nil, errInjected
	}
	return s.Store.Events(ctx, session, after, limit)
}
