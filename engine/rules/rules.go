// Package rules compiles and runs the expressions in scenario files. It is the only package of
// paraat that imports expr: everything is compiled once, against a typed schema, at load time,
// and evaluated later with a bounded memory budget.
package rules

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Limits that bound what a (possibly hostile) scenario file can ask of the process.
const (
	// MaxSource is the longest expression accepted, in bytes.
	MaxSource = 1000
	// MaxNodes is the largest syntax tree accepted.
	MaxNodes = 200
	// MemoryBudget bounds the allocations of one evaluation (expr's own unit: roughly one per
	// element of a built collection).
	MemoryBudget = 10_000
)

// Kind is the type of a value in the expression environment.
type Kind int

// The kinds of values an expression can see or produce.
const (
	Int Kind = iota
	Float
	Bool
	String
)

func (k Kind) String() string {
	switch k {
	case Int:
		return "int"
	case Float:
		return "float"
	case Bool:
		return "bool"
	default:
		return "string"
	}
}

// Var declares one variable of the environment.
type Var struct {
	Name string
	Kind Kind
}

// Helper names and their signatures. Each takes ids as string arguments; literal arguments
// are reported as References so that the loader can check them.
var helpers = map[string]int{"chose": 2, "answered": 1, "visited": 1, "fired": 1}

// Builtin variables available to every expression, in addition to the state.
var builtins = []Var{
	{"elapsed", Float}, {"answer_time", Float}, {"role", String}, {"lens", String}, {"score", Float},
}

// Reserved reports whether name is taken by a helper or built-in variable (or by expr itself).
func Reserved(name string) bool {
	if _, ok := helpers[name]; ok {
		return true
	}
	for _, b := range builtins {
		if b.Name == name {
			return true
		}
	}
	switch name {
	case "true", "false", "nil", "not", "and", "or", "in", "matches", "contains", "let", "if", "else":
		return true
	}
	return false
}

// Schema is the typed environment expressions are compiled against.
type Schema struct {
	vars   []Var
	sample map[string]any
}

// NewSchema returns a schema with the given state variables plus the built-in ones.
func NewSchema(state []Var) *Schema {
	s := &Schema{sample: map[string]any{}}
	for _, v := range append(append([]Var{}, builtins...), state...) {
		s.vars = append(s.vars, v)
		s.sample[v.Name] = zero(v.Kind)
	}
	s.sample["chose"] = func(string, string) bool { return false }
	s.sample["answered"] = func(string) bool { return false }
	s.sample["visited"] = func(string) bool { return false }
	s.sample["fired"] = func(string) bool { return false }
	return s
}

func zero(k Kind) any {
	switch k {
	case Int:
		return 0
	case Float:
		return 0.0
	case Bool:
		return false
	default:
		return ""
	}
}

// Lookup returns the kind of a variable, and whether it exists.
func (s *Schema) Lookup(name string) (Kind, bool) {
	for _, v := range s.vars {
		if v.Name == name {
			return v.Kind, true
		}
	}
	return 0, false
}

// Error is a compile error with a position inside the expression source (1-based column,
// counted in runes; line is 1 for single-line expressions).
type Error struct {
	Line, Column int
	Message      string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Message) }

// Reference is a literal id passed to a helper function, e.g. chose('q1', 'a').
type Reference struct {
	Func   string
	Args   []string
	Column int // 1-based column of the call in the source
}

// Program is a compiled expression. It is immutable and safe to share between goroutines.
type Program struct {
	src  string
	prog *vm.Program
	want Kind
	refs []Reference
}

// Source returns the expression as written.
func (p *Program) Source() string { return p.src }

// References returns the literal ids the expression passes to helper functions.
func (p *Program) References() []Reference { return p.refs }

// Compile compiles src so that it yields a value of kind want.
func (s *Schema) Compile(src string, want Kind) (*Program, error) {
	if len(src) > MaxSource {
		return nil, &Error{Line: 1, Column: 1, Message: fmt.Sprintf("expression is %d bytes long; the limit is %d", len(src), MaxSource)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Line: 1, Column: 1, Message: "empty expression"}
	}
	g := &guard{}
	opts := []expr.Option{
		expr.Env(s.sample),
		expr.MaxNodes(MaxNodes),
		expr.DisableAllBuiltins(), // now() among them, so that replays are exact
		expr.Patch(g),
	}
	for _, name := range allowedBuiltins {
		opts = append(opts, expr.EnableBuiltin(name))
	}
	switch want {
	case Bool:
		opts = append(opts, expr.AsBool())
	case Float:
		opts = append(opts, expr.AsFloat64())
	case Int:
		opts = append(opts, expr.AsInt())
	}
	if want != String {
		opts = append(opts, expr.WarnOnAny())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, convert(err)
	}
	if g.err != nil {
		return nil, g.err
	}
	p := &Program{src: src, prog: prog, want: want}
	v := &refVisitor{}
	root := prog.Node()
	ast.Walk(&root, v)
	if v.err != nil {
		return nil, v.err
	}
	p.refs = v.refs
	return p, nil
}

func convert(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if msg == "" {
			msg = err.Error()
		}
		return &Error{Line: max(fe.Line, 1), Column: fe.Column + 1, Message: msg}
	}
	msg := err.Error()
	if strings.Contains(msg, "exceeds maximum allowed") || strings.Contains(msg, "max nodes") {
		msg = fmt.Sprintf("expression is too complex (more than %d syntax nodes)", MaxNodes)
	}
	return &Error{Line: 1, Column: 1, Message: msg}
}

// allowedBuiltins are the only expr functions an expression may call besides paraat's
// helpers and the collection predicates (all, any, map, ...). The others are disabled on
// purpose: repeat, replace, join and their kin build strings far larger than their arguments
// without counting against the memory budget (repeat('x'*900, 1000000) allocates almost a
// gigabyte), and the date functions would make a replay depend on the clock.
var allowedBuiltins = []string{"abs", "ceil", "floor", "round", "min", "max", "len", "int", "float", "mean", "median"}

// guard refuses, before optimisation, what the memory budget cannot stop, because expr does
// not count it: adding anything but numbers (strings and lists double with every `a + a`, so
// `let` or a predicate reach terabytes in a few dozen nodes), and a predicate inside another
// predicate's body (all(1..9999, all([...], all([...], true))) runs for hours while allocating
// almost nothing). What remains visits each element of a budgeted range or a literal list a
// bounded number of times.
type guard struct {
	err *Error
}

func (g *guard) Visit(node *ast.Node) {
	if g.err != nil {
		return
	}
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if n.Operator == "+" && !(number(n.Left) && number(n.Right)) {
			g.err = &Error{Line: 1, Column: n.Location().From + 1, Message: "only numbers can be added (`+` on strings or lists is not supported)"}
		}
	case *ast.BuiltinNode:
		for _, a := range n.Arguments {
			body, ok := a.(*ast.PredicateNode)
			if !ok {
				continue
			}
			inner := &predicateFinder{}
			ast.Walk(&body.Node, inner)
			if inner.found != nil {
				g.err = &Error{Line: 1, Column: inner.found.Location().From + 1,
					Message: fmt.Sprintf("%s inside the body of %s: a predicate may not contain another one", inner.name, n.Name)}
				return
			}
		}
	}
}

// number reports whether n can only be a number: its type says so, or it calls a builtin
// that returns numbers only (the checker types abs and mean as any), or it is arithmetic, or
// a condition whose branches both are numbers (1 or 2.5: the checker makes that any too).
// Anything else of type any, such as reduce's #acc, may be a string.
func number(n ast.Node) bool {
	if numeric(n.Type()) {
		return true
	}
	switch n := n.(type) {
	case *ast.ConditionalNode:
		return number(n.Exp1) && number(n.Exp2)
	case *ast.BinaryNode:
		switch n.Operator {
		case "+":
			return number(n.Left) && number(n.Right)
		case "-", "*", "/", "%", "**", "^":
			return true // defined on numbers only
		}
	case *ast.UnaryNode:
		return n.Operator == "-" || n.Operator == "+"
	case *ast.BuiltinNode:
		return numericBuiltins[n.Name]
	}
	return false
}

// numericBuiltins return numbers whatever their arguments (expr refuses strings for them).
var numericBuiltins = map[string]bool{"abs": true, "ceil": true, "floor": true, "round": true, "min": true, "max": true,
	"mean": true, "median": true, "len": true, "int": true, "float": true, "sum": true, "count": true}

func numeric(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// predicateFinder finds a builtin with a predicate body (all, map, reduce, ...).
type predicateFinder struct {
	found ast.Node
	name  string
}

func (f *predicateFinder) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.BuiltinNode); ok && f.found == nil {
		for _, a := range n.Arguments {
			if _, ok := a.(*ast.PredicateNode); ok {
				f.found, f.name = n, n.Name
				return
			}
		}
	}
}

type refVisitor struct {
	refs []Reference
	err  error
}

func (v *refVisitor) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	if _, ok := helpers[id.Value]; !ok {
		return
	}
	ref := Reference{Func: id.Value, Column: call.Location().From + 1}
	for _, a := range call.Arguments {
		str, ok := a.(*ast.StringNode)
		if !ok {
			if v.err == nil {
				v.err = &Error{Line: 1, Column: a.Location().From + 1, Message: fmt.Sprintf("%s takes literal ids ('like-this'), so that they can be checked when the file is loaded", id.Value)}
			}
			return
		}
		ref.Args = append(ref.Args, str.Value)
	}
	v.refs = append(v.refs, ref)
}

// effectRE splits an effect into target, operator and value expression.
var effectRE = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=|\+=|-=)\s*(.+?)\s*$`)

// Op is the operator of an effect.
type Op int

// Effect operators.
const (
	Set Op = iota
	Add
	Sub
)

// Effect is a compiled assignment to a state variable.
type Effect struct {
	Var   string
	Kind  Kind
	Op    Op
	Value *Program
}

// Source returns the effect as written.
func (e *Effect) Source() string { return e.Value.src }

// CompileEffect compiles "name = expr", "name += expr" or "name -= expr".
func (s *Schema) CompileEffect(src string) (*Effect, error) {
	if len(src) > MaxSource {
		return nil, &Error{Line: 1, Column: 1, Message: fmt.Sprintf("effect is %d bytes long; the limit is %d", len(src), MaxSource)}
	}
	m := effectRE.FindStringSubmatchIndex(src)
	if m == nil {
		return nil, &Error{Line: 1, Column: 1, Message: "an effect has the form `name = expression`, `name += expression` or `name -= expression`"}
	}
	name, op, rhs := src[m[2]:m[3]], src[m[4]:m[5]], src[m[6]:m[7]]
	kind, ok := s.Lookup(name)
	if !ok || isBuiltin(name) {
		return nil, &Error{Line: 1, Column: m[2] + 1, Message: fmt.Sprintf("unknown state variable %q", name)}
	}
	e := &Effect{Var: name, Kind: kind}
	switch op {
	case "+=":
		e.Op = Add
	case "-=":
		e.Op = Sub
	}
	if e.Op != Set && kind == Bool {
		return nil, &Error{Line: 1, Column: m[4] + 1, Message: fmt.Sprintf("%s is a bool: only `=` applies", name)}
	}
	want := kind
	if kind == Int {
		// Compiled as a number; lossy refuses a value that can have a fraction, unless rounded
		// explicitly (the rounding functions give a float).
		want = Float
	}
	p, err := s.Compile(rhs, want)
	if err == nil && kind == Int {
		err = s.lossy(name, op, rhs, 1)
	}
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			re.Column += m[6]
			if strings.HasPrefix(re.Message, "expected ") {
				re.Message = fmt.Sprintf("%s is %s %s: %s", name, article(kind), kind, re.Message)
			}
		}
		return nil, err
	}
	p.src = src
	e.Value = p
	return e, nil
}

func isBuiltin(name string) bool {
	for _, b := range builtins {
		if b.Name == name {
			return true
		}
	}
	return false
}

// Env is the mutable environment of one world: state values, helper functions bound to the
// world, and the built-in variables. It is not safe for concurrent use.
type Env map[string]any

// NewEnv returns an environment whose helper functions call the given lookups.
func NewEnv(chose func(q, o string) bool, answered, visited, fired func(string) bool) Env {
	return Env{
		"chose": chose, "answered": answered, "visited": visited, "fired": fired,
		"elapsed": 0.0, "answer_time": 0.0, "role": "", "lens": "", "score": 0.0,
	}
}

// Machine evaluates programs. It reuses its stack between runs, so one Machine per world
// avoids allocations; it is not safe for concurrent use.
type Machine struct {
	vm vm.VM
}

// NewMachine returns a machine with paraat's memory budget.
func NewMachine() *Machine {
	m := &Machine{}
	m.vm.MemoryBudget = MemoryBudget
	return m
}

func (m *Machine) run(p *Program, env Env) (any, error) {
	out, err := m.vm.Run(p.prog, map[string]any(env))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.src, err)
	}
	return out, nil
}

// Bool evaluates a condition.
func (m *Machine) Bool(p *Program, env Env) (bool, error) {
	out, err := m.run(p, env)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// Float evaluates a numeric expression.
func (m *Machine) Float(p *Program, env Env) (float64, error) {
	out, err := m.run(p, env)
	if err != nil {
		return 0, err
	}
	switch v := out.(type) {
	case float64:
		return v, nil
	case int:
		return float64(v), nil
	}
	return 0, fmt.Errorf("%s: not a number", p.src)
}

// Apply evaluates an effect against env and returns the new value, before clamping.
func (m *Machine) Apply(e *Effect, env Env) (any, error) {
	out, err := m.run(e.Value, env)
	if err != nil {
		return nil, err
	}
	if e.Kind == Bool {
		b, _ := out.(bool)
		return b, nil
	}
	var v float64
	switch x := out.(type) {
	case float64:
		v = x
	case int:
		v = float64(x)
	}
	cur := 0.0
	switch x := env[e.Var].(type) {
	case float64:
		cur = x
	case int:
		cur = float64(x)
	}
	switch e.Op {
	case Add:
		v = cur + v
	case Sub:
		v = cur - v
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("%s: result is not a finite number", e.Value.src)
	}
	if e.Kind == Int {
		return int(math.Round(v)), nil
	}
	return v, nil
}

func article(k Kind) string {
	if k == Int {
		return "an"
	}
	return "a"
}
