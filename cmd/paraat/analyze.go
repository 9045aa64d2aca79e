package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/paraat-nl/paraat/engine/analyze"
)

//go:generate go run . analyze --markdown -o ../../docs/CONTENT.md

func runAnalyze(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fl.SetOutput(stderr)
	asJSON := fl.Bool("json", false, "print the full analysis as JSON (docs/ANALYZE.md)")
	lens := fl.String("lens", "", "analyse under this lens instead of each file's default")
	runs := fl.Int("runs", analyze.DefaultRandomRuns, "uniformly random playthroughs per file")
	seed := fl.Uint64("seed", analyze.DefaultSeed, "seed of the random playthroughs")
	markdown := fl.Bool("markdown", false, "print the library overview of docs/CONTENT.md: briefs and summaries")
	outFile := fl.String("o", "", "write to this file instead of standard output")
	var corpus corpusOptions
	corpus.flags(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat analyze [--json | --markdown] [--lens L] [-o FILE] [PATH...]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(interleaved(fl, args)); err != nil {
		return 2
	}
	ld := loadLayered(fl.Args(), corpus)
	lib, diags := ld.lib, ld.diags
	if diags.Errors() > 0 {
		printDiags(stderr, diags, false)
		fmt.Fprintf(stderr, "paraat analyze: %d errors; files with errors are not analysed\n", diags.Errors())
	}
	if *lens != "" && lib.Corpus.Lens(*lens) == nil {
		fmt.Fprintf(stderr, "paraat analyze: unknown lens %q (known: %s)\n", *lens, strings.Join(lib.Corpus.Lenses(), ", "))
		return 2
	}
	reports := analyzeAll(lib, analyze.Options{Lens: *lens, RandomRuns: *runs, Seed: *seed})
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			fmt.Fprintf(stderr, "paraat analyze: %v\n", err)
			return 1
		}
		defer f.Close()
		stdout = f
	}
	switch {
	case *markdown:
		fmt.Fprint(stdout, analyze.FormatMarkdown(reports))
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(analyze.Result{Version: analyze.SchemaVersion, Files: reports}); err != nil {
			fmt.Fprintf(stderr, "paraat analyze: %v\n", err)
			return 1
		}
	default:
		for i, r := range reports {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprint(stdout, analyze.FormatText(r))
		}
		if len(reports) > 1 {
			fmt.Fprintln(stdout)
			fmt.Fprint(stdout, analyze.FormatSummary(reports))
		}
	}
	if diags.Errors() > 0 {
		return 1
	}
	return 0
}

// interleaved lets flags follow the paths (paraat analyze FILE --json).
func interleaved(fl *flag.FlagSet, args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") {
				if f := fl.Lookup(name); f != nil {
					if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
						if i+1 < len(args) {
							flags = append(flags, args[i+1])
							i++
						}
					}
				}
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}
