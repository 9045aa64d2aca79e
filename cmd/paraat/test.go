package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

func runTest(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("test", flag.ContinueOnError)
	fl.SetOutput(stderr)
	verbose := fl.Bool("v", false, "print every test, not only failures")
	strict := fl.Bool("strict", false, "fail tests that leave questions to a default they do not declare")
	cover := fl.Bool("cover", false, "print the injects, options, rules and endings the tests exercise, and those they miss")
	trace := fl.Bool("trace", false, "print each test's path: injects with the state, decisions, rules fired")
	var corpus corpusOptions
	corpus.flags(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat test [-v] [--strict] [--cover] [--trace] [--policy DIR]... [--no-builtin] [PATH...]")
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
	passed, failed, warned := 0, 0, 0
	for _, s := range lib.Scenarios {
		start := time.Now()
		sfailed := 0
		reached := map[string]bool{}
		results := engine.RunTests(s)
		for _, r := range results {
			if r.World != nil && r.World.Ending() != nil {
				reached[r.World.Ending().ID.Value] = true
			}
			name := s.ID.Value + "/" + r.Name
			if *verbose || *trace {
				fmt.Fprintf(stdout, "=== RUN   %s\n", name)
			}
			if *trace && r.World != nil {
				for _, l := range engine.Trace(r.World) {
					fmt.Fprintf(stdout, "    %s\n", l)
				}
			}
			if len(r.Unlisted) > 0 {
				msg := fmt.Sprintf("%s: test %q does not answer %s and declares no default: a choice question got its first option offered, any other no answer; list the answers, or declare `default: first` or `default: none` [implicit-answer]",
					s.File, r.Name, strings.Join(r.Unlisted, ", "))
				if *strict {
					r.Failures = append(r.Failures, msg)
				} else {
					warned++
					fmt.Fprintf(stdout, "warning: %s\n", msg)
				}
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
		if *cover {
			printCover(stdout, s, engine.TestCover(s, results))
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed", passed, failed)
	if warned > 0 {
		fmt.Fprintf(stdout, ", %d warnings", warned)
	}
	fmt.Fprintln(stdout)
	if failed > 0 {
		fmt.Fprintln(stdout, "FAIL")
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}

func printCover(w io.Writer, s *engine.Scenario, c engine.Cover) {
	pct := func(n engine.CoverCount) string {
		if n.Total == 0 {
			return "-"
		}
		return fmt.Sprintf("%d/%d", n.Covered, n.Total)
	}
	fmt.Fprintf(w, "cover\t%-28s\tinjects %s  options %s  rules %s  endings %s\n", s.ID.Value,
		pct(c.Injects), pct(c.Options), pct(c.Rules), pct(c.Endings))
	for _, m := range []struct {
		what string
		n    engine.CoverCount
	}{{"injects", c.Injects}, {"options", c.Options}, {"rules", c.Rules}, {"endings", c.Endings}} {
		if len(m.n.Missing) > 0 {
			fmt.Fprintf(w, "    not covered: %s %s\n", m.what, strings.Join(m.n.Missing, ", "))
		}
	}
}
