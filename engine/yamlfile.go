package engine

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Pos is a position in a source file: 1-based line and column.
type Pos struct {
	Line, Column int
}

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

// Text is a user-facing text in Dutch and English.
type Text struct {
	NL, EN string
	Pos    Pos
}

// In returns the text in language lang ("nl" or "en"), falling back to the other language.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" || t.NL == "" {
		return t.EN
	}
	return t.NL
}

// Empty reports whether neither language is set.
func (t Text) Empty() bool { return t.NL == "" && t.EN == "" }

// UnmarshalYAML decodes {nl: ..., en: ...}; the structure was checked before decoding.
func (t *Text) UnmarshalYAML(n *yaml.Node) error {
	t.Pos = posOf(n)
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "nl":
			t.NL = strings.TrimSpace(n.Content[i+1].Value)
		case "en":
			t.EN = strings.TrimSpace(n.Content[i+1].Value)
		}
	}
	return nil
}

// Ref is a string from the file that names something (an id, or an id it refers to),
// with its position so that errors about it can point at it.
type Ref struct {
	Value string
	Pos   Pos
}

// UnmarshalYAML decodes a scalar.
func (r *Ref) UnmarshalYAML(n *yaml.Node) error {
	r.Value, r.Pos = n.Value, posOf(n)
	return nil
}

// String returns the value.
func (r Ref) String() string { return r.Value }

// Source is an expression as written in the file, with the position of its first character.
type Source struct {
	Text string
	Pos  Pos
	// block is set for an expression written as a block scalar (| or >): its lines are the
	// file's lines, all starting at Pos.Column.
	block bool
}

// UnmarshalYAML decodes a scalar and remembers where the expression text itself starts.
// Block scalars were rewritten by the checker (blockSource) to start at their first line.
func (s *Source) UnmarshalYAML(n *yaml.Node) error {
	s.Text, s.Pos = n.Value, posOf(n)
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		s.Pos.Column++
	case yaml.LiteralStyle:
		s.block = true
	case yaml.FoldedStyle:
		s.Pos.Line++
	}
	return nil
}

// at converts a position inside the expression to a position in the file.
func (s Source) at(line, col int) Pos {
	if s.block {
		return Pos{s.Pos.Line + line - 1, s.Pos.Column + col - 1}
	}
	if line <= 1 {
		return Pos{s.Pos.Line, s.Pos.Column + col - 1}
	}
	return Pos{s.Pos.Line + line - 1, col}
}

// blockSource rewrites an expression written as a block scalar so that positions inside it
// are exact: its value becomes the content lines as written (a folded scalar's line breaks
// are white space to an expression all the same), its position that of the first content
// character.
func blockSource(n *yaml.Node, data []byte) {
	if data == nil || (n.Style != yaml.LiteralStyle && n.Style != yaml.FoldedStyle) {
		return
	}
	lines := strings.Split(string(data), "\n")
	indent := -1
	var content []string
	first := 0
	for i := n.Line; i < len(lines); i++ { // n.Line is the indicator's line; content follows
		l := strings.TrimRight(lines[i], "\r")
		if strings.TrimSpace(l) == "" {
			if indent >= 0 {
				content = append(content, "")
			}
			continue
		}
		ind := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 {
			indent, first = ind, i+1
		} else if ind < indent {
			break
		}
		content = append(content, l[indent:])
	}
	if indent < 0 {
		return
	}
	n.Value = strings.TrimRight(strings.Join(content, "\n"), "\n")
	n.Style = yaml.LiteralStyle
	n.Line, n.Column = first, indent+1
}

// Duration is a Go duration written as a string ("90s", "1h30m").
type Duration struct {
	time.Duration
	Pos Pos
}

// UnmarshalYAML decodes a duration; the syntax was checked before decoding.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	d.Pos = posOf(n)
	v, err := time.ParseDuration(n.Value)
	d.Duration = v
	return err
}

// checker walks a YAML tree against a Go type before decoding, so that every unknown field,
// wrong type and malformed value in a file is reported with its position, all at once.
type checker struct {
	file  string
	diags *Diagnostics
	data  []byte // the file, to read block scalars as written
}

var (
	textType              = reflect.TypeFor[Text]()
	refType               = reflect.TypeFor[Ref]()
	sourceType            = reflect.TypeFor[Source]()
	durationType          = reflect.TypeFor[Duration]()
	nodeType              = reflect.TypeFor[yaml.Node]()
	reflectTypeOfStateVar = reflect.TypeFor[StateVar]()
)

func (c *checker) errorf(n *yaml.Node, format string, args ...any) {
	c.diags.addf(Error, c.file, posOf(n), format, args...)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing"
	}
	return fmt.Sprintf("%q", n.Value)
}

func (c *checker) check(n *yaml.Node, t reflect.Type) {
	if n.Kind == yaml.AliasNode {
		c.errorf(n, "YAML aliases are not allowed in paraat files")
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case nodeType:
		c.checkNoAlias(n)
		return
	case textType:
		c.checkText(n)
		return
	case refType, sourceType:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			c.errorf(n, "expected a string, found %s", kindName(n))
		} else if t == sourceType {
			blockSource(n, c.data)
		}
		return
	case durationType:
		if n.Kind != yaml.ScalarNode {
			c.errorf(n, "expected a duration such as 90s or 1h30m, found %s", kindName(n))
		} else if _, err := time.ParseDuration(n.Value); err != nil {
			c.errorf(n, "expected a duration such as 90s or 1h30m, found %q", n.Value)
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		c.checkStruct(n, t)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.errorf(n, "expected a list, found %s", kindName(n))
			return
		}
		for _, e := range n.Content {
			c.check(e, t.Elem())
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			c.errorf(n, "expected a string, found %s", kindName(n))
		}
	case reflect.Int, reflect.Int64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			c.errorf(n, "expected a whole number, found %s", kindName(n))
		}
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			c.errorf(n, "expected a number, found %s", kindName(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			c.errorf(n, "expected true or false, found %s", kindName(n))
		}
	case reflect.Interface:
		c.checkNoAlias(n)
	}
}

func (c *checker) checkNoAlias(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		c.errorf(n, "YAML aliases are not allowed in paraat files")
		return
	}
	for _, e := range n.Content {
		c.checkNoAlias(e)
	}
}

func (c *checker) checkText(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		c.errorf(n, "expected a text with Dutch and English ({nl: ..., en: ...}), found %s", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value != "nl" && k.Value != "en" {
			c.errorf(k, "unknown language %q: a text has nl and en", k.Value)
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			c.errorf(v, "expected a string, found %s", kindName(v))
		}
	}
}

// fieldsOf maps YAML keys to struct fields, following yaml tags and inline structs.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	eachYAMLField(t, func(_ reflect.Type, name string, f reflect.StructField) { m[name] = f.Type })
	return m
}

// eachYAMLField calls fn for every key a struct takes in YAML: the name its yaml tag gives, or
// the field's name in lower case, with the fields of an inline struct as the struct's own.
// owner is the struct the field is declared in. The checker and the JSON schema both read the
// keys from here, so that they cannot disagree on them.
func eachYAMLField(t reflect.Type, fn func(owner reflect.Type, name string, f reflect.StructField)) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			eachYAMLField(f.Type, fn)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fn(t, name, f)
	}
}

func (c *checker) checkStruct(n *yaml.Node, t reflect.Type) {
	if n.Kind != yaml.MappingNode {
		c.errorf(n, "expected a mapping, found %s", kindName(n))
		return
	}
	fields := fieldsOf(t)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "<<" {
			c.errorf(k, "YAML merge keys are not allowed in paraat files")
			continue
		}
		ft, ok := fields[k.Value]
		if !ok {
			c.errorf(k, "unknown field %q%s", k.Value, suggest(k.Value, fields))
			continue
		}
		if seen[k.Value] {
			c.errorf(k, "field %q is given twice", k.Value)
			continue
		}
		seen[k.Value] = true
		c.check(v, ft)
	}
}

// suggest names the closest known field, to catch misspellings.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for f := range fields {
		if d := editDistance(key, f); d < bestD || d == bestD && f < best {
			best, bestD = f, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseYAML parses data into a document node, reporting syntax errors with their position.
func parseYAML(file string, data []byte, diags *Diagnostics) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, col, msg := yamlErrorPos(err.Error())
		diags.addCode(Error, file, syntaxPos(data, line, col, msg), "yaml-syntax", yamlHint(msg))
		return nil
	}
	if len(doc.Content) == 0 {
		diags.add(Error, file, Pos{1, 1}, "the file is empty")
		return nil
	}
	return doc.Content[0]
}

// yamlErrorPos extracts "line N" (and "column M" where present) from a yaml error message.
func yamlErrorPos(msg string) (int, int, string) {
	msg = strings.TrimPrefix(msg, "yaml: ")
	line, col := 1, 1
	if i := strings.Index(msg, "line "); i >= 0 {
		var l, c int
		rest := msg[i+5:]
		if n, _ := fmt.Sscanf(rest, "%d, column %d", &l, &c); n >= 1 {
			line = l
			if n == 2 {
				col = c
			}
			if j := strings.Index(rest, ": "); j >= 0 {
				msg = rest[j+2:]
			}
		}
	}
	return line, col, msg
}
