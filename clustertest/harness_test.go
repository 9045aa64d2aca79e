package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/jackc/pgx/v5"
)

var (
	buildOnce sync.Once
	exe       string
	buildErr  error
)

// binary builds paraat once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paraat-cluster")
		if err != nil {
			buildErr = err
			return
		}
		exe = filepath.Join(dir, "paraat")
		if out, err := exec.Command("go", "build", "-o", exe, "../cmd/paraat").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return exe
}

// baseDSN is the test database: $PARAAT_TEST_POSTGRES or the local server. Without one the
// test is skipped, except under CI=true.
func baseDSN(t *testing.T) string {
	dsns := []string{os.Getenv("PARAAT_TEST_POSTGRES")}
	if dsns[0] == "" {
		dsns = []string{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://root@127.0.0.1:5432/test?sslmode=disable"}
	}
	var errs []error
	for _, dsn := range dsns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return dsn
		}
		errs = append(errs, err)
	}
	msg := fmt.Sprintf("no PostgreSQL to test against (set PARAAT_TEST_POSTGRES): %v", errors.Join(errs...))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// cluster is a schema of its own and the nodes serving it.
type cluster struct {
	t      *testing.T
	dsn    string
	schema string
	nodes  []*node
	pass   string
}

type node struct {
	url  string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan struct{}
}

func newCluster(t *testing.T, n int, ttl time.Duration) *cluster {
	t.Helper()
	bin := binary(t)
	base := baseDSN(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "paraat_cluster_" + hex.EncodeToString(b)
	execSQL(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { execSQL(t, base, "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	c := &cluster{t: t, dsn: u.String(), schema: schema, pass: "a long enough password"}
	add := exec.Command(bin, "user", "add", "--admin", "--db", c.dsn, "anna")
	add.Stdin = strings.NewReader(c.pass + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	for i := range n {
		c.nodes = append(c.nodes, c.start(fmt.Sprintf("node-%d", i+1), ttl))
	}
	return c
}

func execSQL(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (c *cluster) start(id string, ttl time.Duration) *node {
	t := c.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	n := &node{url: "http://" + addr, log: &bytes.Buffer{}, done: make(chan struct{})}
	n.cmd = exec.Command(binary(t), "serve", "--addr", addr, "--db", c.dsn, "--node-id", id, "--lease-ttl", ttl.String())
	pr, pw, _ := os.Pipe()
	n.cmd.Stdout, n.cmd.Stderr = pw, pw
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	var mu sync.Mutex
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		once := sync.Once{}
		for sc.Scan() {
			mu.Lock()
			n.log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if strings.HasPrefix(sc.Text(), "paraat: serving") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() { n.cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		n.cmd.Process.Kill()
		<-n.done
		if t.Failed() {
			mu.Lock()
			t.Logf("log of %s:\n%s", id, n.log.String())
			mu.Unlock()
		}
	})
	select {
	case <-ready:
	case <-n.done:
		t.Fatalf("%s exited: %s", id, n.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start", id)
	}
	return n
}

func (n *node) signal(s syscall.Signal) { n.cmd.Process.Signal(s) }

// facilitator logs in on a node and creates a session.
type facilitator struct {
	http *http.Client
	csrf string
	url  string
}

// console opens a facilitator's websocket on a node and watches the session.
func (f *facilitator) console(t *testing.T, n *node, session string) *wsClient {
	t.Helper()
	u, _ := url.Parse(f.url)
	h := http.Header{}
	for _, ck := range f.http.Jar.Cookies(u) {
		h.Add("Cookie", ck.String())
	}
	c := dial(t, n, h)
	c.send(map[string]any{"type": "watch", "session": session})
	if w := c.next(10*time.Second, func(m msg) bool { return m.Type == "welcome" || m.Type == "error" }); w.Type != "welcome" {
		t.Fatalf("watch: %s %s", w.Code, w.Message)
	}
	return c
}

// command sends a facilitator's command and waits for its ack.
func (c *wsClient) command(m map[string]any) msg {
	c.t.Helper()
	ref := newID()
	m["ref"] = ref
	c.send(m)
	r := c.next(20*time.Second, isReply(ref))
	if r.Type != "ack" {
		c.t.Fatalf("%v: %s %s", m, r.Code, r.Message)
	}
	return r
}

// sessionInfo is a created session as the tests use it.
type sessionInfo struct{ ID, Code string }

// newClusterSession starts n nodes with a one-second lease, logs the facilitator in on the
// first, and creates a session of the example there; it skips under -short.
func newClusterSession(t *testing.T, n int) (*cluster, *facilitator, sessionInfo) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real server processes")
	}
	c := newCluster(t, n, time.Second)
	f := c.login(c.nodes[0])
	var info sessionInfo
	f.post("/api/sessions", `{"scenario":"voorbeeld"}`, &info)
	return c, f, info
}

func (c *cluster) login(n *node) *facilitator {
	jar, _ := cookiejar.New(nil)
	f := &facilitator{http: &http.Client{Jar: jar, Timeout: 10 * time.Second}, url: n.url}
	var me struct{ CSRF string }
	f.post("/api/login", `{"name":"anna","password":"`+c.pass+`"}`, &me)
	f.csrf = me.CSRF
	return f
}

func (f *facilitator) post(path, body string, into any) {
	req, _ := http.NewRequest("POST", f.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if f.csrf != "" {
		req.Header.Set("X-CSRF-Token", f.csrf)
	}
	res, err := f.http.Do(req)
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		panic(fmt.Sprintf("POST %s: %s", path, res.Status))
	}
	if into != nil {
		json.NewDecoder(res.Body).Decode(into)
	}
}

// msg is a server message, decoded loosely.
type msg struct {
	Type        string          `json:"type"`
	Seq         int64           `json:"seq"`
	Ref         string          `json:"ref"`
	Kind        string          `json:"kind"`
	Code        string          `json:"code"`
	Message     string          `json:"message"`
	Token       string          `json:"token"`
	Participant string          `json:"participant"`
	ID          string          `json:"id"`
	Duplicate   bool            `json:"duplicate"`
	Question    string          `json:"question"`
	Sent        *time.Time      `json:"sent"`
	Time        time.Time       `json:"time"`
	Raw         json.RawMessage `json:"-"`
}

// wsClient is a real websocket client; every message it gets goes to in, and closed gets the
// close code.
type wsClient struct {
	t      *testing.T
	ws     *websocket.Conn
	in     chan msg
	closed chan int
	token  string
	wmu    sync.Mutex
}

func dial(t *testing.T, n *node, header http.Header) *wsClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n.url, "http")+"/api/ws", header)
	if err != nil {
		t.Fatal(err)
	}
	c := &wsClient{t: t, ws: ws, in: make(chan msg, 4096), closed: make(chan int, 1)}
	go func() {
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				code := 0
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					code = ce.Code
				}
				c.closed <- code
				close(c.in)
				return
			}
			var m msg
			json.Unmarshal(data, &m)
			m.Raw = data
			c.in <- m
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *wsClient) send(v any) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.ws.WriteJSON(v); err != nil {
		c.t.Logf("send: %v", err)
	}
}

// next returns the next message that satisfies ok; the test fails after wait.
func (c *wsClient) next(wait time.Duration, ok func(msg) bool) msg {
	c.t.Helper()
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case m, open := <-c.in:
			if !open {
				c.t.Fatalf("connection closed while waiting (%d)", <-c.closed)
			}
			if ok(m) {
				return m
			}
		case <-t.C:
			c.t.Fatalf("no such message within %s", wait)
		}
	}
}

func isType(typ string) func(msg) bool { return func(m msg) bool { return m.Type == typ } }

func isReply(ref string) func(msg) bool {
	return func(m msg) bool { return (m.Type == "ack" || m.Type == "error") && m.Ref == ref }
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// metrics reads a node's /api/metrics cluster part.
type clusterView struct {
	Cluster struct {
		Node      string `json:"node"`
		Owned     int    `json:"owned"`
		Followed  int    `json:"followed"`
		Notify    bool   `json:"notify"`
		StepDowns int64  `json:"step_downs"`
		Takeovers int64  `json:"takeovers"`
		Nodes     []struct {
			ID string `json:"id"`
		} `json:"nodes"`
		Leases []struct {
			Session string `json:"session"`
			Node    string `json:"node"`
			Epoch   int64  `json:"epoch"`
		} `json:"leases"`
	} `json:"cluster"`
}

func (n *node) metrics(t *testing.T) clusterView {
	t.Helper()
	res, err := http.Get(n.url + "/api/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var v clusterView
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// answers returns, from the log itself, how many times each answer id is there.
func (c *cluster) answers(t *testing.T, session string) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT convert_from(data, 'UTF8')::jsonb ->> 'id' FROM events WHERE session = $1 AND type = 'answer'`, session)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, id := range ids {
		out[id]++
	}
	return out
}

// seqs returns the sequence numbers of the session's log.
func (c *cluster) seqs(t *testing.T, session string) []int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT seq FROM events WHERE session = $1 ORDER BY seq`, session)
	s, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return s
}
