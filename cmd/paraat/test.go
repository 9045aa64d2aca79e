package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

func runTest(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("test", flag.ContinueOnError)
	fl.SetOutput(stderr)
	verbose := fl.Bool("v", false, "print every test, not only failures")
	var corpus corpusOptions
	corpus.flags(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat test [-v] [--policy DIR]... [--no-builtin] [PATH...]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	ld := loadLayered(fl.Args(), corpus)
	lib, diags := ld.lib, ld.diags
	if diags.Errors() > 0 {
		printDiags(stderr, diags, false)
		fmt.Fprintln(stdout, "FAIL (the library does not load; run paraat check)")
		return 1
	}
	passed, failed := 0, 0
	for _, s := range lib.Scenarios {
		start := time.Now()
		sfailed := 0
		reached := map[string]bool{}
		for _, r := range engine.RunTests(s) {
			if r.World != nil && r.World.Ending() != nil {
				reached[r.World.Ending().ID.Value] = true
			}
			name := s.ID.Value + "/" + r.Name
			if *verbose {
				fmt.Fprintf(stdout, "=== RUN   %s\n", name)
			}
			if r.Passed() {
				passed++
				if *verbose {
					fmt.Fprintf(stdout, "--- PASS: %s\n", name)
				}
				continue
			}
			failed++
			sfailed++
			fmt.Fprintf(stdout, "--- FAIL: %s\n", name)
			for _, f := range r.Failures {
				fmt.Fprintf(stdout, "    %s: %s\n", s.File, f)
			}
		}
		for _, e := range s.Endings {
			if !reached[e.ID.Value] {
				failed++
				sfailed++
				fmt.Fprintf(stdout, "--- FAIL: %s/coverage\n    %s: no test reaches ending %s\n", s.ID.Value, s.File, e.ID.Value)
			}
		}
		status := "ok  "
		if sfailed > 0 {
			status = "FAIL"
		}
		if s.Kind == engine.KindScenario || sfailed > 0 || *verbose {
			fmt.Fprintf(stdout, "%s\t%-28s\t%d tests\t%.3fs\n", status, s.ID.Value, len(s.Tests), time.Since(start).Seconds())
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		fmt.Fprintln(stdout, "FAIL")
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}
