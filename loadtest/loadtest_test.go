package loadtest_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/loadtest"
	"github.com/paraat-nl/paraat/scenarios"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// TestRun drives a real server (SQLite store, live layer, HTTP) with 50 participants in two
// sessions through every phase, and checks the tool's own bookkeeping: every acknowledged
// answer is in the reports exactly once, every client resumes with its answers, and a
// re-sent answer is acknowledged as a duplicate. No timing is asserted.
func TestRun(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "load.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.PutUser(ctx, server.User{Name: "anna", Hash: server.HashPassword("correct horse battery"), Admin: true}); err != nil {
		t.Fatal(err)
	}
	lib, diags := engine.Load(scenarios.FS())
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	mgr := live.New(store, lib, live.Options{})
	srv, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		mgr.Shutdown(sctx)
	}()

	var log strings.Builder
	rep, err := loadtest.Run(ctx, loadtest.Config{Target: hs.URL, User: "anna", Password: "correct horse battery",
		Participants: 50, Sessions: 2, Injects: 2, Burst: true, BurstWindow: 100 * time.Millisecond,
		Flood: 300 * time.Millisecond, FloodRate: 10, Reconnect: true, PhaseTimeout: 20 * time.Second, Log: &log})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if rep.Connect.Joined != 50 {
		t.Errorf("%d joined, want 50", rep.Connect.Joined)
	}
	if rep.Injects.Rounds != 2 || rep.Injects.Missing != 0 {
		t.Errorf("injects: %d rounds, %d missing; want 2 and 0", rep.Injects.Rounds, rep.Injects.Missing)
	}
	if rep.Injects.NotReady != 0 || rep.Injects.Ready.N != 2*50 || len(rep.Injects.Frames) < 3 {
		t.Errorf("ready: %d samples, %d never ready, frames %v; want 100, 0 and at least the inject, an open and a world view",
			rep.Injects.Ready.N, rep.Injects.NotReady, rep.Injects.Frames)
	}
	if rep.Answers.Sent != 100 || rep.Answers.Acked != 100 {
		t.Errorf("answers: %d sent, %d acked; want 100 and 100", rep.Answers.Sent, rep.Answers.Acked)
	}
	x := rep.ExactlyOnce
	if !x.OK || x.Acked != 100 || x.InReport != 100 {
		t.Errorf("exactly once: %+v", x)
	}
	rc := rep.Reconnect
	if rc.Resumed != 50 || rc.StateLost != 0 || rc.ResendOK != 50 {
		t.Errorf("reconnect: %+v", rc)
	}
	if rep.Flood.Broadcasts == 0 || rep.Flood.Received == 0 {
		t.Errorf("flood: %+v", rep.Flood)
	}
	if !rep.Memory.Measured {
		t.Error("no server metrics: /api/metrics should answer a request from this machine")
	}
	if rep.Errors != 0 {
		t.Errorf("%d errors: %v", rep.Errors, rep.ErrorMessages)
	}
}
