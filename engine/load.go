package engine

import (
	"errors"
	"io"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest scenario or policy file accepted.
const MaxFileSize = 4 << 20

// PolicyDir is the folder of a library that holds the policy corpus.
const PolicyDir = "policy"

// Library is a loaded set of scenarios and quizzes with the policy corpus they cite.
type Library struct {
	Corpus    *Corpus
	Scenarios []*Scenario // sorted by id
	byID      map[string]*Scenario
}

// Scenario returns the scenario or quiz with the given id, or nil.
func (l *Library) Scenario(id string) *Scenario { return l.byID[id] }

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// Load reads a library from fsys: policy/*.yaml and every other *.yaml file. It returns the
// library with everything that loaded cleanly, and all diagnostics. A file with errors is left
// out of the library.
func Load(fsys fs.FS) (*Library, *Diagnostics) {
	diags := &Diagnostics{}
	policyFiles, scenarioFiles, err := Files(fsys)
	if err != nil {
		diags.add(Error, ".", Pos{}, err.Error())
	}
	corpus := LoadCorpus(fsys, policyFiles, diags)
	lib := LoadScenarios(fsys, scenarioFiles, corpus, diags)
	diags.Sort()
	return lib, diags
}

// Files lists the YAML files of a library: those in policy/ and the scenario and quiz files
// elsewhere. Hidden folders are skipped.
func Files(fsys fs.FS) (policyFiles, scenarioFiles []string, err error) {
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != "." {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".yaml") && !strings.HasSuffix(p, ".yml") {
			return nil
		}
		if strings.HasPrefix(p, PolicyDir+"/") {
			policyFiles = append(policyFiles, p)
		} else {
			scenarioFiles = append(scenarioFiles, p)
		}
		return nil
	})
	return policyFiles, scenarioFiles, err
}

func readFile(fsys fs.FS, name string, diags *Diagnostics) []byte {
	return readFileAs(fsys, name, name, diags)
}

// readFileAs reads name from fsys and reports problems under the file name shown.
func readFileAs(fsys fs.FS, name, shown string, diags *Diagnostics) []byte {
	f, err := fsys.Open(name)
	if err != nil {
		diags.add(Error, shown, Pos{}, err.Error())
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		diags.add(Error, shown, Pos{}, err.Error())
		return nil
	}
	if len(data) > MaxFileSize {
		diags.addf(Error, shown, Pos{}, "file is larger than %d bytes", MaxFileSize)
		return nil
	}
	return data
}

// decodeFile parses and strictly checks a file against v's type, then decodes it.
func decodeFile(name string, data []byte, v any, diags *Diagnostics) *yaml.Node {
	root := parseYAML(name, data, diags)
	if root == nil {
		return nil
	}
	before := diags.Errors()
	c := &checker{file: name, diags: diags, data: data}
	// Aliases first: an alias bomb must be refused before anything walks the tree.
	if a := findAlias(root); a != nil {
		c.errorf(a, "YAML aliases are not allowed in paraat files")
		return nil
	}
	c.check(root, reflect.TypeOf(v))
	if diags.Errors() > before {
		return nil
	}
	if err := root.Decode(v); err != nil {
		var te *yaml.TypeError
		msg := err.Error()
		if errors.As(err, &te) && len(te.Errors) > 0 {
			msg = te.Errors[0]
		}
		line, col, m := yamlErrorPos(msg)
		diags.add(Error, name, Pos{line, col}, m)
		return nil
	}
	return root
}

// checkText reports a missing language. Required texts are errors, others warnings.
func checkText(diags *Diagnostics, file string, t Text, what string, required bool) {
	sev := Warning
	if required {
		sev = Error
	}
	switch {
	case t.Empty():
		if required {
			diags.add(Error, file, t.Pos, what+" is required (nl and en)")
		}
	case t.NL == "":
		diags.add(sev, file, t.Pos, "missing translation: "+what+" has no Dutch (nl)")
	case t.EN == "":
		diags.add(sev, file, t.Pos, "missing translation: "+what+" has no English (en)")
	}
}

// LoadScenarios loads scenario and quiz files against a corpus.
func LoadScenarios(fsys fs.FS, files []string, corpus *Corpus, diags *Diagnostics) *Library {
	lib := &Library{Corpus: corpus, byID: map[string]*Scenario{}}
	sort.Strings(files)
	for _, name := range files {
		data := readFile(fsys, name, diags)
		if data == nil {
			continue
		}
		s, ok := ParseScenario(name, data, corpus, diags)
		if !ok {
			continue
		}
		if prev := lib.byID[s.ID.Value]; prev != nil {
			diags.addf(Error, name, s.ID.Pos, "scenario id %q is also used by %s", s.ID.Value, prev.File)
			continue
		}
		lib.byID[s.ID.Value] = s
		lib.Scenarios = append(lib.Scenarios, s)
	}
	sort.Slice(lib.Scenarios, func(i, j int) bool { return lib.Scenarios[i].ID.Value < lib.Scenarios[j].ID.Value })
	return lib
}

// ParseScenario parses, compiles and validates one scenario or quiz file. It reports every
// problem to diags and returns ok only when there were no errors.
func ParseScenario(name string, data []byte, corpus *Corpus, diags *Diagnostics) (*Scenario, bool) {
	s := &Scenario{File: name}
	root := decodeFile(name, data, s, diags)
	if root == nil {
		return nil, false
	}
	before := diags.Errors()
	v := &validator{s: s, corpus: corpus, diags: diags, file: name, root: root}
	v.run()
	if diags.Errors() > before {
		return nil, false
	}
	return s, true
}

// findAlias returns the first alias node in the tree, or nil. Anchors alone are harmless;
// an alias is what lets a small file expand to an enormous one.
func findAlias(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n
	}
	for _, c := range n.Content {
		if a := findAlias(c); a != nil {
			return a
		}
	}
	return nil
}
