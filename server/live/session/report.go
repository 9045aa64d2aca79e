package session

import (
	"slices"
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

func ms(d time.Duration) int64 { return d.Milliseconds() }

func sameAnswer(q *engine.Question, a, b engine.Answer) bool {
	switch q.Type {
	case engine.Choice:
		return a.Option == b.Option
	case engine.Multi:
		x, y := slices.Clone(a.Options), slices.Clone(b.Options)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	case engine.Rank:
		return slices.Equal(a.Options, b.Options)
	case engine.Number:
		return a.Number != nil && b.Number != nil && *a.Number == *b.Number
	case engine.Free:
		return a.Text == b.Text
	}
	return false
}

// inShownOrder lists the options of a multi answer (a set) in the order the world showed
// them, so that reports and exports read like the screen did. Other answers are as given.
func inShownOrder(w *engine.World, a engine.Answer, question string) engine.Answer {
	q := w.Scenario().Question(question)
	if q == nil || q.Type != engine.Multi {
		return a
	}
	chosen := map[string]bool{}
	for _, id := range a.Options {
		chosen[id] = true
	}
	a.Options = []string{}
	for _, o := range w.Shown(q) {
		if chosen[o.ID.Value] {
			a.Options = append(a.Options, o.ID.Value)
		}
	}
	return a
}

func lensRun(w *engine.World, err error) *server.LensRun {
	r := &server.LensRun{Lens: w.Lens(), Path: []string{}, Total: w.WorldTotal()}
	for _, s := range w.Path() {
		r.Path = append(r.Path, s.Inject)
	}
	if e := w.Ending(); e != nil {
		r.Ending = e.ID.Value
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// Report is the session's after-action report at now.
func (st *State) Report(now time.Time) *server.Report {
	lib, scn := st.lib, st.scn
	r := &server.Report{Session: server.Info(st.row, lib, ""), Lens: st.meta.Lens, Generated: now.UTC(),
		Participants: []server.ReportParticipant{}, Teams: []server.TeamAgg{}, Worlds: []server.ReportWorld{},
		Answers: []server.ReportAnswer{}, Statements: map[string]server.StatementView{}}
	r.Session.Ended = r.Session.Ended || st.ended
	ag := st.Aggregates(nil)
	r.Teams = ag.Teams
	names := map[string]*Participant{}
	for i, p := range st.order {
		names[p.id] = p
		rp := server.ReportParticipant{ID: p.id, Name: p.name, Role: p.role, Team: p.team, World: p.world, Removed: p.removed}
		if wd := st.worlds[p.world]; wd != nil {
			// The aggregates added up each participant's scores already, in the order they
			// answered; summing them here again would cost participants × answers.
			rp.Total = ag.Participants[i].Total
		}
		r.Participants = append(r.Participants, rp)
	}
	cite := func(s engine.Score) {
		for _, sv := range server.StatementsOf(lib.Corpus, &s) {
			sv.Via, sv.Chosen, sv.Supports = "", false, false
			r.Statements[sv.ID] = sv
		}
	}
	for _, id := range st.worldIDs {
		wd := st.worlds[id]
		w := wd.w
		rw := server.ReportWorld{ID: id, Path: []server.ReportStep{}, Decisions: []server.ReportDecision{},
			Fired: []server.ReportFired{}, State: w.State(), Total: w.WorldTotal(), Divergence: []server.Divergence{},
			Lenses: []server.LensRun{}}
		for _, s := range w.Path() {
			rw.Path = append(rw.Path, server.ReportStep{Inject: s.Inject, AtMS: ms(s.At), State: s.State})
		}
		for _, f := range w.Fired() {
			rw.Fired = append(rw.Fired, server.ReportFired{Rule: f.Rule, AtMS: ms(f.At)})
		}
		if e := w.Ending(); e != nil {
			rw.Ending = e.ID.Value
		}
		for _, d := range w.Decisions() {
			rw.Decisions = append(rw.Decisions, server.ReportDecision{Question: d.Question, Answer: inShownOrder(w, d.Answer, d.Question), By: d.By,
				AtMS: ms(d.At), Score: d.Score, Tie: d.Tie})
			cite(d.Score)
			q := scn.Question(d.Question)
			dv := server.Divergence{Question: d.Question, Decision: d.Answer}
			for _, resp := range w.Responses() {
				if resp.Question != d.Question {
					continue
				}
				dv.Answers++
				if sameAnswer(q, resp.Answer, d.Answer) {
					dv.Agreed++
				} else {
					dv.Diverged++
				}
			}
			rw.Divergence = append(rw.Divergence, dv)
		}
		for _, resp := range w.Responses() {
			p := names[resp.Participant]
			ra := server.ReportAnswer{Participant: resp.Participant, Role: resp.Role, World: id, Question: resp.Question,
				Answer: inShownOrder(w, resp.Answer, resp.Question), AtMS: ms(resp.At), Score: resp.Score}
			if p != nil {
				ra.Name, ra.Team = p.name, p.team
				for _, a := range p.answers {
					if a.Question == resp.Question {
						ra.ID = a.ID
					}
				}
			}
			if d := w.Decision(resp.Question); d != nil {
				a := inShownOrder(w, d.Answer, d.Question)
				ra.Decision = &a
				ra.Agrees = sameAnswer(scn.Question(resp.Question), resp.Answer, d.Answer)
			}
			cite(resp.Score)
			r.Answers = append(r.Answers, ra)
		}
		// The same decisions re-scored under every other lens: replay the world's events.
		for _, lens := range lib.Corpus.Lenses() {
			if lens == w.Lens() {
				continue
			}
			alt := engine.NewWorld(scn, engine.Config{Lens: lens, Solo: st.solo(), Seed: st.row.ID})
			for _, ev := range wd.events {
				alt.Apply(ev)
			}
			rw.Lenses = append(rw.Lenses, *lensRun(alt, alt.Err()))
		}
		r.Worlds = append(r.Worlds, rw)
	}
	if pw, steps, err := engine.PolicyPathSteps(scn, st.meta.Lens); pw != nil {
		r.PolicyPath = lensRun(pw, err)
		r.PolicyPath.Steps = steps
	}
	return r
}
