package server

import (
	"encoding/csv"
	"fmt"
	"html/template"
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

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"answer": AnswerString,
	"join":   func(ids []string) string { return strings.Join(ids, ", ") },
	"secs":   func(ms int64) string { return fmt.Sprintf("%d:%02d", ms/60000, ms/1000%60) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Report {{.Session.Title.EN}}</title>
<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}table{border-collapse:collapse;width:100%;margin:1em 0}
td,th{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}blockquote{margin:.25em 1em;font-style:italic}
@media print{a{color:black}}</style></head><body>
<h1>{{.Session.Title.NL}} / {{.Session.Title.EN}}</h1>
<p>Session {{.Session.ID}} · scenario {{.Session.Scenario}} · lens {{.Lens}} · scope {{.Session.Scope}} · generated {{.Generated.Format "2006-01-02 15:04 MST"}}</p>
<h2>Participants</h2>
<table><tr><th>Name</th><th>Role</th><th>Team</th><th>World</th><th>Points</th><th>%</th><th>Answered</th></tr>
{{range .Participants}}<tr><td>{{.Name}}{{if .Removed}} (removed){{end}}</td><td>{{.Role}}</td><td>{{.Team}}</td><td>{{.World}}</td><td>{{.Total.Points}} / {{.Total.Max}}</td><td>{{.Total.Percent}}</td><td>{{.Total.Answered}}</td></tr>
{{end}}</table>
{{if .Teams}}<h2>Teams</h2><table><tr><th>Team</th><th>Points</th><th>%</th></tr>
{{range .Teams}}<tr><td>{{.ID}}</td><td>{{.Total.Points}} / {{.Total.Max}}</td><td>{{.Total.Percent}}</td></tr>{{end}}</table>{{end}}
{{range .Worlds}}<h2>World {{.ID}}</h2>
<p>Path: {{range $i, $s := .Path}}{{if $i}} → {{end}}{{$s.Inject}} ({{secs $s.AtMS}}){{end}}{{if .Ending}} ⇒ ending <b>{{.Ending}}</b>{{end}}. Total {{.Total.Points}} / {{.Total.Max}} ({{.Total.Percent}}%).</p>
<table><tr><th>Question</th><th>Decision</th><th>By</th><th>Points</th></tr>
{{range .Decisions}}<tr><td>{{.Question}}</td><td>{{answer .Answer}}</td><td>{{.By}}{{with .Tie}}<br>tie between {{join .Options}}, settled by the earliest answer / gelijke stand tussen {{join .Options}}, beslist door het vroegste antwoord{{end}}</td><td>{{if .Score.Addressed}}{{.Score.Points}} / {{.Score.Max}}{{else}}not addressed: this policy says nothing here / dit beleid zegt hier niets over{{end}}</td></tr>{{end}}</table>
<table><tr><th>Question</th><th>Answers</th><th>Agreed with the decision</th><th>Diverged</th></tr>
{{range .Divergence}}<tr><td>{{.Question}}</td><td>{{.Answers}}</td><td>{{.Agreed}}</td><td>{{.Diverged}}</td></tr>{{end}}</table>
<p>Under other lenses:</p><ul>{{range .Lenses}}<li>{{.Lens}}: {{.Total.Points}} / {{.Total.Max}} ({{.Total.Percent}}%), path {{range $i, $p := .Path}}{{if $i}} → {{end}}{{$p}}{{end}}{{if .Ending}}, ending {{.Ending}}{{end}}</li>{{end}}</ul>
{{end}}
{{with .PolicyPath}}<h2>The policy path ({{.Lens}})</h2><p>{{range $i, $p := .Path}}{{if $i}} → {{end}}{{$p}}{{end}}{{if .Ending}} ⇒ {{.Ending}}{{end}}; {{.Total.Percent}}%.</p>
{{range .Steps}}{{if ne .DecidedBy "lens"}}<p>{{.Question}}: {{answer .Answer}} — {{if eq .DecidedBy "default-lens"}}this lens is silent or undecided here; the scenario's default lens chose / deze lens zwijgt of beslist hier niet; de standaardlens van het scenario koos{{else}}no lens decides here; a fixed rule chose / geen lens beslist hier; een vaste regel koos{{end}}{{with .Tied}} (among / tussen {{join .}}){{end}}.</p>{{end}}{{end}}{{end}}
<h2>Answers</h2>
<table><tr><th>Name</th><th>World</th><th>Question</th><th>Answer</th><th>Points</th><th>Decision</th><th>Policy</th></tr>
{{range .Answers}}<tr><td>{{.Name}}</td><td>{{.World}}</td><td>{{.Question}}</td><td>{{answer .Answer}}</td><td>{{if .Score.Addressed}}{{.Score.Points}} / {{.Score.Max}}{{else}}not addressed / niet behandeld{{end}}{{if .Score.Pending}} (to score){{end}}</td><td>{{with .Decision}}{{answer .}}{{end}}{{if not .Agrees}} (diverged){{end}}</td>
<td>{{range .Score.Citations}}{{if .Chosen}}{{with index $.Statements .Statement}}<blockquote>“{{.Quote}}” — {{.Document.Title.NL}}, {{.Section}}</blockquote>{{end}}{{end}}{{end}}</td></tr>
{{end}}</table>
</body></html>
`))

// WriteHTML writes the printable report page.
func (r *Report) WriteHTML(w io.Writer) error { return reportHTML.Execute(w, r) }
