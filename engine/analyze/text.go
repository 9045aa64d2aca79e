package analyze

import (
	"fmt"
	"strings"
)

// SchemaVersion is the version of the JSON schema in docs/ANALYZE.md.
const SchemaVersion = 1

// Result is what `paraat analyze --json` prints.
type Result struct {
	Version int       `json:"version"`
	Files   []*Report `json:"files"`
}

func pf(f *float64) string {
	if f == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", *f)
}

func ending(r *Ref) string {
	if r == nil {
		return "(no ending)"
	}
	return r.Text.EN
}

// FormatText renders a report as the readable English text of `paraat analyze`.
func FormatText(r *Report) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s — %s (%s, %s; lens %s)\n", r.File, r.Title.EN, r.ID, r.Kind, r.Lens)
	if r.Brief != nil {
		for _, g := range r.Brief.Goals {
			w("  goal: %s\n", g.EN)
		}
	}
	w("\nGates\n")
	for _, g := range r.Gates {
		status := "pass"
		switch {
		case !g.Applies:
			status = "n/a "
		case g.Relaxed && !g.Passed:
			status = "RELAXED"
		case g.Relaxed:
			status = "pass (relaxed)"
		case !g.Passed:
			status = "FAIL"
		}
		w("  %-8s %-18s %s\n", status, g.ID, g.Label.EN)
		for _, f := range g.Findings {
			w("             - %s\n", f.EN)
		}
		if g.Reason != nil {
			w("             relaxed because: %s\n", g.Reason.EN)
		}
	}
	for _, p := range r.Problems {
		w("  %s:%d:%d: %s\n", r.File, p.Line, p.Column, p.Message.EN)
	}

	c := r.Cues
	w("\nForm cues (%d choice, %d multi questions)\n", c.ChoiceQuestions, c.MultiQuestions)
	w("  key is the longest option:   %s (by chance %s); longest in words: %s\n", pf(c.KeyLongestShare), pf(c.KeyLongestChance), pf(c.KeyLongestWordsShare))
	w("  key is the shortest option:  %s\n", pf(c.KeyShortestShare))
	w("  key position in the file:    %v (count per position 1, 2, ...); first: %s\n", c.KeyFilePositions, pf(c.KeyFirstInFileShare))
	w("  key position as shown:       %v\n", c.KeyShownPositions)
	w("  absolute words:              %d of %d keys, %d of %d distractors\n", c.KeysWithAbsolute, c.Keys, c.DistractorsWithAbsolute, c.Distractors)
	w("  citations per option:        keys %s, distractors %s\n", num2(c.MeanKeyCitations), num2(c.MeanDistractorCitations))
	w("  distractors with credit:     %d\n", c.PartialCreditDistractors)
	if c.MultiQuestions > 0 {
		w("  multi, select every option:  %s; select none: %s\n", pf(c.MeanSelectAllPercent), pf(c.MeanSelectNonePercent))
	}
	if c.LensUnaddressedQuestions > 0 || c.KeyTiedQuestions > 0 {
		w("  lens silent on %d questions; key tied with another option in %d\n", c.LensUnaddressedQuestions, c.KeyTiedQuestions)
	}

	w("\nStrategies (score as %% of the policy path's %.0f%%; policy path ends: %s)\n", r.Policy.Percent, ending(r.Policy.Ending))
	for _, s := range r.Strategies {
		if !s.Applies {
			w("  %-32s n/a (no multi questions)\n", s.Label.EN)
			continue
		}
		w("  %-32s %6s  ends: %s\n", s.Label.EN, pf(s.OfPolicy), endings(s.Endings))
	}
	rd := r.Random
	w("  %-32s %6s  sd %s, min %s, max %s over %d runs (seed %d)\n", "uniformly random", pf(rd.MeanOfPolicy), pf(rd.SDOfPolicy), pf(rd.MinOfPolicy), pf(rd.MaxOfPolicy), rd.Runs, rd.Seed)
	if len(rd.Endings) > 0 {
		w("  %-32s         ends: %s\n", "", endings(rd.Endings))
	}

	if s := r.Sensitivity; s != nil {
		w("\nDecision sensitivity: %d decisions, %d single swaps, %d change the ending (%s); worst swap changes the ending in %d of %d decisions (%s)\n",
			s.Decisions, s.Swaps, s.SwapsChangeEnding, pf(s.ChangeShare), s.WorstChangeEnding, s.Decisions, pf(s.WorstChangeShare))
		for _, d := range s.Items {
			changed := 0
			for _, sw := range d.Swaps {
				if sw.EndingChanged {
					changed++
				}
			}
			w("  %-60s %d/%d swaps change the ending\n", clip(d.Question.Text.EN, 60), changed, len(d.Swaps))
			for _, sw := range d.Swaps {
				if !sw.Worst {
					continue
				}
				var names []string
				for _, a := range sw.Answer {
					names = append(names, a.Text.EN)
				}
				what := "none selected"
				if len(names) > 0 {
					what = clip(strings.Join(names, " + "), 50)
				}
				w("    worst: %-50s -> %s%s\n", what, ending(sw.Ending), moves(sw.Moves))
			}
		}
		if len(s.ChangeNothing) > 0 {
			w("  decisions that change nothing (ending, path or state):\n")
			for _, q := range s.ChangeNothing {
				w("    - %s\n", q.Text.EN)
			}
		}
		if len(s.SameEffectsBestBad) > 0 {
			w("  best and worst option have the same effects:\n")
			for _, q := range s.SameEffectsBestBad {
				w("    - %s\n", q.Text.EN)
			}
		}
	}

	w("\nLenses\n")
	for _, l := range r.Lenses {
		mark := ""
		if l.Default {
			mark = " (analysed)"
		}
		w("  %-24s addresses %d, silent on %d, best answer differs on %d; policy path %.0f%%, ends: %s%s\n",
			l.Lens, l.Addressed, len(l.Silent), len(l.Differs), l.Path.Percent, ending(l.Path.Ending), mark)
		if l.DefaultLensSteps+l.AmbiguousSteps > 0 {
			w("  %-24s of its %d steps, %d were decided by the default lens and %d by the fixed last-resort rule\n",
				"", len(l.Steps), l.DefaultLensSteps, l.AmbiguousSteps)
		}
	}

	if f := r.Flow; f != nil {
		bound := "all playthroughs explored"
		if f.BoundHit {
			bound = fmt.Sprintf("BOUND of %d replays hit: results cover part of the playthroughs", f.Bound)
		}
		w("\nClock and flow (%d replays, %d complete; %s)\n", f.Runs, f.Complete, bound)
		var reach []string
		for _, e := range f.Reachable {
			reach = append(reach, e.Text.EN)
		}
		w("  reachable endings: %d of %d: %s\n", len(f.Reachable), len(r.Endings), strings.Join(reach, "; "))
		for _, t := range f.Backwards {
			w("  clock runs back: %s (%s) -> %s (%s)\n", t.FromClock, t.From.Text.EN, t.ToClock, t.To.Text.EN)
		}
		for _, in := range f.Repeats {
			w("  warning: inject shown twice on one path: %s\n", in.Text.EN)
		}
		for _, ri := range f.RuleInjects {
			var then []string
			for _, t := range ri.Then {
				then = append(then, t.Text.EN)
			}
			if ri.Ends {
				then = append(then, "the end")
			}
			fires := "fires"
			if !ri.Fires {
				fires = "never fires on an explored path"
			}
			w("  rule %s shows %q (%s); then: %s\n", ri.Rule, ri.Inject.Text.EN, fires, strings.Join(then, ", "))
		}
		if f.NoEnding {
			w("  warning: some playthroughs reach no ending\n")
		}
		if f.Loops > 0 {
			w("  warning: %d playthroughs stopped without an ending (loop or evaluation error)\n", f.Loops)
		}
	}
	return b.String()
}

// moves renders the state variables a swap moved, as "; name +2, other -10".
func moves(ms []Move) string {
	if len(ms) == 0 {
		return ""
	}
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s %+g", m.Label.EN, m.Delta))
	}
	return "; " + strings.Join(parts, ", ")
}

func num2(f *float64) string {
	if f == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", *f)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func endings(es []EndingCount) string {
	var parts []string
	for _, e := range es {
		name := ending(e.Ending)
		if e.Best {
			name += " (best)"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", name, e.Runs))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// FormatSummary renders one line per report: the headline numbers and the failed gates.
func FormatSummary(rs []*Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-28s %6s %6s %7s %8s %7s  %s\n", "file", "naive", "random", "longest", "endings", "swaps", "gates failed")
	for _, r := range rs {
		s := r.Summary
		failed := strings.Join(s.GatesFailed, ", ")
		if failed == "" {
			failed = "none"
		}
		if len(s.GatesRelaxed) > 0 {
			failed += " (relaxed: " + strings.Join(s.GatesRelaxed, ", ") + ")"
		}
		endings := "-"
		if r.Kind == "scenario" {
			endings = fmt.Sprintf("%d/%d", s.ReachableEndings, len(r.Endings))
		}
		fmt.Fprintf(&b, "%-28s %6s %6s %7s %8s %7s  %s\n", r.ID, pf(s.BestNaiveOfPolicy), pf(s.RandomMeanOfPol), pf(s.KeyLongestShare), endings, pf(s.EndingChangeShare), failed)
	}
	return b.String()
}
