package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/paraat-nl/paraat/engine"
)

// runExplain prints the documentation of a diagnostic code, or lists the codes.
func runExplain(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		for _, c := range engine.Codes {
			fmt.Fprintf(stdout, "%-20s %s\n", c.Code, c.Title)
		}
		return 0
	}
	code := 0
	for _, a := range args {
		c, ok := engine.Explain(strings.Trim(a, "[]"))
		if !ok {
			fmt.Fprintf(stderr, "paraat explain: no diagnostic code %q; 'paraat explain' lists them\n", a)
			code = 2
			continue
		}
		fmt.Fprintf(stdout, "%s: %s.\n\n%s\n", c.Code, c.Title, wrap(c.Explain, 92))
	}
	return code
}
