package main

import (
	"context"
	"fmt"
	"io"

	"github.com/paraat-nl/paraat/engine"
)

// runSchema prints the JSON Schema of scenario and quiz files, or with `policy` of policy
// documents, for editors (docs/paraat.schema.json and docs/policy.schema.json).
func runSchema(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		stdout.Write(engine.JSONSchema(false))
	case len(args) == 1 && args[0] == "policy":
		stdout.Write(engine.JSONSchema(true))
	default:
		fmt.Fprintln(stderr, "usage: paraat schema [policy]")
		return 2
	}
	return 0
}
