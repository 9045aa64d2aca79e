package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/server"
	"golang.org/x/term"
)

func runUser(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("user", flag.ContinueOnError)
	fl.SetOutput(stderr)
	db := fl.String("db", envOr(env, "PARAAT_DB", "paraat.db"), "SQLite file or postgres:// URL ($PARAAT_DB)")
	admin := fl.Bool("admin", false, "the user may control and see every session")
	kdfText := fl.String("argon2", envOr(env, "PARAAT_ARGON2", server.DefaultKDF.String()),
		"argon2id parameters of the password hash: memory in KiB, passes, threads ($PARAAT_ARGON2)")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat user add [--admin] [--db FILE|URL] [--argon2 m=KiB,t=N,p=N] NAME   (the password is read from stdin)")
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
	kdf, err := server.ParseKDF(*kdfText)
	if err != nil {
		fmt.Fprintf(stderr, "paraat user: --argon2: %v\n", err)
		return 2
	}
	name := fl.Arg(0)
	if !validUserName(name) {
		fmt.Fprintln(stderr, "paraat user: a name is 1 to 40 letters, digits, dots, dashes or underscores")
		return 2
	}
	pw, err := readPassword(name, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "paraat user: %v\n", err)
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
	if err := store.PutUser(ctx, server.User{Name: name, Hash: kdf.Hash(pw), Admin: *admin, Created: time.Now().UTC()}); err != nil {
		fmt.Fprintf(stderr, "paraat user: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "user %s saved in %s\n", name, redact(*db))
	return 0
}

func validUserName(s string) bool {
	if s == "" || len(s) > server.MaxUserName {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r)) {
			return false
		}
	}
	return true
}

// readPassword asks twice without echo when stdin is a terminal, and otherwise reads the
// password from the first line of stdin (a second line, if given, must repeat it), so that
// scripts can pipe it in.
func readPassword(name string, stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "password for %s (at least %d characters): ", name, server.MinPassword)
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the passwords differ")
		}
		return string(a), nil
	}
	sc := bufio.NewScanner(stdin)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	switch {
	case len(lines) == 0:
		return "", errors.New("no password given")
	case len(lines) == 2 && lines[1] != lines[0]:
		return "", errors.New("the passwords differ")
	}
	return lines[0], nil
}
