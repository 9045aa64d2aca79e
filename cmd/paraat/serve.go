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
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
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
	ReloadEvery time.Duration  // how often --library is looked at for changes; 0: on SIGHUP only

	watch func(ctx context.Context, apply func(*engine.Library)) // reloads the library; nil: never
	// Limits (SECURITY.md).
	TrustedProxies  []netip.Prefix
	MaxConnsPerAddr int
	MaxConns        int
	StudyPerMinute  int
	LoginMemoryMiB  int
	// KDF: the argon2id parameters accounts are hashed with (paraat user add --argon2); a
	// login for an unknown name is checked against a hash with the same, to take as long.
	KDF server.KDF
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
	if c.MaxConnsPerAddr < 1 || c.MaxConns < 1 || c.StudyPerMinute < 1 || c.LoginMemoryMiB < 1 {
		errs = append(errs, errors.New("--max-conns-per-address, --max-conns, --study-per-minute and --login-memory must be at least 1"))
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
	fl.DurationVar(&cfg.ReloadEvery, "reload-every", 2*time.Second, "look for changed library files this often (0: reload on SIGHUP only)")
	var corpus corpusOptions
	corpus.flags(fl)
	var proxies, kdfText string
	fl.StringVar(&kdfText, "argon2", envOr(env, "PARAAT_ARGON2", server.DefaultKDF.String()),
		"argon2id parameters the accounts were made with, as for paraat user add ($PARAAT_ARGON2)")
	fl.StringVar(&proxies, "trusted-proxies", env("PARAAT_TRUSTED_PROXIES"), "reverse proxies whose X-Forwarded-For is believed, comma-separated addresses or prefixes, e.g. 127.0.0.1,10.0.0.0/8 ($PARAAT_TRUSTED_PROXIES)")
	intFlag := func(p *int, name, envKey string, def int, usage string) {
		*p = def
		if v := env(envKey); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				*p = n
			} else {
				fmt.Fprintf(stderr, "paraat serve: $%s=%q is not a number; using %d\n", envKey, v, def)
			}
		}
		fl.IntVar(p, name, *p, usage+" ($"+envKey+")")
	}
	intFlag(&cfg.MaxConnsPerAddr, "max-conns-per-address", "PARAAT_MAX_CONNS_PER_ADDRESS", server.DefaultMaxConnsPerAddr, "open websockets allowed per client address")
	intFlag(&cfg.MaxConns, "max-conns", "PARAAT_MAX_CONNS", server.DefaultMaxConns, "open websockets allowed in all")
	intFlag(&cfg.StudyPerMinute, "study-per-minute", "PARAAT_STUDY_PER_MINUTE", server.DefaultStudyPerMinute, "self-study runs one address may start a minute")
	intFlag(&cfg.LoginMemoryMiB, "login-memory", "PARAAT_LOGIN_MEMORY", server.DefaultLoginMemoryMiB, "MiB that password checks may use at once; more concurrent logins get 503")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	var err error
	if cfg.KDF, err = server.ParseKDF(kdfText); err != nil {
		fmt.Fprintf(stderr, "paraat serve: --argon2: %v\n", err)
		return 2
	}
	if cfg.TrustedProxies, err = server.ParseProxies(proxies); err != nil {
		fmt.Fprintf(stderr, "paraat serve: --trusted-proxies: %v\n", err)
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
	// From here on SIGHUP reloads the library instead of ending the server.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	ld := loadLayered(paths, corpus)
	lib, diags := ld.lib, ld.diags
	cfg.watch = func(ctx context.Context, apply func(*engine.Library)) {
		watchLibrary(ctx, hup, libraryDirs(paths, corpus), cfg.ReloadEvery, log, func() loaded { return loadLayered(paths, corpus) }, apply)
	}
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
		BaseURL: cfg.BaseURL, SecureCookies: cfg.SecureCookies, Logger: log, Codes: codes,
		TrustedProxies: cfg.TrustedProxies, MaxConnsPerAddr: cfg.MaxConnsPerAddr, MaxConns: cfg.MaxConns,
		StudyPerMinute: cfg.StudyPerMinute, LoginMemoryMiB: cfg.LoginMemoryMiB, KDF: cfg.KDF})
	if err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		fmt.Fprintf(stderr, "paraat serve: %v\n", err)
		return 1
	}
	if cfg.watch != nil {
		go cfg.watch(ctx, func(lib *engine.Library) { mgr.SetLibrary(lib); h.SetLibrary(lib) })
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
	// Accounts can change while the server runs (paraat user add): a new password or a lost
	// admin right ends the user's logins and websockets within this period.
	rctx, stopRevalidate := context.WithCancel(ctx)
	defer stopRevalidate()
	go h.Run(rctx, 15*time.Second)
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
