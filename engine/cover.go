package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// CoverCount is how many of a kind of element the tests exercise, and which they miss.
type CoverCount struct {
	Covered, Total int
	Missing        []string
}

func (c *CoverCount) add(id string, hit bool) {
	c.Total++
	if hit {
		c.Covered++
	} else {
		c.Missing = append(c.Missing, id)
	}
}

// Cover is what a scenario's playthrough tests exercise together: the injects shown, the
// options decided (for rank: ranked first), the rules fired and the endings reached.
type Cover struct {
	Injects, Options, Rules, Endings CoverCount
}

// TestCover measures the coverage of a scenario by the results of its tests.
func TestCover(s *Scenario, results []TestResult) Cover {
	shown, fired, ended := map[string]bool{}, map[string]bool{}, map[string]bool{}
	chosen := map[*Question]map[string]bool{}
	for _, r := range results {
		w := r.World
		if w == nil {
			continue
		}
		for _, st := range w.Path() {
			shown[st.Inject] = true
		}
		for _, f := range w.Fired() {
			fired[f.Rule] = true
		}
		if w.Ending() != nil {
			ended[w.Ending().ID.Value] = true
		}
		for _, d := range w.Decisions() {
			q := s.Question(d.Question)
			if q == nil {
				continue
			}
			if chosen[q] == nil {
				chosen[q] = map[string]bool{}
			}
			for _, o := range q.Options {
				if d.Answer.Chose(q, o.ID.Value) {
					chosen[q][o.ID.Value] = true
				}
			}
		}
	}
	var c Cover
	for _, in := range s.Injects {
		c.Injects.add(in.ID.Value, shown[in.ID.Value])
		for _, q := range in.Questions {
			for _, o := range q.Options {
				c.Options.add(q.ID.Value+"/"+o.ID.Value, chosen[q][o.ID.Value])
			}
		}
	}
	for _, r := range s.Rules {
		c.Rules.add(r.ID.Value, fired[r.ID.Value])
	}
	for _, e := range s.Endings {
		c.Endings.add(e.ID.Value, ended[e.ID.Value])
	}
	return c
}

// Trace describes a playthrough step by step: each inject shown with the state after it,
// each decision with its score, each rule that fired, and the ending.
func Trace(w *World) []string {
	type event struct {
		at   float64
		kind int // inject, decision, rule: the order of events at the same moment
		line string
	}
	var evs []event
	for _, st := range w.Path() {
		var vals []string
		for _, v := range st.State {
			vals = append(vals, fmt.Sprintf("%s=%v", v.Name, v.Value))
		}
		evs = append(evs, event{st.At.Seconds(), 0, fmt.Sprintf("inject  %-24s %s", st.Inject, strings.Join(vals, " "))})
	}
	for _, d := range w.Decisions() {
		score := "not addressed"
		if d.Score.Addressed {
			score = fmt.Sprintf("%.4g/%.4g points", d.Score.Points, d.Score.Max)
		}
		evs = append(evs, event{d.At.Seconds(), 1, fmt.Sprintf("decide  %-24s %s (%s)", d.Question, answerString(d.Answer), score)})
	}
	for _, f := range w.Fired() {
		evs = append(evs, event{f.At.Seconds(), 2, "rule    " + f.Rule})
	}
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.kind, b.kind)) })
	out := make([]string, 0, len(evs)+1)
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%6.0fs  %s", e.at, e.line))
	}
	end := "no ending"
	if w.Ending() != nil {
		end = "ending  " + w.Ending().ID.Value
	}
	return append(out, fmt.Sprintf("%7s  %s, score %.2f%%", "", end, w.WorldTotal().Percent))
}

func answerString(a Answer) string {
	switch {
	case a.Option != "":
		return a.Option
	case a.Number != nil:
		return strconvFloat(*a.Number)
	case a.Items != nil || a.Text != "":
		return "[" + strings.Join(a.Items, ", ") + "]"
	case a.Options != nil:
		return "[" + strings.Join(a.Options, ", ") + "]"
	}
	return "(none)"
}
