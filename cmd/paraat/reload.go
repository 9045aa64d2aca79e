package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// libraryDirs are the folders whose files make up a library loaded from paths: the library
// folder (or the folders of the scenario files) and the --policy folders. The built-in
// library is embedded and never changes.
func libraryDirs(paths []string, opt corpusOptions) []string {
	var dirs []string
	for _, p := range append(append([]string(nil), paths...), opt.policy...) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			p = filepath.Dir(p)
		}
		dirs = append(dirs, p)
	}
	return dirs
}

// fingerprint sums the names, sizes and modification times of the YAML files under dirs, so
// that a change to any of them (a file saved, added or removed) changes it.
func fingerprint(dirs []string) uint64 {
	h := fnv.New64a()
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				return nil
			}
			if info, err := e.Info(); err == nil {
				fmt.Fprintf(h, "%s\x00%d\x00%d\x00", p, info.Size(), info.ModTime().UnixNano())
			}
			return nil
		})
	}
	return h.Sum64()
}

// watchLibrary reloads the library on SIGHUP, and when its files change (looked at every
// interval, if dirs and interval are set), until ctx ends. A library that loads without
// errors replaces the served one; one with errors is reported and the served one kept, so
// that a file saved half-way never takes a scenario away from the server.
func watchLibrary(ctx context.Context, hup <-chan os.Signal, dirs []string, every time.Duration, log *slog.Logger, load func() loaded, apply func(*engine.Library)) {
	var tick <-chan time.Time
	if every > 0 && len(dirs) > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	last := fingerprint(dirs)
	reload := func(why string) {
		l := load()
		if n := l.diags.Errors(); n > 0 {
			for _, d := range l.diags.List {
				if d.Severity == engine.Error {
					log.Error("library reload", "diagnostic", d.String())
				}
			}
			log.Error("library not reloaded: it has errors; the previous version stays in service", "errors", n, "trigger", why)
			return
		}
		apply(l.lib)
		log.Info("library reloaded", "scenarios", len(l.lib.Scenarios), "statements", len(l.lib.Corpus.Statements()), "trigger", why)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			last = fingerprint(dirs)
			reload("SIGHUP")
		case <-tick:
			if fp := fingerprint(dirs); fp != last {
				last = fp
				reload("change")
			}
		}
	}
}
