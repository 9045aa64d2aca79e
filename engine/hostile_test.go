package engine_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// allocated returns how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestAliasBomb: a billion-laughs file (ten levels of ten aliases: 10^10 strings once
// expanded) is refused with a positioned error, and refusing it costs about what reading
// the kilobyte it is made of costs, not the gigabytes it stands for.
func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("id: bomb\na0: &a0 \"lol\"\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 10), ", "))
	}
	lib := loadTestLib(t)
	var diags engine.Diagnostics
	var ok bool
	n := allocated(func() {
		_, ok = engine.ParseScenario("bomb.yaml", []byte(b.String()), lib.Corpus, &diags)
	})
	if ok || diags.Errors() != 1 || !strings.Contains(diags.List[0].String(), "bomb.yaml:3:") ||
		!strings.Contains(diags.List[0].Message, "aliases are not allowed") {
		t.Fatalf("loaded %v, diagnostics %v", ok, diags.List)
	}
	t.Logf("%d bytes of YAML, %d bytes allocated", b.Len(), n)
	if n > 1<<20 {
		t.Errorf("refusing a %d-byte alias bomb allocated %d bytes", b.Len(), n)
	}
}

// TestDeepNesting: a file of a hundred thousand nested lists is an error, not a stack
// overflow.
func TestDeepNesting(t *testing.T) {
	data := "id: deep\ntitle: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n"
	var diags engine.Diagnostics
	if _, ok := engine.ParseScenario("deep.yaml", []byte(data), loadTestLib(t).Corpus, &diags); ok || diags.Errors() == 0 {
		t.Fatalf("loaded %v, diagnostics %v", ok, diags.List)
	}
}

// TestHostileExpression: a scenario whose rule would build a string of a terabyte when
// evaluated is refused when it is loaded (as `paraat check` and POST /api/check load
// uploads), with the position of the expression.
func TestHostileExpression(t *testing.T) {
	data, err := os.ReadFile("testdata/lib/voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const good = `when: "escalatie >= 4"`
	if !strings.Contains(string(data), good) {
		t.Fatalf("voorbeeld.yaml has no %s to replace", good)
	}
	bad := strings.Replace(string(data), good, `when: "len(reduce(1..40, #acc + #acc, 'lol')) > 0"`, 1)
	var diags engine.Diagnostics
	if _, ok := engine.ParseScenario("voorbeeld.yaml", []byte(bad), loadTestLib(t).Corpus, &diags); ok {
		t.Fatal("the hostile expression loaded")
	}
	found := false
	for _, d := range diags.List {
		found = found || d.Severity == engine.Error && strings.Contains(d.Message, "only numbers can be added") && d.Pos.Line > 0
	}
	if !found {
		t.Fatalf("diagnostics %v", diags.List)
	}
}
