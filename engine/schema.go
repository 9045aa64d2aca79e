package engine

import (
	"encoding/json"
	"reflect"
	"strings"
)

// SchemaURL is where the JSON Schema of the scenario format is published in the repository;
// the first line of a scenario file can point an editor at it:
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/paraat-nl/paraat/main/docs/paraat.schema.json
const SchemaURL = "https://raw.githubusercontent.com/paraat-nl/paraat/main/docs/paraat.schema.json"

// PolicySchemaURL is the same for policy documents.
const PolicySchemaURL = "https://raw.githubusercontent.com/paraat-nl/paraat/main/docs/policy.schema.json"

// JSONSchema returns the JSON Schema (draft 2020-12) of scenario and quiz files, or of
// policy documents, derived from the types the loader decodes into, so that it cannot drift
// from what `paraat check` accepts field by field. What the schema cannot say (references
// between ids, expressions) `paraat check` still checks.
func JSONSchema(policy bool) []byte {
	g := &schemaGen{defs: map[string]any{}}
	var root map[string]any
	title := "paraat scenario or quiz"
	if policy {
		title = "paraat policy document"
		root = g.object(reflect.TypeFor[Document]())
	} else {
		root = g.object(reflect.TypeFor[Scenario]())
	}
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = title
	root["$defs"] = g.defs
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic(err) // only maps, slices and strings: cannot fail
	}
	return append(out, '\n')
}

type schemaGen struct {
	defs map[string]any
}

var (
	idPattern   = "^[a-z0-9][a-z0-9-]*$"
	textSchema  = map[string]any{"type": "object", "properties": map[string]any{"nl": map[string]any{"type": "string"}, "en": map[string]any{"type": "string"}}, "additionalProperties": false, "description": "a text in Dutch (nl) and English (en)"}
	stateSchema = map[string]any{"type": "object", "description": "state variables by name", "additionalProperties": map[string]any{"$ref": "#/$defs/StateVar"}}
	enums       = map[string][]string{"Scenario.kind": {KindScenario, KindQuiz}, "Question.type": {Choice, Multi, Rank, Number, Free}, "Document.kind": {"cabinet", "party"}, "StateVar.type": {"int", "float", "bool"}, "Test.default": {"first", "none"}}
)

func (g *schemaGen) ref(t reflect.Type) map[string]any {
	name := t.Name()
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = nil // reserve, for recursive types
		g.defs[name] = g.object(t)
	}
	return map[string]any{"$ref": "#/$defs/" + name}
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	g.fields(t, props)
	if t == reflect.TypeFor[StateVar]() {
		props["initial"] = map[string]any{"type": []string{"number", "boolean"}}
	}
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	eachYAMLField(t, func(owner reflect.Type, name string, f reflect.StructField) {
		s := g.typ(f.Type)
		if e, ok := enums[owner.Name()+"."+name]; ok {
			s = map[string]any{"enum": e}
		}
		switch {
		case owner.Name() == "Scenario" && name == "state":
			g.ref(reflect.TypeFor[StateVar]())
			s = stateSchema
		case owner.Name() == "Inject" && name == "clock":
			s = map[string]any{"description": "a clock label such as T+0:00, or a text {nl, en}", "oneOf": []any{map[string]any{"type": "string"}, textSchema}}
		case owner.Name() == "Test" && name == "answers":
			s = map[string]any{"description": "`policy`, or question ids mapped to answers", "oneOf": []any{
				map[string]any{"const": "policy"}, map[string]any{"type": "object"}}}
		case strings.HasSuffix(name, "id") && f.Type == refType || name == "lens" || name == "start" || name == "goto":
			s = map[string]any{"type": "string", "pattern": idPattern}
		}
		props[name] = s
	})
}

func (g *schemaGen) typ(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case textType:
		return textSchema
	case refType:
		return map[string]any{"type": "string"}
	case sourceType:
		return map[string]any{"type": "string", "description": "an expression (see Expressions in docs/FORMAT.md)"}
	case durationType:
		return map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$`, "description": "a duration such as 90s or 1h30m"}
	case nodeType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Struct:
		return g.ref(t)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typ(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typ(t.Elem())}
	}
	return map[string]any{}
}
