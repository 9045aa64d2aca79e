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
	"github.com/paraat-nl/paraat/server/faultstore"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
)

// TestRun drives a real server (SQLite store, live layer, HTTP) with 50 participants in two
// sessions through every phase, and checks the tool's own bookkeeping: every acknowledged
// answer is in the reports exactly once, every client resumes with its answers, and a
// re-sent answer is acknowledged as a duplicate. No timing is asserted.
func TestRun(t *testing.T) {
	ctx := context.Background()
	url, _ := testServer(t, func(s server.Store) server.Store { return s }, live.Options{})
	var log strings.Builder
	rep, err := loadtest.Run(ctx, loadtest.Config{Target: url, User: "anna", Password: "correct horse battery",
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

// testServer runs a real server (SQLite store, live layer, HTTP) with an admin anna until the
// test ends; wrap may wrap its store.
func testServer(t *testing.T, wrap func(server.Store) server.Store, opts live.Options) (string, *live.Manager) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "load.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.PutUser(ctx, server.User{Name: "anna", Hash: server.HashPassword("correct horse battery"), Admin: true}); err != nil {
		t.Fatal(err)
	}
	store := wrap(db)
	lib, diags := engine.Load(scenarios.FS())
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	mgr := live.New(store, lib, opts)
	srv, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: fstest.MapFS{}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		mgr.Shutdown(sctx)
		hs.Close()
	})
	return hs.URL, mgr
}

// TestRunStoreFaults runs a room against a store that fails a fifth of its appends, half of
// them after committing: every acknowledged answer is in the log exactly once, and the live
// state of the session equals the replay of its log.
func TestRunStoreFaults(t *testing.T) {
	var fs *faultstore.Store
	url, _ := testServer(t, func(s server.Store) server.Store { fs = faultstore.Wrap(s, 0.2, 3); return fs }, live.Options{})
	var log strings.Builder
	rep, err := loadtest.Run(context.Background(), loadtest.Config{Target: url, User: "anna", Password: "correct horse battery",
		Participants: 40, Injects: 3, Burst: true, BurstWindow: 100 * time.Millisecond, StoreFaults: 0.2,
		PhaseTimeout: 30 * time.Second, Log: &log})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	x := rep.ExactlyOnce
	if !x.OK || x.Acked != 120 || x.Compared != 1 || x.LiveDiffers != 0 {
		t.Errorf("exactly once: %+v", x)
	}
	if _, before, after := fs.Counts(); before == 0 && after == 0 {
		t.Error("no append failed")
	}
	if rep.Errors != 0 {
		t.Errorf("%d errors: %v", rep.Errors, rep.ErrorMessages)
	}
}

// TestStudyRuns starts and abandons self-study runs and waits until the server has unloaded
// them all.
func TestStudyRuns(t *testing.T) {
	url, mgr := testServer(t, func(s server.Store) server.Store { return s }, live.Options{IdleTimeout: 100 * time.Millisecond})
	rep, err := loadtest.Run(context.Background(), loadtest.Config{Target: url, User: "anna", Password: "correct horse battery",
		StudyRuns: 30, StudyRounds: 2, DialConcurrency: 5, PhaseTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Study) != 2 {
		t.Fatalf("%d rounds reported", len(rep.Study))
	}
	for _, s := range rep.Study {
		if s.Failed != 0 || s.Unloaded != 30 || s.After == nil || s.After.Live.Sessions != 0 {
			t.Errorf("round %d: %d failed, %d unloaded, after %+v", s.Round, s.Failed, s.Unloaded, s.After)
		}
	}
	if st := mgr.Stats(); st.Sessions != 0 || st.Unloaded != 60 {
		t.Errorf("server: %d sessions in memory, %d unloaded; want 0 and 60", st.Sessions, st.Unloaded)
	}
}
