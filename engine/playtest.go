package engine

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine/rules"
	"go.yaml.in/yaml/v3"
)

func strconvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// tests resolves the answers of every playthrough test and compiles its expectations.
func (v *validator) tests() {
	s := v.s
	for _, t := range s.Tests {
		if t.Name == "" {
			v.errorf(Pos{1, 1}, "a test needs a name")
		}
		t.Pos = posOf(&t.Answers)
		if t.Lens.Value != "" && v.corpus.Lens(t.Lens.Value) == nil {
			v.errorf(t.Lens.Pos, "unknown lens %q%s", t.Lens.Value, didYouMean(t.Lens.Value, v.corpus.Lenses()))
		}
		n := &t.Answers
		t.answers = map[string]Answer{}
		switch {
		case n.Kind == 0:
		case n.Kind == yaml.ScalarNode && n.Value == "policy":
			t.policy = true
		case n.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				q := s.questions[k.Value]
				if q == nil {
					v.errorf(posOf(k), "test %q: unknown question %q%s", t.Name, k.Value, didYouMean(k.Value, keys(s.questions)))
					continue
				}
				if a, err := testAnswer(q, val); err != nil {
					v.errorf(posOf(val), "test %q, question %s: %v", t.Name, q.ID.Value, err)
				} else {
					t.answers[q.ID.Value] = a
				}
			}
		default:
			v.errorf(posOf(n), "test %q: answers is `policy` or a mapping of question ids to answers", t.Name)
		}
		if d := t.Default.Value; d != "" && d != "first" && d != "none" {
			v.errorf(t.Default.Pos, "test %q: default must be first or none, not %q", t.Name, d)
		}
		if e := t.Expect.Ending.Value; e != "" && !s.hasEnding(e) {
			v.errorf(t.Expect.Ending.Pos, "unknown ending %q%s", e, didYouMean(e, s.endingIDs()))
		}
		for _, r := range t.Expect.Visited {
			if s.injects[r.Value] == nil {
				v.errorf(r.Pos, "unknown inject %q%s", r.Value, didYouMean(r.Value, keys(s.injects)))
			}
		}
		if r := t.Expect.Score; r != nil && (r.Min < 0 || r.Max > 100 || r.Min > r.Max) {
			v.errorf(v.testScorePos(t), "test %q: score is a range of percentages, 0 <= min <= max <= 100 (got %v to %v)", t.Name, r.Min, r.Max)
		}
		for _, src := range t.Expect.State {
			if p := v.expr(src, rules.Bool, "expectation"); p != nil {
				t.checks = append(t.checks, p)
			}
		}
	}
}

func (s *Scenario) hasEnding(id string) bool {
	for _, e := range s.Endings {
		if e.ID.Value == id {
			return true
		}
	}
	return false
}

func testAnswer(q *Question, n *yaml.Node) (Answer, error) {
	var a Answer
	list := func() ([]string, error) {
		if n.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("expected a list of ids")
		}
		var ids []string
		for _, e := range n.Content {
			ids = append(ids, e.Value)
		}
		return ids, nil
	}
	switch q.Type {
	case Choice:
		if n.Kind != yaml.ScalarNode {
			return a, fmt.Errorf("expected an option id")
		}
		if q.opts[n.Value] == nil {
			return a, fmt.Errorf("no option %q%s", n.Value, didYouMean(n.Value, q.optionIDs()))
		}
		a.Option = n.Value
	case Multi, Rank:
		ids, err := list()
		if err != nil {
			return a, err
		}
		for _, id := range ids {
			if q.opts[id] == nil {
				return a, fmt.Errorf("no option %q%s", id, didYouMean(id, q.optionIDs()))
			}
		}
		a.Options = ids
	case Number:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			return a, fmt.Errorf("expected a number")
		}
		a.Number = &f
	case Free:
		ids, err := list()
		if err != nil {
			return a, fmt.Errorf("expected the list of rubric items the answer meets")
		}
		for _, id := range ids {
			if q.Item(id) == nil {
				return a, fmt.Errorf("no rubric item %q", id)
			}
		}
		a.Text, a.Items = "(test)", ids
	}
	return a, nil
}

// Playthrough is the outcome of playing a scenario alone from start to end.
type Playthrough struct {
	World *World
	Steps int
}

// maxSteps bounds a playthrough, in case a scenario loops through rules and branches.
const maxSteps = 1000

// Play runs a solo world to its end, answering every question with answer (which returns
// false to leave a question unanswered). Simulated time advances a minute per inject.
func Play(s *Scenario, lens string, answer func(w *World, q *Question) (Answer, bool)) (*World, error) {
	return PlayWith(s, Config{Lens: lens}, answer)
}

// PlayWith is Play with a full configuration (a seed for the option order, say); the world
// is always solo.
func PlayWith(s *Scenario, cfg Config, answer func(w *World, q *Question) (Answer, bool)) (*World, error) {
	cfg.Solo = true
	w := NewWorld(s, cfg)
	at := time.Duration(0)
	for steps := 0; !w.Done(); steps++ {
		if steps > maxSteps {
			return w, fmt.Errorf("no ending after %d injects: the scenario loops", maxSteps)
		}
		if err := w.Err(); err != nil {
			return w, err
		}
		for _, q := range w.Open("") {
			a, ok := answer(w, q)
			if !ok {
				continue
			}
			at += 10 * time.Second
			if err := w.Apply(Event{Kind: EventAnswer, At: at, Participant: "player", Question: q.ID.Value, Answer: &a}); err != nil {
				return w, fmt.Errorf("answering %s: %w", q.ID.Value, err)
			}
		}
		at += time.Minute
		if err := w.Apply(Event{Kind: EventAdvance, At: at}); err != nil {
			return w, err
		}
	}
	return w, w.Err()
}

// PolicyPath plays the scenario taking the answer policy recommends under the lens at every
// question (PolicyAnswer, with the scenario's lens as the default): the path that policy
// recommends. It is the counterfactual of a debrief.
func PolicyPath(s *Scenario, lens string) (*World, error) {
	w, _, err := PolicyPathSteps(s, lens)
	return w, err
}

// PolicyPathSteps is PolicyPath with every step and how it was decided, in the order the
// questions were asked.
func PolicyPathSteps(s *Scenario, lens string) (*World, []PolicyStep, error) {
	var steps []PolicyStep
	w, err := Play(s, lens, func(w *World, q *Question) (Answer, bool) {
		st := PolicyAnswer(q, w.Lens(), s.Lens.Value, w.Offered)
		steps = append(steps, st)
		return st.Answer, true
	})
	return w, steps, err
}

// TestResult is the outcome of one playthrough test.
type TestResult struct {
	Scenario string
	Name     string
	Failures []string
	World    *World
	// Unlisted are the questions the playthrough reached that the test's answers do not list,
	// when the test declares no default: they were given the first option offered.
	Unlisted []string
}

// Passed reports whether the test passed.
func (r TestResult) Passed() bool { return len(r.Failures) == 0 }

// RunTests runs every playthrough test of the scenario.
func RunTests(s *Scenario) []TestResult {
	var out []TestResult
	for _, t := range s.Tests {
		out = append(out, runTest(s, t))
	}
	return out
}

func runTest(s *Scenario, t *Test) TestResult {
	res := TestResult{Scenario: s.ID.Value, Name: t.Name}
	fail := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }
	lens := cmpOr(t.Lens.Value, s.Lens.Value)
	var w *World
	var err error
	if t.policy {
		w, err = PolicyPath(s, lens)
	} else {
		w, err = Play(s, lens, func(w *World, q *Question) (Answer, bool) {
			if a, ok := t.answers[q.ID.Value]; ok {
				return a, true
			}
			if t.Default.Value == "" {
				res.Unlisted = append(res.Unlisted, q.ID.Value)
			}
			if q.Type == Choice && t.Default.Value != "none" {
				for _, o := range q.Options {
					if w.Offered(o) {
						return Answer{Option: o.ID.Value}, true
					}
				}
			}
			return Answer{}, false
		})
	}
	res.World = w
	if err != nil {
		fail("%v", err)
		return res
	}
	if want := t.Expect.Ending.Value; want != "" {
		got := "(none)"
		if w.Ending() != nil {
			got = w.Ending().ID.Value
		}
		if got != want {
			fail("ending: got %s, want %s (path: %s; state: %s)", got, want, pathString(w), stateString(w))
		}
	}
	for _, r := range t.Expect.Visited {
		if !w.visited[r.Value] {
			fail("inject %s was not visited (path: %s)", r.Value, pathString(w))
		}
	}
	for i, c := range t.checks {
		ok, err := w.machine.Bool(c, w.env)
		if err != nil || !ok {
			fail("state: %s does not hold (state: %s)", t.Expect.State[i].Text, stateString(w))
		}
	}
	if r := t.Expect.Score; r != nil {
		pct := w.WorldTotal().Percent
		if pct < r.Min || pct > r.Max {
			fail("score: got %.2f%%, want between %v and %v", pct, r.Min, r.Max)
		}
	}
	return res
}

func pathString(w *World) string {
	ids := make([]string, len(w.path))
	for i, p := range w.path {
		ids[i] = p.Inject
	}
	return strings.Join(ids, " → ")
}

func stateString(w *World) string {
	var parts []string
	for _, v := range w.State() {
		parts = append(parts, fmt.Sprintf("%s=%v", v.Name, v.Value))
	}
	return strings.Join(parts, " ")
}
