package main

import (
	"context"
	"fmt"
	"io"
)

func runList(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	lib, diags := loadLibrary(args)
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
