package server

import (
	"sync"
	"time"
)

// window counts events per key over a sliding time window and refuses a key that reached
// its limit. Checking and counting are one step (book), so that concurrent requests cannot
// all pass a check made before any of them was counted. Safe for concurrent use.
type window struct {
	mu      sync.Mutex
	now     func() time.Time
	limit   int
	span    time.Duration
	hits    map[string][]time.Time
	sweepAt int // sweep when hits has this many keys
}

func newWindow(now func() time.Time, limit int, span time.Duration) *window {
	if now == nil {
		now = time.Now
	}
	return &window{now: now, limit: limit, span: span, hits: map[string][]time.Time{}, sweepAt: minSweep}
}

// prune drops the hits of key older than the window; the caller holds mu.
func (w *window) prune(key string, cut time.Time) []time.Time {
	hs := w.hits[key]
	i := 0
	for i < len(hs) && hs[i].Before(cut) {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(w.hits, key)
	} else {
		w.hits[key] = hs
	}
	return hs
}

// book counts one event under every key if none of them is at its limit, and returns the
// time of the booking (to give back with unbook). Otherwise it counts nothing and returns
// how long until the fullest key has room again.
func (w *window) book(keys ...string) (time.Time, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	cut := now.Add(-w.span)
	var wait time.Duration
	for _, k := range keys {
		if hs := w.prune(k, cut); len(hs) >= w.limit {
			wait = max(wait, hs[len(hs)-w.limit].Add(w.span).Sub(now))
		}
	}
	if wait > 0 {
		return time.Time{}, wait
	}
	for _, k := range keys {
		w.hits[k] = append(w.hits[k], now)
	}
	if len(w.hits) >= w.sweepAt {
		w.sweep(cut)
	}
	return now, 0
}

// unbook takes back a booking made at t (the request turned out not to count).
func (w *window) unbook(t time.Time, keys ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		hs := w.hits[k]
		for i := len(hs) - 1; i >= 0; i-- {
			if hs[i].Equal(t) {
				hs = append(hs[:i], hs[i+1:]...)
				break
			}
		}
		if len(hs) == 0 {
			delete(w.hits, k)
		} else {
			w.hits[k] = hs
		}
	}
}

// check reports how long key must wait (0: it may go on), without counting anything.
func (w *window) check(key string) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if hs := w.prune(key, now.Add(-w.span)); len(hs) >= w.limit {
		return hs[len(hs)-w.limit].Add(w.span).Sub(now)
	}
	return 0
}

// add counts one event under key.
func (w *window) add(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	w.hits[key] = append(w.hits[key], now)
	if len(w.hits) >= w.sweepAt {
		w.sweep(now.Add(-w.span))
	}
}

// sweep forgets the keys whose last event left the window. A key is otherwise forgotten only
// when it comes back; a client that uses each address once would grow the map without end.
// Sweeping when the map has doubled since the last sweep keeps the cost per event constant
// and the map within twice the keys of one window.
func (w *window) sweep(cut time.Time) {
	for k, hs := range w.hits {
		if hs[len(hs)-1].Before(cut) {
			delete(w.hits, k)
		}
	}
	w.sweepAt = max(minSweep, 2*len(w.hits))
}

const minSweep = 1024
