// Package baseline is the yardstick for paraat's load figures: the smallest server that does
// the same work a live session does for a participant, built the plain way, so that every
// load run can print paraat's figure next to the baseline's and their ratio.
//
// The server has two jobs. As a broadcast server it holds websocket connections (one reader
// and one writer goroutine each, as in gorilla/websocket's chat example) and, on a round,
// sends every connection the same frames, each encoded once. As a durable-ack server it takes
// each client frame, appends it to a SQLite file with paraat's store settings (WAL,
// synchronous=FULL, one writer committing everything queued in one transaction) and
// acknowledges it only after the commit. It keeps no sessions, worlds, scores or views: what
// paraat costs beyond it is what those cost.
package baseline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
	_ "modernc.org/sqlite" // the same pure-Go driver as paraat's store
)

// queueLen is a connection's send queue, as in paraat (a full queue drops the client).
const queueLen = 64

// Server is the baseline server. Create it with Open; it is an http.Handler.
type Server struct {
	db       *sql.DB
	insert   *sql.Stmt
	appends  chan appendReq
	stop     chan struct{}
	done     chan struct{}
	upgrader websocket.Upgrader

	mu    sync.Mutex
	conns map[*conn]struct{}

	closeOnce sync.Once
	closeErr  error

	round     atomic.Int64
	hello     atomic.Pointer[[]*websocket.PreparedMessage]
	dropped   atomic.Int64
	committed atomic.Int64
	commits   atomic.Int64
}

type appendReq struct {
	id   string
	body []byte
	c    *conn
}

type conn struct {
	ws   *websocket.Conn
	send chan *websocket.PreparedMessage
	done chan struct{} // closed when the connection is to go: the writer stops
	once sync.Once
	// greeted: its first frame (its join) was acknowledged; only the committer touches it.
	greeted bool
}

func (c *conn) close() { c.once.Do(func() { close(c.done) }) }

// Open creates the SQLite file at path (paraat's settings) and starts the committer.
func Open(ctx context.Context, path string) (*Server, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=5000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS answers (seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	ins, err := db.PrepareContext(ctx, `INSERT INTO answers (client_id, body) VALUES (?, ?) ON CONFLICT (client_id) DO NOTHING`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	s := &Server{db: db, insert: ins, appends: make(chan appendReq, 4096), stop: make(chan struct{}), done: make(chan struct{}),
		conns: map[*conn]struct{}{}, upgrader: websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{}, CheckOrigin: func(*http.Request) bool { return true }}}
	go s.commit()
	return s, nil
}

// Close stops the committer, closes every connection and the database. Safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		s.mu.Lock()
		for c := range s.conns {
			c.ws.Close()
		}
		s.mu.Unlock()
		s.closeErr = errors.Join(s.insert.Close(), s.db.Close())
	})
	return s.closeErr
}

// commit is the one writer: it takes every append queued, commits them in one transaction and
// only then acknowledges each (group commit, as paraat's store does).
func (s *Server) commit() {
	defer close(s.done)
	for {
		var batch []appendReq
		select {
		case a := <-s.appends:
			batch = append(batch, a)
		case <-s.stop:
			return
		}
	more:
		for len(batch) < 512 {
			select {
			case a := <-s.appends:
				batch = append(batch, a)
			default:
				break more
			}
		}
		err := s.write(batch)
		for _, a := range batch {
			if err != nil {
				s.queue(a.c, frame(`{"t":"error","id":`+strconv.Quote(a.id)+`}`))
				continue
			}
			s.queue(a.c, frame(`{"t":"ack","id":`+strconv.Quote(a.id)+`}`))
			if !a.c.greeted { // the connection's first frame is its join
				a.c.greeted = true
				if hello := s.hello.Load(); hello != nil {
					for _, f := range *hello {
						s.queue(a.c, f)
					}
				}
			}
		}
		if err == nil {
			s.committed.Add(int64(len(batch)))
			s.commits.Add(1)
		}
	}
}

func (s *Server) write(batch []appendReq) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	st := tx.Stmt(s.insert)
	for _, a := range batch {
		if _, err := st.Exec(a.id, a.body); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func frame(s string) *websocket.PreparedMessage {
	pm, _ := websocket.NewPreparedMessage(websocket.TextMessage, []byte(s))
	return pm
}

// queue hands a frame to a connection's writer; a full queue drops the connection, as paraat
// drops a slow consumer.
func (s *Server) queue(c *conn, pm *websocket.PreparedMessage) {
	select {
	case c.send <- pm:
	case <-c.done:
	default:
		s.dropped.Add(1)
		c.close()
	}
}

// ServeHTTP serves /ws (the websocket), POST /round (broadcast a round of frames to every
// connection) and GET /metrics (memory after a collection, like paraat's ?gc=1).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ws":
		s.serveWS(w, r)
	case "/round":
		s.serveRound(w, r)
	case "/hello":
		s.serveHello(w, r)
	case "/metrics":
		debug.FreeOSMemory()
		json.NewEncoder(w).Encode(Metrics{RSS: procStatus("VmRSS:"), RSSPeak: procStatus("VmHWM:"), Conns: s.count(), Committed: s.committed.Load(), Commits: s.commits.Load(),
			Dropped: s.dropped.Load(), CPUMS: cpuMS(), TotalAlloc: totalAlloc()})
	default:
		http.NotFound(w, r)
	}
}

// Metrics is the baseline server's /metrics answer.
type Metrics struct {
	RSS     int64 `json:"rss_bytes"`
	RSSPeak int64 `json:"rss_peak_bytes"`
	// TotalAlloc is the heap allocated since the start, freed or not: what the collector
	// has to keep up with.
	TotalAlloc uint64 `json:"total_alloc_bytes"`
	Conns      int    `json:"conns"`
	Committed  int64  `json:"committed"`
	Commits    int64  `json:"commits"` // transactions: Committed / Commits frames per fsync
	Dropped    int64  `json:"dropped"`
	CPUMS      int64  `json:"cpu_ms"`
}

func (s *Server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Round is the body of POST /round: the messages to send, in order, or only their sizes. The
// load tool passes what a paraat participant receives for an inject, so both servers move the
// same bytes in the same number of frames, and the clients decode the same JSON.
type Round struct {
	Sizes    []int             `json:"sizes,omitempty"`
	Messages []json.RawMessage `json:"messages,omitempty"`
}

// serveHello takes POST /hello, {"messages": [...]}: what a connection is sent after the ack
// of its first frame, as a paraat participant is sent a welcome and a snapshot once its join
// is durable. Each goes out as {"t":"hello","i":i,"of":n,"msg":message}.
func (s *Server) serveHello(w http.ResponseWriter, r *http.Request) {
	var rd Round
	if r.Method != http.MethodPost || json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&rd) != nil || len(rd.Messages) > 16 {
		http.Error(w, "POST {\"messages\": [{...}, ...]}, at most 16", http.StatusBadRequest)
		return
	}
	frames := make([]*websocket.PreparedMessage, len(rd.Messages))
	for i, m := range rd.Messages {
		frames[i] = frame(fmt.Sprintf(`{"t":"hello","i":%d,"of":%d,"msg":%s}`, i, len(rd.Messages), m))
	}
	s.hello.Store(&frames)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveRound(w http.ResponseWriter, r *http.Request) {
	var rd Round
	if r.Method != http.MethodPost || json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&rd) != nil ||
		len(rd.Sizes)+len(rd.Messages) == 0 || len(rd.Sizes) > 16 || len(rd.Messages) > 16 {
		http.Error(w, "POST {\"messages\": [{...}, ...]} or {\"sizes\": [n, ...]}, 1 to 16 of them", http.StatusBadRequest)
		return
	}
	n := s.round.Add(1)
	var frames []*websocket.PreparedMessage
	if len(rd.Messages) > 0 {
		for i, m := range rd.Messages {
			frames = append(frames, frame(fmt.Sprintf(`{"t":"round","round":%d,"i":%d,"of":%d,"msg":%s}`, n, i, len(rd.Messages), m)))
		}
	} else {
		for i, size := range rd.Sizes {
			head := fmt.Sprintf(`{"t":"round","round":%d,"i":%d,"of":%d,"pad":"`, n, i, len(rd.Sizes))
			pad := max(0, min(size, 1<<16)-len(head)-2)
			frames = append(frames, frame(head+strings.Repeat("x", pad)+`"}`))
		}
	}
	s.mu.Lock()
	for c := range s.conns {
		for _, f := range frames {
			s.queue(c, f)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(16 << 10)
	c := &conn{ws: ws, send: make(chan *websocket.PreparedMessage, queueLen), done: make(chan struct{})}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	go s.writer(c)
	go s.reader(c) // a fresh goroutine: the handler's stack grew while serving HTTP
}

func (s *Server) reader(c *conn) {
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.close()
		c.ws.Close()
	}()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var m struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &m) != nil || m.ID == "" {
			s.queue(c, frame(`{"t":"error"}`))
			continue
		}
		select {
		case s.appends <- appendReq{id: m.ID, body: data, c: c}:
		case <-s.stop:
			return
		}
	}
}

func (s *Server) writer(c *conn) {
	defer c.ws.Close()
	for {
		select {
		case pm := <-c.send:
			c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if c.ws.WritePreparedMessage(pm) != nil {
				c.close()
				return
			}
		case <-c.done:
			return
		}
	}
}

// procStatus reads a size in kB from /proc/self/status, such as VmRSS:; 0 where there is no
// /proc.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

func cpuMS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return (ru.Utime.Nano() + ru.Stime.Nano()) / 1e6
}
