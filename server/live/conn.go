package live

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/server"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func newSessionID() string { return uuid.NewString() }

// frame is a server message serialised and framed once (an unmasked, uncompressed text
// frame), shared by every connection that gets it. It plays the part of
// websocket.PreparedMessage, but as plain bytes several frames can go out in one write, and
// several messages can travel as one frame value (joinFrames): msgs counts them.
type frame struct {
	data []byte
	msgs int
}

// joinFrames puts frames back to back, to be queued and written as one; nil if there are none.
func joinFrames(fs []*frame) *frame {
	switch len(fs) {
	case 0:
		return nil
	case 1:
		return fs[0]
	}
	n := 0
	for _, f := range fs {
		n += len(f.data)
	}
	out := &frame{data: make([]byte, 0, n)}
	for _, f := range fs {
		out.data = append(out.data, f.data...)
		out.msgs += f.msgs
	}
	return out
}

// encoders are reused by prepare: a broadcast encodes one message, and the buffer it encodes
// into is copied once, into the frame with its header.
var encoders = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledEncoder is the largest encoding buffer kept for reuse. The facilitator's messages
// grow with the room (thousands of participants: hundreds of KiB); kept in the pool, such a
// buffer would stay in memory for good, one per processor.
const maxPooledEncoder = 64 << 10

// prepare serialises a server message once, for any number of connections.
func prepare(v any) *frame {
	buf := encoders.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledEncoder {
			encoders.Put(buf)
		}
	}()
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		panic(fmt.Sprintf("live: encoding %T: %v", v, err)) // the message types cannot fail
	}
	return newFrame(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// maxHeader is the longest header of a server frame: 2 bytes and a 64-bit length.
const maxHeader = 10

// prepareLarge serialises a large message (the aggregates of a big room) straight into the
// frame's own memory: sized from the hint (the length of the last such message), with room
// for the header in front, so that it is neither grown step by step nor copied.
func prepareLarge(v any, hint int) *frame {
	buf := bytes.NewBuffer(make([]byte, maxHeader, maxHeader+hint+hint/8+64))
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		panic(fmt.Sprintf("live: encoding %T: %v", v, err)) // the message types cannot fail
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	n := len(b) - maxHeader
	var hdr [maxHeader]byte
	h := header(hdr[:], n)
	copy(b[maxHeader-h:], hdr[:h])
	return &frame{data: b[maxHeader-h:], msgs: 1}
}

// header writes the header of a text frame with an n-byte payload and returns its length.
func header(hdr []byte, n int) int {
	hdr[0] = 0x80 | websocket.TextMessage
	switch {
	case n < 126:
		hdr[1] = byte(n)
		return 2
	case n <= 0xffff:
		hdr[1] = 126
		binary.BigEndian.PutUint16(hdr[2:], uint16(n))
		return 4
	default:
		hdr[1] = 127
		binary.BigEndian.PutUint64(hdr[2:], uint64(n))
		return 10
	}
}

// newFrame frames a text payload as RFC 6455 section 5.2 lays it out for a server: FIN and
// opcode 1, no mask, the length in 7, 16 or 64 bits.
func newFrame(payload []byte) *frame {
	n := len(payload)
	var hdr [maxHeader]byte
	h := header(hdr[:], n)
	b := make([]byte, h+n)
	copy(b, hdr[:h])
	copy(b[h:], payload)
	return &frame{data: b, msgs: 1}
}

// client is one websocket connection. The hub goroutine sets pid, world and facilitator; the
// queue is guarded by mu so that the hub and the reader can queue without racing a close. A
// client names its participant by id, never by pointer: a reload replaces the state's
// participants.
type client struct {
	ws          *websocket.Conn
	pid         string // the participant; "" for a facilitator
	world       string // the participant's world
	facilitator bool
	stats       *counters
	// proxy: a client of another node, whose command this owner runs (cluster.go); it has no
	// connection, and what the hub sends it goes back as the command's result.
	proxy bool
	// pending: what the hub sent it in the current step (hub goroutine only).
	pending []*frame

	mu sync.Mutex
	// queue holds the frames the writer has not taken yet. It is a slice, not a channel of
	// limit frames, so that a connection with nothing to send holds little: it keeps a small
	// array for the next frames, and none after a long backlog.
	queue     []*frame
	limit     int           // frames queued at which the client is a slow consumer
	wake      chan struct{} // capacity 1: the queue or the close changed
	closed    bool
	closeCode int
	closeText string
}

// newClient is a client whose queue holds limit frames before it is closed as slow.
func newClient(limit int) *client {
	return &client{limit: limit, wake: make(chan struct{}, 1)}
}

func (c *client) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueue queues a message without blocking; false if the client is closed or its queue is
// full (then it is closed as a slow consumer).
func (c *client) enqueue(pm *frame) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.limit {
		c.closed, c.closeCode, c.closeText = true, server.CloseSlowConsumer, "slow consumer"
		c.mu.Unlock()
		c.signal()
		return false
	}
	c.queue = append(c.queue, pm)
	first := len(c.queue) == 1
	c.mu.Unlock()
	// The writer takes everything queued when it wakes, and looks again after a full batch:
	// only a frame that finds the queue empty needs to wake it.
	if first {
		c.signal()
	}
	return true
}

// shut makes the writer send a close frame with code and stop; idempotent.
func (c *client) shut(code int, text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed, c.closeCode, c.closeText = true, code, text
	c.signal()
}

func (c *client) closeInfo() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode, c.closeText
}

// keptQueue is the largest queue array kept once the writer emptied it.
const keptQueue = 8

// take moves up to len(dst) queued frames, oldest first, into dst: how many, and whether the
// client is closed with nothing left to take.
func (c *client) take(dst []*frame) (n int, closing bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n = copy(dst, c.queue)
	rest := copy(c.queue, c.queue[n:])
	clear(c.queue[rest:])
	c.queue = c.queue[:rest]
	if rest == 0 && cap(c.queue) > keptQueue {
		c.queue = nil
	}
	return n, c.closed && rest == 0
}

// maxCoalesce is how many queued frames the writer sends in one system call at most.
const maxCoalesce = 32

type batch struct {
	frames [maxCoalesce]*frame
	data   [maxCoalesce][]byte
}

var batches = sync.Pool{New: func() any { return new(batch) }}

// writePump is the connection's only writer of data frames. It sends whatever is queued in
// one writev: a broadcast that gives a client an event and a new view costs one system call,
// not two, and a client that fell behind catches up in few. Gorilla's own writes (the pong
// the reader answers a ping with, control frames) go to the same socket; each is a single
// write of a whole frame, and the socket's write lock keeps frames from interleaving.
func (c *client) writePump(o Options) {
	ping := time.NewTicker(o.PingPeriod)
	defer func() {
		ping.Stop()
		c.ws.Close()
	}()
	nc := c.ws.NetConn()
	if u, ok := nc.(interface{ Unwrap() net.Conn }); ok {
		nc = u.Unwrap() // the socket itself, which writes net.Buffers with writev
	}
	for {
		select {
		case <-c.wake:
			// The batch comes from a pool, not this goroutine's stack, which then stays small
			// enough for the runtime to shrink while the writer waits.
			b := batches.Get().(*batch)
			for {
				n, closing := c.take(b.frames[:])
				if n > 0 {
					msgs := 0
					for i, f := range b.frames[:n] {
						b.data[i] = f.data
						msgs += f.msgs
					}
					nc.SetWriteDeadline(time.Now().Add(o.WriteWait))
					nb := net.Buffers(b.data[:n])
					written, err := nb.WriteTo(nc) // writev
					clear(b.frames[:n])
					clear(b.data[:n])
					if err != nil {
						batches.Put(b)
						c.shut(0, "")
						return
					}
					if c.stats != nil {
						c.stats.frames.Add(int64(msgs))
						c.stats.writes.Add(1)
						c.stats.bytes.Add(written)
					}
				}
				if closing {
					batches.Put(b)
					code, text := c.closeInfo()
					if code != 0 {
						c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(o.WriteWait))
					}
					return
				}
				if n < maxCoalesce {
					break // the queue is empty: wait for the next signal
				}
			}
			batches.Put(b)
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteWait)); err != nil {
				c.shut(0, "")
				return
			}
		}
	}
}

// bucket is a token bucket limiting the frames of one connection. Every frame counts,
// refused ones and pings included: a refused frame takes a token it does not have, so a
// client that keeps sending above the rate runs into debt, and at floodDebt it is closed.
type bucket struct {
	tokens float64
	last   time.Time
}

// floodDebt is how many frames beyond the limit a connection may send before it is closed
// with 1008: a client that reads its rate_limited errors and slows down never gets there.
const floodDebt = 4 * server.MessageBurst

// take counts one frame: ok if it is within the limit, flood once the debt reached
// floodDebt.
func (b *bucket) take(now time.Time) (ok, flood bool) {
	b.tokens = min(server.MessageBurst, b.tokens+now.Sub(b.last).Seconds()*server.MessagesPerSec)
	b.last = now
	b.tokens = max(b.tokens-1, -floodDebt)
	return b.tokens >= 0, b.tokens <= -floodDebt
}

// retryAfter is when the bucket has a token again.
func (b *bucket) retryAfter() time.Duration {
	return time.Duration((1 - b.tokens) / server.MessagesPerSec * float64(time.Second))
}

// errFlood ends the reader of a connection that kept sending far above the rate limit.
var errFlood = errors.New("rate limit exceeded")

func (m *Manager) refuse(c *client, h *hub, ref string, err error) {
	e := server.ErrorOf(err)
	var seq int64
	if h != nil {
		seq = h.seq.Load()
	}
	c.enqueue(prepare(server.ErrorMsg{Type: server.MsgError, Seq: seq, Ref: ref, Code: e.Code, Message: e.Message,
		RetryAfterMS: e.RetryAfterMS, Reference: e.Reference}))
}

// frameWaiter is the socket under a websocket of the server (server/wsconn.go).
type frameWaiter interface {
	WaitFrame() error
	OnPong(func())
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
	// A pong proves the peer is there, not who it is: until a join, resume or watch succeeds
	// the hello deadline stands, however many pongs come.
	pong := func() {
		if h != nil {
			ws.SetReadDeadline(time.Now().Add(m.opts.PongWait))
		}
	}
	ws.SetPongHandler(func(string) error { pong(); return nil })
	// The socket under the server's websockets answers pongs itself and can wait for a next
	// frame before the frame parser is entered (server/wsconn.go).
	fw, _ := ws.NetConn().(frameWaiter)
	if fw != nil {
		fw.OnPong(pong)
	}
	b := bucket{tokens: server.MessageBurst, last: time.Now()}
	// Pings count against the rate limit like any frame; over it they get no pong.
	ws.SetPingHandler(func(data string) error {
		ok, flood := b.take(time.Now())
		if flood {
			return errFlood
		}
		if !ok {
			return nil
		}
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(m.opts.WriteWait))
		var ne net.Error
		if err == websocket.ErrCloseSent || errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		return err
	})
	ended := func(err error) {
		var ne interface{ Timeout() bool }
		switch {
		case errors.Is(err, errFlood):
			c.shut(websocket.ClosePolicyViolation, "rate limit exceeded")
		case h == nil && errors.As(err, &ne) && ne.Timeout():
			c.shut(server.CloseNoHello, "no join, resume or watch")
		}
	}
	for {
		// Waiting here, not in the frame parser, is what lets the runtime shrink this
		// goroutine's stack while the client is quiet.
		if fw != nil {
			if err := fw.WaitFrame(); err != nil {
				ended(err)
				return
			}
		}
		typ, r, err := ws.NextReader()
		if err != nil {
			ended(err)
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
		var ok bool
		if h == nil {
			// A hello (join, resume or watch) looks the session up in the store, deep in the
			// stack. It runs on a goroutine that ends with it, so that the reader's stack does
			// not keep that depth for the rest of the connection: a stack shrinks by half per
			// collection, and only while the goroutine uses less than a quarter of it.
			done := make(chan struct{})
			go func() {
				defer close(done)
				h, ok = m.message(ctx, c, h, &b, typ, data, user)
			}()
			<-done
		} else {
			h, ok = m.message(ctx, c, h, &b, typ, data, user)
		}
		if !ok {
			return
		}
	}
}

// message handles one client message and returns the connection's hub (set by a successful
// join, resume or watch) and whether to go on reading. It is a function of its own, never
// inlined, so that its locals (a decoded message is a few hundred bytes) are not part of the
// reader's frame while the reader waits for the next message: the stack a parked reader
// uses decides whether the runtime can shrink it, and there are as many readers as
// connections.
//
//go:noinline
func (m *Manager) message(ctx context.Context, c *client, h *hub, b *bucket, typ int, data []byte, user *server.User) (*hub, bool) {
	if ok, flood := b.take(time.Now()); !ok {
		if flood {
			c.shut(websocket.ClosePolicyViolation, "rate limit exceeded")
			return h, false
		}
		// The refusal names the message it refuses, when it has a ref.
		var ref struct {
			Ref string `json:"ref"`
		}
		if json.Unmarshal(data, &ref) != nil || len(ref.Ref) > server.MaxRef {
			ref.Ref = ""
		}
		e := server.Limited(server.ERateLimited, b.retryAfter(), "more than %d messages per second; slow down", server.MessagesPerSec)
		if b.tokens >= -1 { // the first refusal of a run: logged once, not once per frame
			m.log.Info("refused", "ref", e.Reference, "code", e.Code, "addr", server.ClientAddr(ctx, c.ws.RemoteAddr().String()), "reason", e.Message)
		}
		m.refuse(c, h, ref.Ref, e)
		return h, true
	}
	if typ != websocket.TextMessage {
		m.refuse(c, h, "", server.Errorf(server.EBadJSON, "send JSON in text frames"))
		return h, true
	}
	msg, err := server.Decode(data)
	if err != nil {
		m.refuse(c, h, msg.Ref, err)
		return h, true
	}
	if h == nil {
		hh, err := m.hello(ctx, c, msg, user)
		if err != nil {
			m.refuse(c, nil, msg.Ref, err)
			return nil, true
		}
		c.ws.SetReadDeadline(time.Now().Add(m.opts.PongWait))
		return hh, true
	}
	if m.cl != nil && !h.owner.Load() {
		return h, m.forward(ctx, h, c, msg)
	}
	return h, h.submit(c, msg)
}
