package engine

import (
	"math"
	"slices"
	"strings"
)

// Answer is what a participant (or a world, as its decision) answers to one question. Which
// field is used depends on the question type.
type Answer struct {
	Option  string   `json:"option,omitempty"`  // choice
	Options []string `json:"options,omitempty"` // multi (a set) and rank (an order)
	Number  *float64 `json:"number,omitempty"`  // number
	Text    string   `json:"text,omitempty"`    // text
	Items   []string `json:"items,omitempty"`   // text: rubric items met (set by the facilitator or a learner)
}

// Chose reports whether the answer picked option id (for rank: put it first).
func (a Answer) Chose(q *Question, id string) bool {
	switch q.Type {
	case Choice:
		return a.Option == id
	case Multi:
		return slices.Contains(a.Options, id)
	case Rank:
		return len(a.Options) > 0 && a.Options[0] == id
	}
	return false
}

// Citation is one policy statement behind a score.
type Citation struct {
	Statement string `json:"statement"`
	Supports  bool   `json:"supports"`         // true: the answer agrees with it; false: it conflicts
	Via       string `json:"via,omitempty"`    // the option, rubric item or accepted value that cites it
	Chosen    bool   `json:"chosen,omitempty"` // the cited option or item is part of the answer
}

// Score is the policy score of one answer under one lens.
type Score struct {
	Question  string     `json:"question"`
	Lens      string     `json:"lens"`
	Points    float64    `json:"points"`
	Max       float64    `json:"max"`
	Addressed bool       `json:"addressed"`         // false: no statement of the lens addresses the question
	Pending   bool       `json:"pending,omitempty"` // a text answer waiting for its rubric marks
	Override  bool       `json:"override,omitempty"`
	Citations []Citation `json:"citations,omitempty"`
}

// Weight is the weight of a set of citations under a lens: the number of statements of the
// lens supported minus the number conflicted with. Above zero the option (or accepted value,
// or rubric item) is right under the lens, below zero wrong, at zero neutral.
func (c Citations) Weight(lens string) float64 {
	w, _ := weight(c, lens)
	return w
}

func inLens(id, lens string) bool {
	return len(id) > len(lens) && id[len(lens)] == '/' && strings.HasPrefix(id, lens)
}

// weight is the number of supporting minus conflicting statements of the lens, and whether
// any statement of the lens is cited at all.
func weight(c Citations, lens string) (float64, bool) {
	w, any := 0.0, false
	for _, r := range c.Supports {
		if inLens(r.Value, lens) {
			w++
			any = true
		}
	}
	for _, r := range c.Conflicts {
		if inLens(r.Value, lens) {
			w--
			any = true
		}
	}
	return w, any
}

func cite(out []Citation, c Citations, lens, via string, chosen bool) []Citation {
	for _, r := range c.Supports {
		if inLens(r.Value, lens) {
			out = append(out, Citation{Statement: r.Value, Supports: true, Via: via, Chosen: chosen})
		}
	}
	for _, r := range c.Conflicts {
		if inLens(r.Value, lens) {
			out = append(out, Citation{Statement: r.Value, Supports: false, Via: via, Chosen: chosen})
		}
	}
	return out
}

// Addressed reports whether the lens says anything about the question that tells its answers
// apart: some option or rubric item it weighs other than zero, or some accepted value it
// supports. A lens that cites nothing here (or whose citations cancel out) leaves the
// question *not addressed*: neutral, outside the maximum, and never read as support for any
// answer.
func (q *Question) Addressed(lens string) bool { return q.addressed(lens, nil) }

func (q *Question) addressed(lens string, offered func(*Option) bool) bool {
	for _, o := range q.Options {
		if offered != nil && !offered(o) {
			continue
		}
		if w, _ := weight(o.Citations, lens); w != 0 {
			return true
		}
	}
	for _, a := range q.Accept {
		if w, _ := weight(a.Citations, lens); w > 0 {
			return true
		}
	}
	for _, it := range q.Rubric {
		if w, _ := weight(it.Citations, lens); w != 0 {
			return true
		}
	}
	return false
}

// ScoreAnswer computes the policy score of an answer under a lens, from the citations alone
// (score overrides need a world; see World). offered restricts scoring to the options that
// were available; nil means all.
func ScoreAnswer(q *Question, a Answer, lens string, offered func(*Option) bool) Score {
	s := Score{Question: q.ID.Value, Lens: lens, Max: q.Points}
	if !q.addressed(lens, offered) {
		return s
	}
	s.Addressed = true
	frac := 0.0
	switch q.Type {
	case Choice:
		lo, hi, mine := math.Inf(1), math.Inf(-1), 0.0
		for _, o := range q.Options {
			if offered != nil && !offered(o) {
				continue
			}
			w, _ := weight(o.Citations, lens)
			lo, hi = min(lo, w), max(hi, w)
			chosen := o.ID.Value == a.Option
			if chosen {
				mine = w
			}
			s.Citations = cite(s.Citations, o.Citations, lens, o.ID.Value, chosen)
		}
		switch {
		case q.IsFact():
			// Right or wrong: a distractor earns nothing, whatever it cites.
			if mine == hi {
				frac = 1
			}
		case hi > lo:
			frac = (mine - lo) / (hi - lo)
		default:
			frac = 1
		}
	case Multi:
		frac = multiFraction(q, a, lens, offered, &s)
	case Rank:
		pos := make(map[string]int, len(a.Options))
		for i, id := range a.Options {
			pos[id] = i
		}
		var opts []*Option
		for _, o := range q.Options {
			if offered == nil || offered(o) {
				opts = append(opts, o)
			}
		}
		pairs, right := 0, 0
		for i, o := range opts {
			wi, _ := weight(o.Citations, lens)
			s.Citations = cite(s.Citations, o.Citations, lens, o.ID.Value, true)
			for _, p := range opts[i+1:] {
				wj, _ := weight(p.Citations, lens)
				if wi == wj {
					continue
				}
				pairs++
				pi, oki := pos[o.ID.Value]
				pj, okj := pos[p.ID.Value]
				if oki && okj && (pi < pj) == (wi > wj) {
					right++
				}
			}
		}
		frac = 1
		if pairs > 0 {
			frac = float64(right) / float64(pairs)
		}
	case Number:
		for _, acc := range q.Accept {
			w, ok := weight(acc.Citations, lens)
			if !ok || w <= 0 {
				continue
			}
			hit := a.Number != nil && math.Abs(*a.Number-acc.Value) <= acc.Tolerance+1e-9
			s.Citations = cite(s.Citations, acc.Citations, lens, formatNumber(acc.Value), hit)
			if hit {
				frac = 1
			}
		}
	case Free:
		if a.Items == nil {
			s.Pending = true
		}
		total, mine := 0.0, 0.0
		for _, it := range q.Rubric {
			w, ok := weight(it.Citations, lens)
			if !ok {
				continue
			}
			met := slices.Contains(a.Items, it.ID.Value)
			if w > 0 {
				total += it.Points
			}
			if met {
				switch {
				case w > 0:
					mine += it.Points
				case w < 0:
					mine -= it.Points
				}
			}
			s.Citations = cite(s.Citations, it.Citations, lens, it.ID.Value, met)
		}
		if total > 0 {
			frac = min(max(mine/total, 0), 1)
		}
	}
	s.Points = round2(frac * q.Points)
	return s
}

// multiFraction scores a set of options: the right selections (positive weight under the
// lens) earn their share of all right weight, the wrong ones (negative weight) cost their
// share of all wrong weight, and the result is floored at zero:
//
//	frac = Σ w(chosen right) / Σ w(right) − Σ |w(chosen wrong)| / Σ |w(wrong)|
//
// Options of weight zero are neutral. Selecting every option therefore scores zero on a
// question with right and wrong options, and selecting at random about as little. Where the
// lens marks no option right, the first term is 1: leaving every option out is all the
// right there is to do.
func multiFraction(q *Question, a Answer, lens string, offered func(*Option) bool, s *Score) float64 {
	right, wrong, gotRight, gotWrong := 0.0, 0.0, 0.0, 0.0
	for _, o := range q.Options {
		if offered != nil && !offered(o) {
			continue
		}
		w, _ := weight(o.Citations, lens)
		chosen := slices.Contains(a.Options, o.ID.Value)
		switch {
		case w > 0:
			right += w
			if chosen {
				gotRight += w
			}
		case w < 0:
			wrong -= w
			if chosen {
				gotWrong -= w
			}
		}
		s.Citations = cite(s.Citations, o.Citations, lens, o.ID.Value, chosen)
	}
	earned, lost := 1.0, 0.0
	if right > 0 {
		earned = gotRight / right
	}
	if wrong > 0 {
		lost = gotWrong / wrong
	}
	return max(earned-lost, 0)
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func formatNumber(f float64) string {
	return strconvFloat(f)
}

// BestAnswer returns the answer that scores best under the lens alone: PolicyAnswer without a
// default lens to settle what the lens leaves open.
func BestAnswer(q *Question, lens string, offered func(*Option) bool) Answer {
	return PolicyAnswer(q, lens, "", offered).Answer
}
