package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// clientFrame is a frame as a client sends it: masked, with the given first byte.
func clientFrame(b0 byte, payload []byte) []byte {
	n := len(payload)
	f := []byte{b0}
	switch {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126, 0, 0)
		binary.BigEndian.PutUint16(f[2:], uint16(n))
	default:
		f = append(f, 0x80|127, 0, 0, 0, 0, 0, 0, 0, 0)
		binary.BigEndian.PutUint64(f[2:], uint64(n))
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i%4])
	}
	return f
}

func text(s string) []byte { return clientFrame(0x81, []byte(s)) }
func pong(s string) []byte { return clientFrame(0x8a, []byte(s)) }

// socketPair is a frameConn on the server end of a loopback TCP connection, and the client
// end; pongs counts the pongs the frameConn answered.
func socketPair(t *testing.T) (fc *frameConn, client net.Conn, pongs *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	fc = newFrameConn(sc)
	if fc == nil {
		t.Fatal("a TCP connection is not a frameConn")
	}
	pongs = new(atomic.Int64)
	fc.OnPong(func() { pongs.Add(1) })
	t.Cleanup(func() { client.Close(); fc.Close() })
	return fc, client, pongs
}

// readFrame reads exactly one frame's bytes with reads as large as a frame could be.
func readFrame(t *testing.T, fc *frameConn, want []byte) {
	t.Helper()
	got := make([]byte, 0, len(want))
	buf := make([]byte, 64<<10)
	for len(got) < len(want) {
		n, err := fc.Read(buf)
		if err != nil {
			t.Fatalf("read after %d of %d bytes: %v", len(got), len(want), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes %x, want the frame %x", len(got), got, want)
	}
}

func TestFrameConnHandsOutOneFrameAtATime(t *testing.T) {
	fc, client, pongs := socketPair(t)
	a, b, big := text("first"), text("second"), text(strings.Repeat("x", 3*frameBufSize))
	// Several frames in one write, a pong between them, one larger than the buffer.
	if _, err := client.Write(bytes.Join([][]byte{a, pong("p"), b, big, pong("")}, nil)); err != nil {
		t.Fatal(err)
	}
	if err := fc.WaitFrame(); err != nil {
		t.Fatal(err)
	}
	readFrame(t, fc, a) // not a byte of the pong or the second frame with it
	readFrame(t, fc, b)
	readFrame(t, fc, big)
	// Only the trailing pong is left: WaitFrame answers it and waits on, to the deadline.
	fc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if err := fc.WaitFrame(); !isTimeout(err) {
		t.Fatalf("WaitFrame with only a pong sent = %v, want a timeout", err)
	}
	if n := pongs.Load(); n != 2 {
		t.Fatalf("%d pongs answered, want 2", n)
	}
	if fc.buf != nil {
		t.Fatal("the buffer is held with nothing left to read")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestFrameConnWaitsThroughPongsAndTimesOut(t *testing.T) {
	fc, client, pongs := socketPair(t)
	client.Write(pong("a"))
	fc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	// The pong alone does not end the wait; the deadline does, as a timeout.
	if err := fc.WaitFrame(); !isTimeout(err) {
		t.Fatalf("WaitFrame = %v, want a timeout", err)
	}
	if n := pongs.Load(); n != 1 {
		t.Fatalf("%d pongs answered, want 1", n)
	}
	fc.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() { done <- fc.WaitFrame() }()
	client.Write(pong(""))
	client.Write(text("after the pongs"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	readFrame(t, fc, text("after the pongs"))
	if n := pongs.Load(); n != 2 {
		t.Fatalf("%d pongs answered, want 2", n)
	}
	client.Close()
	if err := fc.WaitFrame(); err != io.EOF {
		t.Fatalf("WaitFrame after the peer closed = %v, want EOF", err)
	}
}

func TestFrameConnFrameSplitOverWrites(t *testing.T) {
	fc, client, pongs := socketPair(t)
	frames := bytes.Join([][]byte{text("one"), pong("x"), clientFrame(0x01, []byte("frag")), clientFrame(0x80, []byte("ment")),
		clientFrame(0x89, []byte("ping")), text(strings.Repeat("y", 300))}, nil)
	go func() {
		for i := range frames { // a write per byte: header and payload arrive in pieces
			if _, err := client.Write(frames[i : i+1]); err != nil {
				return
			}
		}
	}()
	readFrame(t, fc, text("one"))
	readFrame(t, fc, clientFrame(0x01, []byte("frag")))
	readFrame(t, fc, clientFrame(0x80, []byte("ment")))
	readFrame(t, fc, clientFrame(0x89, []byte("ping"))) // pings go to the websocket library
	readFrame(t, fc, text(strings.Repeat("y", 300)))
	if n := pongs.Load(); n != 1 {
		t.Fatalf("%d pongs answered, want 1", n)
	}
}

// TestFrameConnUnderGorilla runs gorilla's server side on a frameConn the way the live reader
// does (WaitFrame, then the next message), against gorilla clients: it echoes every message.
func TestFrameConnUnderGorilla(t *testing.T) {
	var pongs atomic.Int64
	up := websocket.Upgrader{ReadBufferSize: wsReadBufferSize, WriteBufferSize: 1024}
	ended := make(chan error, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(hijackFramed{w}, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		fc, ok := ws.NetConn().(*frameConn)
		if !ok {
			ended <- errors.New("the websocket is not on a frameConn")
			return
		}
		fc.OnPong(func() { pongs.Add(1) })
		for {
			if err := fc.WaitFrame(); err != nil {
				ended <- err
				return
			}
			typ, rd, err := ws.NextReader()
			if err != nil {
				ended <- err
				return
			}
			data, err := io.ReadAll(rd)
			if err != nil {
				ended <- err
				return
			}
			if err := ws.WriteMessage(typ, data); err != nil {
				ended <- err
				return
			}
		}
	}))
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	// A client with a small write buffer sends long messages as several frames.
	d := websocket.Dialer{WriteBufferSize: 64}
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	echo := func(msg string) {
		t.Helper()
		if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != msg {
			t.Fatalf("echo of %d bytes: %d bytes, %v", len(msg), len(got), err)
		}
	}
	pinged := make(chan string, 2)
	ws.SetPongHandler(func(s string) error { pinged <- s; return nil })
	for i, msg := range []string{"", "short", strings.Repeat("a", 1000), strings.Repeat("b", 20000)} {
		echo(msg)
		// Control frames between data frames: a pong the frameConn answers, a ping that
		// gorilla answers.
		ws.WriteControl(websocket.PongMessage, []byte("p"), time.Now().Add(time.Second))
		if i%2 == 1 {
			ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
		}
	}
	echo("last") // the client reads the pong for the pings before this echo
	for range 2 {
		if got := <-pinged; got != "ping" {
			t.Fatalf("pong payload %q", got)
		}
	}
	// Several messages in one write: the client's own buffers are flushed together.
	burst := bytes.Join([][]byte{text("m1"), pong(""), text("m2"), text("m3")}, nil)
	if _, err := ws.NetConn().Write(burst); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"m1", "m2", "m3"} {
		if _, got, err := ws.ReadMessage(); err != nil || string(got) != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	if n := pongs.Load(); n != 5 {
		t.Fatalf("%d pongs answered, want 5", n)
	}
	// A close from the client ends the server's reading with the close error.
	ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	if err := <-ended; !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("server read ended with %v, want the client's close", err)
	}
	ws.Close()
}

// FuzzFrameConn writes any bytes as a client would and reads them back through a frameConn
// the way the live reader does (WaitFrame at frame boundaries, Reads as large as a frame
// could be). What comes out must be the input without the well-formed pongs at frame
// boundaries, and no Read may cross the end of a frame; a stream that ends inside a frame
// header or a pong ends the reads there. The model walks the frames by RFC 6455's header layout,
// independently of frameConn.
func FuzzFrameConn(f *testing.F) {
	f.Add(append(text("hello"), pong("p")...))
	f.Add(append(append(pong(""), text(strings.Repeat("x", 300))...), 0x81))
	f.Add(clientFrame(0x82, make([]byte, 70000)))
	f.Add([]byte{0x8a, 0xff, 0, 0, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4, 5}) // a pong claiming a long payload: not well-formed
	f.Fuzz(func(t *testing.T, in []byte) {
		// The model: frame ends, and the bytes the library should see.
		var want []byte
		var ends []int // offsets in want where a frame ends
		for b := in; len(b) > 0; {
			if len(b) < 2 {
				break // the stream ends inside a header: the library gets an error, not these bytes
			}
			hl, n := 2, int(b[1]&0x7f)
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
				break
			}
			switch n {
			case 126:
				n = int(binary.BigEndian.Uint16(b[2:]))
			case 127:
				n = int(min(binary.BigEndian.Uint64(b[2:]), uint64(len(b))))
			}
			size := min(hl+n, len(b))
			if b[0] == 0x8a && b[1]&0x80 != 0 && b[1]&0x7f <= 125 {
				if size < hl+n {
					break // the stream ends inside a pong: an error for the library either way
				}
				b = b[size:] // a whole, well-formed pong: answered, not passed on
				continue
			}
			want = append(want, b[:size]...)
			ends = append(ends, len(want))
			b = b[size:]
		}

		fc, client, _ := socketPair(t)
		go func() {
			client.Write(in)
			client.(*net.TCPConn).CloseWrite()
		}()
		fc.SetReadDeadline(time.Now().Add(5 * time.Second))
		var got []byte
		buf := make([]byte, 1<<17)
		for {
			if slices.Contains(ends, len(got)) || len(got) == 0 {
				if err := fc.WaitFrame(); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("wait after %d bytes: %v", len(got), err)
					}
					break
				}
			}
			n, err := fc.Read(buf)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("read after %d bytes: %v", len(got), err)
				}
				break
			}
			for _, e := range ends {
				if len(got) < e && len(got)+n > e {
					t.Fatalf("a read of %d bytes at %d crossed the end of a frame at %d", n, len(got), e)
				}
			}
			got = append(got, buf[:n]...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes, want %d:\n got  %x\n want %x", len(got), len(want), got, want)
		}
	})
}
