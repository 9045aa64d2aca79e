package engine

import (
	"bufio"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine/rules"
	"go.yaml.in/yaml/v3"
)

// docBlock is a fenced YAML block of a Markdown file, with the line its text starts on.
type docBlock struct {
	line int
	text string
}

func yamlBlocks(t *testing.T, path string) []docBlock {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []docBlock
	var cur *docBlock
	var indent string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		trim := strings.TrimSpace(l)
		switch {
		case cur == nil && trim == "```yaml":
			cur, indent = &docBlock{line: n + 1}, l[:len(l)-len(strings.TrimLeft(l, " "))]
		case cur != nil && trim == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += strings.TrimPrefix(l, indent) + "\n"
		}
	}
	return out
}

// dedent removes the indentation all lines share, so that a fragment cut from a file parses.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if ind := len(l) - len(strings.TrimLeft(l, " ")); common < 0 || ind < common {
			common = ind
		}
	}
	for i, l := range lines {
		if len(l) >= common && common > 0 {
			lines[i] = l[common:]
		}
	}
	return strings.Join(lines, "\n")
}

// dropEllipses removes the placeholders `...` of a documentation example (`injects: [...]`,
// `options: [...]`), which stand for content shown elsewhere.
func dropEllipses(n *yaml.Node) {
	switch n.Kind {
	case yaml.SequenceNode:
		var keep []*yaml.Node
		for _, c := range n.Content {
			if !(c.Kind == yaml.ScalarNode && c.Value == "...") {
				dropEllipses(c)
				keep = append(keep, c)
			}
		}
		n.Content = keep
	case yaml.MappingNode:
		var keep []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "..." {
				continue // {...}: the rest of a mapping left out
			}
			dropEllipses(n.Content[i+1])
			keep = append(keep, n.Content[i], n.Content[i+1])
		}
		n.Content = keep
	case yaml.DocumentNode:
		for _, c := range n.Content {
			dropEllipses(c)
		}
	}
}

var docTypes = []reflect.Type{
	reflect.TypeFor[Scenario](), reflect.TypeFor[Document](), reflect.TypeFor[Inject](), reflect.TypeFor[Question](),
	reflect.TypeFor[Option](), reflect.TypeFor[Rule](), reflect.TypeFor[Ending](), reflect.TypeFor[Test](),
	reflect.TypeFor[Accept](), reflect.TypeFor[Item](), reflect.TypeFor[Statement](),
}

// TestDocExamples checks every YAML example of docs/FORMAT.md and the README: it parses, each
// field is one the format has at that place, with a value of the right type, and each
// expression compiles against the state variables the examples declare.
func TestDocExamples(t *testing.T) {
	n := 0
	for _, doc := range []string{"../docs/FORMAT.md", "../README.md"} {
		blocks := yamlBlocks(t, doc)
		type parsed struct {
			b    docBlock
			root *yaml.Node
			typ  reflect.Type
		}
		var all []parsed
		var vars []rules.Var
		for _, b := range blocks {
			n++
			var d yaml.Node
			if err := yaml.Unmarshal([]byte(dedent(b.text)), &d); err != nil {
				t.Errorf("%s:%d: %v", doc, b.line, err)
				continue
			}
			root := d.Content[0]
			dropEllipses(root)
			var best *Diagnostics
			var typ reflect.Type
			for _, ty := range docTypes {
				diags := &Diagnostics{}
				c := &checker{file: doc, diags: diags}
				if root.Kind == yaml.SequenceNode {
					c.check(root, reflect.SliceOf(reflect.PointerTo(ty)))
				} else {
					c.check(root, ty)
				}
				if diags.Errors() == 0 {
					typ = ty
					break
				}
				if best == nil || diags.Errors() < best.Errors() {
					best = diags
				}
			}
			if typ == nil {
				for _, d := range best.List {
					t.Errorf("%s:%d: example: %d:%d: %s", doc, b.line, d.Pos.Line, d.Pos.Column, d.Message)
				}
				continue
			}
			if typ == reflect.TypeFor[Scenario]() {
				vars = append(vars, stateVars(t, field(root, "state"))...)
			}
			all = append(all, parsed{b, root, typ})
		}
		schema := rules.NewSchema(vars)
		for _, p := range all {
			v := reflect.New(p.typ)
			if p.root.Kind == yaml.SequenceNode {
				v = reflect.New(reflect.SliceOf(reflect.PointerTo(p.typ)))
			}
			if err := p.root.Decode(v.Interface()); err != nil {
				t.Errorf("%s:%d: %v", doc, p.b.line, err)
				continue
			}
			walkSources(v, "", func(src Source, name string) {
				var err error
				switch name {
				case "EffectSrc":
					_, err = schema.CompileEffect(src.Text)
				case "Score":
					_, err = schema.Compile(src.Text, rules.Float)
				default:
					_, err = schema.Compile(src.Text, rules.Bool)
				}
				if err != nil {
					t.Errorf("%s:%d: example line %d: %q: %v", doc, p.b.line, src.Pos.Line, src.Text, err)
				}
			})
		}
	}
	if n < 10 {
		t.Errorf("only %d examples found", n)
	}
}

func stateVars(t *testing.T, n *yaml.Node) []rules.Var {
	var out []rules.Var
	if n == nil {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kind := rules.Int
		switch typ := field(n.Content[i+1], "type"); {
		case typ == nil, typ.Value == "int":
		case typ.Value == "float":
			kind = rules.Float
		case typ.Value == "bool":
			kind = rules.Bool
		default:
			t.Errorf("state variable %s: type %s", n.Content[i].Value, typ.Value)
		}
		out = append(out, rules.Var{Name: n.Content[i].Value, Kind: kind})
	}
	return out
}

// walkSources calls f for every expression in a decoded example, with its field's name.
func walkSources(v reflect.Value, name string, f func(Source, string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkSources(v.Elem(), name, f)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkSources(v.Index(i), name, f)
		}
	case reflect.Struct:
		if v.Type() == sourceType {
			if src := v.Interface().(Source); src.Text != "" {
				f(src, name)
			}
			return
		}
		if v.Type() == nodeType {
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkSources(v.Field(i), v.Type().Field(i).Name, f)
			}
		}
	}
}
