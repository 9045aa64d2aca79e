package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/paraat-nl/paraat/loadtest/baseline"
)

// BaselineConfig is the same client workload as Config, run against the baseline server
// (package baseline): the same number of connections, rounds of the same frames a paraat
// participant receives for an inject, and a burst of answers of the same size.
type BaselineConfig struct {
	Target string // the baseline server's base URL
	// Each client connects, sends one frame and waits for its durable ack (a paraat join
	// appends a durable event too); then the rounds and bursts run as in Config.
	Participants    int
	DialConcurrency int
	Rounds          int
	Frames          []int // sizes of the frames of one round
	// Messages, if set, are the messages of one round, sent as they are (Frames is then
	// ignored), and each client decodes them as a paraat participant decodes its own.
	Messages [][]byte
	// HelloMessages, if set, follow the ack of each client's join, and a client has joined
	// once it holds and has decoded them, as a paraat participant its welcome and snapshot.
	HelloMessages [][]byte
	// Flood, if set, broadcasts FloodMessages FloodRate times a second for that long, after
	// the rounds and bursts, and counts the messages the clients receive.
	Flood         time.Duration
	FloodRate     float64
	FloodMessages [][]byte
	Burst         bool
	BurstWindow   time.Duration
	AnswerSize    int
	PhaseTimeout  time.Duration
	Log           io.Writer
}

// BaselineReport is what the baseline run measured, in the same terms as Report.
type BaselineReport struct {
	Connect ConnectReport
	Memory  MemoryReport
	// Ready: from the round command until a client holds every frame of the round.
	Ready    Dist
	NotReady int
	Ack      Dist
	Sent     int
	Acked    int
	// CPUPerAnswer is the server's CPU time per acknowledged answer during the bursts.
	CPUPerAnswer time.Duration
	// Commits are the transactions the server committed during the bursts, and Alloc the
	// heap it allocated meanwhile.
	Commits int64
	Alloc   uint64
	// FloodPerSecond is the messages the clients received per second during the flood, and
	// FloodCores the server's CPU seconds per second meanwhile.
	FloodPerSecond, FloodCores float64
}

type baseClient struct {
	ws      *websocket.Conn
	wmu     sync.Mutex
	round   atomic.Int64  // the round being counted
	got     atomic.Int64  // its frames received
	all     *atomic.Int64 // round frames received by every client
	sentAt  atomic.Int64  // when this client's answer left, unix ns
	answer  string
	readyAt chan time.Time
	ackAt   chan time.Time
	helloAt chan time.Time // it holds the last of the messages that follow its join
}

// RunBaseline runs the workload against a baseline server.
func RunBaseline(ctx context.Context, cfg BaselineConfig) (*BaselineReport, error) {
	if cfg.DialConcurrency <= 0 {
		cfg.DialConcurrency = 200
	}
	if cfg.PhaseTimeout <= 0 {
		cfg.PhaseTimeout = 60 * time.Second
	}
	if cfg.BurstWindow <= 0 {
		cfg.BurstWindow = time.Second
	}
	if len(cfg.Frames) == 0 {
		cfg.Frames = []int{1024}
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "baseline: "+format+"\n", args...)
		}
	}
	rep := &BaselineReport{}
	received := new(atomic.Int64)
	before, err := baselineMetrics(ctx, cfg.Target)
	if err != nil {
		return nil, err
	}
	if len(cfg.HelloMessages) > 0 {
		var rd baseline.Round
		for _, m := range cfg.HelloMessages {
			rd.Messages = append(rd.Messages, json.RawMessage(m))
		}
		body, _ := json.Marshal(rd)
		resp, err := http.Post(cfg.Target+"/hello", "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("baseline hello: %w", err)
		}
		resp.Body.Close()
	}
	wsURL := "ws" + strings.TrimPrefix(cfg.Target, "http") + "/ws"
	clients := make([]*baseClient, cfg.Participants)
	var lat samples
	sem := make(chan struct{}, cfg.DialConcurrency)
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for i := range clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t0 := time.Now()
			d := websocket.Dialer{HandshakeTimeout: 15 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 1024}
			ws, resp, err := d.DialContext(ctx, wsURL, nil)
			if resp != nil && resp.Body != nil {
				resp.Body.Close()
			}
			if err != nil {
				failed.Add(1)
				return
			}
			c := &baseClient{ws: ws, all: received, readyAt: make(chan time.Time, 1), ackAt: make(chan time.Time, 1),
				helloAt: make(chan time.Time, 1)}
			c.round.Store(-1)
			go c.read()
			// A paraat join is a durable event too: the baseline's join is one durable append.
			c.answer = uuid.NewString()
			c.send(AnswerSize)
			joined := c.ackAt
			if len(cfg.HelloMessages) > 0 {
				joined = c.helloAt
			}
			select {
			case <-joined:
			case <-time.After(cfg.PhaseTimeout):
				ws.Close()
				failed.Add(1)
				return
			}
			if len(cfg.HelloMessages) > 0 {
				<-c.ackAt // the join's ack came first; the bursts' acks are counted from here
			}
			clients[i] = c
			lat.add(time.Since(t0))
		}()
	}
	wg.Wait()
	rep.Connect.Elapsed = time.Since(start)
	rep.Connect.Failed = int(failed.Load())
	rep.Connect.Joined = cfg.Participants - rep.Connect.Failed
	rep.Connect.PerSecond = float64(rep.Connect.Joined) / rep.Connect.Elapsed.Seconds()
	rep.Connect.Latency = lat.dist()
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.ws.Close()
			}
		}
	}()
	live := clients[:0:0]
	for _, c := range clients {
		if c != nil {
			live = append(live, c)
		}
	}
	logf("%d connected in %s", len(live), rep.Connect.Elapsed.Round(time.Millisecond))
	if after, err := baselineMetrics(ctx, cfg.Target); err == nil && len(live) > 0 {
		rep.Memory = MemoryReport{Measured: true, RSSBefore: before.RSS, RSSAfter: after.RSS,
			RSSPerConn: float64(after.RSS-before.RSS) / float64(len(live)), GoroutinesPerConn: 2}
	}

	var ready, ack samples
	var cpu time.Duration
	rd := baseline.Round{Sizes: cfg.Frames}
	for _, m := range cfg.Messages {
		rd.Messages = append(rd.Messages, json.RawMessage(m))
	}
	body, _ := json.Marshal(rd)
	for round := range cfg.Rounds {
		for _, c := range live {
			c.got.Store(0)
			c.round.Store(int64(round + 1))
		}
		t0 := time.Now()
		resp, err := http.Post(cfg.Target+"/round", "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("baseline round: %w", err)
		}
		resp.Body.Close()
		deadline := time.After(cfg.PhaseTimeout)
		for _, c := range live {
			select {
			case t := <-c.readyAt:
				ready.add(t.Sub(t0))
			case <-deadline:
				rep.NotReady++
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if !cfg.Burst {
			continue
		}
		m0, _ := baselineMetrics(ctx, cfg.Target)
		for _, c := range live {
			c.answer = uuid.NewString()
			time.AfterFunc(rand.N(cfg.BurstWindow), func() { c.send(cfg.AnswerSize) })
		}
		rep.Sent += len(live)
		deadline = time.After(cfg.BurstWindow + cfg.PhaseTimeout)
		acked := 0
		for _, c := range live {
			select {
			case t := <-c.ackAt:
				ack.add(t.Sub(time.Unix(0, c.sentAt.Load())))
				acked++
			case <-deadline:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		rep.Acked += acked
		if m1, err := baselineMetrics(ctx, cfg.Target); err == nil && m0 != nil && acked > 0 {
			cpu += time.Duration(m1.CPUMS-m0.CPUMS) * time.Millisecond
			rep.Commits += m1.Commits - m0.Commits
			rep.Alloc += m1.TotalAlloc - m0.TotalAlloc
		}
	}
	if cfg.Flood > 0 && cfg.FloodRate > 0 && len(cfg.FloodMessages) > 0 {
		if err := baselineFlood(ctx, cfg, received, rep); err != nil {
			return nil, err
		}
	}
	rep.Ready, rep.Ack = ready.dist(), ack.dist()
	if m, err := baselineMetrics(ctx, cfg.Target); err == nil {
		rep.Memory.RSSPeak = m.RSSPeak
	}
	if rep.Acked > 0 {
		rep.CPUPerAnswer = cpu / time.Duration(rep.Acked)
	}
	return rep, nil
}

// baselineFlood broadcasts the flood's messages at its rate for its duration and measures the
// messages the clients received per second, as the paraat run's flood does.
func baselineFlood(ctx context.Context, cfg BaselineConfig, received *atomic.Int64, rep *BaselineReport) error {
	var rd baseline.Round
	for _, m := range cfg.FloodMessages {
		rd.Messages = append(rd.Messages, json.RawMessage(m))
	}
	body, _ := json.Marshal(rd)
	m0, _ := baselineMetrics(ctx, cfg.Target)
	recv0 := received.Load()
	every := time.Duration(float64(time.Second) / cfg.FloodRate)
	start := time.Now()
	for next := start; time.Since(start) < cfg.Flood; {
		resp, err := http.Post(cfg.Target+"/round", "application/json", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("baseline flood: %w", err)
		}
		resp.Body.Close()
		next = next.Add(every)
		time.Sleep(time.Until(next))
	}
	el := time.Since(start)
	time.Sleep(200 * time.Millisecond) // the last broadcasts arrive, as in the paraat run
	rep.FloodPerSecond = float64(received.Load()-recv0) / el.Seconds()
	if m1, err := baselineMetrics(ctx, cfg.Target); err == nil && m0 != nil {
		rep.FloodCores = float64(m1.CPUMS-m0.CPUMS) / 1000 / (el + 200*time.Millisecond).Seconds()
	}
	return nil
}

func (c *baseClient) send(size int) {
	head := `{"type":"answer","id":"` + c.answer + `","pad":"`
	msg := head + strings.Repeat("x", max(0, size-len(head)-2)) + `"}`
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.sentAt.Store(time.Now().UnixNano())
	c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.ws.WriteMessage(websocket.TextMessage, []byte(msg))
}

var (
	prefixRound = []byte(`{"t":"round"`)
	prefixBAck  = []byte(`{"t":"ack"`)
	prefixHello = []byte(`{"t":"hello"`)
	msgField    = []byte(`,"msg":`)
)

func (c *baseClient) read() {
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		switch {
		case bytes.HasPrefix(data, prefixRound):
			var round, i, of int
			if _, err := fmt.Sscanf(string(data[:min(len(data), 64)]), `{"t":"round","round":%d,"i":%d,"of":%d`, &round, &i, &of); err != nil {
				continue
			}
			c.all.Add(1)
			if i := bytes.Index(data, msgField); i > 0 {
				// A paraat client decodes every event, and world views while it waits for an
				// inject's (track): the same here, for a flood's rounds and an inject's.
				msg := data[i+len(msgField) : len(data)-1]
				if int64(round) == c.round.Load() || bytes.HasPrefix(msg, prefixEvent) {
					decodeAsParticipant(msg)
				}
			}
			if int64(round) == c.round.Load() && c.got.Add(1) == int64(of) {
				c.readyAt <- now
			}
		case bytes.HasPrefix(data, prefixHello):
			var i, of int
			if _, err := fmt.Sscanf(string(data[:min(len(data), 48)]), `{"t":"hello","i":%d,"of":%d`, &i, &of); err != nil {
				continue
			}
			if j := bytes.Index(data, msgField); j > 0 {
				decodeAsParticipant(data[j+len(msgField) : len(data)-1])
			}
			if i == of-1 {
				select {
				case c.helloAt <- now:
				default:
				}
			}
		case bytes.HasPrefix(data, prefixBAck):
			select {
			case c.ackAt <- now:
			default:
			}
		}
	}
}

func baselineMetrics(ctx context.Context, target string) (*baseline.Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("baseline metrics: %w", err)
	}
	defer resp.Body.Close()
	var m baseline.Metrics
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return nil, fmt.Errorf("baseline metrics: %w", err)
	}
	return &m, nil
}

// BaselineProcess is a baseline server the load tool started as a separate process (so that
// its memory and CPU are its own, as paraat's are): `exe baseline --addr A --db F`.
type BaselineProcess struct {
	URL    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartBaseline starts the baseline server from the paraat binary exe, with its SQLite file
// in dir, and waits until it answers.
func StartBaseline(ctx context.Context, exe, dir string) (*BaselineProcess, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(exe, "baseline", "--addr", addr, "--db", filepath.Join(dir, "baseline.db"))
	logf, err := os.Create(filepath.Join(dir, "baseline.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the baseline server: %w", err)
	}
	p := &BaselineProcess{URL: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("the baseline server exited at once; see %s", logf.Name())
		case <-ctx.Done():
			p.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := baselineMetrics(ctx, p.URL); err == nil {
			return p, nil
		}
	}
	p.Close()
	return nil, errors.New("the baseline server did not answer within 30s")
}

// Close stops the baseline server.
func (p *BaselineProcess) Close() error {
	terminate(p.cmd, p.exited, 10*time.Second)
	return nil
}

// AnswerSize is the size in bytes of the frames the baseline's clients send: about the size
// of a paraat answer message to a choice question (type, client UUID, question id, answer,
// ref).
const AnswerSize = 120

// Ratio is one measure of a load run next to the baseline's: Ratio is paraat / baseline for
// costs (memory, latency, CPU) and paraat / baseline for rates too (joins per second), so
// above 1 is worse for costs and better for rates.
type Ratio struct {
	Measure  string  `json:"measure"`
	Unit     string  `json:"unit"`
	Paraat   float64 `json:"paraat"`
	Baseline float64 `json:"baseline"`
	Ratio    float64 `json:"ratio"`
}

// Compare lines up a paraat run and a baseline run of the same workload.
func Compare(p *Report, b *BaselineReport) []Ratio {
	var out []Ratio
	add := func(measure, unit string, pv, bv float64) {
		if pv == 0 && bv == 0 {
			return
		}
		r := Ratio{Measure: measure, Unit: unit, Paraat: pv, Baseline: bv}
		if bv != 0 {
			r.Ratio = pv / bv
		}
		out = append(out, r)
	}
	msf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	add("joins per second", "/s", p.Connect.PerSecond, b.Connect.PerSecond)
	add("join p99", "ms", msf(p.Connect.Latency.P99), msf(b.Connect.Latency.P99))
	if p.Memory.Measured && b.Memory.Measured {
		add("memory per connection (RSS after GC)", "KiB", p.Memory.RSSPerConn/1024, b.Memory.RSSPerConn/1024)
	}
	if p.Memory.RSSPeak > 0 && b.Memory.RSSPeak > 0 {
		add("peak RSS over the run (garbage included)", "MiB", float64(p.Memory.RSSPeak)/(1<<20), float64(b.Memory.RSSPeak)/(1<<20))
	}
	add("inject ready p50 (last frame needed to act)", "ms", msf(p.Injects.Ready.P50), msf(b.Ready.P50))
	add("inject ready p99 (last frame needed to act)", "ms", msf(p.Injects.Ready.P99), msf(b.Ready.P99))
	add("answer ack p50", "ms", msf(p.Answers.Ack.P50), msf(b.Ack.P50))
	add("answer ack p99", "ms", msf(p.Answers.Ack.P99), msf(b.Ack.P99))
	if p.Answers.Acked > 0 && b.Acked > 0 {
		add("server CPU per answer", "ms", msf(p.Answers.CPU)/float64(p.Answers.Acked), msf(b.CPUPerAnswer))
	}
	if p.Flood.ReceivedPerSecond > 0 && b.FloodPerSecond > 0 {
		add("flood: messages delivered per second", "/s", p.Flood.ReceivedPerSecond, b.FloodPerSecond)
		add("flood: server CPU cores", "", p.Flood.ServerCores, b.FloodCores)
	}
	if p.Answers.Alloc > 0 && b.Alloc > 0 && p.Answers.Acked > 0 && b.Acked > 0 {
		// What the collector has to keep up with: the main source of the ack's tail.
		add("heap allocated per answer", "KiB", float64(p.Answers.Alloc)/1024/float64(p.Answers.Acked), float64(b.Alloc)/1024/float64(b.Acked))
	}
	if p.Answers.Appends > 0 && b.Commits > 0 {
		// Not a cost but the reason for some: each commit is an fsync and the pages it rewrote.
		add("answers per durable commit", "", float64(p.Answers.Stored)/float64(p.Answers.Appends), float64(b.Acked)/float64(b.Commits))
	}
	return out
}

// PrintComparison prints Compare as a table.
func PrintComparison(w io.Writer, p *Report, b *BaselineReport) {
	fmt.Fprintf(w, "\nparaat next to the baseline (same clients, same machine, one run; ratio = paraat / baseline)\n")
	fmt.Fprintf(w, "%-46s %12s %12s %8s\n", "measure", "paraat", "baseline", "ratio")
	for _, r := range Compare(p, b) {
		ratio := "—"
		if r.Baseline != 0 {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		fmt.Fprintf(w, "%-46s %9.2f %-3s %9.2f %-3s %7s\n", r.Measure, r.Paraat, r.Unit, r.Baseline, r.Unit, ratio)
	}
	if b.NotReady > 0 || b.Acked < b.Sent {
		fmt.Fprintf(w, "baseline: %d client-rounds never complete, %d of %d answers acked\n", b.NotReady, b.Acked, b.Sent)
	}
}

// RatioSpread is one measure over several runs: the medians of paraat's and the baseline's
// figures, and the median, lowest and highest of the runs' ratios.
type RatioSpread struct {
	Measure  string  `json:"measure"`
	Unit     string  `json:"unit"`
	Runs     int     `json:"runs"`
	Paraat   float64 `json:"paraat"`
	Baseline float64 `json:"baseline"`
	Ratio    float64 `json:"ratio"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
}

// Spread sums up the ratios of several runs, measure by measure, in the order the first run
// lists them. A measure missing from a run is summed up over the runs that have it.
func Spread(runs [][]Ratio) []RatioSpread {
	var order []string
	by := map[string][]Ratio{}
	for _, run := range runs {
		for _, r := range run {
			if _, ok := by[r.Measure]; !ok {
				order = append(order, r.Measure)
			}
			by[r.Measure] = append(by[r.Measure], r)
		}
	}
	out := make([]RatioSpread, 0, len(order))
	for _, m := range order {
		rs := by[m]
		var ps, bs, qs []float64
		for _, r := range rs {
			ps, bs = append(ps, r.Paraat), append(bs, r.Baseline)
			if r.Baseline != 0 {
				qs = append(qs, r.Ratio)
			}
		}
		s := RatioSpread{Measure: m, Unit: rs[0].Unit, Runs: len(rs), Paraat: median(ps), Baseline: median(bs)}
		if len(qs) > 0 {
			s.Ratio, s.Min, s.Max = median(qs), slices.Min(qs), slices.Max(qs)
		}
		out = append(out, s)
	}
	return out
}

// median is the middle value, or the mean of the two middle values of an even count.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// PrintSpread prints Spread as a table.
func PrintSpread(w io.Writer, spread []RatioSpread) {
	runs := 0
	for _, s := range spread {
		runs = max(runs, s.Runs)
	}
	fmt.Fprintf(w, "\nparaat next to the baseline, %d runs (medians; ratio = paraat / baseline, median [lowest–highest])\n", runs)
	fmt.Fprintf(w, "%-46s %12s %12s %8s %15s\n", "measure", "paraat", "baseline", "ratio", "spread")
	for _, s := range spread {
		ratio, spreadText := "—", ""
		if s.Ratio != 0 {
			ratio, spreadText = fmt.Sprintf("%.2f", s.Ratio), fmt.Sprintf("[%.2f–%.2f]", s.Min, s.Max)
		}
		fmt.Fprintf(w, "%-46s %9.2f %-3s %9.2f %-3s %7s %15s\n", s.Measure, s.Paraat, s.Unit, s.Baseline, s.Unit, ratio, spreadText)
	}
}
