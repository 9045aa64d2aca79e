package loadtest_test

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/paraat-nl/paraat/loadtest"
	"github.com/paraat-nl/paraat/loadtest/baseline"
)

// TestBaseline runs the baseline workload against a real baseline server (websocket, SQLite
// with paraat's settings) and checks its bookkeeping: every client joined with a durable
// frame, held every frame of every round, and had its answer acknowledged, and the file holds
// exactly the acknowledged frames. Rounds are given as frame sizes, or as the messages a
// paraat participant received. It asserts no timing.
func TestBaseline(t *testing.T) {
	t.Parallel()
	t.Run("sizes", func(t *testing.T) {
		t.Parallel()
		testBaseline(t, loadtest.BaselineConfig{Frames: []int{300, 2500, 120, 120}})
	})
	t.Run("messages", func(t *testing.T) {
		t.Parallel()
		testBaseline(t, loadtest.BaselineConfig{Messages: [][]byte{
			[]byte(`{"type":"event","seq":7,"kind":"inject","inject":"i1"}`),
			[]byte(`{"type":"event","seq":8,"kind":"open","question":"q1"}`),
			[]byte(`{"type":"world","seq":8,"world":{"id":"main","inject":{"id":"i1"},"questions":[{"id":"q1","state":"open"}]}}`),
		}, HelloMessages: [][]byte{
			[]byte(`{"type":"welcome","seq":1,"v":2,"participant":"p-1","token":"s.t"}`),
			[]byte(`{"type":"snapshot","seq":1,"session":{"phase":"lobby"}}`),
		}, Flood: 300 * time.Millisecond, FloodRate: 20, FloodMessages: [][]byte{
			[]byte(`{"type":"event","seq":9,"kind":"paused"}`),
			[]byte(`{"type":"world","seq":9,"world":{"id":"main"}}`),
		}})
	})
}

func testBaseline(t *testing.T, cfg loadtest.BaselineConfig) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baseline.db")
	srv, err := baseline.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close()

	const clients, rounds = 40, 3
	cfg.Target, cfg.Participants, cfg.Rounds = ts.URL, clients, rounds
	cfg.Burst, cfg.BurstWindow, cfg.AnswerSize, cfg.PhaseTimeout = true, 50*time.Millisecond, loadtest.AnswerSize, 30*time.Second
	rep, err := loadtest.RunBaseline(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Connect.Joined != clients || rep.Connect.Failed != 0 {
		t.Errorf("joined %d, failed %d; want %d, 0", rep.Connect.Joined, rep.Connect.Failed, clients)
	}
	if rep.NotReady != 0 || rep.Ready.N != clients*rounds {
		t.Errorf("ready samples %d, not ready %d; want %d, 0", rep.Ready.N, rep.NotReady, clients*rounds)
	}
	if rep.Sent != clients*rounds || rep.Acked != rep.Sent || rep.Ack.N != rep.Sent {
		t.Errorf("sent %d, acked %d, ack samples %d; want %d each", rep.Sent, rep.Acked, rep.Ack.N, clients*rounds)
	}
	if !rep.Memory.Measured {
		t.Error("memory was not measured")
	}
	if cfg.Flood > 0 && rep.FloodPerSecond <= 0 {
		t.Error("the flood delivered nothing")
	}
	srv.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM answers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := clients + clients*rounds; n != want {
		t.Errorf("%d frames stored, want %d (joins and answers)", n, want)
	}
	// The ratios line up the same measures; a run without a paraat side has nothing to divide.
	if got := loadtest.Compare(&loadtest.Report{}, rep); len(got) == 0 {
		t.Error("Compare found no measure of the baseline run")
	}
}

// TestSpread sums up runs: medians of odd and even counts, the spread of the ratios, a measure
// missing from a run, and a baseline of zero (no ratio).
func TestSpread(t *testing.T) {
	r := func(m string, p, b float64) loadtest.Ratio {
		q := 0.0
		if b != 0 {
			q = p / b
		}
		return loadtest.Ratio{Measure: m, Unit: "ms", Paraat: p, Baseline: b, Ratio: q}
	}
	got := loadtest.Spread([][]loadtest.Ratio{
		{r("ack", 2, 1), r("inject", 10, 10), r("cpu", 1, 0)},
		{r("ack", 6, 2), r("inject", 30, 10)},
		{r("ack", 4, 1), r("inject", 20, 10)},
		{r("ack", 9, 1)},
	})
	want := []loadtest.RatioSpread{
		{Measure: "ack", Unit: "ms", Runs: 4, Paraat: 5, Baseline: 1, Ratio: 3.5, Min: 2, Max: 9},
		{Measure: "inject", Unit: "ms", Runs: 3, Paraat: 20, Baseline: 10, Ratio: 2, Min: 1, Max: 3},
		{Measure: "cpu", Unit: "ms", Runs: 1, Paraat: 1, Baseline: 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Spread:\n got  %+v\n want %+v", got, want)
	}
}
