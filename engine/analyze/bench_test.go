package analyze_test

import (
	"testing"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/engine/analyze"
	"github.com/paraat-nl/paraat/scenarios"
)

// BenchmarkLibrary analyses every file of the built-in library, as `paraat analyze` does.
// docs/BENCHMARKS.md records the measured time next to loading and checking the same files.
func BenchmarkLibrary(b *testing.B) {
	lib, diags := engine.Load(scenarios.FS())
	if diags.Errors() > 0 {
		b.Fatal(diags.List)
	}
	for b.Loop() {
		for _, s := range lib.Scenarios {
			analyze.Analyze(s, lib.Corpus, analyze.Options{})
		}
	}
}

// BenchmarkCheck is the baseline: loading and checking the same library.
func BenchmarkCheck(b *testing.B) {
	for b.Loop() {
		lib, diags := engine.Load(scenarios.FS())
		lib.Warn(diags)
	}
}
