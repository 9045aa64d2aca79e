package main

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/engine/analyze"
)

// analyzeAll analyses every file of the library, spread over the machine's cores; the
// reports come back in library order.
func analyzeAll(lib *engine.Library, opt analyze.Options) []*analyze.Report {
	out := make([]*analyze.Report, len(lib.Scenarios))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(lib.Scenarios)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = analyze.Analyze(lib.Scenarios[i], lib.Corpus, opt)
			}
		}()
	}
	for i := range lib.Scenarios {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// gateDiagnostics turns the gate results of the reports into diagnostics: failed gates as
// errors (or warnings with --gates=warn), relaxed gates as warnings that quote the reason,
// injects a playthrough can show twice as warnings, and problems in the file (an unknown gate
// in relax: is an error, an unreadable clock a warning).
func gateDiagnostics(lib *engine.Library, reports []*analyze.Report, sev engine.Severity, diags *engine.Diagnostics) {
	for i, r := range reports {
		s := lib.Scenarios[i]
		for _, g := range r.Gates {
			switch {
			case g.Failed():
				for _, f := range g.Findings {
					diags.List = append(diags.List, engine.Diagnostic{Severity: sev, File: s.File, Pos: s.ID.Pos,
						Code: "assessment-gate", Message: fmt.Sprintf("gate %s: %s", g.ID, f.EN)})
				}
			case g.Relaxed:
				status := "passes anyway"
				if !g.Passed {
					status = "fails"
				}
				diags.List = append(diags.List, engine.Diagnostic{Severity: engine.Warning, File: s.File, Pos: relaxPos(s, g.ID),
					Code: "gate-relaxed", Message: fmt.Sprintf("gate %s is relaxed (it %s): %s", g.ID, status, g.Reason.EN)})
			}
		}
		if r.Flow != nil {
			for _, rep := range r.Flow.Repeats {
				if in := s.Inject(rep.ID); in != nil {
					diags.List = append(diags.List, engine.Diagnostic{Severity: engine.Warning, File: s.File, Pos: in.ID.Pos,
						Message: fmt.Sprintf("inject %s can be shown twice on one playthrough", rep.ID)})
				}
			}
		}
		for _, p := range r.Problems {
			sv := engine.Warning
			if p.Gate != analyze.GateClocks {
				sv = engine.Error
			}
			diags.List = append(diags.List, engine.Diagnostic{Severity: sv, File: s.File, Pos: engine.Pos{Line: p.Line, Column: p.Column}, Message: p.Message.EN})
		}
	}
	diags.Sort()
}

func relaxPos(s *engine.Scenario, gate string) engine.Pos {
	for _, r := range s.Relax {
		if r.Gate.Value == gate {
			return r.Gate.Pos
		}
	}
	return s.ID.Pos
}
