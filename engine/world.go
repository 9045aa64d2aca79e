package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine/rules"
)

// MaxTextAnswer is the longest free-text answer accepted, in bytes.
const MaxTextAnswer = 4000

// Event kinds a world folds over.
const (
	EventAnswer  = "answer"  // a participant answers a question
	EventRubric  = "rubric"  // the rubric items a text answer meets
	EventClose   = "close"   // a question closes; a shared world decides as the question says
	EventDecide  = "decide"  // the facilitator decides a question for the world
	EventAdvance = "advance" // the world moves to its next inject (or ends)
)

// Event is one thing that happened to a world. At is the time since the world started, as
// recorded in the log: a world never reads a clock.
type Event struct {
	Kind        string        `json:"kind"`
	At          time.Duration `json:"at"`
	Participant string        `json:"participant,omitempty"`
	Role        string        `json:"role,omitempty"`
	Question    string        `json:"question,omitempty"`
	Answer      *Answer       `json:"answer,omitempty"`
}

// Code classifies why an event was refused.
type Code string

// Refusal codes.
const (
	CodeInvalid   Code = "invalid"   // malformed: unknown option, wrong shape
	CodeNotFound  Code = "not_found" // unknown question or participant answer
	CodeClosed    Code = "closed"    // the question is not open, or the world has ended
	CodeForbidden Code = "forbidden" // the participant's role is not asked this question
	CodeDuplicate Code = "duplicate" // the participant already answered
)

// RefusedError explains why a world refused an event. The world is unchanged.
type RefusedError struct {
	Code    Code
	Message string
}

func (e *RefusedError) Error() string { return e.Message }

func refuse(code Code, format string, args ...any) error {
	return &RefusedError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the refusal code of err, or "" when err is not a refusal.
func CodeOf(err error) Code {
	var r *RefusedError
	if errors.As(err, &r) {
		return r.Code
	}
	return ""
}

// Step is one inject of a world's path.
type Step struct {
	Inject string        `json:"inject"`
	At     time.Duration `json:"at"`
	State  []Value       `json:"state"`
}

// Value is a state variable's value at some moment.
type Value struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Fired is a rule that fired.
type Fired struct {
	Rule string        `json:"rule"`
	At   time.Duration `json:"at"`
}

// Decision is what a world decided for a question.
type Decision struct {
	Question string        `json:"question"`
	Answer   Answer        `json:"answer"`
	By       string        `json:"by"` // "participant", "majority", "role:ID", "facilitator", "none"
	At       time.Duration `json:"at"`
	Score    Score         `json:"score"`
	// Tie is set when a majority vote was tied and the tie rule settled it.
	Tie *Tie `json:"tie,omitempty"`
}

// TieEarliestAnswer is the rule that settles a tied majority vote: of the tied options, the
// one chosen by the earliest answer in the log wins (for a ranking: the tied options keep the
// order the earliest answer gave them). The order of the options in the file plays no part.
const TieEarliestAnswer = "earliest-answer"

// Tie is a tied majority vote and how it was settled.
type Tie struct {
	// Options are the tied options, the winner first (for a ranking: every option that shared
	// its count with another, in the decided order).
	Options []string `json:"options"`
	Rule    string   `json:"rule"` // TieEarliestAnswer
}

// Response is one participant's answer with its score.
type Response struct {
	Participant string        `json:"participant"`
	Role        string        `json:"role,omitempty"`
	Question    string        `json:"question"`
	Answer      Answer        `json:"answer"`
	At          time.Duration `json:"at"`
	Score       Score         `json:"score"`
}

// Config configures a world.
type Config struct {
	// Lens is the policy lens answers are scored under; empty means the scenario's default.
	Lens string
	// Solo makes every answer the world's decision: a world of one participant.
	Solo bool
	// Seed fixes the order in which options are shown (see ShownOrder): a live session's id,
	// so every screen and every team world of the session shows the same order and a replay
	// of the log shows it again; a self-study run's id; a fresh one per terminal run.
	Seed string
}

// World is one playthrough of a scenario: a deterministic fold over its events. It is not
// safe for concurrent use; its owner (a hub, a test, a terminal session) serialises access.
type World struct {
	scn     *Scenario
	lens    string
	solo    bool
	seed    string
	env     rules.Env
	machine *rules.Machine

	current   *Inject
	shownAt   time.Duration
	now       time.Duration
	path      []Step
	visited   map[string]bool
	fired     []Fired
	firedSet  map[string]bool
	pending   []*Rule   // rules with an inject that fired, in firing order
	returns   []*Inject // where detours of rules with `return: true` come back to, innermost last
	closed    map[string]bool
	decisions map[string]*Decision
	decided   []string // question ids in decision order
	responses map[string]map[string]*Response
	order     []*Response // every response in arrival order
	ending    *Ending
	done      bool
	err       error // an evaluation error (budget exceeded); the world stops
}

// NewWorld starts a world at the scenario's first inject.
func NewWorld(s *Scenario, cfg Config) *World {
	w := &World{
		scn: s, lens: cmpOr(cfg.Lens, s.Lens.Value), solo: cfg.Solo, seed: cfg.Seed,
		machine:   rules.NewMachine(),
		visited:   map[string]bool{},
		firedSet:  map[string]bool{},
		closed:    map[string]bool{},
		decisions: map[string]*Decision{},
		responses: map[string]map[string]*Response{},
	}
	w.env = rules.NewEnv(w.chose, w.answered, w.visitedFn, w.firedFn)
	for _, v := range s.State {
		w.env[v.Name] = v.Initial
	}
	w.env["lens"] = w.lens
	w.show(s.StartInject())
	return w
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (w *World) chose(q, o string) bool {
	d := w.decisions[q]
	return d != nil && d.Answer.Chose(w.scn.questions[q], o)
}
func (w *World) answered(q string) bool  { return w.decisions[q] != nil }
func (w *World) visitedFn(i string) bool { return w.visited[i] }
func (w *World) firedFn(r string) bool   { return w.firedSet[r] }

// Scenario returns the scenario the world plays.
func (w *World) Scenario() *Scenario { return w.scn }

// Lens returns the lens the world scores under.
func (w *World) Lens() string { return w.lens }

// Seed returns the seed of the world's option order.
func (w *World) Seed() string { return w.seed }

// Shown returns a question's options in the order the world's participants see them.
func (w *World) Shown(q *Question) []*Option { return ShownOrder(q, w.seed) }

// Current returns the inject being shown, or nil once the world has ended.
func (w *World) Current() *Inject {
	if w.done {
		return nil
	}
	return w.current
}

// Done reports whether the playthrough has ended.
func (w *World) Done() bool { return w.done }

// Ending returns the ending reached, or nil.
func (w *World) Ending() *Ending { return w.ending }

// Err returns the evaluation error that stopped the world, if any.
func (w *World) Err() error { return w.err }

// Path returns the injects shown so far, with the state when each was shown.
func (w *World) Path() []Step { return w.path }

// Fired returns the rules that fired, in order.
func (w *World) Fired() []Fired { return w.fired }

// Decisions returns the world's decisions in the order they were taken.
func (w *World) Decisions() []*Decision {
	out := make([]*Decision, 0, len(w.decided))
	for _, q := range w.decided {
		out = append(out, w.decisions[q])
	}
	return out
}

// Decision returns the decision for a question, or nil.
func (w *World) Decision(q string) *Decision { return w.decisions[q] }

// Responses returns every participant response, in arrival order.
func (w *World) Responses() []*Response { return w.order }

// Response returns a participant's response to a question, or nil.
func (w *World) Response(participant, q string) *Response { return w.responses[q][participant] }

// State returns the current value of every state variable, in file order.
func (w *World) State() []Value {
	out := make([]Value, len(w.scn.State))
	for i, v := range w.scn.State {
		out[i] = Value{Name: v.Name, Value: w.env[v.Name]}
	}
	return out
}

// Var returns the current value of one state variable.
func (w *World) Var(name string) any { return w.env[name] }

// IsOpen reports whether a question of the current inject still takes answers.
func (w *World) IsOpen(q string) bool {
	qq := w.scn.questions[q]
	return !w.done && qq != nil && qq.inject == w.current && !w.closed[q] && w.decisions[q] == nil
}

// Open returns the open questions of the current inject that a role is asked ("" for all).
func (w *World) Open(role string) []*Question {
	if w.done || w.current == nil {
		return nil
	}
	var out []*Question
	for _, q := range w.current.Questions {
		if w.IsOpen(q.ID.Value) && (role == "" || q.AskedOf(role)) {
			out = append(out, q)
		}
	}
	return out
}

// Offered reports whether an option is currently available (its `when` holds).
func (w *World) Offered(o *Option) bool {
	if o.cond == nil {
		return true
	}
	ok, err := w.machine.Bool(o.cond, w.env)
	return err == nil && ok
}

// Apply folds one event into the world. A refused event returns a *RefusedError and leaves
// the world unchanged.
func (w *World) Apply(ev Event) error {
	if w.err != nil {
		return refuse(CodeClosed, "the world stopped: %v", w.err)
	}
	if ev.At > w.now {
		w.now = ev.At
	}
	w.env["elapsed"] = w.now.Seconds()
	switch ev.Kind {
	case EventAnswer:
		return w.answer(ev)
	case EventRubric:
		return w.rubric(ev)
	case EventClose:
		return w.close(ev)
	case EventDecide:
		return w.facilitatorDecide(ev)
	case EventAdvance:
		return w.advance()
	}
	return refuse(CodeInvalid, "unknown event kind %q", ev.Kind)
}

func (w *World) question(id string) (*Question, error) {
	q := w.scn.questions[id]
	if q == nil {
		return nil, refuse(CodeNotFound, "unknown question %q", id)
	}
	return q, nil
}

// Validate checks that an answer has the right shape for the question, without changing
// anything.
func (w *World) Validate(q *Question, a *Answer) error {
	if a == nil {
		return refuse(CodeInvalid, "no answer given")
	}
	// An answer carries the fields of its question's type only: a stray field would be
	// stored, and shown in reports, without ever being scored.
	if f := a.stray(q.Type); f != "" {
		return refuse(CodeInvalid, "question %s is a %s question; its answer has no field %q", q.ID.Value, q.Type, f)
	}
	switch q.Type {
	case Choice:
		o := q.opts[a.Option]
		if o == nil {
			return refuse(CodeInvalid, "question %s has no option %q", q.ID.Value, a.Option)
		}
		if !w.Offered(o) {
			return refuse(CodeInvalid, "option %q is not available now", a.Option)
		}
	case Multi, Rank:
		seen := map[string]bool{}
		for _, id := range a.Options {
			o := q.opts[id]
			if o == nil {
				return refuse(CodeInvalid, "question %s has no option %q", q.ID.Value, id)
			}
			if seen[id] {
				return refuse(CodeInvalid, "option %q is given twice", id)
			}
			if !w.Offered(o) {
				return refuse(CodeInvalid, "option %q is not available now", id)
			}
			seen[id] = true
		}
		if q.Type == Rank {
			for _, o := range q.Options {
				if w.Offered(o) && !seen[o.ID.Value] {
					return refuse(CodeInvalid, "a ranking orders every option; %q is missing", o.ID.Value)
				}
			}
		}
	case Number:
		if a.Number == nil || math.IsNaN(*a.Number) || math.IsInf(*a.Number, 0) {
			return refuse(CodeInvalid, "question %s needs a number", q.ID.Value)
		}
		if math.Abs(*a.Number) > MaxNumberAnswer {
			return refuse(CodeInvalid, "the number is out of range (at most %g either way)", MaxNumberAnswer)
		}
	case Free:
		if strings.TrimSpace(a.Text) == "" {
			return refuse(CodeInvalid, "question %s needs a text", q.ID.Value)
		}
		if len(a.Text) > MaxTextAnswer {
			return refuse(CodeInvalid, "the answer is longer than %d bytes", MaxTextAnswer)
		}
		seen := map[string]bool{}
		for _, id := range a.Items {
			if q.Item(id) == nil {
				return refuse(CodeInvalid, "question %s has no rubric item %q", q.ID.Value, id)
			}
			if seen[id] {
				return refuse(CodeInvalid, "rubric item %q is given twice", id)
			}
			seen[id] = true
		}
	}
	return nil
}

// MaxNumberAnswer bounds a number answer either way: beyond it no accepted value lies, and
// reports and exports stay readable.
const MaxNumberAnswer = 1e15

// stray returns the JSON name of a field that an answer to a question of type t must not
// have, or "".
func (a *Answer) stray(t string) string {
	switch {
	case a.Option != "" && t != Choice:
		return "option"
	case a.Options != nil && t != Multi && t != Rank:
		return "options"
	case a.Number != nil && t != Number:
		return "number"
	case a.Text != "" && t != Free:
		return "text"
	case a.Items != nil && t != Free:
		return "items"
	}
	return ""
}

// shaped returns the answer with only the fields of type t. Replaying a log written before
// answers were checked this strictly drops what was never scored.
func (a *Answer) shaped(t string) *Answer {
	if a == nil {
		return nil
	}
	b := Answer{}
	switch t {
	case Choice:
		b.Option = a.Option
	case Multi, Rank:
		b.Options = a.Options
	case Number:
		b.Number = a.Number
	case Free:
		b.Text, b.Items = a.Text, a.Items
	}
	return &b
}

func (w *World) answer(ev Event) error {
	q, err := w.question(ev.Question)
	if err != nil {
		return err
	}
	if ev.Participant == "" {
		return refuse(CodeInvalid, "an answer needs a participant")
	}
	if !w.IsOpen(q.ID.Value) {
		return refuse(CodeClosed, "question %s is not open", q.ID.Value)
	}
	// A learner alone (no role) plays every role.
	if !q.AskedOf(ev.Role) && !(w.solo && ev.Role == "") {
		return refuse(CodeForbidden, "question %s is not asked of role %q", q.ID.Value, ev.Role)
	}
	if w.responses[q.ID.Value][ev.Participant] != nil {
		return refuse(CodeDuplicate, "question %s was already answered", q.ID.Value)
	}
	ev.Answer = ev.Answer.shaped(q.Type)
	if err := w.Validate(q, ev.Answer); err != nil {
		return err
	}
	a := *ev.Answer
	if q.Type != Free || !w.solo {
		a.Items = nil // rubric marks come from the facilitator, except for a learner alone
	}
	r := &Response{Participant: ev.Participant, Role: ev.Role, Question: q.ID.Value, Answer: a, At: ev.At}
	r.Score = w.score(q, a, ev.Role, ev.At)
	m := w.responses[q.ID.Value]
	if m == nil {
		m = map[string]*Response{}
		w.responses[q.ID.Value] = m
	}
	m[ev.Participant] = r
	w.order = append(w.order, r)
	if w.solo {
		w.decide(q, a, "participant", ev.At)
	}
	return nil
}

// score computes a score under the world's lens, applying any override.
func (w *World) score(q *Question, a Answer, role string, at time.Duration) Score {
	s := ScoreAnswer(q, a, w.lens, w.Offered)
	if q.Type != Choice && q.Type != Multi && q.Type != Rank {
		return s
	}
	for _, o := range q.Options {
		if o.score == nil || !a.Chose(q, o.ID.Value) {
			continue
		}
		w.env["answer_time"] = (at - w.shownAt).Seconds()
		w.env["role"] = role
		f, err := w.machine.Float(o.score, w.env)
		w.env["answer_time"], w.env["role"] = 0.0, ""
		if err != nil {
			w.err = err
			return s
		}
		s.Points, s.Override, s.Addressed = round2(min(max(f, 0), 1)*q.Points), true, true
		break
	}
	return s
}

func (w *World) rubric(ev Event) error {
	q, err := w.question(ev.Question)
	if err != nil {
		return err
	}
	if q.Type != Free {
		return refuse(CodeInvalid, "question %s is not a text question", q.ID.Value)
	}
	r := w.responses[q.ID.Value][ev.Participant]
	if r == nil {
		return refuse(CodeNotFound, "%s has not answered question %s", ev.Participant, q.ID.Value)
	}
	if ev.Answer == nil {
		return refuse(CodeInvalid, "no rubric items given")
	}
	for _, id := range ev.Answer.Items {
		if q.Item(id) == nil {
			return refuse(CodeInvalid, "question %s has no rubric item %q", q.ID.Value, id)
		}
	}
	r.Answer.Items = append([]string{}, ev.Answer.Items...)
	r.Score = w.score(q, r.Answer, r.Role, r.At)
	if d := w.decisions[q.ID.Value]; d != nil && (d.By == "participant" || w.solo) {
		d.Answer.Items = r.Answer.Items
		d.Score = r.Score
	}
	return nil
}

func (w *World) close(ev Event) error {
	q, err := w.question(ev.Question)
	if err != nil {
		return err
	}
	if !w.IsOpen(q.ID.Value) {
		return refuse(CodeClosed, "question %s is not open", q.ID.Value)
	}
	w.closeQuestion(q, ev.At)
	return nil
}

// closeQuestion stops answers and, unless the facilitator decides, takes the decision.
func (w *World) closeQuestion(q *Question, at time.Duration) {
	w.closed[q.ID.Value] = true
	if w.decisions[q.ID.Value] != nil || q.DecidedBy() == "facilitator" {
		return
	}
	if a, by, tie, ok := w.tally(q); ok {
		w.decide(q, a, by, at)
		w.decisions[q.ID.Value].Tie = tie
	}
}

// tally turns the responses to a question into the world's answer.
func (w *World) tally(q *Question) (Answer, string, *Tie, bool) {
	rs := w.responses[q.ID.Value]
	if len(rs) == 0 {
		return Answer{}, "", nil, false
	}
	if role, ok := strings.CutPrefix(q.DecidedBy(), "role:"); ok {
		var last *Response
		for _, r := range w.order {
			if r.Question == q.ID.Value && r.Role == role {
				last = r
			}
		}
		if last != nil {
			return last.Answer, q.DecidedBy(), nil, true
		}
	}
	var list []*Response
	for _, r := range w.order {
		if r.Question == q.ID.Value {
			list = append(list, r)
		}
	}
	a, tie := Tally(q, list)
	return a, "majority", tie, true
}

// Tally combines answers, given in the order of the log, by majority: the most chosen option,
// for multi every option chosen by at least half of the answers, for rank the Borda count, for
// a number the (lower) median, for a text the earliest answer. A tied vote is settled by
// TieEarliestAnswer and returned as a Tie; nothing depends on the order of the file.
func Tally(q *Question, rs []*Response) (Answer, *Tie) {
	var a Answer
	if len(rs) == 0 {
		return a, nil
	}
	switch q.Type {
	case Choice:
		count, first := map[string]int{}, map[string]int{}
		for i, r := range rs {
			if q.opts[r.Answer.Option] == nil {
				continue
			}
			if _, ok := first[r.Answer.Option]; !ok {
				first[r.Answer.Option] = i
			}
			count[r.Answer.Option]++
		}
		var tied []string
		for id, c := range count {
			if len(tied) == 0 || c > count[tied[0]] {
				tied = []string{id}
			} else if c == count[tied[0]] {
				tied = append(tied, id)
			}
		}
		slices.SortFunc(tied, func(x, y string) int { return first[x] - first[y] })
		if len(tied) > 0 {
			a.Option = tied[0]
		}
		if len(tied) > 1 {
			return a, &Tie{Options: tied, Rule: TieEarliestAnswer}
		}
	case Multi:
		count := map[string]int{}
		for _, r := range rs {
			for _, id := range r.Answer.Options {
				count[id]++
			}
		}
		a.Options = []string{}
		for id, c := range count {
			if 2*c >= len(rs) {
				a.Options = append(a.Options, id)
			}
		}
		slices.Sort(a.Options) // a set: sorted, so that no file order shows
	case Rank:
		count := map[string]int{}
		for _, r := range rs {
			for i, id := range r.Answer.Options {
				count[id] += len(r.Answer.Options) - i
			}
		}
		earliest := map[string]int{}
		for i, id := range rs[0].Answer.Options {
			earliest[id] = i
		}
		opts := slices.Clone(q.Options)
		slices.SortFunc(opts, func(x, y *Option) int {
			if c := count[y.ID.Value] - count[x.ID.Value]; c != 0 {
				return c
			}
			px, okx := earliest[x.ID.Value]
			py, oky := earliest[y.ID.Value]
			switch {
			case okx && oky:
				return px - py
			case okx:
				return -1
			case oky:
				return 1
			}
			return cmpKey(orderKey(TieSeed, q, x), orderKey(TieSeed, q, y), x, y)
		})
		var tied []string
		for i, o := range opts {
			c := count[o.ID.Value]
			if i > 0 && count[opts[i-1].ID.Value] == c || i+1 < len(opts) && count[opts[i+1].ID.Value] == c {
				tied = append(tied, o.ID.Value)
			}
			a.Options = append(a.Options, o.ID.Value)
		}
		if len(tied) > 0 {
			return a, &Tie{Options: tied, Rule: TieEarliestAnswer}
		}
	case Number:
		vals := make([]float64, 0, len(rs))
		for _, r := range rs {
			if r.Answer.Number != nil {
				vals = append(vals, *r.Answer.Number)
			}
		}
		if len(vals) > 0 {
			slices.Sort(vals)
			m := vals[(len(vals)-1)/2]
			a.Number = &m
		}
	case Free:
		a = rs[0].Answer
	}
	return a, nil
}

func (w *World) facilitatorDecide(ev Event) error {
	q, err := w.question(ev.Question)
	if err != nil {
		return err
	}
	if w.done || q.inject != w.current {
		return refuse(CodeClosed, "question %s is not part of the current inject", q.ID.Value)
	}
	if w.decisions[q.ID.Value] != nil {
		return refuse(CodeDuplicate, "question %s is already decided", q.ID.Value)
	}
	ev.Answer = ev.Answer.shaped(q.Type)
	if err := w.Validate(q, ev.Answer); err != nil {
		return err
	}
	w.closed[q.ID.Value] = true
	w.decide(q, *ev.Answer, "facilitator", ev.At)
	return nil
}

// decide records the world's answer, applies its effects, and runs the rules.
func (w *World) decide(q *Question, a Answer, by string, at time.Duration) {
	d := &Decision{Question: q.ID.Value, Answer: a, By: by, At: at}
	d.Score = w.score(q, a, "", at)
	w.decisions[q.ID.Value] = d
	w.decided = append(w.decided, q.ID.Value)
	w.closed[q.ID.Value] = true
	switch q.Type {
	case Choice:
		if o := q.opts[a.Option]; o != nil {
			w.effects(o.effects)
		}
	case Multi:
		// In the order of the option ids: where bounds clamp, the order of effects matters,
		// and it must not be the order in which the options happen to be listed.
		ids := slices.Clone(a.Options)
		slices.Sort(ids)
		for _, id := range ids {
			if o := q.opts[id]; o != nil {
				w.effects(o.effects)
			}
		}
	case Rank:
		if len(a.Options) > 0 {
			w.effects(q.opts[a.Options[0]].effects)
		}
	}
	w.updateScore()
	w.runRules(at)
}

func (w *World) updateScore() {
	// In decision order: a float sum depends on its order, and a map has none.
	got, max := 0.0, 0.0
	for _, q := range w.decided {
		if d := w.decisions[q]; d.Score.Addressed {
			got += d.Score.Points
			max += d.Score.Max
		}
	}
	pct := 0.0
	if max > 0 {
		pct = 100 * got / max
	}
	w.env["score"] = pct
}

func (w *World) effects(es []*rules.Effect) {
	for _, e := range es {
		v, err := w.machine.Apply(e, w.env)
		if err != nil {
			w.err = err
			return
		}
		w.env[e.Var] = w.clamp(e.Var, v)
	}
}

func (w *World) clamp(name string, v any) any {
	for _, sv := range w.scn.State {
		if sv.Name != name {
			continue
		}
		switch x := v.(type) {
		case int:
			return int(min(max(float64(x), sv.Min), sv.Max))
		case float64:
			return min(max(x, sv.Min), sv.Max)
		}
	}
	return v
}

func (w *World) runRules(at time.Duration) {
	for _, r := range w.scn.Rules {
		if w.firedSet[r.ID.Value] || w.err != nil {
			continue
		}
		ok, err := w.machine.Bool(r.cond, w.env)
		if err != nil {
			w.err = err
			return
		}
		if !ok {
			continue
		}
		w.firedSet[r.ID.Value] = true
		w.fired = append(w.fired, Fired{Rule: r.ID.Value, At: at})
		w.effects(r.effects)
		if r.target != nil {
			w.pending = append(w.pending, r)
		}
	}
}

func (w *World) show(in *Inject) {
	w.current, w.shownAt = in, w.now
	w.visited[in.ID.Value] = true
	w.effects(in.effects)
	w.runRules(w.now)
	w.path = append(w.path, Step{Inject: in.ID.Value, At: w.now, State: w.State()})
}

// advance closes what is still open and moves to the next inject, or ends the playthrough.
func (w *World) advance() error {
	if w.done {
		return refuse(CodeClosed, "the playthrough has ended")
	}
	for _, q := range w.current.Questions {
		if !w.closed[q.ID.Value] {
			w.closeQuestion(q, w.now)
		}
	}
	for len(w.pending) > 0 {
		r := w.pending[0]
		w.pending = w.pending[1:]
		if !w.visited[r.target.ID.Value] {
			if r.Return {
				w.returns = append(w.returns, w.current)
			}
			w.show(r.target)
			return nil
		}
	}
	// Follow `next`; where it ends inside a detour, continue with the `next` of the inject
	// the detour interrupted.
	for from := w.current; ; {
		next, ok := w.branch(from)
		if !ok {
			return nil
		}
		if next != nil {
			w.show(next)
			return nil
		}
		if len(w.returns) == 0 {
			break
		}
		from = w.returns[len(w.returns)-1]
		w.returns = w.returns[:len(w.returns)-1]
	}
	w.end()
	return nil
}

// branch returns the target of the first `next` entry of in whose condition holds, nil when
// none does, and false when evaluating a condition failed (w.err is set).
func (w *World) branch(in *Inject) (*Inject, bool) {
	for _, b := range in.Next {
		ok := b.cond == nil
		if !ok {
			var err error
			if ok, err = w.machine.Bool(b.cond, w.env); err != nil {
				w.err = err
				return nil, false
			}
		}
		if ok {
			return b.target, true
		}
	}
	return nil, true
}

func (w *World) end() {
	w.done = true
	for _, e := range w.scn.Endings {
		ok := e.cond == nil
		if !ok {
			var err error
			if ok, err = w.machine.Bool(e.cond, w.env); err != nil {
				w.err = err
				return
			}
		}
		if ok {
			w.ending = e
			return
		}
	}
}

// Total is the sum of a set of scores.
type Total struct {
	Points      float64 `json:"points"`
	Max         float64 `json:"max"`
	Percent     float64 `json:"percent"`
	Answered    int     `json:"answered"`
	Unaddressed int     `json:"unaddressed"` // answers to questions the lens does not address
}

// Add counts one score into the total.
func (t *Total) Add(s Score) {
	t.Answered++
	if !s.Addressed {
		t.Unaddressed++
		return
	}
	t.Points += s.Points
	t.Max += s.Max
	if t.Max > 0 {
		t.Percent = round2(100 * t.Points / t.Max)
	}
}

// Merge counts the answers of another total into t.
func (t *Total) Merge(o Total) {
	t.Answered += o.Answered
	t.Unaddressed += o.Unaddressed
	t.Points += o.Points
	t.Max += o.Max
	if t.Max > 0 {
		t.Percent = round2(100 * t.Points / t.Max)
	}
}

// ParticipantTotal sums a participant's scores.
func (w *World) ParticipantTotal(participant string) Total {
	var t Total
	for _, r := range w.order {
		if r.Participant == participant {
			t.Add(r.Score)
		}
	}
	return t
}

// WorldTotal sums the scores of the world's decisions.
func (w *World) WorldTotal() Total {
	var t Total
	for _, q := range w.decided {
		t.Add(w.decisions[q].Score)
	}
	return t
}
