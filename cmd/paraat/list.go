package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

func runList(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("list", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var corpus corpusOptions
	corpus.flags(fl)
	if err := fl.Parse(args); err != nil {
		return 2
	}
	ld := loadLayered(fl.Args(), corpus)
	lib, diags := ld.lib, ld.diags
	if diags.Errors() > 0 {
		printDiags(stderr, diags, false)
	}
	for _, s := range lib.Scenarios {
		fmt.Fprintf(stdout, "%-28s %-8s %3d questions  %s\n", s.ID.Value, s.Kind, len(s.Questions()), s.Title.In("en"))
	}
	if diags.Errors() > 0 {
		return 1
	}
	return 0
}
