package live

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func newSessionID() string { return uuid.NewString() }

// prepare serialises a server message once, for any number of connections.
func prepare(v any) *websocket.PreparedMessage {
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, server.MarshalMsg(v))
	if err != nil {
		panic(err) // only fails for compression errors; we do not compress
	}
	return pm
}

// client is one websocket connection. The hub goroutine sets part and facilitator; send
// is guarded by mu so that the hub and the reader can queue without racing a close.
type client struct {
	ws          *websocket.Conn
	part        *participant
	facilitator bool

	mu        sync.Mutex
	send      chan *websocket.PreparedMessage
	closed    bool
	closeCode int
	closeText string
}

// enqueue queues a message without blocking; false if the client is closed or its queue is
// full (then it is closed as a slow consumer).
func (c *client) enqueue(pm *websocket.PreparedMessage) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	select {
	case c.send <- pm:
		return true
	default:
		c.closed, c.closeCode, c.closeText = true, server.CloseSlowConsumer, "slow consumer"
		close(c.send)
		return false
	}
}

// shut makes the writer send a close frame with code and stop; idempotent.
func (c *client) shut(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed, c.closeCode, c.closeText = true, code, text
	close(c.send)
}

func (c *client) closeInfo() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode, c.closeText
}

// writePump is the connection's only writer.
func (c *client) writePump(o Options) {
	ping := time.NewTicker(o.PingPeriod)
	defer func() {
		ping.Stop()
		c.ws.Close()
	}()
	for {
		select {
		case pm, ok := <-c.send:
			if !ok {
				code, text := c.closeInfo()
				if code != 0 {
					c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(o.WriteWait))
				}
				return
			}
			c.ws.SetWriteDeadline(time.Now().Add(o.WriteWait))
			if err := c.ws.WritePreparedMessage(pm); err != nil {
				c.shut(0, "")
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteWait)); err != nil {
				c.shut(0, "")
				return
			}
		}
	}
}

// bucket is a token bucket limiting the messages of one connection.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) take(now time.Time) bool {
	b.tokens = min(server.MessageBurst, b.tokens+now.Sub(b.last).Seconds()*server.MessagesPerSec)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (m *Manager) refuse(c *client, h *hub, ref string, err error) {
	e := server.ErrorOf(err)
	var seq int64
	if h != nil {
		seq = h.seq.Load()
	}
	c.enqueue(prepare(server.ErrorMsg{Type: server.MsgError, Seq: seq, Ref: ref, Code: e.Code, Message: e.Message}))
}

// readPump is the connection's only reader.
func (m *Manager) readPump(ctx context.Context, c *client, user *server.User) {
	var h *hub
	defer func() {
		if h != nil {
			// Detaching runs on the hub; if the hub has stopped it already closed us.
			if h.call(context.Background(), func() error { h.detach(c, websocket.CloseNormalClosure, ""); return nil }) != nil {
				c.shut(websocket.CloseGoingAway, "server shutting down")
			}
		} else {
			c.shut(websocket.CloseNormalClosure, "")
		}
	}()
	ws := c.ws
	ws.SetReadLimit(server.MaxFrame)
	ws.SetReadDeadline(time.Now().Add(m.opts.HelloTimeout))
	ws.SetPongHandler(func(string) error {
		ws.SetReadDeadline(time.Now().Add(m.opts.PongWait))
		return nil
	})
	b := bucket{tokens: server.MessageBurst, last: time.Now()}
	for {
		typ, r, err := ws.NextReader()
		if err != nil {
			var ne interface{ Timeout() bool }
			if h == nil && errors.As(err, &ne) && ne.Timeout() {
				c.shut(server.CloseNoHello, "no join, resume or watch")
			}
			return
		}
		if h != nil {
			ws.SetReadDeadline(time.Now().Add(m.opts.PongWait))
		}
		data, err := io.ReadAll(io.LimitReader(r, server.MaxMessage+1))
		if err != nil {
			return
		}
		if len(data) > server.MaxMessage {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return // over the frame limit: gorilla has sent 1009
			}
			m.refuse(c, h, "", server.Errorf(server.ETooLarge, "the message is larger than %d bytes", server.MaxMessage))
			continue
		}
		if !b.take(time.Now()) {
			m.refuse(c, h, "", server.Errorf(server.ERateLimited, "more than %d messages per second; slow down", server.MessagesPerSec))
			continue
		}
		if typ != websocket.TextMessage {
			m.refuse(c, h, "", server.Errorf(server.EBadJSON, "send JSON in text frames"))
			continue
		}
		msg, err := server.Decode(data)
		if err != nil {
			m.refuse(c, h, msg.Ref, err)
			continue
		}
		if h == nil {
			hh, err := m.hello(ctx, c, msg, user)
			if err != nil {
				m.refuse(c, nil, msg.Ref, err)
				continue
			}
			h = hh
			ws.SetReadDeadline(time.Now().Add(m.opts.PongWait))
			continue
		}
		if !h.submit(c, msg) {
			return
		}
	}
}
