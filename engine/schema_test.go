package engine_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
	"go.yaml.in/yaml/v3"
)

// TestSchemaCurrent keeps the published schemas equal to what `paraat schema` writes.
func TestSchemaCurrent(t *testing.T) {
	for path, policy := range map[string]bool{"../docs/paraat.schema.json": false, "../docs/policy.schema.json": true} {
		got := engine.JSONSchema(policy)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil || string(want) != string(got) {
			t.Errorf("%s is not current (go test ./engine -run SchemaCurrent -update): %v", path, err)
		}
	}
}

// TestSchemaAcceptsLibrary validates every built-in file against the schema, and checks that
// the schema refuses what an editor should flag: a misspelt field, a wrong type, a text
// without its languages' structure.
func TestSchemaAcceptsLibrary(t *testing.T) {
	var scen, pol map[string]any
	json.Unmarshal(engine.JSONSchema(false), &scen)
	json.Unmarshal(engine.JSONSchema(true), &pol)
	files, _ := filepath.Glob("../scenarios/*.yaml")
	more, _ := filepath.Glob("testdata/lib/*.yaml")
	policy, _ := filepath.Glob("../scenarios/policy/*.yaml")
	if len(files) == 0 || len(policy) == 0 {
		t.Fatal("no files")
	}
	check := func(schema map[string]any, file string) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		if err := validate(schema, schema, v, ""); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	for _, f := range append(files, more...) {
		check(scen, f)
	}
	for _, f := range policy {
		check(pol, f)
	}
	bad := []struct{ doc, want string }{
		{"id: x\ntitel: {nl: a, en: b}\n", "/titel: not allowed"},
		{"id: x\nversion: one\n", "/version: want integer"},
		{"id: x\ntitle: Sabotage\n", "/title: want object"},
		{"id: x\ninjects: [{id: a, questions: [{id: q, type: keuze}]}]\n", "/injects/0/questions/0/type: not one of"},
		{"id: x\nduration: soon\n", `/duration: "soon" does not match`},
	}
	for _, b := range bad {
		var v any
		yaml.Unmarshal([]byte(b.doc), &v)
		err := validate(scen, scen, v, "")
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%q: got %v, want %q", b.doc, err, b.want)
		}
	}
}

// validate checks v against the subset of JSON Schema that engine.JSONSchema uses.
func validate(root, s map[string]any, v any, at string) error {
	if ref, ok := s["$ref"].(string); ok {
		return validate(root, root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any), v, at)
	}
	if e, ok := s["enum"].([]any); ok {
		for _, x := range e {
			if x == v {
				return nil
			}
		}
		return fmt.Errorf("%s: not one of %v", at, e)
	}
	if c, ok := s["const"]; ok && c != v {
		return fmt.Errorf("%s: not %v", at, c)
	}
	if alts, ok := s["oneOf"].([]any); ok {
		n := 0
		for _, a := range alts {
			if validate(root, a.(map[string]any), v, at) == nil {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d alternatives", at, n)
		}
	}
	types := map[string]bool{}
	switch tt := s["type"].(type) {
	case string:
		types[tt] = true
	case []any:
		for _, x := range tt {
			types[x.(string)] = true
		}
	}
	if len(types) == 0 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		if !types["object"] {
			return fmt.Errorf("%s: want %v, found an object", at, s["type"])
		}
		props, _ := s["properties"].(map[string]any)
		for k, val := range x {
			ps, ok := props[k].(map[string]any)
			if !ok {
				switch ap := s["additionalProperties"].(type) {
				case bool:
					if !ap {
						return fmt.Errorf("%s/%s: not allowed", at, k)
					}
					continue
				case map[string]any:
					ps = ap
				default:
					continue
				}
			}
			if err := validate(root, ps, val, at+"/"+k); err != nil {
				return err
			}
		}
	case []any:
		if !types["array"] {
			return fmt.Errorf("%s: want %v, found a list", at, s["type"])
		}
		for i, e := range x {
			if err := validate(root, s["items"].(map[string]any), e, fmt.Sprintf("%s/%d", at, i)); err != nil {
				return err
			}
		}
	case string:
		if !types["string"] {
			return fmt.Errorf("%s: want %v, found %q", at, s["type"], x)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(x) {
			return fmt.Errorf("%s: %q does not match %s", at, x, p)
		}
	case int:
		if !types["integer"] && !types["number"] {
			return fmt.Errorf("%s: want %v, found %d", at, s["type"], x)
		}
	case float64:
		if !types["number"] {
			return fmt.Errorf("%s: want %v, found %v", at, s["type"], x)
		}
	case bool:
		if !types["boolean"] {
			return fmt.Errorf("%s: want %v, found %v", at, s["type"], x)
		}
	}
	return nil
}

// TestSchemaComment: the line that points an editor at the schema is a comment, so a file
// that starts with it loads as before.
func TestSchemaComment(t *testing.T) {
	lib := loadTestLib(t)
	data, err := os.ReadFile("testdata/lib/voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = append([]byte("# yaml-language-server: $schema="+engine.SchemaURL+"\n"), data...)
	diags := &engine.Diagnostics{}
	if _, ok := engine.ParseScenario("voorbeeld.yaml", data, lib.Corpus, diags); !ok {
		t.Fatal(diags.Err())
	}
}
