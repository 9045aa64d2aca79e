// Package faultstore wraps a store so that its appends fail at random, for fault-injection
// runs (`paraat serve --store-faults`, `paraat load --store-faults`). Half of the failures
// happen before the commit (nothing written), half after it (the records are durable but the
// caller gets an error, as when a connection breaks during COMMIT): the live layer must never
// acknowledge the first kind nor log the second twice.
package faultstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/paraat-nl/paraat/server"
)

// ErrInjected is the error of an injected failure.
var ErrInjected = errors.New("faultstore: injected append failure")

// Store is a server.Store whose appends fail with probability Rate.
type Store struct {
	server.Store
	rate float64

	mu  sync.Mutex
	rng *rand.Rand

	appends, before, after atomic.Int64
}

// Wrap returns s with appends failing at random with probability rate (0 to 1); seed makes
// the sequence of failures repeatable.
func Wrap(s server.Store, rate float64, seed uint64) *Store {
	return &Store{Store: s, rate: rate, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Counts returns the appends seen and the failures injected before and after a commit.
func (s *Store) Counts() (appends, before, after int64) {
	return s.appends.Load(), s.before.Load(), s.after.Load()
}

// Append fails before the commit, after it, or not at all.
func (s *Store) Append(ctx context.Context, session string, recs []server.Record) ([]server.Record, error) {
	s.appends.Add(1)
	s.mu.Lock()
	x := s.rng.Float64()
	s.mu.Unlock()
	switch {
	case x < s.rate/2:
		s.before.Add(1)
		return nil, ErrInjected
	case x < s.rate:
		if _, err := s.Store.Append(ctx, session, recs); err != nil {
			return nil, err
		}
		s.after.Add(1)
		return nil, ErrInjected
	}
	return s.Store.Append(ctx, session, recs)
}
