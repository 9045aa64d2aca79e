package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/paraat-nl/paraat/loadtest"
	"github.com/paraat-nl/paraat/server"
)

const loadUsage = `usage: paraat load [flags]

Drives a paraat server with real websocket clients and prints what it measured. Without
--target it starts 'paraat serve' itself, as a separate process on a temporary database with
an admin account, and stops it afterwards. Examples (docs/BENCHMARKS.md has the measured runs):

  paraat load --participants 10000 --sessions 10 --hold 5s          # connections and memory
  paraat load --participants 5000 --injects 5                        # inject fan-out
  paraat load --participants 5000 --injects 3 --burst                # answer bursts
  paraat load --participants 2000 --sessions 4 --flood 10s --flood-rate 20   # throughput
  paraat load --participants 5000 --injects 1 --burst --reconnect --restart  # mass reconnect
  paraat load --participants 500 --injects 4 --burst --store-faults 0.1     # failing store
  paraat load --study-runs 10000 --idle-timeout 20s                          # idle memory
  paraat load --participants 5000 --injects 3 --burst --baseline     # paraat next to the baseline
  paraat load --participants 3000 --injects 1 --burst --nodes 3 --db postgres://127.0.0.1/test
  paraat load --participants 600 --injects 1 --burst --nodes 3 --db postgres://127.0.0.1/test --kill-node

--nodes starts that many nodes on the PostgreSQL database --db and spreads the connections over
them; --kill-node then kills one (SIGKILL, not restarted) in the middle of the first answer
burst: its participants reconnect to the others, and the run reports acknowledged answers lost
or doubled (must be 0) and how long everyone took to resume. --target takes several URLs,
comma-separated, for nodes already running.

--baseline then runs the same clients against the baseline server ('paraat baseline': plain
websocket broadcast and SQLite group-commit acks, as a separate process) and prints paraat's
figure, the baseline's and their ratio for each measure. With --runs N the whole run, fresh
servers included, is made N times and each measure is printed as the median of its ratios and
their lowest and highest:

  paraat load --participants 3000 --injects 3 --burst --baseline --runs 5
`

func runLoad(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("load", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, loadUsage+"\nflags:\n"); fl.PrintDefaults() }
	var cfg loadtest.Config
	targets := fl.String("target", "", "base URL of a running server, or several nodes' comma-separated (default: start one)")
	nodes := fl.Int("nodes", 0, "start this many nodes on the PostgreSQL database --db (default: one server on SQLite)")
	dbURL := fl.String("db", "", "with --nodes: the PostgreSQL URL the nodes share (its own schema: add ?search_path=...)")
	killNode := fl.Bool("kill-node", false, "with --nodes and --burst --reconnect: SIGKILL the last node in the middle of the first burst and leave it dead")
	fl.StringVar(&cfg.User, "user", env("PARAAT_LOAD_USER"), "facilitator account on --target ($PARAAT_LOAD_USER)")
	pwFile := fl.String("password-file", "", "file with the facilitator's password (default: $PARAAT_LOAD_PASSWORD)")
	fl.StringVar(&cfg.Scenario, "scenario", "quiz-welk-document", "scenario or quiz played in every session")
	fl.IntVar(&cfg.Participants, "participants", 1000, "participants to connect")
	fl.IntVar(&cfg.Sessions, "sessions", 1, "sessions to spread them over")
	fl.IntVar(&cfg.DialConcurrency, "dial-concurrency", 200, "connections being opened at once")
	fl.IntVar(&cfg.Sources, "sources", 1, "loopback source addresses to dial from (127.0.0.1 ...), for more ephemeral ports")
	fl.IntVar(&cfg.Injects, "injects", 0, "injects to play, each with its questions opened")
	fl.BoolVar(&cfg.Burst, "burst", false, "every participant answers each inject within --burst-window")
	fl.DurationVar(&cfg.BurstWindow, "burst-window", time.Second, "the time a burst of answers is spread over")
	fl.DurationVar(&cfg.Flood, "flood", 0, "broadcast pause/resume in every session for this long")
	fl.Float64Var(&cfg.FloodRate, "flood-rate", 10, "broadcasts per second per session during --flood")
	fl.BoolVar(&cfg.Reconnect, "reconnect", false, "drop every connection at the end and have all participants resume")
	restart := fl.Bool("restart", false, "with --reconnect: restart the server instead (only for a server the tool started)")
	crash := fl.Bool("crash", false, "with --burst --reconnect: SIGKILL the server at a random moment of the first burst and start it again (only for a server the tool started)")
	fl.Float64Var(&cfg.StoreFaults, "store-faults", 0, "make this fraction of the server's log appends fail at random (only for a server the tool starts); clients send again what is refused as unavailable, and the final check compares live state with the replayed log")
	fl.IntVar(&cfg.StudyRuns, "study-runs", 0, "instead of a room: start this many self-study runs, open each once, leave it, and measure memory until the server unloads them")
	fl.IntVar(&cfg.StudyRounds, "study-rounds", 1, "with --study-runs: repeat them this many times on the same server")
	idle := fl.Duration("idle-timeout", 0, "the --idle-timeout of a server the tool starts (default: serve's)")
	fl.DurationVar(&cfg.Hold, "hold", 0, "keep the participants connected this long after joining")
	fl.DurationVar(&cfg.PhaseTimeout, "timeout", 60*time.Second, "how long to wait for the clients in each phase")
	pprofDir := fl.String("pprof", "", "with a server the tool starts: write its CPU, heap and goroutine profiles to this folder")
	withBaseline := fl.Bool("baseline", false, "also run the same workload against the baseline server and print the ratios")
	runs := fl.Int("runs", 1, "with --baseline: make the whole run this many times, each on fresh servers, and print the median and spread of every ratio")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	quiet := fl.Bool("q", false, "no progress lines")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 {
		fl.Usage()
		return 2
	}
	if !*quiet {
		cfg.Log = stderr
	}
	if *runs > 1 {
		if !*withBaseline {
			fmt.Fprintln(stderr, "paraat load: --runs needs --baseline")
			return 2
		}
		return repeatLoad(ctx, *runs, args, *asJSON, stdout, stderr)
	}
	if err := raiseFileLimit(uint64(cfg.Participants + 1024)); err != nil {
		fmt.Fprintf(stderr, "paraat load: %v\n", err)
		return 1
	}
	for i, t := range strings.Split(*targets, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		} else if i == 0 {
			cfg.Target = t
		} else {
			cfg.Nodes = append(cfg.Nodes, t)
		}
	}
	if *nodes > 0 || *killNode {
		if *nodes < 1 || *dbURL == "" || cfg.Target != "" || (*killNode && (*nodes < 2 || !cfg.Burst || !cfg.Reconnect)) {
			fmt.Fprintln(stderr, "paraat load: --nodes needs --db and no --target; --kill-node needs --nodes 2 or more, --burst and --reconnect")
			return 2
		}
		exe, dir, err := runDir("paraat-load-")
		if err != nil {
			fmt.Fprintf(stderr, "paraat load: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		procs, err := loadtest.StartNodes(ctx, exe, dir, *dbURL, *nodes)
		for _, p := range procs {
			defer p.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "paraat load: %v\n", err)
			return 1
		}
		cfg.Target, cfg.User, cfg.Password = procs[0].URL, procs[0].User, procs[0].Password
		for _, p := range procs[1:] {
			cfg.Nodes = append(cfg.Nodes, p.URL)
		}
		if *killNode {
			cfg.Crash = func(ctx context.Context) error {
				// Kill the node that owns the (first) session, so that a takeover is part of the
				// run; the first node takes the tool's HTTP calls and is spared.
				victim := len(procs) - 1
				if i := ownerNode(ctx, procs[0].URL); i > 0 && i < len(procs) {
					victim = i
				}
				fmt.Fprintf(stderr, "paraat load: killing node load-%d\n", victim+1)
				procs[victim].Kill()
				return nil
			}
		}
		fmt.Fprintf(stderr, "paraat load: started %d nodes on PostgreSQL (logs in %s)\n", *nodes, dir)
	} else if cfg.Target == "" {
		exe, dir, err := runDir("paraat-load-")
		if err != nil {
			fmt.Fprintf(stderr, "paraat load: %v\n", err)
			return 1
		}
		defer os.RemoveAll(dir)
		var serveArgs []string
		if cfg.StoreFaults > 0 {
			serveArgs = append(serveArgs, "--store-faults", fmt.Sprint(cfg.StoreFaults))
		}
		if *idle > 0 {
			serveArgs = append(serveArgs, "--idle-timeout", idle.String())
		}
		if *pprofDir != "" {
			serveArgs = append(serveArgs, "--profile", *pprofDir)
		}
		proc, err := loadtest.StartProcess(ctx, exe, dir, serveArgs...)
		if err != nil {
			fmt.Fprintf(stderr, "paraat load: %v\n", err)
			return 1
		}
		defer proc.Close()
		cfg.Target, cfg.User, cfg.Password = proc.URL, proc.User, proc.Password
		if *restart {
			cfg.Restart = proc.Restart
		}
		if *crash {
			cfg.Crash = proc.Crash
		}
		fmt.Fprintf(stderr, "paraat load: started paraat serve on %s (log in %s)\n", proc.URL, dir)
	} else {
		if *restart || *crash || cfg.StoreFaults > 0 || *pprofDir != "" {
			fmt.Fprintln(stderr, "paraat load: --restart, --crash, --store-faults and --pprof need a server the tool starts (no --target)")
			return 2
		}
		cfg.Password = env("PARAAT_LOAD_PASSWORD")
		if *pwFile != "" {
			b, err := os.ReadFile(*pwFile)
			if err != nil {
				fmt.Fprintf(stderr, "paraat load: %v\n", err)
				return 2
			}
			cfg.Password = string(trimNewline(b))
		}
	}
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "paraat load: %v\n", err)
		return 1
	}
	var base *loadtest.BaselineReport
	if *withBaseline {
		if base, err = runBaselineLoad(ctx, cfg, rep); err != nil {
			fmt.Fprintf(stderr, "paraat load: baseline: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if base != nil {
			enc.Encode(map[string]any{"paraat": rep, "baseline": base, "ratios": loadtest.Compare(rep, base)})
		} else {
			enc.Encode(rep)
		}
	} else {
		rep.Print(stdout)
		if base != nil {
			loadtest.PrintComparison(stdout, rep, base)
		}
	}
	if len(rep.Study) > 0 {
		for _, s := range rep.Study {
			if s.Failed > 0 {
				return 1
			}
		}
		return 0
	}
	if !rep.ExactlyOnce.OK || rep.Reconnect.StateLost > 0 || rep.Reconnect.ResendFailed > 0 {
		return 1
	}
	return 0
}

// repeatLoad makes a --baseline run n times, each by a process of its own with fresh servers,
// and prints every measure's median ratio and spread. It fails if any run failed (its
// exactly-once check included), after printing what the runs measured.
func repeatLoad(ctx context.Context, n int, args []string, asJSON bool, stdout, stderr io.Writer) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "paraat load: %v\n", err)
		return 1
	}
	// A later flag wins: each run is one run, printed as JSON, without progress lines.
	child := append(append([]string{"load"}, args...), "--runs=1", "--json", "-q")
	var all [][]loadtest.Ratio
	failed := 0
	for i := range n {
		var out strings.Builder
		cmd := exec.CommandContext(ctx, exe, child...)
		cmd.Stdout, cmd.Stderr = &out, stderr
		runErr := cmd.Run()
		var res struct {
			Ratios []loadtest.Ratio `json:"ratios"`
		}
		if err := json.Unmarshal([]byte(out.String()), &res); err != nil || len(res.Ratios) == 0 {
			fmt.Fprintf(stderr, "paraat load: run %d of %d printed no ratios (%v)\n", i+1, n, errors.Join(runErr, err))
			failed++
			continue
		}
		if runErr != nil {
			fmt.Fprintf(stderr, "paraat load: run %d of %d failed: %v\n", i+1, n, runErr)
			failed++
		}
		all = append(all, res.Ratios)
		fmt.Fprintf(stderr, "paraat load: run %d of %d done\n", i+1, n)
	}
	spread := loadtest.Spread(all)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(map[string]any{"runs": all, "spread": spread})
	} else {
		loadtest.PrintSpread(stdout, spread)
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d runs failed\n", failed, n)
		return 1
	}
	return 0
}

// runBaselineLoad starts the baseline server as its own process and runs the same client
// workload against it: as many connections, rounds of the frames a paraat participant
// received for an inject, and answer bursts of the size of paraat's answer messages.
func runBaselineLoad(ctx context.Context, cfg loadtest.Config, rep *loadtest.Report) (*loadtest.BaselineReport, error) {
	exe, dir, err := runDir("paraat-baseline-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	proc, err := loadtest.StartBaseline(ctx, exe, dir)
	if err != nil {
		return nil, err
	}
	defer proc.Close()
	return loadtest.RunBaseline(ctx, loadtest.BaselineConfig{Target: proc.URL, Participants: cfg.Participants,
		DialConcurrency: cfg.DialConcurrency, Rounds: rep.Injects.Rounds, Frames: rep.Injects.Frames, Messages: rep.Injects.Messages,
		Flood: cfg.Flood, FloodRate: rep.Flood.Rate, FloodMessages: rep.Flood.Messages, HelloMessages: rep.Connect.Messages, Burst: cfg.Burst,
		BurstWindow: cfg.BurstWindow, AnswerSize: loadtest.AnswerSize, PhaseTimeout: cfg.PhaseTimeout, Log: cfg.Log})
}

// runDir returns this binary, to start servers from, and a fresh temporary folder for their
// files; the caller removes the folder.
func runDir(prefix string) (exe, dir string, err error) {
	if exe, err = os.Executable(); err != nil {
		return "", "", err
	}
	dir, err = os.MkdirTemp("", prefix)
	return exe, dir, err
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// raiseFileLimit makes sure the process may open n files: every connection is one. Go
// already raises the soft limit to the hard one at start; beyond that only `ulimit -n`
// (as root, or in limits.conf) helps.
func raiseFileLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // not measurable here: let the dials tell
	}
	if lim.Cur >= n {
		return nil
	}
	if lim.Max >= n {
		lim.Cur = n
		return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	return fmt.Errorf("%d connections need %d open files; the limit is %d: raise it with ulimit -n", n-1024, n, lim.Max)
}

// ownerNode asks a node which node (as an index from 0, by its id load-N) owns the first
// lease; -1 if it cannot tell.
func ownerNode(ctx context.Context, url string) int {
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	var m struct {
		Cluster *server.ClusterStatus `json:"cluster"`
	}
	if json.NewDecoder(res.Body).Decode(&m) != nil || m.Cluster == nil || len(m.Cluster.Leases) == 0 {
		return -1
	}
	var n int
	if _, err := fmt.Sscanf(m.Cluster.Leases[0].Node, "load-%d", &n); err != nil {
		return -1
	}
	return n - 1
}
