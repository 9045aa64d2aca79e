package engine_test

import (
	"strings"
	"testing"

	"github.com/paraat-nl/paraat/engine"
)

// TestUnnamedWarnings: `paraat check` warns about every state variable without a label and
// every inject without a title, at its line, and the file still loads.
func TestUnnamedWarnings(t *testing.T) {
	corpus := loadTestLib(t).Corpus
	diags := &engine.Diagnostics{}
	s, ok := engine.ParseScenario("omweg.yaml", []byte(strings.Replace(detourScenario, "RETURN", "", 1)), corpus, diags)
	if !ok {
		t.Fatal(diags.Err())
	}
	lib := &engine.Library{Corpus: corpus, Scenarios: []*engine.Scenario{s}}
	lib.Warn(diags)
	var got []string
	for _, d := range diags.List {
		if d.Code == "missing-label" {
			if d.Severity != engine.Warning {
				t.Errorf("%s is not a warning", d)
			}
			got = append(got, d.String())
		}
	}
	want := []string{
		"omweg.yaml:7:3: warning: state variable alarm has no label (nl and en): screens and reports cannot name it [missing-label]",
		"omweg.yaml:10:9: warning: inject a has no title (nl and en): the projector, console and report cannot name it [missing-label]",
		"omweg.yaml:14:9: warning: inject b has no title (nl and en): the projector, console and report cannot name it [missing-label]",
		"omweg.yaml:16:9: warning: inject omweg has no title (nl and en): the projector, console and report cannot name it [missing-label]",
		"omweg.yaml:19:9: warning: inject omweg-2 has no title (nl and en): the projector, console and report cannot name it [missing-label]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
