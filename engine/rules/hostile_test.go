package rules_test

import (
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine/rules"
)

// TestRefusedExhaustion: expressions that would exhaust memory or run for hours without
// touching expr's memory budget are refused when they are compiled. Each of them, compiled
// with expr's defaults, killed a test process under a 3 GB limit or ran for minutes; they
// are not run here, since a regression would take the test binary down with it.
func TestRefusedExhaustion(t *testing.T) {
	x900 := strings.Repeat("x", 900)
	list := strings.TrimSuffix(strings.Repeat("7,", 60), ",")
	for _, tc := range []struct{ name, src, msg string }{
		{"doubling with reduce", "len(reduce(1..40, #acc + #acc, 'x')) > 0", "only numbers can be added"},
		{"doubling with let", "let a = 'xxxxxxxx'; let b = a + a; let c = b + b; let d = c + c; len(d) > 0", "only numbers can be added"},
		{"doubling through a condition", "let a = 'xxxxxxxx'; let b = (alarm ? a : a) + a; len(b) > 0", "only numbers can be added"},
		{"doubling in nested maps", "len(map(map(map(['" + x900 + "'], # + #), # + #), # + #)) > 0", "only numbers can be added"},
		{"repeat past the budget check", "len(repeat('" + x900 + "', 1000000)) > 0", "unknown name repeat"},
		{"nested replace", "len(replace(replace('xx', 'x', 'xxxxxxxx'), 'x', 'xxxxxxxx')) > 0", "unknown name replace"},
		{"join", "len(join(map(1..9000, 'xxxxxxxx'), '')) > 0", "unknown name join"},
		{"toJSON", "len(toJSON(1..9000)) > 0", "unknown name toJSON"},
		{"the clock", "now().Year() > 2000", "unknown name now"},
		{"nested predicates", "all(1..9999, all([" + list + "], all([" + list + "], true)))", "a predicate may not contain another one"},
		{"a predicate in a map body", "len(map(1..9999, filter(1..9999, # > 0))) > 0", "a predicate may not contain another one"},
	} {
		if len(tc.src) > rules.MaxSource {
			t.Fatalf("%s: the expression is %d bytes, over MaxSource: it would not test the guard", tc.name, len(tc.src))
		}
		_, err := schema().Compile(tc.src, rules.Bool)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.msg)
		}
	}
}

// TestBudgetStops: what the guard lets through is bounded by the memory budget, which is
// shared by the whole evaluation: two ranges that each fit under it do not fit together.
func TestBudgetStops(t *testing.T) {
	for _, src := range []string{
		"all(1..9999, # > 0) && all(2..9999, # > 0)", // different ranges, so the optimiser cannot merge them
		"len(map(1..6000, #)) + len(filter(1..6000, # > 0)) > 0",
		"len(1..100000) > 0",
	} {
		p, err := schema().Compile(src, rules.Bool)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, err := rules.NewMachine().Bool(p, env()); err == nil || !strings.Contains(err.Error(), "memory budget exceeded") {
			t.Errorf("%s: got %v, want the memory budget exceeded", src, err)
		}
	}
	// Within the budget, the same constructs work: the guard refuses shapes, not sizes.
	for _, src := range []string{
		"all(1..4000, # > 0) && any([1, 2, 3], # == escalatie)",
		"sum(map(1..10, # * 2)) == 110.0 && max(escalatie, 2) == 3 && abs(-vertrouwen) == 0.5",
		"count(1..10, # % 2 == 0) == 5 && len([1, 2]) + escalatie == 5",
		// Numbers the checker types as any: a condition of int and float, abs, mean.
		"(alarm ? 1 : 2.5) + abs(-vertrouwen) + mean([1, 2]) == 4.5",
	} {
		p, err := schema().Compile(src, rules.Bool)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if ok, err := rules.NewMachine().Bool(p, env()); err != nil || !ok {
			t.Errorf("%s: got %v, %v; want true", src, ok, err)
		}
	}
}
