package live_test

import (
	"sync"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/server/live"
)

// manualClock is a live.Clock that moves only when the test advances it, so deadlines, the
// back-off after a failed append and the unloading of idle sessions run without sleeping.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
	armed  chan time.Duration // every timer's duration, as it is armed
}

type manualTimer struct {
	c    chan time.Time
	at   time.Time
	done bool
	clk  *manualClock
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), armed: make(chan time.Duration, 4096)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) live.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: make(chan time.Time, 1), at: c.now.Add(d), clk: c}
	if d <= 0 {
		t.done = true
		t.c <- c.now
	} else {
		c.timers = append(c.timers, t)
	}
	select {
	case c.armed <- d:
	default:
	}
	return t
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the clock on and fires the timers that are due.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	var rest []*manualTimer
	for _, t := range c.timers {
		switch {
		case t.done:
		case !t.at.After(c.now):
			t.done = true
			t.c <- c.now
		default:
			rest = append(rest, t)
		}
	}
	c.timers = rest
}

// waitArmed waits until a timer of duration d is armed (other durations are skipped).
func (c *manualClock) waitArmed(t *testing.T, d time.Duration) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case got := <-c.armed:
			if got == d {
				return
			}
		case <-timeout:
			t.Fatalf("no timer of %v was armed", d)
		}
	}
}
