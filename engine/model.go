package engine

import (
	"github.com/paraat-nl/paraat/engine/rules"
	"go.yaml.in/yaml/v3"
)

// Kinds of scenario files.
const (
	KindScenario = "scenario"
	KindQuiz     = "quiz"
)

// How a question is assessed.
const (
	AssessJudgement = "judgement" // policy-weighted partial credit
	AssessFact      = "fact"      // right or wrong
)

// Question types.
const (
	Choice = "choice"
	Multi  = "multi"
	Rank   = "rank"
	Number = "number"
	Free   = "text"
)

// Scenario is a loaded, validated scenario or quiz. After loading it is immutable and may be
// shared by any number of worlds and goroutines.
type Scenario struct {
	File     string      `yaml:"-"`
	ID       Ref         `yaml:"id"`
	Kind     string      `yaml:"kind"`
	Version  int         `yaml:"version"`
	Title    Text        `yaml:"title"`
	Summary  Text        `yaml:"summary"`
	Lens     Ref         `yaml:"lens"`
	Duration Duration    `yaml:"duration"`
	Roles    []*Role     `yaml:"roles"`
	Teams    []*Role     `yaml:"teams"`
	State    StateVars   `yaml:"-"`
	RawState yaml.Node   `yaml:"state"`
	Start    Ref         `yaml:"start"`
	Injects  []*Inject   `yaml:"injects"`
	Quiz     []*Question `yaml:"questions"`
	Rules    []*Rule     `yaml:"rules"`
	Endings  []*Ending   `yaml:"endings"`
	Tests    []*Test     `yaml:"tests"`
	Brief    *Brief      `yaml:"brief"`
	Relax    []*Relax    `yaml:"relax"`

	schema    *rules.Schema
	injects   map[string]*Inject
	questions map[string]*Question
	rules     map[string]*Rule
}

// Brief is the author's account of a scenario or quiz: what it trains, which documents it
// rests on, and where those documents disagree. It is shown to trainers, never scored.
type Brief struct {
	Goals         []Text `yaml:"goals"`
	Sources       []Text `yaml:"sources"`
	Disagreements []Text `yaml:"disagreements"`
	Pos           Pos    `yaml:"-"`
}

// UnmarshalYAML decodes the brief and remembers where it is; the structure was checked before
// decoding.
func (b *Brief) UnmarshalYAML(n *yaml.Node) error {
	type plain Brief
	if err := n.Decode((*plain)(b)); err != nil {
		return err
	}
	b.Pos = posOf(n)
	return nil
}

// Relax lifts one assessment gate for this file, with the written reason a trainer reads.
type Relax struct {
	Gate   Ref  `yaml:"gate"`
	Reason Text `yaml:"reason"`
}

// Role is a role or a team a participant can take.
type Role struct {
	ID   Ref  `yaml:"id"`
	Name Text `yaml:"name"`
}

// StateVar is a typed state variable with bounds.
type StateVar struct {
	Name    string  `yaml:"-"`
	Pos     Pos     `yaml:"-"`
	Type    string  `yaml:"type"`
	Initial any     `yaml:"initial"`
	Min     float64 `yaml:"min"`
	Max     float64 `yaml:"max"`
	Label   Text    `yaml:"label"`
	HasMin  bool    `yaml:"-"`
	HasMax  bool    `yaml:"-"`
	kind    rules.Kind
}

// Kind returns the variable's expression type.
func (v *StateVar) Kind() rules.Kind { return v.kind }

// StateVars keeps the state variables in file order.
type StateVars []*StateVar

// Inject is one step of a scenario: a piece of news and the questions it raises.
type Inject struct {
	ID        Ref         `yaml:"id"`
	Clock     string      `yaml:"-"`     // the clock label ("T+0:00"), in Dutch when translated; see ClockIn
	ClockSrc  yaml.Node   `yaml:"clock"` // a label, or a text {nl, en}
	Title     Text        `yaml:"title"`
	Text      Text        `yaml:"text"`
	RoleText  []*RoleText `yaml:"role_text"` // what some roles read instead of text; see TextFor
	EffectSrc []Source    `yaml:"effects"`
	Questions []*Question `yaml:"questions"`
	Next      []*Branch   `yaml:"next"`

	effects   []*rules.Effect
	index     int
	clockText Text
}

// Index returns the inject's position in the scenario.
func (i *Inject) Index() int { return i.index }

// Branch is one entry of an inject's `next` list.
type Branch struct {
	When Source `yaml:"when"`
	Goto Ref    `yaml:"goto"`

	cond   *rules.Program
	target *Inject
}

// Target returns the inject this branch leads to.
func (b *Branch) Target() *Inject { return b.target }

// Question is asked at an inject (or in a quiz).
type Question struct {
	ID        Ref       `yaml:"id"`
	Type      string    `yaml:"type"`
	Roles     []Ref     `yaml:"roles"`
	Decides   Ref       `yaml:"decides"`
	TimeLimit Duration  `yaml:"time_limit"`
	Points    float64   `yaml:"points"`
	Prompt    Text      `yaml:"prompt"`
	Feedback  Text      `yaml:"feedback"`
	Options   []*Option `yaml:"options"`
	Unit      Text      `yaml:"unit"`
	Accept    []*Accept `yaml:"accept"`
	Rubric    []*Item   `yaml:"rubric"`
	// Fixed keeps the options in the file's order (an ordinal scale); otherwise they are
	// shown shuffled (see ShownOrder).
	Fixed bool `yaml:"fixed"`
	// Assess is how the question is scored: AssessJudgement (policy-weighted partial credit,
	// the default) or AssessFact (right or wrong).
	Assess Ref `yaml:"assess"`

	inject *Inject
	opts   map[string]*Option
}

// Inject returns the inject that asks the question.
func (q *Question) Inject() *Inject { return q.inject }

// Option returns the option with the given id, or nil.
func (q *Question) Option(id string) *Option { return q.opts[id] }

// IsFact reports whether the question is scored right or wrong (`assess: fact`).
func (q *Question) IsFact() bool { return q.Assess.Value == AssessFact }

// Item returns the rubric item with the given id, or nil.
func (q *Question) Item(id string) *Item {
	for _, it := range q.Rubric {
		if it.ID.Value == id {
			return it
		}
	}
	return nil
}

// DecidedBy returns how a shared world decides this question: "majority", "facilitator" or
// "role:ID".
func (q *Question) DecidedBy() string {
	if q.Decides.Value == "" {
		return "majority"
	}
	return q.Decides.Value
}

// AskedOf reports whether a participant with the given role is asked the question.
func (q *Question) AskedOf(role string) bool {
	if len(q.Roles) == 0 {
		return true
	}
	for _, r := range q.Roles {
		if r.Value == role {
			return true
		}
	}
	return false
}

// Citations are the policy statements a choice rests on.
type Citations struct {
	Supports  []Ref `yaml:"supports"`
	Conflicts []Ref `yaml:"conflicts"`
	// Context are statements that inform the choice without supporting or opposing it: shown
	// with the feedback, never scored.
	Context []Ref `yaml:"context"`
}

// Option is one answer to a choice, multi or rank question.
type Option struct {
	ID        Ref      `yaml:"id"`
	Text      Text     `yaml:"text"`
	EffectSrc []Source `yaml:"effects"`
	Citations `yaml:",inline"`
	Feedback  Text   `yaml:"feedback"`
	When      Source `yaml:"when"`
	Score     Source `yaml:"score"`
	// Fixed keeps the option at its position in the file ("none of the above" last) while
	// the others are shuffled around it.
	Fixed bool `yaml:"fixed"`

	effects []*rules.Effect
	cond    *rules.Program
	score   *rules.Program
	index   int
}

// Accept is an accepted value of a number question.
type Accept struct {
	Value     float64 `yaml:"value"`
	Tolerance float64 `yaml:"tolerance"`
	Citations `yaml:",inline"`
}

// Item is one rubric item of a text question.
type Item struct {
	ID        Ref     `yaml:"id"`
	Text      Text    `yaml:"text"`
	Points    float64 `yaml:"points"`
	Citations `yaml:",inline"`
}

// Rule is evaluated after every decision and fires at most once per world.
type Rule struct {
	ID        Ref      `yaml:"id"`
	When      Source   `yaml:"when"`
	EffectSrc []Source `yaml:"effects"`
	Inject    Ref      `yaml:"inject"`
	Return    bool     `yaml:"return"` // after the inject (and where it leads), back to the interrupted flow
	Message   Text     `yaml:"message"`

	cond    *rules.Program
	effects []*rules.Effect
	target  *Inject
	index   int
}

// Ending is a way a playthrough can end.
type Ending struct {
	ID    Ref    `yaml:"id"`
	When  Source `yaml:"when"`
	Title Text   `yaml:"title"`
	Text  Text   `yaml:"text"`
	// Best marks the ending a scenario's policy path should reach; at most one per file.
	Best bool `yaml:"best"`

	cond *rules.Program
}

// Test is a playthrough test inside a scenario file.
type Test struct {
	Name    string    `yaml:"name"`
	Lens    Ref       `yaml:"lens"`
	Answers yaml.Node `yaml:"answers"`
	Default Ref       `yaml:"default"` // for questions not in answers: first (option offered) or none
	Expect  Expect    `yaml:"expect"`
	Pos     Pos       `yaml:"-"`

	policy  bool
	answers map[string]Answer
	checks  []*rules.Program
}

// Expect is what a playthrough test expects.
type Expect struct {
	Ending  Ref      `yaml:"ending"`
	Visited []Ref    `yaml:"visited"`
	State   []Source `yaml:"state"`
	Score   *Range   `yaml:"score"`
}

// Range is a closed interval of percentages.
type Range struct {
	Min float64 `yaml:"min"`
	Max float64 `yaml:"max"`
}

// Inject returns the inject with the given id, or nil.
func (s *Scenario) Inject(id string) *Inject { return s.injects[id] }

// Question returns the question with the given id, or nil.
func (s *Scenario) Question(id string) *Question { return s.questions[id] }

// Questions returns every question in file order.
func (s *Scenario) Questions() []*Question {
	var qs []*Question
	for _, in := range s.Injects {
		qs = append(qs, in.Questions...)
	}
	return qs
}

// StartInject returns the first inject.
func (s *Scenario) StartInject() *Inject { return s.injects[s.Start.Value] }

// Role returns the role with the given id, or nil.
func (s *Scenario) Role(id string) *Role {
	for _, r := range s.Roles {
		if r.ID.Value == id {
			return r
		}
	}
	return nil
}
