package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `paraat: crisis exercises and quizzes on Dutch foreign and security policy

Usage:
  paraat check [--sources DIR] [--gates error|warn|off] [--strict] [PATH...]
                                           load and check scenarios, quizzes, the policy corpus
                                           and the assessment gates
  paraat analyze [--json] [--lens L] [PATH...]
                                           measure whether scores reward policy or test-taking skill
  paraat test [--cover] [--trace] [PATH...]
                                           run the scenarios' playthrough tests
  paraat explain [CODE]                    explain a diagnostic code of paraat check
  paraat schema                            print the JSON Schema of the scenario and policy format
  paraat play [--lang nl|en] [--lens ID] [--role ID] SCENARIO
                                           play a scenario or quiz alone in the terminal
  paraat list [PATH]                       list the scenarios and quizzes of a library
  paraat serve [--addr 127.0.0.1:8080] [--db paraat.db] [--origins URL,...] [--library DIR]
                                           run the live exercise server
  paraat user add [--admin] NAME           create a facilitator account (password on stdin)
  paraat report [--format json|csv|html] SESSION
                                           print a session's after-action report
  paraat load [--participants N] [--sessions S] [--injects N] [--burst] [--flood D] [--reconnect]
                                           measure a server with real websocket clients
  paraat baseline [--addr ADDR]            the plain server 'paraat load --baseline' compares with

PATH is a library folder (with policy/ inside) or scenario files; the default is the built-in
library. The policy/ folder of a library or beside the scenario files, and any --policy DIR, are
layered on the built-in corpus (--no-builtin leaves it out). Run 'paraat COMMAND -h' for the flags of a command.
`

// command is one subcommand: it gets its arguments and the process's streams, and returns
// the exit code.
type command func(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int

func commands() map[string]command {
	return map[string]command{
		"check":    runCheck,
		"analyze":  runAnalyze,
		"test":     runTest,
		"play":     runPlay,
		"list":     runList,
		"serve":    runServe,
		"user":     runUser,
		"report":   runReport,
		"load":     runLoad,
		"baseline": runBaseline,
		"explain":  runExplain,
		"schema":   runSchema,
	}
}

func run(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "paraat: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	return cmd(ctx, args[1:], env, stdin, stdout, stderr)
}
