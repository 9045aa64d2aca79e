package rules

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// lossy checks the value assigned to an int variable: a value that can have a fraction
// (`x += 2.5`, `x = x * 1.5`, `x = x / 2`) would be rounded silently, so it is refused unless
// the author says how to round, with round(), floor() or ceil() around the whole value.
func (s *Schema) lossy(name, op, rhs string, col int) error {
	// Compiled without conversion, the value's static type shows whether it is whole.
	if p, err := s.Compile(rhs, String); err == nil {
		if t := p.prog.Node().Type(); t != nil && t.Kind() == reflect.Int {
			return nil
		}
	}
	if tree, err := parser.Parse(rhs); err == nil {
		if b, ok := tree.Node.(*ast.BuiltinNode); ok && (b.Name == "round" || b.Name == "floor" || b.Name == "ceil") {
			return nil
		}
	}
	return &Error{Line: 1, Column: col, Message: fmt.Sprintf("%s is an int, but `%s %s %s` can have a fraction, which would be rounded: make %s a float, or say how to round with round(...), floor(...) or ceil(...)", name, name, op, rhs, name)}
}
