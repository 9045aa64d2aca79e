package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// StudyReport is the self-study memory run (Config.StudyRuns): runs started and abandoned,
// and the server's memory with none loaded, with all of them loaded and idle, and after the
// idle ones were unloaded.
type StudyReport struct {
	Round        int // from 1; a later round shows whether memory stays flat
	Runs, Failed int
	Elapsed      time.Duration
	// Memory (RSS and Go heap, after a collection) before the runs, with every run loaded
	// and idle, and once the server unloaded them.
	Before, Loaded, After *Metrics
	// SessionsLoaded is the sessions in memory at Loaded; Unloaded those freed by the end.
	SessionsLoaded, Unloaded      int64
	RSSPerSession, HeapPerSession float64 // bytes per idle session in memory
	UnloadWait                    time.Duration
}

// study runs the self-study rounds.
func (r *runner) study(ctx context.Context, rep *Report) error {
	for i := range max(r.cfg.StudyRounds, 1) {
		sr := &StudyReport{Round: i + 1, Runs: r.cfg.StudyRuns}
		rep.Study = append(rep.Study, sr)
		if err := r.studyRound(ctx, sr); err != nil {
			return err
		}
	}
	return nil
}

// studyRound starts cfg.StudyRuns self-study runs, opens each once (which loads it) and
// leaves it, then waits for the server to unload them all.
func (r *runner) studyRound(ctx context.Context, sr *StudyReport) error {
	var err error
	if sr.Before, err = r.metrics(ctx, true); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	r.logf("starting and abandoning %d self-study runs", sr.Runs)
	start := time.Now()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for range r.cfg.DialConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(sr.Runs) {
				if err := r.abandon(ctx); err != nil {
					failed.Add(1)
					r.errorf("self-study run: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	sr.Elapsed, sr.Failed = time.Since(start), int(failed.Load())
	if sr.Loaded, err = r.metrics(ctx, true); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if l := sr.Loaded.Live; l != nil {
		sr.SessionsLoaded = l.Sessions
	}
	if n := sr.SessionsLoaded - sessionsOf(sr.Before); n > 0 {
		sr.RSSPerSession = float64(sr.Loaded.RSS-sr.Before.RSS) / float64(n)
		sr.HeapPerSession = float64(int64(sr.Loaded.HeapInuse)-int64(sr.Before.HeapInuse)) / float64(n)
	}
	r.logf("%d runs in %s; %d sessions in memory, RSS %s → %s", sr.Runs-sr.Failed, sr.Elapsed.Round(time.Millisecond),
		sr.SessionsLoaded, mib(sr.Before.RSS), mib(sr.Loaded.RSS))
	waitStart := time.Now()
	for {
		m, err := r.metrics(ctx, false)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		if sessionsOf(m) <= sessionsOf(sr.Before) {
			break
		}
		if time.Since(waitStart) > r.cfg.PhaseTimeout {
			return fmt.Errorf("%d sessions still in memory after %s", sessionsOf(m), r.cfg.PhaseTimeout)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sr.UnloadWait = time.Since(waitStart)
	if sr.After, err = r.metrics(ctx, true); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if sr.After.Live != nil && sr.Before.Live != nil {
		sr.Unloaded = sr.After.Live.Unloaded - sr.Before.Live.Unloaded
	}
	r.logf("all unloaded after %s: RSS %s (before the runs %s)", sr.UnloadWait.Round(time.Second), mib(sr.After.RSS), mib(sr.Before.RSS))
	return nil
}

func sessionsOf(m *Metrics) int64 {
	if m == nil || m.Live == nil {
		return 0
	}
	return m.Live.Sessions
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// abandon starts a self-study run, opens it (the server loads it), and leaves.
func (r *runner) abandon(ctx context.Context) error {
	var st struct {
		Token string `json:"token"`
	}
	if err := r.do(ctx, "POST", "/api/study", map[string]any{"scenario": r.cfg.Scenario, "name": "Lea"}, &st); err != nil {
		return err
	}
	ws, err := r.d.dial(ctx, false)
	if err != nil {
		return err
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"type": "resume", "token": st.Token}); err != nil {
		return err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return err
		}
		if bytes.HasPrefix(data, prefixSnapshot) {
			return nil
		}
		if bytes.HasPrefix(data, prefixError) {
			return fmt.Errorf("resume refused: %s", data)
		}
	}
}
