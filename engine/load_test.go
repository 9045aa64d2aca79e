package engine_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

var update = flag.Bool("update", false, "rewrite golden files")

// loadTestLib loads the small library in testdata/lib and fails the test on any error.
func loadTestLib(t testing.TB) *engine.Library {
	t.Helper()
	lib, diags := engine.Load(os.DirFS("testdata/lib"))
	if diags.Errors() > 0 {
		t.Fatalf("testdata/lib does not load: %v", diags.Err())
	}
	return lib
}

// TestCheckGolden loads each broken file against the test corpus and compares every
// diagnostic with its golden file.
func TestCheckGolden(t *testing.T) {
	lib := loadTestLib(t)
	files, _ := filepath.Glob("testdata/broken/*.yaml")
	if len(files) == 0 {
		t.Fatal("no broken files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			diags := &engine.Diagnostics{}
			_, ok := engine.ParseScenario(file, data, lib.Corpus, diags)
			if ok {
				t.Errorf("%s loaded without errors", file)
			}
			diags.Sort()
			var b strings.Builder
			for _, d := range diags.List {
				b.WriteString(d.String() + "\n")
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./engine -run Golden -update)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("diagnostics differ from %s\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

func TestLoadLibrary(t *testing.T) {
	lib := loadTestLib(t)
	s := lib.Scenario("voorbeeld")
	if s == nil {
		t.Fatal("voorbeeld not loaded")
	}
	if got := len(s.Questions()); got != 5 {
		t.Errorf("questions = %d, want 5", got)
	}
	if st := lib.Corpus.Statement("ivs-2026/navo-cmx"); st == nil || st.Section != "3.3" {
		t.Errorf("statement navo-cmx = %+v", st)
	}
	if got := lib.Corpus.Lenses(); strings.Join(got, ",") != "ivs-2026,regeerprogramma-2024" {
		t.Errorf("lenses = %v", got)
	}
}

func TestVerifyQuotes(t *testing.T) {
	lib := loadTestLib(t)
	diags := &engine.Diagnostics{}
	engine.VerifyQuotes(lib.Corpus, os.DirFS("testdata/sources"), diags)
	// ivs.txt holds every quote (one with a non-breaking space and a double space, which
	// must still match); rp.txt does not hold its only quote.
	if len(diags.List) != 1 || !strings.Contains(diags.List[0].Message, "regeerprogramma-2024/navo-twee-procent does not occur in rp.txt") {
		t.Errorf("diagnostics = %v", diags.List)
	}
}

func TestNormalizeQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a  b\u00a0c\u2003d\n e", "a b c d e"},
		{"‘zo’ en “zo”", "'zo' en \"zo\""},
		{"2026–2030 — nu", "2026-2030 - nu"},
		{"  rand  ", "rand"},
		{"af\u00adbreken", "afbreken"},
	}
	for _, tt := range tests {
		if got := engine.NormalizeQuote(tt.in); got != tt.want {
			t.Errorf("NormalizeQuote(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOversizedFile(t *testing.T) {
	lib := loadTestLib(t)
	dir := t.TempDir()
	big := make([]byte, engine.MaxFileSize+10)
	for i := range big {
		big[i] = ' '
	}
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	diags := &engine.Diagnostics{}
	engine.LoadScenarios(os.DirFS(dir), []string{"big.yaml"}, lib.Corpus, diags)
	if diags.Errors() != 1 || !strings.Contains(diags.List[0].Message, "larger than") {
		t.Errorf("diagnostics = %v", diags.List)
	}
}
