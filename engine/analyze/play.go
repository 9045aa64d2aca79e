package analyze

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/paraat-nl/paraat/engine"
)

// answerer answers one question of a world; false leaves it unanswered.
type answerer func(w *engine.World, q *engine.Question) (engine.Answer, bool)

// player plays the scenario through the engine: worlds, rules, branching, endings.
type player struct {
	s    *engine.Scenario
	lens string
	seed string // the option order of the playthroughs that do not set their own
}

func (p *player) play(a answerer) (*engine.World, error) {
	return p.playSeed(p.seed, a)
}

func (p *player) playSeed(seed string, a answerer) (*engine.World, error) {
	return engine.PlayWith(p.s, engine.Config{Lens: p.lens, Seed: seed}, a)
}

// policy answers as the policy path does: the lens's best answer, the default lens where the
// lens is silent or ties.
func (p *player) policy(w *engine.World, q *engine.Question) (engine.Answer, bool) {
	return engine.PolicyAnswer(q, w.Lens(), p.s.Lens.Value, w.Offered).Answer, true
}

func runOf(w *engine.World, err error) Run {
	t := w.WorldTotal()
	r := Run{Percent: t.Percent, Points: round(t.Points), Max: t.Max, Ending: endingRef(w.Ending())}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

func endingRef(e *engine.Ending) *Ref {
	if e == nil {
		return nil
	}
	return &Ref{ID: e.ID.Value, Text: text(e.Title)}
}

// offered returns the options of q available now, in the order the world shows them.
func (p *player) offered(w *engine.World, q *engine.Question) []*engine.Option {
	var out []*engine.Option
	for _, o := range w.Shown(q) {
		if w.Offered(o) {
			out = append(out, o)
		}
	}
	return out
}

func ids(os []*engine.Option) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.ID.Value
	}
	return out
}

// byForm answers every option question by a form rule: pick orders the offered options
// (in shown order) and the first is chosen. Multi questions get that one option, rank
// questions the whole order. Number and text questions have no form to exploit and are left
// unanswered, so they count neither way.
func (p *player) byForm(pick func([]*engine.Option) []*engine.Option) answerer {
	return func(w *engine.World, q *engine.Question) (engine.Answer, bool) {
		opts := p.offered(w, q)
		if len(opts) == 0 {
			return engine.Answer{}, false
		}
		order := pick(opts)
		switch q.Type {
		case engine.Choice:
			return engine.Answer{Option: order[0].ID.Value}, true
		case engine.Multi:
			return engine.Answer{Options: []string{order[0].ID.Value}}, true
		case engine.Rank:
			return engine.Answer{Options: ids(order)}, true
		}
		return engine.Answer{}, false
	}
}

func byLength(desc bool) func([]*engine.Option) []*engine.Option {
	return func(opts []*engine.Option) []*engine.Option {
		out := slices.Clone(opts)
		slices.SortStableFunc(out, func(a, b *engine.Option) int {
			if desc {
				return chars(b) - chars(a)
			}
			return chars(a) - chars(b)
		})
		return out
	}
}

func asShown(opts []*engine.Option) []*engine.Option { return opts }

func reversed(opts []*engine.Option) []*engine.Option {
	out := slices.Clone(opts)
	slices.Reverse(out)
	return out
}

// selectAll selects every offered option of a multi question; other questions are answered
// by the first option shown.
func (p *player) selectAll() answerer {
	first := p.byForm(asShown)
	return func(w *engine.World, q *engine.Question) (engine.Answer, bool) {
		if q.Type == engine.Multi {
			return engine.Answer{Options: ids(p.offered(w, q))}, true
		}
		return first(w, q)
	}
}

// random answers uniformly: one of the offered options, any subset, any order.
func (p *player) random(rng *rand.Rand) answerer {
	return func(w *engine.World, q *engine.Question) (engine.Answer, bool) {
		opts := p.offered(w, q)
		if len(opts) == 0 {
			return engine.Answer{}, false
		}
		switch q.Type {
		case engine.Choice:
			return engine.Answer{Option: opts[rng.IntN(len(opts))].ID.Value}, true
		case engine.Multi:
			a := engine.Answer{Options: []string{}}
			for _, o := range opts {
				if rng.IntN(2) == 1 {
					a.Options = append(a.Options, o.ID.Value)
				}
			}
			return a, true
		case engine.Rank:
			order := ids(opts)
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
			return engine.Answer{Options: order}, true
		}
		return engine.Answer{}, false
	}
}

// strategyDefs are the naive form strategies, in report order.
var strategyDefs = []struct {
	name  string
	label Text
}{
	{"longest", Text{"altijd de langste optie", "always the longest option"}},
	{"shortest", Text{"altijd de kortste optie", "always the shortest option"}},
	{"first", Text{"altijd de eerst getoonde optie", "always the first option shown"}},
	{"last", Text{"altijd de laatst getoonde optie", "always the last option shown"}},
	{"select-all", Text{"bij meerkeuze alles aankruisen", "select every option (multi)"}},
}

type tally struct {
	endings map[string]int
	order   []*Ref
	none    int
}

func (t *tally) add(e *engine.Ending) {
	if t.endings == nil {
		t.endings = map[string]int{}
	}
	if e == nil {
		t.none++
		return
	}
	if t.endings[e.ID.Value] == 0 {
		t.order = append(t.order, endingRef(e))
	}
	t.endings[e.ID.Value]++
}

func (t *tally) counts(best string) []EndingCount {
	out := []EndingCount{}
	for _, r := range t.order {
		out = append(out, EndingCount{Ending: r, Runs: t.endings[r.ID], Best: r.ID == best})
	}
	if t.none > 0 {
		out = append(out, EndingCount{Runs: t.none})
	}
	return out
}

func ofPolicy(pct, policy float64) *float64 {
	if policy <= 0 {
		return nil
	}
	return ptr(100 * pct / policy)
}

// StrategySeeds is how many option orders (session seeds "longest-1", "longest-2", ...) each
// naive strategy is played under; its score is the mean.
const StrategySeeds = 10

// strategies plays each naive strategy once per seed of the shown order.
func (p *player) strategies(policy Run, best string, hasMulti bool, reach func(*engine.World)) []Strategy {
	var out []Strategy
	for _, d := range strategyDefs {
		st := Strategy{Name: d.name, Label: d.label, Applies: d.name != "select-all" || hasMulti}
		if !st.Applies {
			out = append(out, st)
			continue
		}
		var a answerer
		switch d.name {
		case "longest":
			a = p.byForm(byLength(true))
		case "shortest":
			a = p.byForm(byLength(false))
		case "first":
			a = p.byForm(asShown)
		case "last":
			a = p.byForm(reversed)
		case "select-all":
			a = p.selectAll()
		}
		var t tally
		sum := 0.0
		for i := range StrategySeeds {
			w, _ := p.playSeed(fmt.Sprintf("%s-%d", d.name, i+1), a)
			reach(w)
			t.add(w.Ending())
			sum += w.WorldTotal().Percent
		}
		st.Runs = StrategySeeds
		st.Percent = round(sum / StrategySeeds)
		st.OfPolicy = ofPolicy(st.Percent, policy.Percent)
		st.Endings = t.counts(best)
		st.BestEnding = best != "" && t.endings[best] > 0
		out = append(out, st)
	}
	return out
}

// randomPlay plays runs uniformly random games, each with its own stream of seed.
func (p *player) randomPlay(runs int, seed uint64, policy Run, best string, reach func(*engine.World)) Random {
	r := Random{Runs: runs, Seed: seed}
	var t tally
	var sum, sq float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < runs; i++ {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		w, _ := p.playSeed(fmt.Sprintf("random-%d", i+1), p.random(rng))
		reach(w)
		t.add(w.Ending())
		pc := w.WorldTotal().Percent
		sum += pc
		sq += pc * pc
		lo, hi = min(lo, pc), max(hi, pc)
	}
	r.Endings = t.counts(best)
	if best != "" {
		r.BestEnding = t.endings[best]
	}
	if runs == 0 {
		return r
	}
	mean := sum / float64(runs)
	r.MeanPercent = round(mean)
	if policy.Percent > 0 {
		sd := math.Sqrt(max(sq/float64(runs)-mean*mean, 0))
		r.MeanOfPolicy = ofPolicy(mean, policy.Percent)
		r.SDOfPolicy = ofPolicy(sd, policy.Percent)
		r.MinOfPolicy = ofPolicy(lo, policy.Percent)
		r.MaxOfPolicy = ofPolicy(hi, policy.Percent)
	}
	return r
}
