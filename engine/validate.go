package engine

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/paraat-nl/paraat/engine/rules"
	"go.yaml.in/yaml/v3"
)

// DefaultPoints is what a question is worth when the file does not say.
const DefaultPoints = 10

var varRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validator resolves and checks one decoded scenario file.
type validator struct {
	s      *Scenario
	corpus *Corpus
	diags  *Diagnostics
	file   string
	root   *yaml.Node
}

func (v *validator) errorf(p Pos, format string, args ...any) {
	v.diags.addf(Error, v.file, p, format, args...)
}

func (v *validator) warnf(p Pos, format string, args ...any) {
	v.diags.addf(Warning, v.file, p, format, args...)
}

func (v *validator) id(r Ref, what string, seen map[string]Pos) {
	switch {
	case r.Value == "":
		v.errorf(r.Pos, "%s has no id", what)
	case !idRE.MatchString(r.Value):
		v.errorf(r.Pos, "%s id %q must be lowercase kebab-case (a-z, 0-9, -)", what, r.Value)
	case seen != nil:
		if p, dup := seen[r.Value]; dup {
			v.errorf(r.Pos, "%s id %q is used twice: first at line %d, column %d, again here", what, r.Value, p.Line, p.Column)
		}
		seen[r.Value] = r.Pos
	}
}

func (v *validator) run() {
	s := v.s
	s.injects = map[string]*Inject{}
	s.questions = map[string]*Question{}
	s.rules = map[string]*Rule{}
	v.id(s.ID, "scenario", nil)
	if s.Kind == "" {
		s.Kind = KindScenario
	}
	if s.Kind != KindScenario && s.Kind != KindQuiz {
		v.errorf(v.keyPos("kind"), "kind must be scenario or quiz, not %q%s", s.Kind, didYouMean(s.Kind, []string{KindScenario, KindQuiz}))
	}
	if s.Version < 1 {
		v.errorf(v.keyPos("version"), "version must be 1 or more")
	}
	checkText(v.diags, v.file, s.Title, "title", true)
	checkText(v.diags, v.file, s.Summary, "summary", false)
	if s.Lens.Value == "" {
		v.errorf(Pos{1, 1}, "lens is required (the default policy lens, e.g. ivs-2026)")
	} else if v.corpus.Lens(s.Lens.Value) == nil {
		v.errorf(s.Lens.Pos, "unknown lens %q%s (known: %s)", s.Lens.Value, didYouMean(s.Lens.Value, v.corpus.Lenses()), strings.Join(v.corpus.Lenses(), ", "))
	}
	roles := map[string]Pos{}
	for _, r := range s.Roles {
		v.id(r.ID, "role", roles)
		checkText(v.diags, v.file, r.Name, "name of role "+r.ID.Value, true)
	}
	teams := map[string]Pos{}
	for _, r := range s.Teams {
		v.id(r.ID, "team", teams)
		checkText(v.diags, v.file, r.Name, "name of team "+r.ID.Value, true)
	}
	v.state()

	if s.Kind == KindQuiz {
		v.quiz()
	} else {
		if len(s.Quiz) > 0 {
			v.errorf(Pos{1, 1}, "a scenario has injects with questions; top-level questions are for kind: quiz")
		}
		if len(s.Roles) == 0 {
			v.errorf(Pos{1, 1}, "a scenario needs at least one role")
		}
	}
	if len(s.Injects) == 0 {
		v.errorf(Pos{1, 1}, "no injects (or, in a quiz, no questions)")
		return
	}

	// First pass: ids, so that expressions and references can be resolved in the second.
	injectIDs, questionIDs := map[string]Pos{}, map[string]Pos{}
	for i, in := range s.Injects {
		in.index = i
		v.id(in.ID, "inject", injectIDs)
		s.injects[in.ID.Value] = in
		for _, q := range in.Questions {
			q.inject = in
			v.id(q.ID, "question", questionIDs)
			s.questions[q.ID.Value] = q
		}
	}
	ruleIDs := map[string]Pos{}
	for i, r := range s.Rules {
		r.index = i
		v.id(r.ID, "rule", ruleIDs)
		s.rules[r.ID.Value] = r
	}
	if s.Start.Value == "" {
		v.errorf(Pos{1, 1}, "start is required (the id of the first inject)")
	} else if s.injects[s.Start.Value] == nil {
		v.errorf(s.Start.Pos, "start: unknown inject %q%s", s.Start.Value, didYouMean(s.Start.Value, keys(s.injects)))
	}

	for _, in := range s.Injects {
		v.inject(in)
	}
	for _, r := range s.Rules {
		r.cond = v.expr(r.When, rules.Bool, "rule "+r.ID.Value)
		if r.When.Text == "" {
			v.errorf(r.ID.Pos, "rule %s has no `when`", r.ID.Value)
		}
		r.effects = v.effects(r.EffectSrc)
		if r.Return && r.Inject.Value == "" {
			v.errorf(v.fieldPos(r.ID.Pos, "return"), "rule %s: return needs an inject to return from", r.ID.Value)
		}
		if r.Inject.Value != "" {
			if r.target = s.injects[r.Inject.Value]; r.target == nil {
				v.errorf(r.Inject.Pos, "unknown inject %q%s", r.Inject.Value, didYouMean(r.Inject.Value, keys(s.injects)))
			}
		}
		checkText(v.diags, v.file, r.Message, "message of rule "+r.ID.Value, false)
	}
	endingIDs := map[string]Pos{}
	for i, e := range s.Endings {
		v.id(e.ID, "ending", endingIDs)
		checkText(v.diags, v.file, e.Title, "title of ending "+e.ID.Value, true)
		checkText(v.diags, v.file, e.Text, "text of ending "+e.ID.Value, false)
		e.cond = v.expr(e.When, rules.Bool, "ending "+e.ID.Value)
		if e.When.Text == "" && i < len(s.Endings)-1 {
			v.warnf(e.ID.Pos, "ending %s has no condition, so the endings after it are never reached", e.ID.Value)
		}
	}
	if s.Kind == KindScenario && len(s.Endings) == 0 {
		v.errorf(Pos{1, 1}, "a scenario needs at least one ending")
	}
	var best *Ending
	for _, e := range s.Endings {
		if e.Best && best != nil {
			v.errorf(e.ID.Pos, "ending %s is marked best: true, but so is %s: a scenario has one best ending", e.ID.Value, best.ID.Value)
		} else if e.Best {
			best = e
		}
	}
	v.brief()
	v.relax()
	v.tests()
	v.graph()
}

// brief checks the optional brief: every entry a text in both languages.
func (v *validator) brief() {
	b := v.s.Brief
	if b == nil {
		return
	}
	for _, l := range []struct {
		name string
		ts   []Text
	}{{"goal", b.Goals}, {"source", b.Sources}, {"disagreement", b.Disagreements}} {
		for i, t := range l.ts {
			checkText(v.diags, v.file, t, fmt.Sprintf("brief %s %d", l.name, i+1), true)
		}
	}
	if len(b.Goals) == 0 {
		v.errorf(b.Pos, "brief: goals are required (what the scenario trains)")
	}
}

// relax checks the gate relaxations: each names a gate once and gives its reason in both
// languages. Whether the gate exists is checked by the analysis that owns the gates.
func (v *validator) relax() {
	seen := map[string]Pos{}
	for _, r := range v.s.Relax {
		if r.Gate.Value == "" {
			v.errorf(r.Reason.Pos, "relax: every entry names a gate")
			continue
		}
		if p, dup := seen[r.Gate.Value]; dup {
			v.errorf(r.Gate.Pos, "relax: gate %s is relaxed twice (first at line %d)", r.Gate.Value, p.Line)
		}
		seen[r.Gate.Value] = r.Gate.Pos
		checkText(v.diags, v.file, r.Reason, "reason for relaxing "+r.Gate.Value, true)
	}
}

func (v *validator) state() {
	s := v.s
	n := &s.RawState
	if n.Kind == 0 {
		return
	}
	if n.Kind != yaml.MappingNode {
		v.errorf(posOf(n), "state is a mapping of variable names to {type, initial, min, max}")
		return
	}
	c := &checker{file: v.file, diags: v.diags}
	var vars []rules.Var
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		before := v.diags.Errors()
		c.check(val, reflectTypeOfStateVar)
		if v.diags.Errors() > before {
			continue
		}
		sv := &StateVar{Name: k.Value, Pos: posOf(k)}
		if err := val.Decode(sv); err != nil {
			v.errorf(posOf(val), "%v", err)
			continue
		}
		for j := 0; j+1 < len(val.Content); j += 2 {
			switch val.Content[j].Value {
			case "min":
				sv.HasMin = true
			case "max":
				sv.HasMax = true
			}
		}
		if !varRE.MatchString(sv.Name) {
			v.errorf(sv.Pos, "state variable %q: names use letters, digits and _ only", sv.Name)
			continue
		}
		if rules.Reserved(sv.Name) {
			v.errorf(sv.Pos, "state variable %q: the name is reserved", sv.Name)
			continue
		}
		at := func(key string) Pos {
			if f := field(val, key); f != nil {
				return posOf(f)
			}
			return sv.Pos
		}
		// A variable with a mistake still joins the schema, so that the expressions using it
		// compile and the mistake is reported once.
		switch sv.Type {
		case "", "int":
			sv.Type, sv.kind = "int", rules.Int
		case "float":
			sv.kind = rules.Float
		case "bool":
			sv.kind = rules.Bool
		default:
			v.errorf(at("type"), "state variable %s: type must be int, float or bool, not %q%s", sv.Name, sv.Type, didYouMean(sv.Type, []string{"int", "float", "bool"}))
			vars = append(vars, rules.Var{Name: sv.Name, Kind: rules.Int})
			continue
		}
		if !v.initial(sv, at) {
			vars = append(vars, rules.Var{Name: sv.Name, Kind: sv.kind})
			continue
		}
		s.State = append(s.State, sv)
		vars = append(vars, rules.Var{Name: sv.Name, Kind: sv.kind})
		checkText(v.diags, v.file, sv.Label, "label of "+sv.Name, false)
	}
	s.schema = rules.NewSchema(vars)
}

func (v *validator) initial(sv *StateVar, at func(key string) Pos) bool {
	switch sv.kind {
	case rules.Bool:
		if sv.Initial == nil {
			sv.Initial = false
		}
		if _, ok := sv.Initial.(bool); !ok {
			v.errorf(at("initial"), "state variable %s: initial must be true or false", sv.Name)
			return false
		}
		return true
	}
	var f float64
	switch x := sv.Initial.(type) {
	case nil:
	case int:
		f = float64(x)
	case float64:
		f = x
	default:
		v.errorf(at("initial"), "state variable %s: initial must be a number", sv.Name)
		return false
	}
	if sv.kind == rules.Int && f != math.Trunc(f) {
		v.errorf(at("initial"), "state variable %s: initial must be a whole number", sv.Name)
		return false
	}
	if !sv.HasMin {
		sv.Min = math.Inf(-1)
	}
	if !sv.HasMax {
		sv.Max = math.Inf(1)
	}
	if sv.Min > sv.Max {
		v.errorf(at("min"), "state variable %s: min is larger than max", sv.Name)
		return false
	}
	if f < sv.Min || f > sv.Max {
		v.errorf(at("initial"), "state variable %s: initial %v is outside [%v, %v]", sv.Name, f, sv.Min, sv.Max)
		return false
	}
	if sv.kind == rules.Int {
		sv.Initial = int(f)
	} else {
		sv.Initial = f
	}
	return true
}

// quiz turns the question list into one inject per question, linked in order.
func (v *validator) quiz() {
	s := v.s
	if len(s.Injects) > 0 || len(s.Rules) > 0 || len(s.Endings) > 0 || len(s.State) > 0 {
		v.errorf(Pos{1, 1}, "a quiz has only questions: no injects, state, rules or endings")
	}
	s.Injects = nil
	for i, q := range s.Quiz {
		in := &Inject{ID: q.ID, Questions: []*Question{q}}
		if i > 0 {
			prev := s.Injects[i-1]
			prev.Next = []*Branch{{Goto: q.ID}}
		}
		s.Injects = append(s.Injects, in)
	}
	if len(s.Quiz) > 0 {
		s.Start = s.Quiz[0].ID
	}
}

func (v *validator) inject(in *Inject) {
	s := v.s
	if s.Kind == KindScenario {
		checkText(v.diags, v.file, in.Title, "title of inject "+in.ID.Value, false)
		checkText(v.diags, v.file, in.Text, "text of inject "+in.ID.Value, true)
	}
	v.injectTexts(in)
	in.effects = v.effects(in.EffectSrc)
	for _, q := range in.Questions {
		v.question(q)
	}
	for i, b := range in.Next {
		b.cond = v.expr(b.When, rules.Bool, "branch")
		if b.target = s.injects[b.Goto.Value]; b.target == nil {
			if b.Goto.Value == "" {
				v.errorf(in.ID.Pos, "a `next` entry of inject %s has no goto", in.ID.Value)
			} else {
				v.errorf(b.Goto.Pos, "unknown inject %q%s", b.Goto.Value, didYouMean(b.Goto.Value, keys(s.injects)))
			}
		}
		if b.When.Text == "" && i < len(in.Next)-1 {
			v.warnf(b.Goto.Pos, "this branch has no condition, so the branches after it are never taken")
		}
	}
}

func (v *validator) question(q *Question) {
	s := v.s
	what := "question " + q.ID.Value
	checkText(v.diags, v.file, q.Prompt, "prompt of "+what, true)
	checkText(v.diags, v.file, q.Feedback, "feedback of "+what, false)
	if q.Points == 0 {
		q.Points = DefaultPoints
	}
	if q.Points < 0 {
		v.errorf(v.fieldPos(q.ID.Pos, "points"), "%s: points must be positive", what)
	}
	for _, r := range q.Roles {
		if s.Role(r.Value) == nil {
			v.errorf(r.Pos, "unknown role %q%s", r.Value, didYouMean(r.Value, s.roleIDs()))
		}
	}
	switch d := q.Decides.Value; {
	case d == "", d == "majority", d == "facilitator":
	case strings.HasPrefix(d, "role:"):
		if s.Role(strings.TrimPrefix(d, "role:")) == nil {
			v.errorf(q.Decides.Pos, "decides: unknown role %q%s", strings.TrimPrefix(d, "role:"), didYouMean(strings.TrimPrefix(d, "role:"), s.roleIDs()))
		}
	default:
		v.errorf(q.Decides.Pos, "decides must be majority, facilitator or role:ID, not %q%s", d, didYouMean(d, []string{"majority", "facilitator"}))
	}
	switch q.Assess.Value {
	case "", AssessJudgement:
	case AssessFact:
		if q.Type == Rank || q.Type == Free {
			v.errorf(q.Assess.Pos, "%s: assess: fact applies to choice, multi and number questions; a %s question is always scored with partial credit", what, q.Type)
		}
	default:
		v.errorf(q.Assess.Pos, "%s: assess must be judgement or fact, not %q", what, q.Assess.Value)
	}
	if q.Fixed && (q.Type == Number || q.Type == Free) {
		v.warnf(q.ID.Pos, "%s: fixed keeps the order of options, and a %s question has none", what, q.Type)
	}
	q.opts = map[string]*Option{}
	switch q.Type {
	case Choice, Multi, Rank:
		if len(q.Options) < 2 {
			v.errorf(q.ID.Pos, "%s: a %s question needs at least two options", what, q.Type)
		}
		seen := map[string]Pos{}
		for i, o := range q.Options {
			o.index = i
			v.id(o.ID, "option", seen)
			q.opts[o.ID.Value] = o
			checkText(v.diags, v.file, o.Text, "text of option "+o.ID.Value, true)
			checkText(v.diags, v.file, o.Feedback, "feedback of option "+o.ID.Value, false)
			v.citations(o.Citations)
			o.effects = v.effects(o.EffectSrc)
			o.cond = v.expr(o.When, rules.Bool, "option condition")
			o.score = v.expr(o.Score, rules.Float, "score override")
		}
		if len(q.Accept) > 0 || len(q.Rubric) > 0 {
			v.errorf(q.ID.Pos, "%s: accept and rubric belong to number and text questions", what)
		}
	case Number:
		if len(q.Accept) == 0 {
			v.errorf(q.ID.Pos, "%s: a number question needs `accept` values", what)
		}
		for i, a := range q.Accept {
			if a.Tolerance < 0 {
				v.errorf(v.acceptPos(q.ID.Pos, i, "tolerance"), "%s: tolerance must not be negative", what)
			}
			v.citations(a.Citations)
		}
		if len(q.Options) > 0 || len(q.Rubric) > 0 {
			v.errorf(q.ID.Pos, "%s: a number question has accept values, not options or a rubric", what)
		}
	case Free:
		if len(q.Rubric) == 0 {
			v.errorf(q.ID.Pos, "%s: a text question needs a rubric", what)
		}
		seen := map[string]Pos{}
		for _, it := range q.Rubric {
			v.id(it.ID, "rubric item", seen)
			checkText(v.diags, v.file, it.Text, "rubric item "+it.ID.Value, true)
			if it.Points == 0 {
				it.Points = 1
			}
			if it.Points < 0 {
				v.errorf(v.fieldPos(it.ID.Pos, "points"), "rubric item %s: points must be positive", it.ID.Value)
			}
			v.citations(it.Citations)
		}
		if len(q.Options) > 0 || len(q.Accept) > 0 {
			v.errorf(q.ID.Pos, "%s: a text question has a rubric, not options or accept values", what)
		}
	case "":
		v.errorf(q.ID.Pos, "%s has no type (choice, multi, rank, number or text)", what)
	default:
		v.errorf(v.fieldPos(q.ID.Pos, "type"), "%s: unknown type %q%s (choice, multi, rank, number or text)", what, q.Type, didYouMean(q.Type, []string{Choice, Multi, Rank, Number, Free}))
	}
}

func (v *validator) citations(c Citations) {
	for _, list := range [][]Ref{c.Supports, c.Conflicts, c.Context} {
		for _, r := range list {
			if v.corpus.Statement(r.Value) == nil && !v.corpus.incomplete {
				hint := v.corpus.suggestStatement(r.Value)
				if hint == "" && !strings.Contains(r.Value, "/") {
					hint = " (cite statements as lens/id)"
				}
				v.errorf(r.Pos, "unknown statement %q%s", r.Value, hint)
			}
		}
	}
}

func (v *validator) effects(srcs []Source) []*rules.Effect {
	var out []*rules.Effect
	for _, src := range srcs {
		if v.s.schema == nil {
			v.s.schema = rules.NewSchema(nil)
		}
		e, err := v.s.schema.CompileEffect(src.Text)
		if err != nil {
			v.exprError(src, err)
			continue
		}
		v.refs(src, e.Value)
		out = append(out, e)
	}
	return out
}

// expr compiles an optional expression; an empty source gives nil.
func (v *validator) expr(src Source, kind rules.Kind, what string) *rules.Program {
	if src.Text == "" {
		return nil
	}
	if v.s.schema == nil {
		v.s.schema = rules.NewSchema(nil)
	}
	p, err := v.s.schema.Compile(src.Text, kind)
	if err != nil {
		v.exprError(src, err)
		return nil
	}
	v.refs(src, p)
	return p
}

func (v *validator) exprError(src Source, err error) {
	var re *rules.Error
	if errors.As(err, &re) {
		msg, code := exprMessage(firstLine(re.Message), v.s.schema)
		v.diags.addCode(Error, v.file, src.at(re.Line, re.Column), code, msg)
		return
	}
	v.diags.addCode(Error, v.file, src.Pos, "expression", err.Error())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// refs checks the ids an expression passes to chose, answered, visited and fired.
func (v *validator) refs(src Source, p *rules.Program) {
	s := v.s
	for _, r := range p.References() {
		at := src.at(1, r.Column)
		switch r.Func {
		case "chose":
			q := s.questions[r.Args[0]]
			if q == nil {
				v.errorf(at, "chose: unknown question %q%s", r.Args[0], didYouMean(r.Args[0], keys(s.questions)))
			} else if q.Type == Number || q.Type == Free {
				v.errorf(at, "chose: question %q is a %s question and has no options", r.Args[0], q.Type)
			} else if q.opts[r.Args[1]] == nil && !hasOption(q, r.Args[1]) {
				v.errorf(at, "chose: question %q has no option %q%s", r.Args[0], r.Args[1], didYouMean(r.Args[1], q.optionIDs()))
			}
		case "answered":
			if s.questions[r.Args[0]] == nil {
				v.errorf(at, "answered: unknown question %q%s", r.Args[0], didYouMean(r.Args[0], keys(s.questions)))
			}
		case "visited":
			if s.injects[r.Args[0]] == nil {
				v.errorf(at, "visited: unknown inject %q%s", r.Args[0], didYouMean(r.Args[0], keys(s.injects)))
			}
		case "fired":
			if s.rules[r.Args[0]] == nil {
				v.errorf(at, "fired: unknown rule %q%s", r.Args[0], didYouMean(r.Args[0], keys(s.rules)))
			}
		}
	}
}

// hasOption looks at the options as written, for references checked before the question
// itself was resolved (an effect of an earlier inject naming a later question).
func hasOption(q *Question, id string) bool {
	for _, o := range q.Options {
		if o.ID.Value == id {
			return true
		}
	}
	return false
}

// graph warns about injects that cannot be reached and playthroughs that reach no ending.
func (v *validator) graph() {
	s := v.s
	start := s.StartInject()
	if start == nil {
		return
	}
	reach := map[*Inject]bool{}
	stack := []*Inject{start}
	for _, r := range s.Rules {
		if r.target != nil {
			stack = append(stack, r.target)
		}
	}
	for len(stack) > 0 {
		in := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reach[in] {
			continue
		}
		reach[in] = true
		for _, b := range in.Next {
			if b.target != nil {
				stack = append(stack, b.target)
			}
		}
	}
	v.openBranches(reach)
	for _, in := range s.Injects {
		if !reach[in] && !s.unresolved() {
			v.warnf(in.ID.Pos, "inject %s is unreachable: no `next`, `start` or rule leads to it", in.ID.Value)
		}
	}
	if s.Kind != KindScenario {
		return
	}
	guaranteed := false
	for _, e := range s.Endings {
		if e.When.Text == "" {
			guaranteed = true
		}
	}
	if guaranteed {
		return
	}
	for _, in := range s.Injects {
		open := len(in.Next) == 0 || in.Next[len(in.Next)-1].When.Text != ""
		if reach[in] && open {
			v.warnf(in.ID.Pos, "dead end: the playthrough can end at inject %s, but no ending is guaranteed (give the last ending no condition)", in.ID.Value)
		}
	}
}
