package loadtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Process is a `paraat serve` the load tool started, as a separate process so that its CPU
// and memory are its own, on a fresh SQLite file with an admin account for the run.
type Process struct {
	// URL is the server's base URL; User and Password its admin account.
	URL, User, Password string

	exe, db, addr string
	args          []string // more flags for serve
	log           *os.File
	cmd           *exec.Cmd
	exited        chan struct{}
}

// StartProcess creates the database and account in dir with `exe user add` and starts
// `exe serve` on a free loopback port, with args as more flags. exe is a paraat binary (the
// running one, usually).
func StartProcess(ctx context.Context, exe, dir string, args ...string) (*Process, error) {
	b := make([]byte, 12)
	rand.Read(b)
	p := &Process{exe: exe, db: filepath.Join(dir, "load.db"), User: "load", Password: hex.EncodeToString(b), args: args}
	add := exec.CommandContext(ctx, exe, "user", "add", "--admin", "--db", p.db, p.User)
	add.Stdin = bytes.NewBufferString(p.Password + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("paraat user add: %v: %s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	ln.Close()
	p.URL = "http://" + p.addr
	if p.log, err = os.Create(filepath.Join(dir, "serve.log")); err != nil {
		return nil, err
	}
	if err := p.start(ctx); err != nil {
		p.log.Close()
		return nil, err
	}
	return p, nil
}

func (p *Process) start(ctx context.Context) error {
	// The load comes from a few loopback addresses: the caps per address, meant for the
	// clients of a real room, are lifted to the overall cap.
	cmd := exec.Command(p.exe, append([]string{"serve", "--addr", p.addr, "--db", p.db,
		"--max-conns-per-address", "100000", "--max-conns", "100000", "--study-per-minute", "100000"}, p.args...)...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting paraat serve: %w", err)
	}
	p.cmd = cmd
	p.exited = make(chan struct{})
	go func() { cmd.Wait(); close(p.exited) }()
	// Ready when it answers HTTP.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("paraat serve exited at once; see %s", p.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := http.Get(p.URL + "/api/scenarios")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return errors.New("paraat serve did not answer within 30s")
}

// Stop stops the server as an operator would (SIGTERM: connections are closed with 1001)
// and waits for it to exit.
func (p *Process) Stop() error {
	if p.cmd == nil {
		return nil
	}
	terminate(p.cmd, p.exited, 20*time.Second)
	p.cmd = nil
	return nil
}

// Restart stops the server and starts it again on the same address and database: the new
// process replays every live session from the log.
func (p *Process) Restart(ctx context.Context) error {
	p.Stop()
	return p.start(ctx)
}

// Crash kills the server with SIGKILL, as a power cut or the OOM killer would, and starts
// it again on the same address and database.
func (p *Process) Crash(ctx context.Context) error {
	if p.cmd != nil {
		p.cmd.Process.Kill()
		<-p.exited
		p.cmd = nil
	}
	return p.start(ctx)
}

// Kill kills the server with SIGKILL and leaves it dead (a node lost for good).
func (p *Process) Kill() {
	if p.cmd != nil {
		p.cmd.Process.Kill()
		<-p.exited
		p.cmd = nil
	}
}

// StartNodes starts n `exe serve` processes on one PostgreSQL database (dsn), each a node of
// its own (--node-id load-1 ...), with an admin account for the run made on the database
// first. The first node's URL, user and password are the run's target.
func StartNodes(ctx context.Context, exe, dir, dsn string, n int, args ...string) ([]*Process, error) {
	b := make([]byte, 12)
	rand.Read(b)
	user, pass := "load", hex.EncodeToString(b)
	add := exec.CommandContext(ctx, exe, "user", "add", "--admin", "--db", dsn, user)
	add.Stdin = bytes.NewBufferString(pass + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("paraat user add: %v: %s", err, out)
	}
	var procs []*Process
	for i := range n {
		p := &Process{exe: exe, db: dsn, User: user, Password: pass,
			args: append([]string{"--node-id", fmt.Sprintf("load-%d", i+1)}, args...)}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return procs, err
		}
		p.addr = ln.Addr().String()
		ln.Close()
		p.URL = "http://" + p.addr
		if p.log, err = os.Create(filepath.Join(dir, fmt.Sprintf("serve-%d.log", i+1))); err != nil {
			return procs, err
		}
		if err := p.start(ctx); err != nil {
			p.log.Close()
			return procs, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// Close stops the server and closes its log.
func (p *Process) Close() error {
	err := p.Stop()
	p.log.Close()
	return err
}

// terminate asks a server process to stop (SIGTERM) and kills it if it has not exited within
// grace; exited is closed once it has.
func terminate(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		cmd.Process.Kill()
		<-exited
	}
}
