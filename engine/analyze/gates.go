package analyze

import (
	"fmt"

	"github.com/paraat-nl/paraat/engine"
)

// Gate ids: what a file's `relax:` list names.
const (
	GateNaive      = "naive-strategies"
	GateRandom     = "random-play"
	GateKeyLongest = "key-longest"
	GateEndings    = "endings-reachable"
	GateBestEnding = "best-ending"
	GateDecisions  = "decisions-matter"
	GateClocks     = "clocks"
)

// Limits of the gates.
const (
	NaiveLimit          = 60 // % of the policy path's score a form strategy may reach
	RandomLimit         = 50 // % of the policy path's score random play may reach on average
	KeyLongestLimit     = 40 // % of choice questions whose key may be the longest option
	KeyLongestMinimum   = 8  // choice questions a file needs before KeyLongestLimit applies
	MinReachableEndings = 3
	DecisionsLimit      = 50 // % of policy-path decisions whose worst swap must change the ending
)

// GateDef describes a gate.
type GateDef struct {
	ID    string
	Label Text
}

// Gates lists every gate in report order.
var Gates = []GateDef{
	{GateNaive, Text{"Naïeve strategieën scoren hoogstens 60% van het beleidspad en halen nooit het beste einde",
		"Naive strategies score at most 60% of the policy path and never reach the best ending"}},
	{GateRandom, Text{"Willekeurig spel scoort gemiddeld hoogstens 50% van het beleidspad",
		"Random play scores on average at most 50% of the policy path"}},
	{GateKeyLongest, Text{"Het beste antwoord is in hoogstens 40% van de keuzevragen het langste",
		"The best answer is the longest option in at most 40% of choice questions"}},
	{GateEndings, Text{"Minstens drie eindes zijn bereikbaar", "At least three endings can be reached"}},
	{GateBestEnding, Text{"Het beleidspad bereikt het ene beste einde", "The policy path reaches the one best ending"}},
	{GateDecisions, Text{"Minstens de helft van de beslissingen verandert het einde als je ze slechtst mogelijk neemt",
		"At least half of the decisions change the ending when taken worst"}},
	{GateClocks, Text{"De klok loopt op geen enkel pad terug", "The clock never runs backwards on any path"}},
}

func gateLabel(id string) Text {
	for _, g := range Gates {
		if g.ID == id {
			return g.Label
		}
	}
	return Text{id, id}
}

func tf(nl, en string, args ...any) Text {
	return Text{NL: fmt.Sprintf(nl, args...), EN: fmt.Sprintf(en, args...)}
}

func title(r *Ref) Text {
	if r == nil {
		return Text{"geen einde", "no ending"}
	}
	return r.Text
}

// gates judges the report. Relaxations with a reason are applied; unknown gate ids in the
// file's relax list become problems.
func gates(s *engine.Scenario, r *Report, best string) []Gate {
	scenario := s.Kind == engine.KindScenario
	var out []Gate
	for _, def := range Gates {
		g := Gate{ID: def.ID, Label: def.Label, Applies: true, Passed: true, Findings: []Text{}}
		fail := func(t Text) { g.Passed = false; g.Findings = append(g.Findings, t) }
		switch def.ID {
		case GateNaive:
			for _, st := range r.Strategies {
				if !st.Applies {
					continue
				}
				if st.OfPolicy != nil && *st.OfPolicy > NaiveLimit {
					fail(bi(func(l string) string {
						return fmt.Sprintf(pick(l, "%s: %.0f%% van het beleidspad (grens %d%%)", "%s: %.0f%% of the policy path (limit %d%%)"),
							st.Label.In(l), *st.OfPolicy, NaiveLimit)
					}))
				}
				if st.BestEnding {
					fail(bi(func(l string) string {
						return fmt.Sprintf(pick(l, "%s: bereikt het beste einde", "%s: reaches the best ending"), st.Label.In(l))
					}))
				}
			}
		case GateRandom:
			if m := r.Random.MeanOfPolicy; m != nil && *m > RandomLimit {
				fail(tf("willekeurig spel scoort gemiddeld %.0f%% van het beleidspad (grens %d%%)",
					"random play scores %.0f%% of the policy path on average (limit %d%%)", *m, RandomLimit))
			}
		case GateKeyLongest:
			n := r.Cues.ChoiceQuestions
			g.Applies = n >= KeyLongestMinimum
			if sh := r.Cues.KeyLongestShare; g.Applies && sh != nil && *sh > KeyLongestLimit {
				fail(tf("het beste antwoord is in %.0f%% van de %d keuzevragen het langste (grens %d%%; bij toeval %.0f%%)",
					"the best answer is the longest option in %.0f%% of %d choice questions (limit %d%%; by chance %.0f%%)",
					*sh, n, KeyLongestLimit, deref(r.Cues.KeyLongestChance)))
			}
		case GateEndings:
			g.Applies = scenario
			n := 0
			for _, e := range r.Endings {
				if e.Reachable {
					n++
				}
			}
			if scenario && n < MinReachableEndings {
				fail(tf("%d van de %d eindes zijn bereikbaar (minimaal %d)", "%d of %d endings can be reached (at least %d)",
					n, len(r.Endings), MinReachableEndings))
			}
		case GateBestEnding:
			g.Applies = scenario
			switch {
			case !scenario:
			case best == "":
				fail(Text{"geen einde is gemarkeerd met best: true", "no ending is marked best: true"})
			case r.Policy.Ending == nil || r.Policy.Ending.ID != best:
				fail(bi(func(l string) string {
					return fmt.Sprintf(pick(l, "het beleidspad eindigt in ‘%s’, niet in het beste einde", "the policy path ends in ‘%s’, not in the best ending"),
						title(r.Policy.Ending).In(l))
				}))
			}
		case GateDecisions:
			g.Applies = scenario
			if sn := r.Sensitivity; scenario && sn != nil {
				if sn.Decisions == 0 {
					fail(Text{"het beleidspad heeft geen beslissingen met alternatieven", "the policy path has no decisions with alternatives"})
				} else if 100*sn.WorstChangeEnding < DecisionsLimit*sn.Decisions {
					fail(tf("%d van de %d beslissingen veranderen het einde als je ze slechtst mogelijk neemt (minimaal de helft)",
						"%d of %d decisions change the ending when taken worst (at least half)", sn.WorstChangeEnding, sn.Decisions))
				}
			}
		case GateClocks:
			g.Applies = scenario
			if f := r.Flow; scenario && f != nil {
				for _, t := range f.Backwards {
					fail(bi(func(l string) string {
						return fmt.Sprintf(pick(l, "de klok loopt terug van %s (‘%s’) naar %s (‘%s’)", "the clock runs back from %s (‘%s’) to %s (‘%s’)"),
							t.FromClock, t.From.Text.In(l), t.ToClock, t.To.Text.In(l))
					}))
				}
			}
		}
		out = append(out, g)
	}
	for _, rx := range s.Relax {
		found := false
		for i := range out {
			if out[i].ID == rx.Gate.Value {
				found = true
				reason := text(rx.Reason)
				out[i].Relaxed, out[i].Reason = true, &reason
			}
		}
		if !found {
			r.Problems = append(r.Problems, Problem{Line: rx.Gate.Pos.Line, Column: rx.Gate.Pos.Column, Gate: rx.Gate.Value,
				Message: tf("relax: onbekende toets %q", "relax: unknown gate %q", rx.Gate.Value)})
		}
	}
	for _, c := range r.clocks() {
		if !c.Parsed {
			in := s.Inject(c.Inject.ID)
			r.Problems = append(r.Problems, Problem{Line: in.ID.Pos.Line, Column: in.ID.Pos.Column, Gate: GateClocks,
				Message: tf("klok %q van inject %s is niet te lezen; schrijf T+2:30, Dag 2 09:00, Week 3 of Maand 2",
					"clock %q of inject %s cannot be read; write T+2:30, Dag 2 09:00, Week 3 or Maand 2", c.Clock, in.ID.Value)})
		}
	}
	return out
}

func (r *Report) clocks() []Clock {
	if r.Flow == nil {
		return nil
	}
	return r.Flow.Clocks
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// bi builds a text from a function of the language.
func bi(f func(lang string) string) Text { return Text{NL: f("nl"), EN: f("en")} }

func pick(lang, nl, en string) string {
	if lang == "nl" {
		return nl
	}
	return en
}
