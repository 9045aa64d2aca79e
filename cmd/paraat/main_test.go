package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

var update = flag.Bool("update", false, "rewrite golden files")

func paraat(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, testEnv, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// testEnv is the environment the commands see in tests: password hashes that are cheap to
// make and check (production parameters cost 64 MiB and a good fraction of a second each).
func testEnv(key string) string {
	if key == "PARAAT_ARGON2" {
		return server.TestKDF.String()
	}
	return ""
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := "testdata/" + name + ".golden"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/paraat -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
}

const testLib = "../../engine/testdata/lib"

func TestCheck(t *testing.T) {
	code, out, _ := paraat(t, "", "check", "--no-builtin", testLib)
	if code != 0 || !strings.Contains(out, "1 scenarios, 0 quizzes, 8 statements in 2 lenses") || !strings.Contains(out, "0 errors") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = paraat(t, "", "check", "--no-builtin", "--sources", "../../engine/testdata/sources", testLib)
	if code != 1 || !strings.Contains(out, "policy/rp.yaml:8:9: the quote of regeerprogramma-2024/navo-twee-procent does not occur in rp.txt") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// TestCheckPaths: folders among the paths stand for their YAML files, and the policy folder
// (or a file in it) means the corpus, which is loaded from beside the scenarios anyway.
func TestCheckPaths(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{testLib + "/policy", testLib + "/voorbeeld.yaml"}, 0, "1 scenarios, 0 quizzes, 8 statements in 2 lenses"},
		{[]string{testLib + "/voorbeeld.yaml", testLib + "/policy/rp.yaml"}, 0, "1 scenarios, 0 quizzes, 8 statements in 2 lenses"},
		{[]string{testLib + "/policy", "../../engine/testdata/broken/fields.yaml"}, 1, "fields.yaml:"},
		{[]string{testLib + "/policy", "testdata"}, 1, "testdata: no .yaml files in this folder"},
	}
	for _, tt := range tests {
		code, out, _ := paraat(t, "", append([]string{"check", "--no-builtin"}, tt.args...)...)
		if code != tt.code || !strings.Contains(out, tt.want) {
			t.Errorf("check %v: exit %d (want %d), output lacks %q:\n%s", tt.args, code, tt.code, tt.want, out)
		}
	}
}

func TestCheckBrokenFiles(t *testing.T) {
	code, out, _ := paraat(t, "", "check", "--no-builtin", "--policy", testLib, "-q", "../../engine/testdata/broken/references.yaml", "../../engine/testdata/broken/fields.yaml")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	golden(t, "check-broken", out)
}

func TestTest(t *testing.T) {
	code, out, _ := paraat(t, "", "test", "-v", "--no-builtin", testLib)
	if code != 0 || !strings.Contains(out, "4 passed, 0 failed") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// shownNumbers gives the numbers under which `paraat play --seed seed` lists options.
func shownNumbers(t *testing.T, q, seed string, ids ...string) string {
	t.Helper()
	lib, diags := engine.Load(os.DirFS(testLib))
	if diags.Errors() > 0 {
		t.Fatal(diags.Err())
	}
	shown := engine.ShownOrder(lib.Scenario("voorbeeld").Question(q), seed)
	var nums []string
	for _, id := range ids {
		i := slices.IndexFunc(shown, func(o *engine.Option) bool { return o.ID.Value == id })
		nums = append(nums, strconv.Itoa(i+1))
	}
	return strings.Join(nums, ",")
}

func TestPlay(t *testing.T) {
	// Invalid input is asked again; the learner reaches the coordinated ending. The options
	// are numbered in the shown order of the seed.
	const seed = "test"
	input := "9\n" + shownNumbers(t, "eerste-stap", seed, "partners-informeren") + "\n" +
		shownNumbers(t, "maatregelen", seed, "sancties", "cmx") + "\nx\n" +
		shownNumbers(t, "prioriteiten", seed, "patrouille", "oefenen", "niets") + "\n2,8\nSamen en op ons moment.\n1,2\n"
	code, out, errs := paraat(t, input, "play", "--lang", "en", "--seed", seed, "--no-builtin", "--library", testLib, "voorbeeld")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden(t, "play-en", out)
	code, out, _ = paraat(t, "1\n3\n", "play", "--no-builtin", "--library", testLib, "voorbeeld")
	if code != 0 || !strings.Contains(out, "Gestopt.") || !strings.Contains(out, "Geëscaleerd") && !strings.Contains(out, "Wat is de eerste stap") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{{}, {"bestaat-niet"}, {"play"}, {"play", "--lang", "de", "voorbeeld"}, {"play", "--no-builtin", "--library", testLib, "onbekend"}, {"check", "--no-builtin", "--sources", "/bestaat/niet", testLib}}
	for _, args := range tests {
		if code, _, _ := paraat(t, "", args...); code != 2 {
			t.Errorf("paraat %v: exit %d, want 2", args, code)
		}
	}
}
