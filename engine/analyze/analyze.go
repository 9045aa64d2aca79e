package analyze

import (
	"github.com/paraat-nl/paraat/engine"
)

// Options tune an analysis. The zero value uses the defaults.
type Options struct {
	Lens       string // the lens to analyse under; empty: the file's default lens
	RandomRuns int    // uniformly random playthroughs; default 1000
	Seed       uint64 // seed of the random playthroughs; default 1
	Bound      int    // replays when enumerating a scenario's playthroughs; default 2000
}

// Defaults of Options.
const (
	DefaultRandomRuns = 1000
	DefaultSeed       = 1
	DefaultBound      = 2000
)

// Analyze measures one loaded scenario or quiz against the corpus it was loaded with.
func Analyze(s *engine.Scenario, corpus *engine.Corpus, opt Options) *Report {
	if opt.RandomRuns <= 0 {
		opt.RandomRuns = DefaultRandomRuns
	}
	if opt.Seed == 0 {
		opt.Seed = DefaultSeed
	}
	if opt.Bound <= 0 {
		opt.Bound = DefaultBound
	}
	lens := opt.Lens
	if lens == "" {
		lens = s.Lens.Value
	}
	r := &Report{File: s.File, ID: s.ID.Value, Kind: s.Kind, Title: text(s.Title), Lens: lens, Problems: []Problem{}}
	if b := s.Brief; b != nil {
		r.Brief = &Brief{Goals: texts(b.Goals), Sources: texts(b.Sources), Disagreements: texts(b.Disagreements)}
	}
	p := &player{s: s, lens: lens, seed: ShownSeed}
	best := ""
	for _, e := range s.Endings {
		if e.Best {
			best = e.ID.Value
		}
	}
	reached := map[string]bool{}
	var x *explorer
	if s.Kind == engine.KindScenario {
		x = newExplorer(p, opt.Bound)
	}
	reach := func(w *engine.World) {
		if w == nil {
			return
		}
		if w.Ending() != nil {
			reached[w.Ending().ID.Value] = true
		}
		if x != nil {
			x.record(w, w.Done() && w.Err() == nil, false)
		}
	}

	r.Cues, r.Questions = cues(s, lens)
	if r.Questions == nil {
		r.Questions = []QuestionCue{}
	}
	pw, rec, err := p.policyRun()
	reach(pw)
	r.Policy = runOf(pw, err)
	r.Strategies = p.strategies(r.Policy, best, r.Cues.MultiQuestions > 0, reach)
	r.Random = p.randomPlay(opt.RandomRuns, opt.Seed, r.Policy, best, reach)
	r.Lenses = lenses(s, corpus, lens, reach)
	if s.Kind == engine.KindScenario {
		r.Sensitivity = p.sensitivity(pw, rec, reach)
		x.explore()
		r.Flow = x.finish(s, reached)
		for id := range x.reachable {
			reached[id] = true
		}
	}
	for _, e := range s.Endings {
		r.Endings = append(r.Endings, EndingInfo{Ref: Ref{ID: e.ID.Value, Text: text(e.Title)}, Best: e.Best,
			Reachable: reached[e.ID.Value], Policy: r.Policy.Ending != nil && r.Policy.Ending.ID == e.ID.Value})
	}
	if r.Endings == nil {
		r.Endings = []EndingInfo{}
	}
	r.Gates = gates(s, r, best)
	r.summarise()
	return r
}

// ShownSeed is the session seed under which the analysis reports the order options are shown
// in (key_shown_position) and plays the policy path and the swaps.
const ShownSeed = "analyze"

func howLabel(how string) Text {
	switch how {
	case engine.DecidedByLens:
		return Text{"de lens zelf", "the lens itself"}
	case engine.DecidedByDefaultLens:
		return Text{"de standaardlens (deze lens zwijgt of twijfelt)", "the default lens (this lens is silent or ties)"}
	}
	return Text{"vaste regel: geen lens onderscheidt de antwoorden", "fixed rule: no lens tells the answers apart"}
}

func texts(ts []engine.Text) []Text {
	out := []Text{}
	for _, t := range ts {
		out = append(out, text(t))
	}
	return out
}

// lenses reports, per lens of the corpus, what it addresses and where its policy path ends.
func lenses(s *engine.Scenario, corpus *engine.Corpus, def string, reach func(*engine.World)) []LensReport {
	out := []LensReport{}
	for _, id := range corpus.Lenses() {
		l := corpus.Lens(id)
		lr := LensReport{Lens: id, Title: text(l.Title()), Default: id == def, Silent: []Ref{}, Differs: []Ref{}}
		for _, q := range s.Questions() {
			if !q.Addressed(id) {
				lr.Silent = append(lr.Silent, qref(q))
				continue
			}
			lr.Addressed++
			if q.Type == engine.Choice || q.Type == engine.Multi || q.Type == engine.Rank {
				if key(q, engine.PolicyAnswer(q, id, s.Lens.Value, nil).Answer) != key(q, engine.PolicyAnswer(q, def, s.Lens.Value, nil).Answer) {
					lr.Differs = append(lr.Differs, qref(q))
				}
			}
		}
		w, steps, err := engine.PolicyPathSteps(s, id)
		reach(w)
		lr.Path = runOf(w, err)
		for _, st := range steps {
			q := s.Question(st.Question)
			lr.Steps = append(lr.Steps, Step{Question: qref(q), How: st.DecidedBy, Label: howLabel(st.DecidedBy)})
			switch st.DecidedBy {
			case engine.DecidedByDefaultLens:
				lr.DefaultLensSteps++
			case engine.DecidedByAmbiguous:
				lr.AmbiguousSteps++
			}
		}
		out = append(out, lr)
	}
	return out
}

func (r *Report) summarise() {
	s := &r.Summary
	s.Questions = len(r.Questions)
	s.ChoiceQuestions = r.Cues.ChoiceQuestions
	s.MultiQuestions = r.Cues.MultiQuestions
	s.PolicyPercent = r.Policy.Percent
	for _, st := range r.Strategies {
		if st.Applies && st.OfPolicy != nil && (s.BestNaiveOfPolicy == nil || *st.OfPolicy > *s.BestNaiveOfPolicy) {
			s.BestNaive, s.BestNaiveOfPolicy = st.Name, st.OfPolicy
		}
	}
	s.RandomMeanOfPol = r.Random.MeanOfPolicy
	s.KeyLongestShare = r.Cues.KeyLongestShare
	for _, e := range r.Endings {
		if e.Reachable {
			s.ReachableEndings++
		}
	}
	if r.Sensitivity != nil {
		s.EndingChangeShare = r.Sensitivity.ChangeShare
	}
	s.GatesFailed, s.GatesRelaxed = []string{}, []string{}
	for _, g := range r.Gates {
		if g.Failed() {
			s.GatesFailed = append(s.GatesFailed, g.ID)
		}
		if g.Relaxed {
			s.GatesRelaxed = append(s.GatesRelaxed, g.ID)
		}
	}
}
