package server

import (
	"net"
	"net/netip"
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
	mu      sync.Mutex
	now     func() time.Time
	fails   map[string][]time.Time
	sweepAt int // sweep when fails has this many addresses
}

// NewCodeGuard returns a guard; now is the clock (nil: time.Now).
func NewCodeGuard(now func() time.Time) *CodeGuard {
	if now == nil {
		now = time.Now
	}
	return &CodeGuard{now: now, fails: map[string][]time.Time{}, sweepAt: minSweep}
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
	if len(g.fails) >= g.sweepAt {
		g.sweep()
	}
}

// sweep forgets the addresses whose last wrong code is over a minute old. Check forgets an
// address only when it comes back; a guesser who uses each address once would otherwise grow
// the map without end. Sweeping when the map has doubled since the last sweep keeps the cost
// per Fail constant and the map within twice the addresses of the last minute.
func (g *CodeGuard) sweep() {
	cut := g.now().Add(-CodeFailureWindow)
	for k, fs := range g.fails {
		if fs[len(fs)-1].Before(cut) {
			delete(g.fails, k)
		}
	}
	g.sweepAt = max(minSweep, 2*len(g.fails))
}

const minSweep = 1024

// host is the key an address is counted under: its IP, and for IPv6 its /64, since one
// client usually has a whole /64 to pick addresses from.
func host(addr string) string {
	h := addr
	if hh, _, err := net.SplitHostPort(addr); err == nil {
		h = hh
	}
	if ip, err := netip.ParseAddr(h); err == nil && ip.Is6() && !ip.Is4In6() {
		if p, err := ip.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return h
}
