package server

import (
	"net"
	"sync"
	"time"
)

// Wrong join codes allowed per address per minute. A code has about 40 bits, so guessing
// needs billions of tries; the limit makes that take centuries from one address, while a
// room behind one proxy can still mistype dozens of codes a minute.
const (
	CodeFailures      = 30
	CodeFailureWindow = time.Minute
)

// CodeGuard counts wrong join codes per client address, for the HTTP lookup and the
// websocket join alike. Safe for concurrent use.
type CodeGuard struct {
	mu    sync.Mutex
	now   func() time.Time
	fails map[string][]time.Time
}

// NewCodeGuard returns a guard; now is the clock (nil: time.Now).
func NewCodeGuard(now func() time.Time) *CodeGuard {
	if now == nil {
		now = time.Now
	}
	return &CodeGuard{now: now, fails: map[string][]time.Time{}}
}

// Check refuses an address that gave too many wrong codes in the last minute.
func (g *CodeGuard) Check(addr string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := host(addr)
	cut := g.now().Add(-CodeFailureWindow)
	fs := g.fails[key]
	for len(fs) > 0 && fs[0].Before(cut) {
		fs = fs[1:]
	}
	if len(fs) == 0 {
		delete(g.fails, key)
	} else {
		g.fails[key] = fs
	}
	if len(fs) >= CodeFailures {
		return Errorf(ERateLimited, "too many wrong join codes from this address; wait a minute")
	}
	return nil
}

// Fail records a wrong code from addr.
func (g *CodeGuard) Fail(addr string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := host(addr)
	g.fails[key] = append(g.fails[key], g.now())
}

func host(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
