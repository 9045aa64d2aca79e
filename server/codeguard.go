package server

import (
	"net"
	"net/netip"
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
	w *window
}

// NewCodeGuard returns a guard; now is the clock (nil: time.Now).
func NewCodeGuard(now func() time.Time) *CodeGuard {
	return &CodeGuard{w: newWindow(now, CodeFailures, CodeFailureWindow)}
}

// Try counts a join attempt from addr as a wrong code before the code is looked up, and
// refuses the address if it reached the limit. Counting first, in the same step as the
// check, keeps concurrent guesses from all passing the check together. Call right once
// the code turned out to be a session's: the attempt is then taken back.
func (g *CodeGuard) Try(addr string) (right func(), err error) {
	key := host(addr)
	at, wait := g.w.book(key)
	if wait > 0 {
		return nil, Limited(ERateLimited, wait, "too many wrong join codes from this address; wait a minute")
	}
	return func() { g.w.unbook(at, key) }, nil
}

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
