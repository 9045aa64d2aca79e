package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
)

// loadLibrary loads the built-in library (no paths), a library folder, or scenario files.
// Scenario files outside a library use the policy/ folder beside them, or else the built-in
// corpus. Diagnostics name files as the user gave them.
func loadLibrary(paths []string) (*engine.Library, *engine.Diagnostics) {
	if len(paths) == 0 {
		lib, diags := engine.Load(scenarios.FS())
		rename(lib, diags, func(name string) string { return filepath.Join("scenarios", name) })
		return lib, diags
	}
	if len(paths) == 1 {
		if st, err := os.Stat(paths[0]); err == nil && st.IsDir() {
			dir := paths[0]
			lib, diags := engine.Load(os.DirFS(dir))
			rename(lib, diags, func(name string) string { return filepath.Join(dir, name) })
			return lib, diags
		}
	}
	diags := &engine.Diagnostics{}
	given := scenarioFiles(paths, diags)
	if len(given) > 0 {
		paths = given
	}
	var corpusFS fs.FS = scenarios.FS()
	corpusDir := ""
	dir := filepath.Dir(paths[0])
	if st, err := os.Stat(filepath.Join(dir, engine.PolicyDir)); err == nil && st.IsDir() {
		corpusFS, corpusDir = os.DirFS(dir), dir
	}
	var policy []string
	fs.WalkDir(corpusFS, engine.PolicyDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			policy = append(policy, p)
		}
		return nil
	})
	corpus := engine.LoadCorpus(corpusFS, policy, diags)
	var files []string
	names := map[string]string{}
	for _, p := range given {
		abs, err := filepath.Abs(p)
		if err != nil {
			diags.List = append(diags.List, engine.Diagnostic{File: p, Message: err.Error()})
			continue
		}
		files = append(files, strings.TrimPrefix(abs, "/"))
		names[strings.TrimPrefix(abs, "/")] = p
	}
	lib := engine.LoadScenarios(os.DirFS("/"), files, corpus, diags)
	rename(lib, diags, func(name string) string {
		if strings.HasPrefix(name, engine.PolicyDir+"/") {
			if corpusDir == "" {
				return filepath.Join("scenarios", name)
			}
			return filepath.Join(corpusDir, name)
		}
		if p, ok := names[name]; ok {
			return p
		}
		return "/" + name
	})
	diags.Sort()
	return lib, diags
}

func rename(lib *engine.Library, diags *engine.Diagnostics, f func(string) string) {
	for i := range diags.List {
		diags.List[i].File = f(diags.List[i].File)
	}
	for _, s := range lib.Scenarios {
		s.File = f(s.File)
	}
	for _, d := range lib.Corpus.Documents {
		d.File = f(d.File)
	}
}

func printDiags(w interface{ Write([]byte) (int, error) }, diags *engine.Diagnostics, warnings bool) {
	for _, d := range diags.List {
		if d.Severity == engine.Warning && !warnings {
			continue
		}
		fmt.Fprintln(w, d.String())
	}
}

// scenarioFiles expands the folders among paths to the YAML files in them and leaves out
// policy files: the corpus is always the policy/ folder beside the scenarios (or the built-in
// one), so naming it, or a file in it, next to scenario files means "with this corpus".
func scenarioFiles(paths []string, diags *engine.Diagnostics) []string {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		switch {
		case err != nil:
			out = append(out, p) // the loader reports it with the name as given
		case filepath.Base(filepath.Clean(p)) == engine.PolicyDir && st.IsDir():
		case filepath.Base(filepath.Dir(filepath.Clean(p))) == engine.PolicyDir:
		case st.IsDir():
			matches, _ := filepath.Glob(filepath.Join(p, "*.yaml"))
			if len(matches) == 0 {
				diags.List = append(diags.List, engine.Diagnostic{File: p, Message: "no .yaml files in this folder"})
			}
			out = append(out, matches...)
		default:
			out = append(out, p)
		}
	}
	return out
}
