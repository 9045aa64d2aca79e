package server

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// CloseLoggedOut closes the websockets of a facilitator who logged out, whose password was
// set anew or who lost the admin right (PROTOCOL.md).
const CloseLoggedOut = 4010

// sockets holds the open websockets of logged-in facilitators, so that ending a user's
// logins ends their connections too.
type sockets struct {
	mu     sync.Mutex
	byUser map[string]map[*websocket.Conn]struct{}
}

func (s *sockets) add(user string, ws *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byUser == nil {
		s.byUser = map[string]map[*websocket.Conn]struct{}{}
	}
	if s.byUser[user] == nil {
		s.byUser[user] = map[*websocket.Conn]struct{}{}
	}
	s.byUser[user][ws] = struct{}{}
}

func (s *sockets) remove(user string, ws *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byUser[user], ws)
	if len(s.byUser[user]) == 0 {
		delete(s.byUser, user)
	}
}

// close sends each websocket of user a close frame and closes it; the live layer sees the
// connection end as if the client had left. WriteControl and Close may be called while
// another goroutine reads and writes.
func (s *sockets) close(user string) {
	s.mu.Lock()
	conns := make([]*websocket.Conn, 0, len(s.byUser[user]))
	for ws := range s.byUser[user] {
		conns = append(conns, ws)
	}
	s.mu.Unlock()
	for _, ws := range conns {
		ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseLoggedOut, "logged out"), time.Now().Add(time.Second))
		ws.Close()
	}
}

// endUser ends every login and websocket of a user.
func (s *Server) endUser(name string) {
	s.auth.endUser(name)
	s.sockets.close(name)
}

// current checks a login against the account in the store and ends the user's logins and
// websockets when it no longer matches (removed, new password, no longer admin).
func (s *Server) current(ctx context.Context, l *login) bool {
	u, err := s.cfg.Store.User(ctx, l.user.Name)
	if stale(l, u, err) {
		s.log.Info("login ended: the account changed", "user", l.user.Name)
		s.endUser(l.user.Name)
		return false
	}
	return true
}

// Revalidate checks every login against the store and ends the logins and websockets of
// users whose account changed. Requests check their own login; this catches the
// websockets of users who make no requests.
func (s *Server) Revalidate(ctx context.Context) {
	for _, name := range s.auth.revalidate(ctx) {
		s.log.Info("login ended: the account changed", "user", name)
		s.sockets.close(name)
	}
}

// Run revalidates the logins every period until ctx ends.
func (s *Server) Run(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Revalidate(ctx)
		}
	}
}
