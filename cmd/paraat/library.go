package main

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/scenarios"
)

// corpusOptions say which policy layers lie on top of (or instead of) the built-in corpus.
type corpusOptions struct {
	policy    stringList // more policy folders, lowest first
	noBuiltin bool       // leave out the built-in corpus
}

// flags registers --policy and --no-builtin on a command's flag set.
func (o *corpusOptions) flags(fl *flag.FlagSet) {
	fl.Var(&o.policy, "policy", "a policy folder layered on the built-in corpus (repeatable)")
	fl.BoolVar(&o.noBuiltin, "no-builtin", false, "use only the policy folders given, not the built-in corpus")
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// loaded is a library together with what the user asked about.
type loaded struct {
	lib   *engine.Library
	diags *engine.Diagnostics
	// asked reports whether a file (as named in diagnostics) is one the user asked about:
	// warnings about other files (the built-in corpus under a scenario of one's own) are noise.
	asked func(file string) bool
}

// loadLibrary loads the built-in library (no paths), a library folder, or scenario files,
// with the built-in corpus and the policy/ folders beside them layered on it.
func loadLibrary(paths []string) (*engine.Library, *engine.Diagnostics) {
	l := loadLayered(paths, corpusOptions{})
	return l.lib, l.diags
}

// loadLayered loads a library: the scenarios of the built-in library (no paths), of a library
// folder, or the scenario files given; cited against the built-in corpus with, on top of it,
// the --policy folders and the policy/ folder of the library or beside the files. Diagnostics
// name files as the user gave them.
func loadLayered(paths []string, opt corpusOptions) loaded {
	diags := &engine.Diagnostics{}
	var layers []engine.Layer
	if !opt.noBuiltin {
		policy, _, _ := engine.Files(scenarios.FS())
		layers = append(layers, engine.Layer{FS: scenarios.FS(), Files: policy, Dir: "scenarios"})
	}
	seen := map[string]bool{}
	addLayer := func(dir string) {
		abs, err := filepath.Abs(dir)
		if err != nil || seen[abs] {
			return
		}
		seen[abs] = true
		matches, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		more, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
		var files []string
		for _, m := range append(matches, more...) {
			files = append(files, filepath.Base(m))
		}
		layers = append(layers, engine.Layer{FS: os.DirFS(dir), Files: files, Dir: dir})
	}
	isDir := func(p string) bool { st, err := os.Stat(p); return err == nil && st.IsDir() }
	for _, p := range opt.policy {
		if !isDir(p) {
			diags.List = append(diags.List, engine.Diagnostic{File: p, Message: "--policy: not a folder", Code: "file"})
			continue
		}
		if isDir(filepath.Join(p, engine.PolicyDir)) {
			p = filepath.Join(p, engine.PolicyDir)
		}
		addLayer(p)
	}

	// The scenario files, read from the file system (or the built-in library), with the names
	// to show for them.
	var scenFS fs.FS = os.DirFS("/")
	var files []string
	names := map[string]string{}
	builtin := len(paths) == 0
	switch {
	case builtin:
		scenFS = scenarios.FS()
		_, files, _ = engine.Files(scenFS)
		for _, f := range files {
			names[f] = filepath.Join("scenarios", f)
		}
	default:
		var given []string
		if len(paths) == 1 && isDir(paths[0]) && isDir(filepath.Join(paths[0], engine.PolicyDir)) {
			// A library folder: its scenarios, and its policy/ as a layer.
			dir := paths[0]
			_, rel, err := engine.Files(os.DirFS(dir))
			if err != nil {
				diags.List = append(diags.List, engine.Diagnostic{File: dir, Message: err.Error(), Code: "file"})
			}
			for _, f := range rel {
				given = append(given, filepath.Join(dir, f))
			}
			addLayer(filepath.Join(dir, engine.PolicyDir))
		} else {
			given = scenarioFiles(paths, diags)
			for _, p := range given {
				if pol := filepath.Join(filepath.Dir(p), engine.PolicyDir); isDir(pol) {
					addLayer(pol)
				}
			}
		}
		for _, p := range given {
			abs, err := filepath.Abs(p)
			if err != nil {
				diags.List = append(diags.List, engine.Diagnostic{File: p, Message: err.Error(), Code: "file"})
				continue
			}
			rel := strings.TrimPrefix(abs, "/")
			files = append(files, rel)
			names[rel] = p
		}
	}
	corpus := engine.LoadLayers(layers, diags)
	sdiags := &engine.Diagnostics{}
	lib := engine.LoadScenarios(scenFS, files, corpus, sdiags)
	show := func(name string) string {
		if p, ok := names[name]; ok {
			return p
		}
		if builtin {
			return name
		}
		return "/" + name
	}
	for i := range sdiags.List {
		d := &sdiags.List[i]
		if strings.Contains(d.Message, " is also used by ") { // names another scenario file
			for internal, shown := range names {
				d.Message = strings.ReplaceAll(d.Message, " "+internal, " "+shown)
			}
		}
		d.File = show(d.File)
	}
	for _, s := range lib.Scenarios {
		s.File = show(s.File)
	}
	diags.List = append(diags.List, sdiags.List...)
	diags.Sort()
	// Warnings are about the files asked about: all of the built-in library, or the paths
	// and policy folders given. The corpus under a scenario of one's own is the ground it
	// stands on; that the scenario does not cite all of it is no news.
	var prefixes []string
	for _, p := range append(append([]string(nil), paths...), opt.policy...) {
		prefixes = append(prefixes, filepath.Clean(p))
	}
	asked := func(file string) bool {
		file = filepath.Clean(file)
		for _, p := range prefixes {
			if file == p || strings.HasPrefix(file, p+string(filepath.Separator)) {
				return true
			}
		}
		return builtin
	}
	return loaded{lib: lib, diags: diags, asked: asked}
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
// policy files: a policy/ folder beside the scenarios is layered on the built-in corpus
// anyway, so naming it, or a file in it, next to scenario files means "with this corpus".
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
				diags.List = append(diags.List, engine.Diagnostic{File: p, Message: "no .yaml files in this folder", Code: "file"})
			}
			out = append(out, matches...)
		default:
			out = append(out, p)
		}
	}
	return out
}
