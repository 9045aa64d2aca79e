package analyze

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paraat-nl/paraat/engine"
)

// asked is one question the policy path answered, with the options it had then.
type asked struct {
	q       *engine.Question
	answer  engine.Answer
	offered []*engine.Option
}

// policyRun plays the policy path and records each decision with the options on offer.
func (p *player) policyRun() (*engine.World, []asked, error) {
	var rec []asked
	w, err := p.play(func(w *engine.World, q *engine.Question) (engine.Answer, bool) {
		a, ok := p.policy(w, q)
		if ok {
			var offered []*engine.Option // in file order: the swaps are listed as the file lists them
			for _, o := range q.Options {
				if w.Offered(o) {
					offered = append(offered, o)
				}
			}
			rec = append(rec, asked{q: q, answer: a, offered: offered})
		}
		return a, ok
	})
	return w, rec, err
}

// alternatives are the answers a decision can be swapped for: every other option (choice),
// every other option first (rank), each option added or dropped and the worst set (multi).
func alternatives(d asked) []engine.Answer {
	var out []engine.Answer
	seen := map[string]bool{key(d.q, d.answer): true}
	add := func(a engine.Answer) {
		if k := key(d.q, a); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	switch d.q.Type {
	case engine.Choice:
		for _, o := range d.offered {
			add(engine.Answer{Option: o.ID.Value})
		}
	case engine.Rank:
		for _, o := range d.offered {
			order := []string{o.ID.Value}
			for _, id := range d.answer.Options {
				if id != o.ID.Value {
					order = append(order, id)
				}
			}
			add(engine.Answer{Options: order})
		}
	case engine.Multi:
		for _, o := range d.offered {
			set := []string{}
			if slices.Contains(d.answer.Options, o.ID.Value) {
				for _, id := range d.answer.Options {
					if id != o.ID.Value {
						set = append(set, id)
					}
				}
			} else {
				set = append(slices.Clone(d.answer.Options), o.ID.Value)
			}
			add(engine.Answer{Options: set})
		}
		// The worst set: every option the policy answer leaves out, none it takes.
		worst := []string{}
		for _, o := range d.offered {
			if !slices.Contains(d.answer.Options, o.ID.Value) {
				worst = append(worst, o.ID.Value)
			}
		}
		add(engine.Answer{Options: worst})
	}
	return out
}

// key identifies an answer: the option, or the set/order of options.
func key(q *engine.Question, a engine.Answer) string {
	if q.Type == engine.Choice {
		return a.Option
	}
	opts := slices.Clone(a.Options)
	if q.Type == engine.Multi {
		slices.Sort(opts)
	}
	return strings.Join(opts, ",")
}

func answerRefs(q *engine.Question, a engine.Answer) []Ref {
	out := []Ref{}
	list := a.Options
	if q.Type == engine.Choice {
		list = []string{a.Option}
	}
	if q.Type == engine.Rank && len(list) > 0 {
		list = list[:1]
	}
	for _, id := range list {
		if o := q.Option(id); o != nil {
			out = append(out, optRef(o))
		}
	}
	return out
}

func qref(q *engine.Question) Ref { return Ref{ID: q.ID.Value, Text: text(q.Prompt)} }

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func samePath(a, b *engine.World) bool {
	pa, pb := a.Path(), b.Path()
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if pa[i].Inject != pb[i].Inject {
			return false
		}
	}
	return true
}

// sensitivity swaps every decision of the policy path for each alternative, answering the
// rest by policy, and compares endings, paths and final state.
func (p *player) sensitivity(pw *engine.World, rec []asked, reach func(*engine.World)) *Sensitivity {
	s := &Sensitivity{Items: []Decision{}, ChangeNothing: []Ref{}, SameEffectsBestBad: []Ref{}}
	pe := endingID(pw.Ending())
	labels := map[string]engine.Text{}
	for _, v := range p.s.State {
		labels[v.Name] = v.Label
	}
	for _, d := range rec {
		alts := alternatives(d)
		if len(alts) == 0 {
			continue
		}
		s.Decisions++
		item := Decision{Question: qref(d.q), Policy: answerRefs(d.q, d.answer)}
		worstScore := 0.0
		scores := make([]float64, len(alts))
		for i, a := range alts {
			scores[i] = engine.ScoreAnswer(d.q, a, p.lens, nil).Points
			if i == 0 || scores[i] < worstScore {
				worstScore = scores[i]
			}
		}
		worstAll, anything := true, false
		for i, a := range alts {
			target := d.q.ID.Value
			w, err := p.play(func(w *engine.World, q *engine.Question) (engine.Answer, bool) {
				if q.ID.Value == target {
					return a, true
				}
				return p.policy(w, q)
			})
			reach(w)
			sw := Swap{Answer: answerRefs(d.q, a), Worst: scores[i] == worstScore, Ending: endingRef(w.Ending()), Moves: []Move{}}
			if err != nil {
				sw.Error = err.Error()
			}
			sw.EndingChanged = endingID(w.Ending()) != pe
			sw.PathChanged = !samePath(w, pw)
			for j, v := range w.State() {
				pv := pw.State()[j].Value
				if fmt.Sprint(pv) == fmt.Sprint(v.Value) {
					continue
				}
				a, _ := num(pv)
				b, _ := num(v.Value)
				sw.Moves = append(sw.Moves, Move{Var: v.Name, Label: text(labels[v.Name]), Policy: pv, Swap: v.Value, Delta: round(b - a)})
			}
			s.Swaps++
			if sw.EndingChanged {
				s.SwapsChangeEnding++
			}
			if sw.Worst && !sw.EndingChanged {
				worstAll = false
			}
			if sw.EndingChanged || sw.PathChanged || len(sw.Moves) > 0 {
				anything = true
			}
			item.Swaps = append(item.Swaps, sw)
		}
		if worstAll {
			s.WorstChangeEnding++
		}
		if !anything {
			s.ChangeNothing = append(s.ChangeNothing, qref(d.q))
		}
		s.Items = append(s.Items, item)
	}
	s.ChangeShare = share(s.SwapsChangeEnding, s.Swaps)
	s.WorstChangeShare = share(s.WorstChangeEnding, s.Decisions)
	for _, q := range p.s.Questions() {
		if sameEffectsBestWorst(q, p.lens) {
			s.SameEffectsBestBad = append(s.SameEffectsBestBad, qref(q))
		}
	}
	return s
}

func endingID(e *engine.Ending) string {
	if e == nil {
		return ""
	}
	return e.ID.Value
}

func effectsOf(o *engine.Option) string {
	var es []string
	for _, e := range o.EffectSrc {
		es = append(es, strings.Join(strings.Fields(e.Text), ""))
	}
	slices.Sort(es)
	return strings.Join(es, ";")
}

// sameEffectsBestWorst reports a choice question whose best and worst options under the lens
// change the state in the same way: the policy costs or gains nothing in the crisis.
func sameEffectsBestWorst(q *engine.Question, lens string) bool {
	if q.Type != engine.Choice || len(q.Options) < 2 || !q.Addressed(lens) {
		return false
	}
	var best, worst *engine.Option
	var bs, ws float64
	for _, o := range q.Options {
		sc := engine.ScoreAnswer(q, engine.Answer{Option: o.ID.Value}, lens, nil).Points
		if best == nil || sc > bs {
			best, bs = o, sc
		}
		if worst == nil || sc < ws {
			worst, ws = o, sc
		}
	}
	return bs > ws && effectsOf(best) == effectsOf(worst)
}
