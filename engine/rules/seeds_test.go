package rules_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// expressionKeys are the scenario keys whose values (or list items) are expressions.
var expressionKeys = map[string]bool{"when": true, "score": true, "effects": true}

// libraryExpressions returns every expression written in the built-in library and the test
// library, so that the fuzzer starts from what authors really write.
func libraryExpressions(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"../../scenarios/*.yaml", "../testdata/lib/*.yaml"} {
		fs, _ := filepath.Glob(glob)
		files = append(files, fs...)
	}
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if expressionKeys[k.Value] {
					switch v.Kind {
					case yaml.ScalarNode:
						out = append(out, v.Value)
					case yaml.SequenceNode:
						for _, e := range v.Content {
							if e.Kind == yaml.ScalarNode {
								out = append(out, e.Value)
							}
						}
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(&doc)
	}
	if len(out) < 20 {
		t.Fatalf("found only %d expressions in %v", len(out), files)
	}
	return out
}
