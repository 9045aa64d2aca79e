package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/paraat-nl/paraat/loadtest/baseline"
)

const baselineUsage = `usage: paraat baseline [--addr 127.0.0.1:0] [--db baseline.db]

Runs the baseline server that 'paraat load --baseline' measures next to paraat: websocket
broadcast of prepared frames and durable acknowledgement of client frames through a SQLite
file with paraat's settings, and nothing else (docs/BENCHMARKS.md). 'paraat load --baseline'
starts it by itself; run it by hand only to point another load tool at it.
`

func runBaseline(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, baselineUsage+"\nflags:\n"); fl.PrintDefaults() }
	addr := fl.String("addr", "127.0.0.1:0", "address to listen on")
	db := fl.String("db", "baseline.db", "SQLite file for the acknowledged frames")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	srv, err := baseline.Open(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "paraat baseline: %v\n", err)
		return 1
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "paraat baseline: %v\n", err)
		return 1
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "paraat baseline: listening on http://%s\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "paraat baseline: %v\n", err)
		return 1
	}
	return 0
}
