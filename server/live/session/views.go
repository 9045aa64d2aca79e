package session

import (
	"time"

	"github.com/paraat-nl/paraat/engine"
	"github.com/paraat-nl/paraat/server"
)

// SessionView is the session as every client sees it.
func (s *State) SessionView() server.SessionView {
	phase := "lobby"
	switch {
	case s.ended:
		phase = "ended"
	case s.started:
		phase = "running"
	}
	teams := s.meta.Teams
	if teams == nil {
		teams = []server.RoleView{}
	}
	return server.SessionView{ID: s.row.ID, Title: server.T(s.scn.Title), Scenario: s.scn.ID.Value, Kind: s.scn.Kind,
		Lens: s.meta.Lens, Scope: s.meta.Scope, Phase: phase, Paused: s.paused,
		Roles: server.RolesOf(s.scn, s.meta.Roles), Teams: teams}
}

// WorldView is the world with the id as its participants see it at now; false if there is no
// such world (yet).
func (s *State) WorldView(id string, now time.Time) (server.WorldView, bool) {
	wd := s.worlds[id]
	if wd == nil {
		return server.WorldView{}, false
	}
	return s.worldView(wd, now), true
}

func (s *State) worldView(wd *world, now time.Time) server.WorldView {
	w := wd.w
	v := server.WorldView{ID: wd.id, Questions: []server.LiveQuestion{}, State: []server.ValueView{}, Path: []string{},
		Ended: w.Done()}
	for _, st := range w.Path() {
		v.Path = append(v.Path, st.Inject)
	}
	for _, sv := range s.scn.State {
		v.State = append(v.State, server.ValueView{Name: sv.Name, Label: server.T(sv.Label), Value: w.Var(sv.Name)})
	}
	if e := w.Ending(); e != nil {
		v.Ending = &server.EndingView{ID: e.ID.Value, Title: server.T(e.Title), Text: server.T(e.Text)}
	}
	in := w.Current()
	if in == nil {
		return v
	}
	iv := server.InjectViewOf(in)
	v.Inject = &iv
	for _, q := range in.Questions {
		shown := w.Shown(q)
		lq := server.LiveQuestion{QuestionView: server.QuestionViewOf(q, shown), State: s.questionState(wd, q)}
		if dl, ok := wd.opened[q.ID.Value]; ok && !dl.IsZero() && lq.State == "open" {
			dl := dl
			lq.Deadline = &dl
			rem := s.remaining(dl, now).Milliseconds()
			lq.RemainingMS = &rem
		}
		if d := w.Decision(q.ID.Value); d != nil {
			a := d.Answer
			lq.Decision, lq.DecidedBy, lq.Tie = &a, d.By, d.Tie
		}
		if s.revealed(wd, q.ID.Value) {
			lq.Revealed = true
			lq.Feedback = server.TP(q.Feedback)
			for i, o := range shown {
				lq.Options[i].Feedback = server.TP(o.Feedback)
			}
			if d := w.Decision(q.ID.Value); d != nil {
				sc := d.Score
				lq.Score = &sc
			}
		}
		v.Questions = append(v.Questions, lq)
	}
	return v
}

// remaining is the time left until a deadline; while paused the clock stands still.
func (s *State) remaining(dl, now time.Time) time.Duration {
	if s.paused {
		now = s.pausedAt
	}
	return max(dl.Sub(now), 0)
}

// MeView is what participant p sees of their own answers.
func (s *State) MeView(p *Participant) server.MeView {
	v := server.MeView{Answers: []server.MyAnswer{}}
	wd := s.worlds[p.world]
	if wd == nil {
		return v
	}
	var total *engine.Total
	for _, a := range p.answers {
		ma, ok := s.myAnswer(wd, p, a)
		if !ok {
			continue
		}
		if ma.Score != nil {
			if total == nil {
				total = &engine.Total{}
			}
			total.Add(*ma.Score)
		}
		v.Answers = append(v.Answers, ma)
	}
	v.Total = total
	return v
}

// myAnswer is one answer as its participant sees it: with its score and passages once the
// question is revealed.
func (s *State) myAnswer(wd *world, p *Participant, a AnswerRef) (server.MyAnswer, bool) {
	r := wd.w.Response(p.id, a.Question)
	if r == nil {
		return server.MyAnswer{}, false
	}
	ma := server.MyAnswer{Question: a.Question, ID: a.ID, Answer: r.Answer, Seq: a.Seq, Statements: []server.StatementView{}}
	if s.revealed(wd, a.Question) {
		sc := r.Score
		ma.Score = &sc
		ma.Statements = server.StatementsOf(s.lib.Corpus, &sc)
	}
	return ma, true
}

// NewAnswer is the answer with the client's id as participant p's view shows it, if that
// answer is all their view gained from it: not yet revealed, so with no score to add to
// their total. Then an ack can carry it instead of the whole view.
func (s *State) NewAnswer(p *Participant, id string) (server.MyAnswer, bool) {
	wd := s.worlds[p.world]
	if wd == nil {
		return server.MyAnswer{}, false
	}
	for i := len(p.answers) - 1; i >= 0; i-- {
		if a := p.answers[i]; a.ID == id {
			ma, ok := s.myAnswer(wd, p, a)
			return ma, ok && ma.Score == nil
		}
	}
	return server.MyAnswer{}, false
}

// aggLine is what a participant's line of the aggregates takes from their answers: the
// questions answered and the total of their scores, added up in the order they answered.
type aggLine struct {
	answered []string
	total    engine.Total
}

func (s *State) aggLine(p *Participant) *aggLine {
	l := &aggLine{answered: []string{}}
	if wd := s.worlds[p.world]; wd != nil {
		for _, a := range p.answers {
			l.answered = append(l.answered, a.Question)
			if r := wd.w.Response(p.id, a.Question); r != nil {
				l.total.Add(r.Score)
			}
		}
	}
	return l
}

// Aggregates is the facilitator's overview; connected counts each participant's connections.
// Each participant's line is kept between calls until a record changes it: in a burst of
// answers only the lines of those who answered are built again.
func (s *State) Aggregates(connected map[string]int) server.Aggregates {
	ag := server.Aggregates{Participants: make([]server.ParticipantAgg, 0, len(s.order)), Teams: []server.TeamAgg{},
		Questions: []server.QuestionAgg{}, Worlds: []server.WorldAgg{}}
	teams := map[string]*engine.Total{}
	if s.aggLines == nil {
		s.aggLines = map[string]*aggLine{}
	}
	for _, p := range s.order {
		line := s.aggLines[p.id]
		if line == nil {
			line = s.aggLine(p)
			s.aggLines[p.id] = line
		}
		pa := server.ParticipantAgg{ID: p.id, Name: p.name, Role: p.role, Team: p.team, World: p.world,
			Connected: connected[p.id] > 0, Removed: p.removed, Answered: line.answered, Total: line.total}
		if p.team != "" {
			t := teams[p.team]
			if t == nil {
				t = &engine.Total{}
				teams[p.team] = t
			}
			t.Merge(line.total)
		}
		ag.Participants = append(ag.Participants, pa)
	}
	for _, t := range s.meta.Teams {
		ta := server.TeamAgg{ID: t.ID}
		if tt := teams[t.ID]; tt != nil {
			ta.Total = *tt
		}
		ag.Teams = append(ag.Teams, ta)
	}
	for _, id := range s.worldIDs {
		wd := s.worlds[id]
		w := wd.w
		wa := server.WorldAgg{ID: id, Path: []string{}, State: w.State(), Ended: w.Done(), Total: w.WorldTotal()}
		for _, st := range w.Path() {
			wa.Path = append(wa.Path, st.Inject)
		}
		if e := w.Ending(); e != nil {
			wa.Ending = e.ID.Value
		}
		if in := w.Current(); in != nil {
			wa.Inject = in.ID.Value
			for _, q := range in.Questions {
				qa := server.QuestionAgg{World: id, Question: q.ID.Value, State: s.questionState(wd, q),
					Distribution: map[string]int{}}
				for _, p := range s.order {
					if p.world == id && !p.removed && (q.AskedOf(p.role) || s.solo() && p.role == "") {
						qa.Asked++
					}
				}
				for _, r := range w.Responses() {
					if r.Question != q.ID.Value {
						continue
					}
					qa.Answered++
					switch q.Type {
					case engine.Choice:
						qa.Distribution[r.Answer.Option]++
					case engine.Multi:
						for _, o := range r.Answer.Options {
							qa.Distribution[o]++
						}
					case engine.Rank:
						if len(r.Answer.Options) > 0 {
							qa.Distribution[r.Answer.Options[0]]++
						}
					}
				}
				ag.Questions = append(ag.Questions, qa)
			}
		}
		ag.Worlds = append(ag.Worlds, wa)
	}
	return ag
}
