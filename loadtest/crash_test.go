package loadtest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/loadtest"
)

// TestCrash builds the real paraat binary and, in every iteration, starts `paraat serve` on
// a fresh SQLite file, lets 60 participants answer a burst, kills the server with SIGKILL at
// a random moment of that burst, starts it again on the same file, and checks that every
// participant resumes with every answer acknowledged before the kill, that re-sending an
// acknowledged answer gives the original sequence number, and that every acknowledged answer
// is in the report exactly once. PARAAT_CRASH_ITERATIONS sets how many times (default 3).
// It runs with PARAAT_LONG_TESTS=1, as the long-run step of .ci/run does.
func TestCrash(t *testing.T) {
	if testing.Short() || os.Getenv("PARAAT_LONG_TESTS") != "1" {
		t.Skip("a long run (builds and kills real server processes): set PARAAT_LONG_TESTS=1 (CI runs it in a step of its own)")
	}
	n := 3
	if s := os.Getenv("PARAAT_CRASH_ITERATIONS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("PARAAT_CRASH_ITERATIONS=%q", s)
		}
	}
	exe := filepath.Join(t.TempDir(), "paraat")
	if out, err := exec.Command("go", "build", "-o", exe, "../cmd/paraat").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := context.Background()
	acked, inFlight := 0, 0
	for i := range n {
		proc, err := loadtest.StartProcess(ctx, exe, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var log strings.Builder
		rep, err := loadtest.Run(ctx, loadtest.Config{Target: proc.URL, User: proc.User, Password: proc.Password,
			Participants: 60, Sessions: 2, Injects: 1, Burst: true, BurstWindow: 300 * time.Millisecond,
			Reconnect: true, Crash: proc.Crash, PhaseTimeout: 30 * time.Second, Log: &log})
		proc.Close()
		if err != nil {
			t.Fatalf("iteration %d: %v\n%s", i, err, log.String())
		}
		x, rc := rep.ExactlyOnce, rep.Reconnect
		if !rep.Crashed || !x.OK || rc.Resumed != rc.Clients || rc.StateLost > 0 || rc.ResendFailed > 0 {
			var out strings.Builder
			rep.Print(&out)
			t.Fatalf("iteration %d: crashed %v, exactly once %+v, reconnect %+v\n%s\n%s", i, rep.Crashed, x, rc, out.String(), log.String())
		}
		acked += x.Acked
		inFlight += x.Unacked
	}
	t.Logf("%d crashes: %d acknowledged answers all survived; %d stored whose ack the kill cut off", n, acked, inFlight)
}
