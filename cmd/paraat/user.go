package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/server"
)

func runUser(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("user", flag.ContinueOnError)
	fl.SetOutput(stderr)
	db := fl.String("db", envOr(env, "PARAAT_DB", "paraat.db"), "SQLite database file ($PARAAT_DB)")
	admin := fl.Bool("admin", false, "the user may control and see every session")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat user add [--admin] [--db FILE] NAME   (the password is read from stdin)")
		fl.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "add" {
		fl.Usage()
		return 2
	}
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	name := fl.Arg(0)
	if !validUserName(name) {
		fmt.Fprintln(stderr, "paraat user: a name is 1 to 40 letters, digits, dots, dashes or underscores")
		return 2
	}
	fmt.Fprintf(stderr, "password for %s (at least %d characters; twice, one per line): ", name, server.MinPassword)
	sc := bufio.NewScanner(stdin)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	fmt.Fprintln(stderr)
	if len(lines) == 0 {
		fmt.Fprintln(stderr, "paraat user: no password given")
		return 2
	}
	pw := lines[0]
	if len(lines) == 2 && lines[1] != pw {
		fmt.Fprintln(stderr, "paraat user: the passwords differ")
		return 2
	}
	if len(pw) < server.MinPassword {
		fmt.Fprintf(stderr, "paraat user: the password needs at least %d characters\n", server.MinPassword)
		return 2
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "paraat user: %v\n", err)
		return 1
	}
	defer store.Close()
	if err := store.PutUser(ctx, server.User{Name: name, Hash: server.HashPassword(pw), Admin: *admin, Created: time.Now().UTC()}); err != nil {
		fmt.Fprintf(stderr, "paraat user: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "user %s saved in %s\n", name, *db)
	return 0
}

func validUserName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r)) {
			return false
		}
	}
	return true
}
