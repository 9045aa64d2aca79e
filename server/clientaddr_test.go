package server

import (
	"net/http/httptest"
	"testing"
	"time"
)

var testTime = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// TestClientAddr: X-Forwarded-For counts only from a trusted proxy, and then its last entry
// that is not a proxy itself; garbled headers count the proxy, never a made-up client.
func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies, err := ParseProxies(" 10.0.0.0/8, 192.0.2.1 ,2001:db8::1")
	if err != nil || len(proxies) != 3 {
		t.Fatalf("%v %v", proxies, err)
	}
	if _, err := ParseProxies("10.0.0.0/8,not-an-address"); err == nil {
		t.Fatal("a bad proxy was accepted")
	}
	s := &Server{cfg: Config{TrustedProxies: proxies}}
	for _, tc := range []struct{ peer, xff, want string }{
		{"198.51.100.7:5000", "203.0.113.1", "198.51.100.7:5000"}, // not a proxy: header ignored
		{"10.1.2.3:5000", "203.0.113.1", "203.0.113.1"},
		{"10.1.2.3:5000", "203.0.113.9, 203.0.113.1", "203.0.113.1"}, // the client wrote the left one
		{"10.1.2.3:5000", "203.0.113.1, 10.9.9.9", "203.0.113.1"},    // two proxies
		{"10.1.2.3:5000", "", "10.1.2.3:5000"},
		{"10.1.2.3:5000", "203.0.113.1, garbage", "10.1.2.3:5000"},
		{"[2001:db8::1]:443", "2001:db8:5::7", "2001:db8:5::7"},
		{"[::ffff:192.0.2.1]:80", "203.0.113.5", "203.0.113.5"}, // IPv4 in IPv6
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientAddr(r); got != tc.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}

// TestWindow: booking is refused at the limit, a taken-back booking frees its place, and the
// wait says when the oldest booking leaves the window.
func TestWindow(t *testing.T) {
	t.Parallel()
	now := testTime
	w := newWindow(func() time.Time { return now }, 2, time.Minute)
	a, _ := w.book("k")
	now = now.Add(10 * time.Second)
	w.book("k")
	if _, wait := w.book("k"); wait != 50*time.Second {
		t.Fatalf("wait %v, want 50s", wait)
	}
	w.unbook(a, "k")
	if _, wait := w.book("k"); wait != 0 {
		t.Fatalf("after unbook: wait %v", wait)
	}
	now = now.Add(2 * time.Minute)
	if _, wait := w.book("k", "other"); wait != 0 {
		t.Fatalf("after the window: wait %v", wait)
	}
}
