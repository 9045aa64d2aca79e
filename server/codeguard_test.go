package server

import (
	"fmt"
	"testing"
	"time"
)

// TestCodeGuardIPv6: the addresses of one IPv6 /64 count as one client, so that a guesser
// cannot take a fresh address for every 30 codes; another /64 and IPv4 are counted apart.
func TestCodeGuardIPv6(t *testing.T) {
	t.Parallel()
	g := NewCodeGuard(nil)
	for i := range CodeFailures {
		addr := fmt.Sprintf("[2001:db8:1:2::%x]:%d", i+1, 40000+i)
		if _, err := g.Try(addr); err != nil {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, err := g.Try("[2001:db8:1:2:ffff::1]:5000"); err == nil {
		t.Error("a new address in the same /64 was let through")
	}
	if _, err := g.Try("[2001:db8:1:3::1]:5000"); err != nil {
		t.Errorf("another /64: %v", err)
	}
	if _, err := g.Try("192.0.2.7:5000"); err != nil {
		t.Errorf("IPv4: %v", err)
	}
}

// TestCodeGuardForgets: addresses that gave a wrong code once and never came back are
// forgotten once their minute is over, so the guard's memory follows the addresses of the
// last minute, not every address ever seen.
func TestCodeGuardForgets(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	g := NewCodeGuard(func() time.Time { return now })
	const n = 10_000
	for i := range n {
		g.Try(fmt.Sprintf("10.%d.%d.%d:1234", i>>16&255, i>>8&255, i&255))
		now = now.Add(time.Millisecond) // 10,000 addresses in 10 s
	}
	now = now.Add(2 * time.Minute)
	for i := range n {
		g.Try(fmt.Sprintf("172.16.%d.%d:1234", i>>8&255, i&255))
		now = now.Add(time.Millisecond)
	}
	g.w.mu.Lock()
	kept := len(g.w.hits)
	g.w.mu.Unlock()
	// At most the second wave, plus what grew since the last sweep.
	if kept > n+n/2 {
		t.Fatalf("%d addresses kept after 2×%d, of which %d are over a minute old", kept, n, n)
	}
	t.Logf("%d addresses kept", kept)
}
