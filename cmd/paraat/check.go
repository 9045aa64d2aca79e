package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/engine/analyze"
)

func runCheck(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var sources stringList
	fl.Var(&sources, "sources", "folder with the policy source texts; verifies every quote (repeatable: the built-in sources and your own)")
	quiet := fl.Bool("q", false, "print errors only, no warnings or summary")
	gates := fl.String("gates", "error", "assessment gates of `paraat analyze`: error, warn or off")
	strict := fl.Bool("strict", false, "treat warnings as errors")
	var corpus corpusOptions
	corpus.flags(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat check [--sources DIR] [--policy DIR]... [--no-builtin] [--gates error|warn|off] [--strict] [-q] [PATH...]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	var gateSev engine.Severity
	switch *gates {
	case "error":
		gateSev = engine.Error
	case "warn":
		gateSev = engine.Warning
	case "off":
	default:
		fmt.Fprintf(stderr, "paraat check: --gates is error, warn or off, not %q\n", *gates)
		return 2
	}
	ld := loadLayered(fl.Args(), corpus)
	lib, diags := ld.lib, ld.diags
	if len(sources) > 0 {
		dirs, ok := sourceDirs(sources, stderr)
		if !ok {
			return 2
		}
		engine.VerifyQuotes(lib.Corpus, dirs, diags)
	}
	lib.Warn(diags)
	if *gates != "off" {
		gateDiagnostics(lib, analyzeAll(lib, analyze.Options{}), gateSev, diags)
	}
	diags.Keep(ld.asked)
	if *strict {
		diags.Strict()
	}
	printDiags(stdout, diags, !*quiet)
	errs := diags.Errors()
	if !*quiet {
		scen, quiz := 0, 0
		for _, s := range lib.Scenarios {
			if s.Kind == engine.KindQuiz {
				quiz++
			} else {
				scen++
			}
		}
		fmt.Fprintf(stdout, "\n%d scenarios, %d quizzes, %d statements in %d lenses", scen, quiz, len(lib.Corpus.Statements()), len(lib.Corpus.Lenses()))
		if len(sources) > 0 {
			fmt.Fprint(stdout, " (quotes verified against the sources)")
		}
		fmt.Fprintf(stdout, "\n%d errors, %d warnings\n", errs, len(diags.List)-errs)
		if len(diags.List) > 0 {
			fmt.Fprintln(stdout, "paraat explain CODE explains the [code] of a message")
		}
		if len(lib.Scenarios) > 0 {
			fmt.Fprintln(stdout, "\nlens coverage (questions addressed / questions):")
			fmt.Fprintf(stdout, "  %-28s", "")
			for _, l := range lib.Corpus.Lenses() {
				fmt.Fprintf(stdout, " %22s", l)
			}
			fmt.Fprintln(stdout)
			for _, s := range lib.Scenarios {
				fmt.Fprintf(stdout, "  %-28s", s.ID.Value)
				for _, c := range lib.Coverage(s) {
					fmt.Fprintf(stdout, " %22s", fmt.Sprintf("%d/%d", c.Addressed, c.Questions))
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	if errs > 0 {
		return 1
	}
	return 0
}
