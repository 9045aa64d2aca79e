package server

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"syscall"
)

// frameConn is the socket under a websocket, as the websocket library reads it. It reads the
// socket into a buffer from a pool, which the connection holds only while it has bytes not yet
// read: an idle connection holds none. It hands the library no byte past the end of the frame
// that byte belongs to, so when the library has read a whole message, its own buffer is empty,
// and WaitFrame can wait for the next frame near the bottom of the reader's stack: a goroutine
// that waits in a shallow stack is one the runtime shrinks (live/conn.go), and there is one
// per connection.
//
// Well-formed pong frames are answered here, by OnPong's function, and never reach the
// library: they come every ping period from every client, and the reader would otherwise wait
// for the frame after each inside the library's frame parser, deep in its stack.
//
// One goroutine reads (Read, WaitFrame); writes and deadlines go to the socket unchanged.
type frameConn struct {
	net.Conn
	raw syscall.RawConn

	buf  *[frameBufSize]byte // nil when r == w
	r, w int
	// left is how many bytes of the current frame, its header included, have not yet been
	// handed to the library; 0 at a frame boundary.
	left   uint64
	onPong func()

	readFd func(fd uintptr) bool // c.readSocket, made once
	nread  int                   // readSocket's result
	errno  error
}

// frameBufSize holds a typical client message, and always a whole control frame.
const frameBufSize = 4096

var frameBufs = sync.Pool{New: func() any { return new([frameBufSize]byte) }}

// wsReadBufferSize is the websocket library's own read buffer: it only passes bytes on from a
// frameConn, and must hold a control frame's payload (125 bytes).
const wsReadBufferSize = 256

// newFrameConn wraps a hijacked connection; nil if it is not a socket the runtime polls.
func newFrameConn(nc net.Conn) *frameConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	c := &frameConn{Conn: nc, raw: raw}
	c.readFd = c.readSocket
	return c
}

// Unwrap is the socket, for writes of several buffers in one system call.
func (c *frameConn) Unwrap() net.Conn { return c.Conn }

// OnPong sets the function called for each pong frame.
func (c *frameConn) OnPong(f func()) { c.onPong = f }

// WaitFrame returns once bytes of a next frame are there to read; the pongs before them are
// answered on the way. Call it only between messages, when the library has read the last
// message to its end. It returns the read error (a timeout at the read deadline).
func (c *frameConn) WaitFrame() error {
	for {
		if c.left == 0 {
			if t := c.pong(); t > 0 && c.w-c.r >= t {
				c.skip(t)
				continue
			}
		}
		if c.r < c.w {
			return nil
		}
		if err := c.fill(); err != nil {
			return err
		}
	}
}

// Read hands the library bytes of one frame at most.
func (c *frameConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for c.left == 0 {
		if err := c.need(2); err != nil {
			return 0, err
		}
		if t := c.pong(); t > 0 {
			if err := c.need(t); err != nil {
				return 0, err
			}
			c.skip(t)
			continue
		}
		hl, _ := header(c.buf[c.r:c.w])
		if err := c.need(hl); err != nil {
			return 0, err
		}
		_, n := header(c.buf[c.r:c.w])
		c.left = uint64(hl) + min(n, math.MaxUint64-uint64(hl))
	}
	if c.r == c.w {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := min(len(p), c.w-c.r)
	if uint64(n) > c.left {
		n = int(c.left)
	}
	copy(p, c.buf[c.r:c.r+n])
	c.r += n
	c.left -= uint64(n)
	c.release()
	return n, nil
}

// pong is the length of the well-formed pong frame the buffer starts with, if it does, and
// there is a function for it: FIN, no RSV bits, opcode 10, masked (it comes from a client),
// a payload of 125 bytes at most. The buffer starts at a frame boundary.
func (c *frameConn) pong() int {
	if c.onPong == nil || c.w-c.r < 2 {
		return 0
	}
	b := c.buf[c.r:c.w]
	if b[0] != 0x80|pongOpcode || b[1]&0x80 == 0 || b[1]&0x7f > 125 {
		return 0
	}
	return 2 + 4 + int(b[1]&0x7f)
}

// skip drops a pong of n bytes, all buffered, and calls the pong function.
func (c *frameConn) skip(n int) {
	c.r += n
	c.release()
	c.onPong()
}

const pongOpcode = 10

// header is the length of the frame header that b starts with, and the payload length it
// declares once b holds the whole header. b holds at least 2 bytes.
func header(b []byte) (hl int, n uint64) {
	hl = 2
	n = uint64(b[1] & 0x7f)
	switch n {
	case 126:
		hl += 2
	case 127:
		hl += 8
	}
	if b[1]&0x80 != 0 {
		hl += 4
	}
	if len(b) < hl {
		return hl, 0
	}
	switch n {
	case 126:
		n = uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		n = binary.BigEndian.Uint64(b[2:])
	}
	return hl, n
}

// need reads until the buffer holds n bytes (n <= frameBufSize).
func (c *frameConn) need(n int) error {
	for c.w-c.r < n {
		if err := c.fill(); err != nil {
			return err
		}
	}
	return nil
}

// fill reads what the socket has, at least one byte, after the bytes buffered. It waits
// for the socket to be readable without holding a buffer.
func (c *frameConn) fill() error {
	if c.buf != nil && c.r > 0 {
		copy(c.buf[:], c.buf[c.r:c.w])
		c.w -= c.r
		c.r = 0
	}
	if c.w == frameBufSize {
		return errors.New("frame buffer full") // cannot happen: need asks for a header at most
	}
	c.nread, c.errno = 0, nil
	if err := c.raw.Read(c.readFd); err != nil {
		return err
	}
	if c.errno != nil {
		return &net.OpError{Op: "read", Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: c.errno}
	}
	if c.nread == 0 {
		return io.EOF
	}
	c.w += c.nread
	return nil
}

// readSocket is fill's read, run by the runtime's poller when the socket may be readable. It
// takes a buffer only for the read and gives it back if there was nothing to read.
func (c *frameConn) readSocket(fd uintptr) bool {
	took := c.buf == nil
	if took {
		c.buf = frameBufs.Get().(*[frameBufSize]byte)
		c.r, c.w = 0, 0
	}
	var n int
	var err error
	for {
		n, err = syscall.Read(int(fd), c.buf[c.w:])
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.EAGAIN {
		if took {
			frameBufs.Put(c.buf)
			c.buf = nil
		}
		return false // wait until readable
	}
	if err != nil || n <= 0 {
		n = 0
		c.release()
	}
	c.nread, c.errno = n, err
	return true
}

// release gives the buffer back once everything in it was read.
func (c *frameConn) release() {
	if c.buf != nil && c.r == c.w {
		frameBufs.Put(c.buf)
		c.buf, c.r, c.w = nil, 0, 0
	}
}

// hijackFramed is a response whose Hijack returns the connection as a frameConn.
type hijackFramed struct {
	http.ResponseWriter
}

func (h hijackFramed) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if fc := newFrameConn(nc); fc != nil {
		return fc, brw, nil
	}
	return nc, brw, nil
}
