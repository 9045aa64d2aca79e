package analyze

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// explorer enumerates the playthroughs of a scenario through the engine, depth first,
// replaying each prefix of decisions in a fresh world. Two prefixes that leave the world in
// the same state (inject, open question, state variables, visited injects, fired rules, and
// the answers expressions ask about) have the same futures, so the second is not explored
// again. Only answers that differ in effect are told apart, unless an expression asks about
// the question. The number of replays is bounded; Flow says when the bound was hit.
type explorer struct {
	p          *player
	referenced map[string]bool // question ids named in an expression
	usesScore  bool            // an expression reads score, elapsed or answer_time
	seen       map[string]bool
	bound      int
	effects    map[*engine.Option]string

	flow      *Flow
	trans     map[[2]string]bool
	repeats   map[string]bool
	reachable map[string]bool
	after     map[string]map[string]bool // rule target inject -> injects shown next
	ends      map[string]bool            // rule target inject -> a path ended right after it
	fired     map[string]bool
	visited   map[string]bool
}

var quoted = regexp.MustCompile(`'([^']*)'|"([^"]*)"`)
var scoreVar = regexp.MustCompile(`\b(score|elapsed|answer_time)\b`)

func expressions(s *engine.Scenario) []string {
	var out []string
	add := func(ss ...engine.Source) {
		for _, x := range ss {
			if x.Text != "" {
				out = append(out, x.Text)
			}
		}
	}
	for _, in := range s.Injects {
		add(in.EffectSrc...)
		for _, b := range in.Next {
			add(b.When)
		}
		for _, q := range in.Questions {
			for _, o := range q.Options {
				add(o.EffectSrc...)
				add(o.When, o.Score)
			}
		}
	}
	for _, r := range s.Rules {
		add(r.When)
		add(r.EffectSrc...)
	}
	for _, e := range s.Endings {
		add(e.When)
	}
	return out
}

func newExplorer(p *player, bound int) *explorer {
	x := &explorer{p: p, referenced: map[string]bool{}, seen: map[string]bool{}, bound: bound,
		flow: &Flow{Bound: bound}, effects: map[*engine.Option]string{}, trans: map[[2]string]bool{}, repeats: map[string]bool{},
		reachable: map[string]bool{}, after: map[string]map[string]bool{}, ends: map[string]bool{},
		fired: map[string]bool{}, visited: map[string]bool{}}
	for _, q := range p.s.Questions() {
		for _, o := range q.Options {
			x.effects[o] = effectsOf(o)
		}
	}
	for _, e := range expressions(p.s) {
		for _, m := range quoted.FindAllStringSubmatch(e, -1) {
			x.referenced[m[1]+m[2]] = true
		}
		if scoreVar.MatchString(e) {
			x.usesScore = true
		}
	}
	return x
}

// alts are the answers told apart at a question, in a fixed order.
func (x *explorer) alts(w *engine.World, q *engine.Question) []engine.Answer {
	opts := x.p.offered(w, q)
	slices.SortStableFunc(opts, func(a, b *engine.Option) int { return strings.Compare(a.ID.Value, b.ID.Value) })
	distinct := x.referenced[q.ID.Value] || x.usesScore
	seen := map[string]bool{}
	var out []engine.Answer
	add := func(sig string, a engine.Answer) {
		if distinct {
			sig = key(q, a)
		}
		if !seen[sig] {
			seen[sig] = true
			out = append(out, a)
		}
	}
	switch q.Type {
	case engine.Choice:
		for _, o := range opts {
			add(x.effects[o], engine.Answer{Option: o.ID.Value})
		}
	case engine.Rank:
		for _, o := range opts {
			order := []string{o.ID.Value}
			for _, p := range opts {
				if p != o {
					order = append(order, p.ID.Value)
				}
			}
			add(x.effects[o], engine.Answer{Options: order})
		}
	case engine.Multi:
		n := len(opts)
		if n > 10 {
			n = 10 // 1024 subsets at most; the rest of the options stay unselected
		}
		for mask := 0; mask < 1<<n; mask++ {
			a := engine.Answer{Options: []string{}}
			var sig []string
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					a.Options = append(a.Options, opts[i].ID.Value)
					if e := x.effects[opts[i]]; e != "" {
						sig = append(sig, e)
					}
				}
			}
			slices.Sort(sig)
			add(strings.Join(sig, "|"), a)
		}
	default:
		if a, ok := x.p.policy(w, q); ok {
			out = append(out, a)
		}
	}
	return out
}

func (x *explorer) fingerprint(w *engine.World, q *engine.Question) string {
	var b strings.Builder
	b.WriteString(q.ID.Value)
	for _, v := range w.State() {
		fmt.Fprintf(&b, "|%v", v.Value)
	}
	var vis []string
	for _, st := range w.Path() {
		vis = append(vis, st.Inject)
	}
	sort.Strings(vis)
	b.WriteString("|v:" + strings.Join(slices.Compact(vis), ","))
	b.WriteString("|f:")
	for _, f := range w.Fired() {
		b.WriteString(f.Rule + ",")
	}
	b.WriteString("|d:")
	for _, d := range w.Decisions() {
		if x.referenced[d.Question] || x.usesScore {
			fmt.Fprintf(&b, "%s=%s,", d.Question, key(x.p.s.Question(d.Question), d.Answer))
		}
	}
	if x.usesScore {
		fmt.Fprintf(&b, "|s:%v|%v", w.Var("score"), w.Var("elapsed"))
	}
	return b.String()
}

// replay plays prefix (alternative indexes in question order), then the first alternative
// everywhere, until the world ends or reaches a state explored before. It returns the
// choices made and the number of alternatives at each.
func (x *explorer) replay(prefix []int) (choices, counts []int, w *engine.World, complete bool) {
	w = engine.NewWorld(x.p.s, engine.Config{Lens: x.p.lens, Solo: true})
	at := time.Duration(0)
	for steps := 0; !w.Done(); steps++ {
		if steps > 1000 || w.Err() != nil {
			x.flow.Loops++
			return choices, counts, w, false
		}
		for _, q := range w.Open("") {
			k := len(choices)
			if k >= len(prefix) {
				fp := x.fingerprint(w, q)
				if x.seen[fp] {
					return choices, counts, w, false
				}
				x.seen[fp] = true
			}
			alts := x.alts(w, q)
			if len(alts) == 0 {
				continue
			}
			c := 0
			if k < len(prefix) {
				c = prefix[k]
			}
			a := alts[c]
			at += 10 * time.Second
			if err := w.Apply(engine.Event{Kind: engine.EventAnswer, At: at, Participant: "explorer", Question: q.ID.Value, Answer: &a}); err != nil {
				x.flow.Errors = appendOnce(x.flow.Errors, fmt.Sprintf("%s: %v", q.ID.Value, err))
				return choices, counts, w, false
			}
			choices, counts = append(choices, c), append(counts, len(alts))
		}
		at += time.Minute
		if err := w.Apply(engine.Event{Kind: engine.EventAdvance, At: at}); err != nil {
			return choices, counts, w, false
		}
	}
	return choices, counts, w, w.Err() == nil
}

func appendOnce(ss []string, s string) []string {
	if slices.Contains(ss, s) || len(ss) >= 20 {
		return ss
	}
	return append(ss, s)
}

// record notes what a (possibly partial) playthrough shows about the flow. Playthroughs of
// the rest of the analysis (random, strategies, swaps, lenses) are recorded too (counted
// false): they reach corners a bounded enumeration may not.
func (x *explorer) record(w *engine.World, complete, counted bool) {
	path := w.Path()
	seen := map[string]bool{}
	for i, st := range path {
		x.visited[st.Inject] = true
		if seen[st.Inject] {
			x.repeats[st.Inject] = true
		}
		seen[st.Inject] = true
		if i > 0 {
			x.trans[[2]string{path[i-1].Inject, st.Inject}] = true
		}
	}
	for _, f := range w.Fired() {
		x.fired[f.Rule] = true
	}
	for _, r := range x.p.s.Rules {
		t := r.Inject.Value
		if t == "" {
			continue
		}
		for i, st := range path {
			if st.Inject != t {
				continue
			}
			if i+1 < len(path) {
				if x.after[t] == nil {
					x.after[t] = map[string]bool{}
				}
				x.after[t][path[i+1].Inject] = true
			} else if complete {
				x.ends[t] = true
			}
		}
	}
	if complete {
		if counted {
			x.flow.Complete++
		}
		if e := w.Ending(); e != nil {
			x.reachable[e.ID.Value] = true
		} else {
			x.flow.NoEnding = true
		}
	}
}

// explore runs the depth-first enumeration up to the bound.
func (x *explorer) explore() {
	var prefix []int
	for {
		if x.flow.Runs >= x.bound {
			x.flow.BoundHit = true
			return
		}
		x.flow.Runs++
		choices, counts, w, complete := x.replay(prefix)
		x.record(w, complete, true)
		k := len(choices) - 1
		for k >= 0 && choices[k]+1 >= counts[k] {
			k--
		}
		if k < 0 {
			return
		}
		prefix = append(slices.Clone(choices[:k]), choices[k]+1)
	}
}

func injectRef(in *engine.Inject) Ref {
	t := text(in.Title)
	if t.NL == "" && t.EN == "" && len(in.Questions) > 0 {
		t = text(in.Questions[0].Prompt)
	}
	return Ref{ID: in.ID.Value, Text: t}
}

// finish turns what was explored (and the reachable endings seen by other runs) into Flow.
func (x *explorer) finish(s *engine.Scenario, also map[string]bool) *Flow {
	f := x.flow
	f.Clocks, f.Backwards, f.Repeats, f.RuleInjects, f.Reachable, f.Unreached = []Clock{}, []Transition{}, []Ref{}, []RuleInject{}, []Ref{}, []Ref{}
	if f.Errors == nil {
		f.Errors = []string{}
	}
	clocks := map[string]clock{}
	for _, in := range s.Injects {
		if in.Clock == "" {
			continue
		}
		c := Clock{Inject: injectRef(in), Clock: in.Clock}
		if k, ok := readClock(in.Clock); ok {
			c.Parsed, c.Minutes, c.SinceStart = true, []int{k.lo, k.hi}, k.rel
			clocks[in.ID.Value] = k
		}
		f.Clocks = append(f.Clocks, c)
	}
	var ts [][2]string
	for t := range x.trans {
		ts = append(ts, t)
	}
	order := func(id string) int {
		if in := s.Inject(id); in != nil {
			return in.Index()
		}
		return -1
	}
	sort.Slice(ts, func(i, j int) bool {
		if order(ts[i][0]) != order(ts[j][0]) {
			return order(ts[i][0]) < order(ts[j][0])
		}
		return order(ts[i][1]) < order(ts[j][1])
	})
	f.Transitions = len(ts)
	for _, t := range ts {
		a, oka := clocks[t[0]]
		b, okb := clocks[t[1]]
		if oka && okb && a.after(b) {
			from, to := s.Inject(t[0]), s.Inject(t[1])
			f.Backwards = append(f.Backwards, Transition{From: injectRef(from), FromClock: from.Clock, To: injectRef(to), ToClock: to.Clock})
		}
	}
	for _, in := range s.Injects {
		if x.repeats[in.ID.Value] {
			f.Repeats = append(f.Repeats, injectRef(in))
		}
		if !x.visited[in.ID.Value] && !f.BoundHit {
			f.Unreached = append(f.Unreached, injectRef(in))
		}
	}
	for _, r := range s.Rules {
		in := s.Inject(r.Inject.Value)
		if in == nil {
			continue
		}
		ri := RuleInject{Rule: r.ID.Value, Inject: injectRef(in), Fires: x.fired[r.ID.Value], Then: []Ref{}, Ends: x.ends[in.ID.Value]}
		for _, next := range s.Injects {
			if x.after[in.ID.Value][next.ID.Value] {
				ri.Then = append(ri.Then, injectRef(next))
			}
		}
		f.RuleInjects = append(f.RuleInjects, ri)
	}
	for _, e := range s.Endings {
		if x.reachable[e.ID.Value] || also[e.ID.Value] {
			f.Reachable = append(f.Reachable, Ref{ID: e.ID.Value, Text: text(e.Title)})
		}
	}
	return f
}
