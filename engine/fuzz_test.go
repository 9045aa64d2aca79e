package engine_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// FuzzParseScenario feeds arbitrary bytes to the loader: it must never panic or hang, and a
// file that loads must also play to an end or report why not.
func FuzzParseScenario(f *testing.F) {
	for _, glob := range []string{"testdata/lib/*.yaml", "testdata/broken/*.yaml", "../scenarios/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	lib := loadTestLib(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		diags := &engine.Diagnostics{}
		s, ok := engine.ParseScenario("fuzz.yaml", data, lib.Corpus, diags)
		if !ok {
			if diags.Errors() == 0 {
				t.Fatal("not loaded, but no error reported")
			}
			return
		}
		engine.PolicyPath(s, s.Lens.Value) // must terminate; errors are allowed
		engine.RunTests(s)
	})
}
