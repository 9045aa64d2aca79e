package clustertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBehindNginx runs docs/examples/nginx-three-nodes.conf, with the ports of three real
// nodes, and plays a question through it: the facilitator and the participants know only the
// proxy's address, nginx spreads them over the nodes without sticky sessions, and one node is
// killed: its participants reconnect through the proxy and resume on the others. Skipped
// where nginx is not installed.
func TestBehindNginx(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real server processes")
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Skip("nginx is not installed")
	}
	c := newCluster(t, 3, time.Second)
	conf, err := os.ReadFile("../docs/examples/nginx-three-nodes.conf")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	text := strings.NewReplacer(
		"127.0.0.1:8080", proxyAddr,
		"127.0.0.1:8081", strings.TrimPrefix(c.nodes[0].url, "http://"),
		"127.0.0.1:8082", strings.TrimPrefix(c.nodes[1].url, "http://"),
		"127.0.0.1:8083", strings.TrimPrefix(c.nodes[2].url, "http://"),
		"/tmp/paraat-nginx.pid", filepath.Join(dir, "nginx.pid"),
	).Replace(string(conf))
	confPath := filepath.Join(dir, "nginx.conf")
	os.WriteFile(confPath, []byte(text), 0o644)
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-g", "daemon off;")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGQUIT); cmd.Wait() })
	proxy := &node{url: "http://" + proxyAddr}
	for i := 0; ; i++ {
		if conn, err := net.Dial("tcp", proxyAddr); err == nil {
			conn.Close()
			break
		}
		if i == 100 {
			t.Fatalf("nginx did not start: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	f := c.login(proxy)
	var info struct{ ID, Code string }
	f.post("/api/sessions", `{"scenario":"voorbeeld"}`, &info)
	con := f.console(t, proxy, info.ID)
	var ps []*participant
	for i := range 6 {
		p := &participant{name: fmt.Sprintf("Deelnemer %d", i+1), acks: map[string]int64{}, via: proxy}
		p.join(t, proxy, info.Code)
		ps = append(ps, p)
	}
	con.command(map[string]any{"type": "start"})
	con.command(map[string]any{"type": "open", "question": "eerste-stap", "time_limit_ms": 600000})
	served := map[string]bool{}
	for _, n := range c.nodes {
		if v := n.metrics(t); v.Cluster.Owned+v.Cluster.Followed > 0 {
			served[v.Cluster.Node] = true
		}
	}
	if len(served) < 2 {
		t.Fatalf("nginx sent every client to one node: %v", served)
	}
	ids := map[*participant]string{}
	for _, p := range ps[:3] {
		ids[p] = newID()
		p.answer(t, ids[p], "eerste-stap", "afwachten")
	}
	// A node dies; whoever was on it reconnects through the proxy and resumes elsewhere.
	c.nodes[2].signal(syscall.SIGKILL)
	<-c.nodes[2].done
	for _, p := range ps[3:] {
		ids[p] = newID()
		p.answer(t, ids[p], "eerste-stap", "partners-informeren")
	}
	logged := c.answers(t, info.ID)
	for _, p := range ps {
		if logged[ids[p]] != 1 {
			t.Errorf("%s: answer %d times in the log", p.name, logged[ids[p]])
		}
	}
}
