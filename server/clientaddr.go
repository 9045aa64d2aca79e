package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// ParseProxies reads a comma-separated list of addresses and CIDR prefixes
// ("127.0.0.1, 10.0.0.0/8"), for Config.TrustedProxies.
func ParseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP address or a prefix like 10.0.0.0/8", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func addrOf(s string) (netip.Addr, bool) {
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

// trusted reports whether addr (host:port or host) is one of the trusted proxies.
func (s *Server) trusted(addr string) bool {
	a, ok := addrOf(addr)
	if !ok {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the address a request is counted under by the limits: the peer, or, when
// the peer is a trusted proxy, the last address in X-Forwarded-For that is not a trusted
// proxy itself. Entries left of it were written by the client and prove nothing.
func (s *Server) clientAddr(r *http.Request) string {
	peer := r.RemoteAddr
	if !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := addrOf(hops[i])
		if !ok {
			return peer // a garbled header: count the proxy, not a made-up client
		}
		if !s.trusted(a.String()) {
			return a.String()
		}
	}
	return peer
}

type clientAddrKey struct{}

// WithClientAddr records the client address of a connection for the live layer.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr is the client address recorded by WithClientAddr, or def.
func ClientAddr(ctx context.Context, def string) string {
	if a, ok := ctx.Value(clientAddrKey{}).(string); ok && a != "" {
		return a
	}
	return def
}

// connCap counts open websockets per client address and in all.
type connCap struct {
	mu           sync.Mutex
	perAddr, all int
	open         map[string]int
	total        int
}

func newConnCap(perAddr, all int) *connCap {
	return &connCap{perAddr: perAddr, all: all, open: map[string]int{}}
}

// take counts a new connection from addr, or refuses it.
func (c *connCap) take(addr string) error {
	key := host(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.total >= c.all {
		return Limited(EUnavailable, 10*time.Second, "the server has as many connections as it takes (%d); try again shortly", c.all)
	}
	if c.open[key] >= c.perAddr {
		return Limited(ERateLimited, 10*time.Second, "too many open connections from this address (%d)", c.perAddr)
	}
	c.open[key]++
	c.total++
	return nil
}

func (c *connCap) give(addr string) {
	key := host(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.open[key]--; c.open[key] <= 0 {
		delete(c.open, key)
	}
}
