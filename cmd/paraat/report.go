package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/paraat-nl/paraat/server"
	"github.com/paraat-nl/paraat/server/live"
)

func runReport(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("report", flag.ContinueOnError)
	fl.SetOutput(stderr)
	db := fl.String("db", envOr(env, "PARAAT_DB", "paraat.db"), "SQLite file or postgres:// URL ($PARAAT_DB)")
	format := fl.String("format", "json", "json, csv or html")
	lang := fl.String("lang", "nl", "language of the html report: nl or en")
	library := fl.String("library", env("PARAAT_LIBRARY"), "library folder (default: the built-in scenarios)")
	var corpus corpusOptions
	corpus.flags(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat report [--format json|csv|html] [--db FILE|URL] SESSION")
		fmt.Fprintln(stderr, "       paraat report [--db FILE|URL]   (lists the sessions)")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() == 0 {
		return listSessions(ctx, *db, stdout, stderr)
	}
	if fl.NArg() != 1 || (*format != "json" && *format != "csv" && *format != "html") {
		fl.Usage()
		return 2
	}
	var paths []string
	if *library != "" {
		paths = []string{*library}
	}
	lib := loadLayered(paths, corpus).lib
	store, err := openStore(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "paraat report: %v\n", err)
		return 1
	}
	defer store.Close()
	rep, err := live.BuildReport(ctx, store, lib, fl.Arg(0), time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "paraat report: %s\n", server.ErrorOf(err).Message)
		return 1
	}
	server.AddDebrief(lib, rep)
	switch *format {
	case "csv":
		err = rep.WriteCSV(stdout)
	case "html":
		err = rep.WriteHTML(stdout, lib, *lang)
	default:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "paraat report: %v\n", err)
		return 1
	}
	return 0
}

// listSessions prints the sessions in the database, newest first, so that a facilitator can
// find the id to pass to `paraat report`.
func listSessions(ctx context.Context, db string, stdout, stderr io.Writer) int {
	store, err := openStore(ctx, db)
	if err != nil {
		fmt.Fprintf(stderr, "paraat report: %v\n", err)
		return 1
	}
	defer store.Close()
	rows, err := store.Sessions(ctx, "")
	if err != nil {
		fmt.Fprintf(stderr, "paraat report: %v\n", err)
		return 1
	}
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "no sessions in %s\n", db)
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SESSION\tSCENARIO\tOWNER\tCREATED\tSTATE")
	for _, r := range rows {
		state, owner := "live", r.Owner
		if r.Ended {
			state = "ended"
		}
		if owner == "" {
			owner = "(self-study)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Scenario, owner, r.Created.Local().Format("2006-01-02 15:04"), state)
	}
	tw.Flush()
	return 0
}
