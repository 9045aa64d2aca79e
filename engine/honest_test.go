package engine_test

import (
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/paraat-nl/paraat/engine"
)

// The scoring rules on testdata/honest: lens alfa is the default, beta cites a few options,
// gamma cites nothing.

func loadHonest(t *testing.T, fsys fs.FS) *engine.Scenario {
	t.Helper()
	lib, diags := engine.Load(fsys)
	if diags.Errors() > 0 {
		t.Fatalf("testdata/honest does not load: %v", diags.Err())
	}
	return lib.Scenario("eerlijk")
}

func honest(t *testing.T) *engine.Scenario { return loadHonest(t, os.DirFS("testdata/honest")) }

// reversedHonest is the same scenario with the options (and accepted values) of every
// question listed in reverse.
func reversedHonest(t *testing.T) *engine.Scenario {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("testdata/honest"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile("testdata/honest/" + p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out, group []string
	for _, line := range strings.Split(string(m["eerlijk.yaml"].Data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "- {") {
			group = append(group, line)
			continue
		}
		slices.Reverse(group)
		out = append(append(out, group...), line)
		group = nil
	}
	m["eerlijk.yaml"] = &fstest.MapFile{Data: []byte(strings.Join(out, "\n"))}
	s := loadHonest(t, m)
	if q := s.Question("keuze"); q.Options[0].ID.Value != "geen" {
		t.Fatalf("the options were not reversed: %s first", q.Options[0].ID.Value)
	}
	if q := s.Question("getal"); q.Accept[0].Value != 4 {
		t.Fatalf("the accepted values were not reversed: %v first", q.Accept[0].Value)
	}
	return s
}

func optionIDs(os []*engine.Option) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID.Value)
	}
	return out
}

func TestShownOrderDeterministicPerSeed(t *testing.T) {
	s := honest(t)
	q := s.Question("rang")
	a, b := optionIDs(engine.ShownOrder(q, "sessie-1")), optionIDs(engine.ShownOrder(q, "sessie-1"))
	if !slices.Equal(a, b) {
		t.Fatalf("one seed, two orders: %v and %v", a, b)
	}
	if got := optionIDs(engine.NewWorld(s, engine.Config{Seed: "sessie-1"}).Shown(q)); !slices.Equal(got, a) {
		t.Errorf("World.Shown = %v, ShownOrder = %v", got, a)
	}
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	if !slices.Equal(sorted, []string{"r1", "r2", "r3", "r4"}) {
		t.Errorf("shown %v is not a permutation of the options", a)
	}
	orders := map[string]bool{}
	firsts := map[string]bool{}
	for i := range 40 {
		o := optionIDs(engine.ShownOrder(q, fmt.Sprint("seed-", i)))
		orders[strings.Join(o, ",")] = true
		firsts[o[0]] = true
	}
	if len(orders) < 10 || len(firsts) != 4 {
		t.Errorf("40 seeds gave %d orders and %d first options; want many orders and every option first", len(orders), len(firsts))
	}
}

func TestShownOrderFixed(t *testing.T) {
	s := honest(t)
	keuze, schaal := s.Question("keuze"), s.Question("schaal")
	moved := false
	for i := range 30 {
		seed := fmt.Sprint("s", i)
		if got := optionIDs(engine.ShownOrder(schaal, seed)); !slices.Equal(got, []string{"laag", "midden", "hoog", "maximaal"}) {
			t.Errorf("seed %s: a fixed question is shown as %v", seed, got)
		}
		got := optionIDs(engine.ShownOrder(keuze, seed))
		if got[3] != "geen" {
			t.Errorf("seed %s: the fixed option left its place: %v", seed, got)
		}
		moved = moved || !slices.Equal(got[:3], []string{"a", "b", "c"})
	}
	if !moved {
		t.Error("the options around a fixed one are never shuffled")
	}
}

func TestHonestScores(t *testing.T) {
	s := honest(t)
	opts := func(ids ...string) engine.Answer { return engine.Answer{Options: ids} }
	tests := []struct {
		name      string
		q         string
		a         engine.Answer
		lens      string
		points    float64
		addressed bool
	}{
		{"choice: best", "keuze", engine.Answer{Option: "a"}, "alfa", 10, true},
		{"choice: neutral between best and worst", "keuze", engine.Answer{Option: "c"}, "alfa", 5, true},
		{"choice: conflicting", "keuze", engine.Answer{Option: "b"}, "alfa", 0, true},
		{"choice: another lens", "keuze", engine.Answer{Option: "b"}, "beta", 10, true},
		{"choice: silent lens", "keuze", engine.Answer{Option: "a"}, "gamma", 0, false},
		{"fact: the key", "feit", engine.Answer{Option: "juist"}, "alfa", 10, true},
		{"fact: a distractor citing a supporting statement", "feit", engine.Answer{Option: "bijna"}, "alfa", 0, true},
		{"fact: a plain distractor", "feit", engine.Answer{Option: "fout"}, "alfa", 0, true},
		{"multi: select all", "set", opts("goed1", "goed2", "fout1", "fout2", "neutraal"), "alfa", 0, true},
		{"multi: select none", "set", opts(), "alfa", 0, true},
		{"multi: the right ones", "set", opts("goed1", "goed2"), "alfa", 10, true},
		{"multi: a neutral option costs nothing", "set", opts("goed1", "goed2", "neutraal"), "alfa", 10, true},
		{"multi: right and wrong cancel", "set", opts("goed1", "fout1"), "alfa", 0, true},
		{"multi: one wrong of two", "set", opts("goed1", "goed2", "fout1"), "alfa", 5, true},
		{"multi: half right", "set", opts("goed2"), "alfa", 5, true},
		{"multi: floored at zero", "set", opts("fout1", "fout2"), "alfa", 0, true},
		{"multi: a lens with only a right option", "set", opts("neutraal"), "beta", 10, true},
		{"silent lens: not addressed", "stil", engine.Answer{Option: "p"}, "alfa", 0, false},
		{"silent lens: addressed by another", "stil", engine.Answer{Option: "q"}, "beta", 10, true},
		{"rank: policy order", "rang", opts("r1", "r2", "r3", "r4"), "alfa", 10, true},
		{"rank: ties in either order", "rang", opts("r1", "r2", "r4", "r3"), "alfa", 10, true},
		{"rank: reversed", "rang", opts("r4", "r3", "r2", "r1"), "alfa", 0, true},
		{"number: the lens's value", "getal", engine.Answer{Number: num(2)}, "alfa", 10, true},
		{"number: another lens's value", "getal", engine.Answer{Number: num(3)}, "alfa", 0, true},
		{"number: silent lens", "getal", engine.Answer{Number: num(2)}, "gamma", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := engine.ScoreAnswer(s.Question(tt.q), tt.a, tt.lens, nil)
			if got.Points != tt.points || got.Addressed != tt.addressed {
				t.Errorf("score = %v (addressed %v), want %v (addressed %v)", got.Points, got.Addressed, tt.points, tt.addressed)
			}
		})
	}
}

// TestMultiRandomSelection: over every possible selection, the mean is far below the mean of
// the old scaling, and no set with a wrong option scores full points.
func TestMultiRandomSelection(t *testing.T) {
	q := honest(t).Question("set")
	ids := optionIDs(q.Options)
	sum, n := 0.0, 0
	for mask := range 1 << len(ids) {
		var a engine.Answer
		for i, id := range ids {
			if mask&(1<<i) != 0 {
				a.Options = append(a.Options, id)
			}
		}
		sc := engine.ScoreAnswer(q, a, "alfa", nil)
		sum += sc.Points
		n++
		wrong := slices.Contains(a.Options, "fout1") || slices.Contains(a.Options, "fout2")
		if wrong && sc.Points == sc.Max {
			t.Errorf("%v scores full points with a wrong option", a.Options)
		}
	}
	if mean := sum / float64(n); mean > 2.5 {
		t.Errorf("a uniformly random selection scores %.2f of 10 on average; want at most 2.5", mean)
	}
}

// TestNotAddressedExcludedFromTotal: a question the lens is silent on counts neither for nor
// against the total.
func TestNotAddressedExcludedFromTotal(t *testing.T) {
	s := honest(t)
	w := engine.NewWorld(s, engine.Config{Solo: true})
	mustApply(t, w,
		answer("me", "", "keuze", engine.Answer{Option: "a"}),
		answer("me", "", "stil", engine.Answer{Option: "p"}))
	tot := w.ParticipantTotal("me")
	if tot.Points != 10 || tot.Max != 10 || tot.Percent != 100 || tot.Unaddressed != 1 || tot.Answered != 2 {
		t.Errorf("total = %+v; want 10 of 10, one answer not addressed", tot)
	}
	if wt := w.WorldTotal(); wt.Max != 10 || wt.Unaddressed != 1 {
		t.Errorf("world total = %+v", wt)
	}
}

func TestPolicyPathDecidedBy(t *testing.T) {
	s := honest(t)
	type step struct {
		answer string
		by     string
		tied   string
	}
	tests := []struct {
		lens   string
		ending string
		steps  map[string]step
	}{
		{"alfa", "geslaagd", map[string]step{
			"keuze":  {"a", engine.DecidedByLens, ""},
			"feit":   {"juist", engine.DecidedByLens, ""},
			"set":    {"goed1,goed2", engine.DecidedByLens, ""},
			"stil":   {"", engine.DecidedByAmbiguous, "p,q,r"},
			"schaal": {"midden", engine.DecidedByLens, ""},
			"rang":   {"r1,r2,r4,r3", engine.DecidedByAmbiguous, "r4,r3"},
			"getal":  {"2", engine.DecidedByLens, ""},
		}},
		{"beta", "mislukt", map[string]step{
			"keuze":  {"c", engine.DecidedByDefaultLens, "b,c"},
			"feit":   {"juist", engine.DecidedByDefaultLens, "bijna,fout,juist"},
			"set":    {"goed1,goed2,neutraal", engine.DecidedByDefaultLens, "fout1,fout2,goed1,goed2"},
			"stil":   {"q", engine.DecidedByLens, ""},
			"schaal": {"midden", engine.DecidedByDefaultLens, "hoog,laag,maximaal,midden"},
			"rang":   {"r3,r1,r2,r4", engine.DecidedByDefaultLens, "r1,r2,r4"},
			"getal":  {"3", engine.DecidedByAmbiguous, "3,4"},
		}},
		{"gamma", "geslaagd", map[string]step{
			"keuze": {"a", engine.DecidedByDefaultLens, "a,b,c,geen"},
			"stil":  {"", engine.DecidedByAmbiguous, "p,q,r"},
			"getal": {"2", engine.DecidedByDefaultLens, "2,3,4"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.lens, func(t *testing.T) {
			w, steps, err := engine.PolicyPathSteps(s, tt.lens)
			if err != nil {
				t.Fatal(err)
			}
			if w.Ending() == nil || w.Ending().ID.Value != tt.ending {
				t.Errorf("ending %v, want %s", w.Ending(), tt.ending)
			}
			got := map[string]engine.PolicyStep{}
			for _, st := range steps {
				got[st.Question] = st
			}
			for q, want := range tt.steps {
				st := got[q]
				ans := st.Answer.Option
				if st.Answer.Options != nil {
					ans = strings.Join(st.Answer.Options, ",")
				}
				if st.Answer.Number != nil {
					ans = fmt.Sprint(*st.Answer.Number)
				}
				if want.answer != "" && !strings.HasPrefix(ans, want.answer) || st.DecidedBy != want.by || strings.Join(st.Tied, ",") != want.tied {
					t.Errorf("%s: %s decided by %s (tied %v); want %s by %s (tied %s)", q, ans, st.DecidedBy, st.Tied, want.answer, want.by, want.tied)
				}
				if d := w.Decision(q); d == nil || !reflect.DeepEqual(d.Answer, st.Answer) {
					t.Errorf("%s: the world decided %+v, the step says %+v", q, d, st.Answer)
				}
			}
		})
	}
}

// TestListingOrderChangesNothing: the same options listed in reverse give the same scores,
// the same policy paths, the same shown order (where nothing is fixed) and the same
// majority decisions.
func TestListingOrderChangesNothing(t *testing.T) {
	s, r := honest(t), reversedHonest(t)
	for _, q := range s.Questions() {
		rq := r.Question(q.ID.Value)
		if !q.Fixed && !slices.ContainsFunc(q.Options, func(o *engine.Option) bool { return o.Fixed }) {
			for _, seed := range []string{"", "x", "sessie-42"} {
				if a, b := optionIDs(engine.ShownOrder(q, seed)), optionIDs(engine.ShownOrder(rq, seed)); !slices.Equal(a, b) {
					t.Errorf("%s, seed %q: shown %v and %v", q.ID.Value, seed, a, b)
				}
			}
		}
		var answers []engine.Answer
		for _, o := range q.Options {
			answers = append(answers, engine.Answer{Option: o.ID.Value}, engine.Answer{Options: []string{o.ID.Value}})
		}
		answers = append(answers, engine.Answer{Options: optionIDs(q.Options)}, engine.Answer{Options: optionIDs(rq.Options)})
		for _, acc := range q.Accept {
			answers = append(answers, engine.Answer{Number: num(acc.Value)})
		}
		for _, lens := range []string{"alfa", "beta", "gamma"} {
			for _, a := range answers {
				x, y := engine.ScoreAnswer(q, a, lens, nil), engine.ScoreAnswer(rq, a, lens, nil)
				if x.Points != y.Points || x.Addressed != y.Addressed {
					t.Errorf("%s under %s, %+v: %v and %v", q.ID.Value, lens, a, x.Points, y.Points)
				}
			}
		}
	}
	for _, lens := range []string{"alfa", "beta", "gamma"} {
		w1, s1, err1 := engine.PolicyPathSteps(s, lens)
		w2, s2, err2 := engine.PolicyPathSteps(r, lens)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if !reflect.DeepEqual(s1, s2) {
			t.Errorf("%s: policy steps differ:\n%+v\n%+v", lens, s1, s2)
		}
		if !reflect.DeepEqual(w1.WorldTotal(), w2.WorldTotal()) || w1.Ending() == nil || w2.Ending() == nil || w1.Ending().ID != w2.Ending().ID {
			t.Errorf("%s: policy paths end differently", lens)
		}
	}
	for _, arrivals := range [][]string{{"c", "a"}, {"a", "c"}, {"b", "geen", "c", "b", "geen"}} {
		d1, d2 := majority(t, s, arrivals), majority(t, r, arrivals)
		if !reflect.DeepEqual(d1.Answer, d2.Answer) || !reflect.DeepEqual(d1.Tie, d2.Tie) {
			t.Errorf("answers %v: decided %+v and %+v", arrivals, d1, d2)
		}
	}
}

func majority(t *testing.T, s *engine.Scenario, arrivals []string) *engine.Decision {
	t.Helper()
	w := engine.NewWorld(s, engine.Config{})
	for i, o := range arrivals {
		mustApply(t, w, answer(fmt.Sprint("p", i), "bz", "keuze", engine.Answer{Option: o}))
	}
	mustApply(t, w, engine.Event{Kind: engine.EventClose, Question: "keuze"})
	return w.Decision("keuze")
}

func TestMajorityTieByEarliestAnswer(t *testing.T) {
	s := honest(t)
	tests := []struct {
		arrivals []string
		want     string
		tie      []string
	}{
		{[]string{"c", "a"}, "c", []string{"c", "a"}},
		{[]string{"a", "c"}, "a", []string{"a", "c"}},
		{[]string{"b", "geen", "c", "b", "geen"}, "b", []string{"b", "geen"}},
		{[]string{"geen", "b", "b"}, "b", nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.arrivals, ","), func(t *testing.T) {
			d := majority(t, s, tt.arrivals)
			if d.Answer.Option != tt.want || d.By != "majority" {
				t.Fatalf("decision = %+v, want %s by majority", d, tt.want)
			}
			switch {
			case tt.tie == nil && d.Tie != nil:
				t.Errorf("a clear majority recorded a tie %+v", d.Tie)
			case tt.tie != nil && (d.Tie == nil || !slices.Equal(d.Tie.Options, tt.tie) || d.Tie.Rule != engine.TieEarliestAnswer):
				t.Errorf("tie = %+v, want %v settled by %s", d.Tie, tt.tie, engine.TieEarliestAnswer)
			}
		})
	}
}

func TestRankTallyTieByEarliestAnswer(t *testing.T) {
	q := honest(t).Question("rang")
	rs := []*engine.Response{
		{Participant: "p1", Answer: engine.Answer{Options: []string{"r2", "r1", "r4", "r3"}}},
		{Participant: "p2", Answer: engine.Answer{Options: []string{"r1", "r2", "r3", "r4"}}},
	}
	a, tie := engine.Tally(q, rs)
	if !slices.Equal(a.Options, []string{"r2", "r1", "r4", "r3"}) {
		t.Errorf("ranking %v; want the earliest answer's order among equal counts", a.Options)
	}
	if tie == nil || len(tie.Options) != 4 || tie.Rule != engine.TieEarliestAnswer {
		t.Errorf("tie = %+v", tie)
	}
}

func TestCitationsWeight(t *testing.T) {
	q := honest(t).Question("keuze")
	for _, tt := range []struct {
		option, lens string
		want         float64
	}{{"a", "alfa", 1}, {"b", "alfa", -1}, {"b", "beta", 1}, {"c", "alfa", 0}, {"geen", "gamma", 0}} {
		if got := q.Option(tt.option).Weight(tt.lens); got != tt.want {
			t.Errorf("%s under %s: weight %v, want %v", tt.option, tt.lens, got, tt.want)
		}
	}
}
