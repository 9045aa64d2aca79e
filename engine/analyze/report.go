// Package analyze measures whether a scenario or quiz scores policy rather than test-taking
// skill: form cues of the keys, naive strategies played through the engine, how much the
// decisions on the policy path matter, what each lens addresses, and whether clocks and flow
// hold on every path. It is pure: no I/O, no goroutines, and the same input and seed give the
// same report.
package analyze

import "github.com/paraat-nl/paraat/engine"

// Text is a user-facing text in Dutch and English.
type Text struct {
	NL string `json:"nl"`
	EN string `json:"en"`
}

func text(t engine.Text) Text { return Text{NL: t.NL, EN: t.EN} }

// In returns the text in lang ("nl" or "en"), falling back to the other language.
func (t Text) In(lang string) string {
	if lang == "nl" && t.NL != "" || t.EN == "" {
		return t.NL
	}
	return t.EN
}

// Report is the full analysis of one scenario or quiz under one lens. docs/ANALYZE.md
// documents every field.
type Report struct {
	File        string        `json:"file"`
	ID          string        `json:"id"`
	Kind        string        `json:"kind"`
	Title       Text          `json:"title"`
	Lens        string        `json:"lens"`
	Brief       *Brief        `json:"brief,omitempty"`
	Summary     Summary       `json:"summary"`
	Cues        Cues          `json:"cues"`
	Questions   []QuestionCue `json:"questions"`
	Policy      Run           `json:"policy"`
	Strategies  []Strategy    `json:"strategies"`
	Random      Random        `json:"random"`
	Sensitivity *Sensitivity  `json:"sensitivity,omitempty"`
	Lenses      []LensReport  `json:"lenses"`
	Flow        *Flow         `json:"flow,omitempty"`
	Endings     []EndingInfo  `json:"endings"`
	Gates       []Gate        `json:"gates"`
	Problems    []Problem     `json:"problems"`
}

// Brief is the author's brief of the file.
type Brief struct {
	Goals         []Text `json:"goals"`
	Sources       []Text `json:"sources"`
	Disagreements []Text `json:"disagreements"`
}

// Summary is the handful of numbers a trainer reads first.
type Summary struct {
	Questions         int      `json:"questions"`
	ChoiceQuestions   int      `json:"choice_questions"`
	MultiQuestions    int      `json:"multi_questions"`
	PolicyPercent     float64  `json:"policy_percent"`
	BestNaive         string   `json:"best_naive"`
	BestNaiveOfPolicy *float64 `json:"best_naive_of_policy"`
	RandomMeanOfPol   *float64 `json:"random_mean_of_policy"`
	KeyLongestShare   *float64 `json:"key_longest_share"`
	ReachableEndings  int      `json:"reachable_endings"`
	EndingChangeShare *float64 `json:"ending_change_share"`
	GatesFailed       []string `json:"gates_failed"`
	GatesRelaxed      []string `json:"gates_relaxed"`
}

// Problem is something in the file the analysis could not use, with its position.
type Problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message Text   `json:"message"`
	Gate    string `json:"gate,omitempty"`
}

// Ref names a question, inject or ending for a reader: its id (for tools) and its text.
type Ref struct {
	ID   string `json:"id"`
	Text Text   `json:"text"`
}

// Cues are the form cues over all choice and multi questions of the file.
type Cues struct {
	ChoiceQuestions          int      `json:"choice_questions"`
	KeyLongestShare          *float64 `json:"key_longest_share"`
	KeyShortestShare         *float64 `json:"key_shortest_share"`
	KeyLongestChance         *float64 `json:"key_longest_chance"`
	KeyLongestWordsShare     *float64 `json:"key_longest_words_share"`
	KeyFilePositions         []int    `json:"key_file_positions"`
	KeyFirstInFileShare      *float64 `json:"key_first_in_file_share"`
	KeyShownPositions        []int    `json:"key_shown_positions"`
	KeysWithAbsolute         int      `json:"keys_with_absolute"`
	Keys                     int      `json:"keys"`
	DistractorsWithAbsolute  int      `json:"distractors_with_absolute"`
	Distractors              int      `json:"distractors"`
	MeanKeyCitations         *float64 `json:"mean_key_citations"`
	MeanDistractorCitations  *float64 `json:"mean_distractor_citations"`
	PartialCreditDistractors int      `json:"partial_credit_distractors"`
	MultiQuestions           int      `json:"multi_questions"`
	MeanSelectAllPercent     *float64 `json:"mean_select_all_percent"`
	MeanSelectNonePercent    *float64 `json:"mean_select_none_percent"`
	LensUnaddressedQuestions int      `json:"lens_unaddressed_questions"`
	KeyTiedQuestions         int      `json:"key_tied_questions"`
}

// QuestionCue is the form of one question's key among its options.
type QuestionCue struct {
	ID                       string   `json:"id"`
	Prompt                   Text     `json:"prompt"`
	Type                     string   `json:"type"`
	Options                  int      `json:"options"`
	Addressed                bool     `json:"addressed"`
	Key                      []Ref    `json:"key"`
	KeyTied                  bool     `json:"key_tied"`
	KeyCharsRank             int      `json:"key_chars_rank,omitempty"`
	KeyWordsRank             int      `json:"key_words_rank,omitempty"`
	KeyLongest               bool     `json:"key_longest"`
	KeyShortest              bool     `json:"key_shortest"`
	KeyFilePosition          int      `json:"key_file_position,omitempty"`
	KeyShownPosition         int      `json:"key_shown_position,omitempty"`
	AbsoluteInKey            []string `json:"absolute_in_key"`
	AbsoluteInDistractors    []string `json:"absolute_in_distractors"`
	KeyCitations             float64  `json:"key_citations"`
	DistractorCitations      float64  `json:"distractor_citations"`
	PartialCreditDistractors int      `json:"partial_credit_distractors"`
	SelectAllPercent         *float64 `json:"select_all_percent,omitempty"`
	SelectNonePercent        *float64 `json:"select_none_percent,omitempty"`
}

// Run is one playthrough's outcome.
type Run struct {
	Percent float64 `json:"percent"`
	Points  float64 `json:"points"`
	Max     float64 `json:"max"`
	Ending  *Ref    `json:"ending"`
	Error   string  `json:"error,omitempty"`
}

// EndingCount is how often a set of runs reached an ending (nil ending: none reached).
type EndingCount struct {
	Ending *Ref `json:"ending"`
	Runs   int  `json:"runs"`
	Best   bool `json:"best"`
}

// Strategy is a naive strategy played through the engine.
type Strategy struct {
	Name       string        `json:"name"`
	Label      Text          `json:"label"`
	Applies    bool          `json:"applies"`
	Runs       int           `json:"runs"`
	Percent    float64       `json:"percent"`
	OfPolicy   *float64      `json:"of_policy"`
	Endings    []EndingCount `json:"endings"`
	BestEnding bool          `json:"best_ending"`
}

// Random is uniformly random play.
type Random struct {
	Runs         int           `json:"runs"`
	Seed         uint64        `json:"seed"`
	MeanPercent  float64       `json:"mean_percent"`
	MeanOfPolicy *float64      `json:"mean_of_policy"`
	SDOfPolicy   *float64      `json:"sd_of_policy"`
	MinOfPolicy  *float64      `json:"min_of_policy"`
	MaxOfPolicy  *float64      `json:"max_of_policy"`
	Endings      []EndingCount `json:"endings"`
	BestEnding   int           `json:"best_ending_runs"`
}

// Sensitivity is what happens when single decisions of the policy path are swapped.
type Sensitivity struct {
	Decisions          int        `json:"decisions"`
	Swaps              int        `json:"swaps"`
	SwapsChangeEnding  int        `json:"swaps_change_ending"`
	ChangeShare        *float64   `json:"change_share"`
	WorstChangeEnding  int        `json:"worst_change_ending"`
	WorstChangeShare   *float64   `json:"worst_change_share"`
	Items              []Decision `json:"items"`
	ChangeNothing      []Ref      `json:"change_nothing"`
	SameEffectsBestBad []Ref      `json:"same_effects_best_worst"`
}

// Decision is one decision of the policy path and its swaps.
type Decision struct {
	Question Ref    `json:"question"`
	Policy   []Ref  `json:"policy"`
	Swaps    []Swap `json:"swaps"`
}

// Swap is the policy path with one decision replaced.
type Swap struct {
	Answer        []Ref  `json:"answer"`
	Worst         bool   `json:"worst"`
	Ending        *Ref   `json:"ending"`
	EndingChanged bool   `json:"ending_changed"`
	PathChanged   bool   `json:"path_changed"`
	Moves         []Move `json:"moves"`
	Error         string `json:"error,omitempty"`
}

// Move is how far a state variable ended from where the policy path left it.
type Move struct {
	Var    string  `json:"var"`
	Label  Text    `json:"label"`
	Policy any     `json:"policy"`
	Swap   any     `json:"swap"`
	Delta  float64 `json:"delta"`
}

// LensReport is what one lens makes of the file.
type LensReport struct {
	Lens      string `json:"lens"`
	Title     Text   `json:"title"`
	Default   bool   `json:"default"`
	Addressed int    `json:"addressed"`
	Silent    []Ref  `json:"silent"`
	Differs   []Ref  `json:"differs"`
	Path      Run    `json:"path"`
	Steps     []Step `json:"steps"`
	// Steps of the path the lens did not decide itself.
	DefaultLensSteps int `json:"default_lens_steps"`
	AmbiguousSteps   int `json:"ambiguous_steps"`
}

// Step is how one step of a lens's policy path was decided.
type Step struct {
	Question Ref    `json:"question"`
	How      string `json:"how"`
	Label    Text   `json:"label"`
}

// Flow is what exploring the reachable playthroughs found.
type Flow struct {
	Runs        int          `json:"runs"`
	Complete    int          `json:"complete"`
	Bound       int          `json:"bound"`
	BoundHit    bool         `json:"bound_hit"`
	Transitions int          `json:"transitions"`
	Clocks      []Clock      `json:"clocks"`
	Backwards   []Transition `json:"backwards"`
	Repeats     []Ref        `json:"repeats"`
	RuleInjects []RuleInject `json:"rule_injects"`
	Reachable   []Ref        `json:"reachable_endings"`
	NoEnding    bool         `json:"no_ending"`
	Unreached   []Ref        `json:"unreached_injects"`
	Loops       int          `json:"loops"`
	Errors      []string     `json:"errors"`
}

// Clock is an inject's clock as written and as understood.
type Clock struct {
	Inject  Ref    `json:"inject"`
	Clock   string `json:"clock"`
	Parsed  bool   `json:"parsed"`
	Minutes []int  `json:"minutes,omitempty"` // earliest and latest minute (see SinceStart)
	// SinceStart: Minutes count from the start of the crisis ("T+"), not from day 1, 00:00.
	SinceStart bool `json:"since_start,omitempty"`
}

// Transition is one inject following another on a reachable path.
type Transition struct {
	From      Ref    `json:"from"`
	FromClock string `json:"from_clock"`
	To        Ref    `json:"to"`
	ToClock   string `json:"to_clock"`
}

// RuleInject is a rule that shows an inject, and what follows that inject.
type RuleInject struct {
	Rule   string `json:"rule"`
	Inject Ref    `json:"inject"`
	Fires  bool   `json:"fires"`
	Then   []Ref  `json:"then"`
	Ends   bool   `json:"ends"`
}

// EndingInfo describes one ending of the file.
type EndingInfo struct {
	Ref
	Best      bool `json:"best"`
	Reachable bool `json:"reachable"`
	Policy    bool `json:"policy"`
}

// Gate is one pass/fail test of the file.
type Gate struct {
	ID       string `json:"id"`
	Label    Text   `json:"label"`
	Applies  bool   `json:"applies"`
	Passed   bool   `json:"passed"`
	Relaxed  bool   `json:"relaxed"`
	Reason   *Text  `json:"reason,omitempty"`
	Findings []Text `json:"findings"`
}

// Failed reports whether the gate applies, failed and is not relaxed.
func (g Gate) Failed() bool { return g.Applies && !g.Passed && !g.Relaxed }
