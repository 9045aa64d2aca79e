package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/faultstore"
	"github.com/paraat-nl/paraat/server/live"
	"github.com/paraat-nl/paraat/server/sqlite"
	"github.com/paraat-nl/paraat/web"
)

// serveConfig is what `paraat serve` reads from flags and the environment.
type serveConfig struct {
	Addr          string
	DB            string
	Library       string
	Origins       []string
	BaseURL       string
	SecureCookies bool
	// IdleTimeout and MaxSessions bound the live sessions in memory (live.Options).
	IdleTimeout time.Duration
	MaxSessions int
	// Node, Advertise and LeaseTTL: this node's part when several share PostgreSQL.
	Node      string
	Advertise string
	LeaseTTL  time.Duration
	// StoreFaults makes this fraction of appends fail at random, for fault-injection runs.
	StoreFaults float64
	cluster     server.Cluster // set when the store is shared by nodes (PostgreSQL)
}

// Validate checks the configuration.
func (c *serveConfig) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %v", c.Addr, err))
	}
	if c.DB == "" {
		errs = append(errs, errors.New("--db is empty"))
	}
	if c.Library != "" {
		if st, err := os.Stat(c.Library); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("--library %q is not a folder", c.Library))
		}
	}
	if c.StoreFaults < 0 || c.StoreFaults >= 1 {
		errs = append(errs, fmt.Errorf("--store-faults %v: want a fraction from 0 up to 1", c.StoreFaults))
	}
	if c.LeaseTTL < 300*time.Millisecond || c.LeaseTTL > time.Minute {
		errs = append(errs, fmt.Errorf("--lease-ttl %v: want from 300ms to 1m", c.LeaseTTL))
	}
	if c.IdleTimeout < 0 || c.MaxSessions < 0 {
		errs = append(errs, errors.New("--idle-timeout and --max-sessions cannot be negative"))
	}
	return errors.Join(errs...)
}

func envOr(env func(string) string, key, def string) string {
	if v := env(key); v != "" {
		return v
	}
	return def
}

func runServe(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cfg serveConfig
	var origins string
	fl.StringVar(&cfg.Addr, "addr", envOr(env, "PARAAT_ADDR", "127.0.0.1:8080"), "address to listen on ($PARAAT_ADDR)")
	fl.StringVar(&cfg.DB, "db", envOr(env, "PARAAT_DB", "paraat.db"), "SQLite file or postgres:// URL ($PARAAT_DB)")
	fl.StringVar(&cfg.Library, "library", env("PARAAT_LIBRARY"), "library folder (default: the built-in scenarios) ($PARAAT_LIBRARY)")
	fl.StringVar(&origins, "origins", env("PARAAT_ORIGINS"), "other allowed origins, comma-separated, e.g. https://oefening.example.nl ($PARAAT_ORIGINS)")
	fl.StringVar(&cfg.BaseURL, "base-url", env("PARAAT_BASE_URL"), "public URL for join links (default: from each request) ($PARAAT_BASE_URL)")
	fl.BoolVar(&cfg.SecureCookies, "secure-cookies", env("PARAAT_SECURE_COOKIES") == "1", "mark the login cookie Secure (behind TLS)")
	fl.DurationVar(&cfg.IdleTimeout, "idle-timeout", 10*time.Minute, "unload a live session from memory after this long without connections")
	fl.IntVar(&cfg.MaxSessions, "max-sessions", 10000, "live sessions kept in memory at most; beyond, joins are refused with overloaded")
	fl.Float64Var(&cfg.StoreFaults, "store-faults", 0, "testing only: make this fraction of log appends fail at random (half before, half after the commit)")
	fl.StringVar(&cfg.Node, "node-id", env("PARAAT_NODE_ID"), "PostgreSQL: this node's id among the nodes on the database (default: host name and a random suffix) ($PARAAT_NODE_ID)")
	fl.StringVar(&cfg.Advertise, "advertise", env("PARAAT_ADVERTISE"), "PostgreSQL: this node's address as operators reach it, shown in the cluster view ($PARAAT_ADVERTISE)")
	fl.DurationVar(&cfg.LeaseTTL, "lease-ttl", 3*time.Second, "PostgreSQL: how long a node owns a session without renewing; a dead node's sessions move after this")
	profile := fl.String("profile", "", "write CPU, heap and goroutine profiles of this run to the folder (on stop)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if *profile != "" {
		stop, err := startProfiles(*profile)
		if err != nil {
			fmt.Fprintf(stderr, "paraat serve: --profile: %v\n", err)
			return 1
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "paraat serve: --profile: %v\n", err)
			}
		}()
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.Origins = append(cfg.Origins, o)
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var paths []string
	if cfg.Library != "" {
		paths = []string{cfg.Library}
	}
	lib, diags := loadLibrary(paths)
	if diags.Errors() > 0 {
		printDiags(stderr, diags, false)
		fmt.Fprintf(stderr, "paraat serve: %d scenario errors; the files with errors are left out\n", diags.Errors())
	}
	if !isPostgres(cfg.DB) {
		// One serving process per SQLite file: its live sessions live in this process's memory.
		release, err := sqlite.LockServe(cfg.DB)
		if err != nil {
			fmt.Fprintf(stderr, "paraat serve: %v\n", err)
			return 1
		}
		defer release()
	}
	store, err := openStore(ctx, cfg.DB)
	if err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 1
	}
	defer store.Close()
	if cl, ok := store.(server.Cluster); ok {
		if cfg.Node == "" {
			host, _ := os.Hostname()
			cfg.Node = fmt.Sprintf("%s-%04x", host, rand.Uint32()&0xffff)
		}
		if cfg.Advertise == "" {
			cfg.Advertise = cfg.BaseURL
		}
		if cfg.Advertise == "" {
			cfg.Advertise = "http://" + cfg.Addr
		}
		cfg.cluster = cl
	}
	if cfg.StoreFaults > 0 {
		log.Warn("fault injection: log appends fail at random", "rate", cfg.StoreFaults)
		store = faultstore.Wrap(store, cfg.StoreFaults, uint64(time.Now().UnixNano()))
	}
	return serve(ctx, cfg, lib, store, web.FS(), log, stdout, stderr)
}

func serve(ctx context.Context, cfg serveConfig, lib *engine.Library, store server.Store, ui fs.FS, log *slog.Logger, stdout, stderr io.Writer) int {
	codes := server.NewCodeGuard(nil)
	opts := live.Options{Logger: log, Codes: codes, IdleTimeout: cfg.IdleTimeout, MaxSessions: cfg.MaxSessions}
	if cfg.cluster != nil {
		opts.Cluster = &live.ClusterOptions{DB: cfg.cluster, Node: cfg.Node, Addr: cfg.Advertise, TTL: cfg.LeaseTTL}
		log.Info("serving as one node of several on PostgreSQL", "node", cfg.Node, "lease_ttl", cfg.LeaseTTL)
	}
	mgr := live.New(store, lib, opts)
	if err := mgr.Start(ctx); err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 1
	}
	h, err := server.New(server.Config{Store: store, Library: lib, Live: mgr, Web: ui, Origins: cfg.Origins,
		BaseURL: cfg.BaseURL, SecureCookies: cfg.SecureCookies, Logger: log, Codes: codes})
	if err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
	url := cfg.BaseURL
	if url == "" {
		url = "http://" + ln.Addr().String()
	}
	quizzes := 0
	for _, sc := range lib.Scenarios {
		if sc.Kind == engine.KindQuiz {
			quizzes++
		}
	}
	fmt.Fprintf(stdout, "paraat: serving %d scenarios and %d quizzes on %s\n", len(lib.Scenarios)-quizzes, quizzes, url)
	fmt.Fprintf(stdout, "open %s in a browser; create a facilitator account with: paraat user add NAME\n", url)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if err := mgr.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "paraat serve: shutdown: %v\n", err)
	}
	fmt.Fprintln(stdout, "paraat: stopped")
	return 0
}
