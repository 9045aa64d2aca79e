package server

import (
	"encoding/csv"

	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// Report is a session's after-action report, computed from its log.
type Report struct {
	Session      SessionInfo              `json:"session"`
	Lens         string                   `json:"lens"`
	Generated    time.Time                `json:"generated"`
	Participants []ReportParticipant      `json:"participants"`
	Teams        []TeamAgg                `json:"teams"`
	Worlds       []ReportWorld            `json:"worlds"`
	Answers      []ReportAnswer           `json:"answers"`
	Statements   map[string]StatementView `json:"statements"`
	PolicyPath   *LensRun                 `json:"policy_path"`
	// Reveals holds, for every question of the scenario, the answer policy recommends under
	// the session's lens and the statements behind it.
	Reveals map[string]engine.Reveal `json:"reveals"`
	// Disagreements are the questions the session decided on which the documents (lenses)
	// that address them recommend different answers.
	Disagreements []engine.Disagreement `json:"disagreements"`
}

// ReportParticipant is one participant with their total.
type ReportParticipant struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Role    string       `json:"role,omitempty"`
	Team    string       `json:"team,omitempty"`
	World   string       `json:"world"`
	Total   engine.Total `json:"total"`
	Removed bool         `json:"removed"`
}

// ReportStep is one inject of a world's path with the state when it was shown.
type ReportStep struct {
	Inject string         `json:"inject"`
	AtMS   int64          `json:"at_ms"`
	State  []engine.Value `json:"state"`
}

// ReportDecision is one decision of a world.
type ReportDecision struct {
	Question string        `json:"question"`
	Answer   engine.Answer `json:"answer"`
	By       string        `json:"by"`
	AtMS     int64         `json:"at_ms"`
	Score    engine.Score  `json:"score"`
	Tie      *engine.Tie   `json:"tie,omitempty"` // a tied majority and how it was settled
}

// ReportFired is a rule that fired.
type ReportFired struct {
	Rule string `json:"rule"`
	AtMS int64  `json:"at_ms"`
}

// Divergence counts how many answers agreed with the decision the world took.
type Divergence struct {
	Question string        `json:"question"`
	Decision engine.Answer `json:"decision"`
	Answers  int           `json:"answers"`
	Agreed   int           `json:"agreed"`
	Diverged int           `json:"diverged"`
}

// LensRun is a playthrough under one lens: the session's decisions re-scored, or the
// policy path.
type LensRun struct {
	Lens   string       `json:"lens"`
	Path   []string     `json:"path"`
	Ending string       `json:"ending,omitempty"`
	Total  engine.Total `json:"total"`
	Error  string       `json:"error,omitempty"`
	// Steps says, for the policy path, how each answer was decided: by the lens, by the
	// scenario's default lens where the lens is silent or ties, or by the fixed last resort.
	Steps []engine.PolicyStep `json:"steps,omitempty"`
}

// ReportWorld is one world of the session.
type ReportWorld struct {
	ID         string           `json:"id"`
	Path       []ReportStep     `json:"path"`
	Decisions  []ReportDecision `json:"decisions"`
	Fired      []ReportFired    `json:"fired"`
	Ending     string           `json:"ending,omitempty"`
	State      []engine.Value   `json:"state"`
	Total      engine.Total     `json:"total"`
	Divergence []Divergence     `json:"divergence"`
	Lenses     []LensRun        `json:"lenses"`
	// WhatIfs replays the world with each other option of each choice it decided.
	WhatIfs []engine.WhatIf `json:"what_ifs"`
}

// ReportAnswer is one participant answer with its score.
type ReportAnswer struct {
	ID          string         `json:"id"` // the client's answer UUID
	Participant string         `json:"participant"`
	Name        string         `json:"name"`
	Role        string         `json:"role,omitempty"`
	Team        string         `json:"team,omitempty"`
	World       string         `json:"world"`
	Question    string         `json:"question"`
	Answer      engine.Answer  `json:"answer"`
	AtMS        int64          `json:"at_ms"`
	Score       engine.Score   `json:"score"`
	Decision    *engine.Answer `json:"decision"`
	Agrees      bool           `json:"agrees"`
}

// AnswerString renders an answer in one line.
func AnswerString(a engine.Answer) string {
	switch {
	case a.Option != "":
		return a.Option
	case len(a.Options) > 0:
		return strings.Join(a.Options, " > ")
	case a.Number != nil:
		return strconv.FormatFloat(*a.Number, 'f', -1, 64)
	case a.Text != "":
		s := a.Text
		if len(a.Items) > 0 {
			s += " [" + strings.Join(a.Items, ", ") + "]"
		}
		return s
	}
	return ""
}

// WriteCSV writes one row per answer.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"session", "participant", "name", "role", "team", "world", "question", "answer",
		"at_s", "points", "max", "addressed", "pending", "decision", "agrees", "statements"})
	for _, a := range r.Answers {
		var ids []string
		for _, c := range a.Score.Citations {
			if c.Chosen {
				ids = append(ids, c.Statement)
			}
		}
		dec := ""
		if a.Decision != nil {
			dec = AnswerString(*a.Decision)
		}
		cw.Write([]string{r.Session.ID, a.Participant, csvSafe(a.Name), a.Role, a.Team, a.World, a.Question,
			csvSafe(AnswerString(a.Answer)), strconv.FormatFloat(float64(a.AtMS)/1000, 'f', 1, 64),
			strconv.FormatFloat(a.Score.Points, 'f', -1, 64), strconv.FormatFloat(a.Score.Max, 'f', -1, 64),
			strconv.FormatBool(a.Score.Addressed), strconv.FormatBool(a.Score.Pending), csvSafe(dec),
			strconv.FormatBool(a.Agrees), strings.Join(ids, ";")})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formulas in user text: a spreadsheet evaluates a cell that
// starts with = + - @ (or a tab or CR before one), so such text gets a leading quote. A plain
// number (a negative answer to a number question) is left alone: it is no formula, and the
// quote would turn it into text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !plainNumber.MatchString(s) {
		return "'" + s
	}
	return s
}

var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
