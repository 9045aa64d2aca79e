package server

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/paraat-nl/paraat/engine"
)

// The printable after-action report: the same sections as the debrief page, every id and
// enum by its name, in Dutch or English, with one A4 print stylesheet. It is what
// `paraat report --format html` writes and what /sessions/{id}/report serves.

var htmlWords = map[string]map[string]string{
	"nl": {
		"title": "Evaluatieverslag", "overview": "1. Overzicht van de oefening", "themes": "2. Analyse per thema",
		"disagree": "3. Waar de documenten verschillen", "whatif": "4. Wat als: andere keuzes doorgespeeld",
		"paths": "5. Het verloop per wereld", "people": "6. Deelnemers", "plan": "7. Verbeterplan",
		"answers": "Bijlage: alle antwoorden", "scenario": "Scenario", "date": "Datum", "scope": "Opzet",
		"lens": "Beoordeeld tegen", "count": "Deelnemers", "endings": "Bereikte afloop",
		"strengths": "Sterke punten", "improve": "Verbeterpunten", "silent": "Niet door het beleid behandeld",
		"none": "—", "decided": "Besluit", "by": "besloten door", "policy": "Het beleid beveelt aan",
		"tie": "Gelijke stand tussen %s; het vroegste antwoord besliste.", "points": "%s van %s punten",
		"unaddressed": "niet behandeld: dit beleid zegt hier niets over", "pending": "nog te beoordelen",
		"question": "Vraag", "taken": "Gekozen", "alt": "In plaats daarvan", "ending": "Afloop", "score": "Beleidsscore",
		"issue": "Verbeterpunt", "action": "Actie", "owner": "Eigenaar", "due": "Gereed op",
		"name": "Naam", "role": "Rol", "team": "Team", "answer": "Antwoord", "total": "Totaal",
		"noDisagree": "Op de vragen die de sessie beantwoordde, spreken de documenten elkaar niet tegen.",
		"whatifText": "Elke andere keuze bij een meerkeuzebesluit, door de engine opnieuw gespeeld: tot en na die vraag zoals de wereld besliste; vragen die de wereld nooit zag, zoals het beleid aanbeveelt.",
		"room":       "De zaal", "generated": "Opgesteld", "section": "paragraaf",
		"scope.shared": "één gedeelde wereld voor de zaal", "scope.team": "één wereld per team", "scope.participant": "één wereld per deelnemer",
		"by.majority": "meerderheid", "by.facilitator": "de begeleider", "by.participant": "de deelnemer", "by.none": "niemand", "by.role": "de rol %s",
		"other": "English",
	},
	"en": {
		"title": "After-action report", "overview": "1. Exercise overview", "themes": "2. Analysis by theme",
		"disagree": "3. Where the documents disagree", "whatif": "4. What if: other choices played through",
		"paths": "5. How each world went", "people": "6. Participants", "plan": "7. Improvement plan",
		"answers": "Appendix: every answer", "scenario": "Scenario", "date": "Date", "scope": "Set-up",
		"lens": "Assessed against", "count": "Participants", "endings": "Endings reached",
		"strengths": "Strengths", "improve": "Areas for improvement", "silent": "Not addressed by policy",
		"none": "—", "decided": "Decision", "by": "decided by", "policy": "Policy recommends",
		"tie": "Tied between %s; settled by the earliest answer.", "points": "%s of %s points",
		"unaddressed": "not addressed: this policy says nothing here", "pending": "still to be scored",
		"question": "Question", "taken": "Chosen", "alt": "Instead", "ending": "Ending", "score": "Policy score",
		"issue": "Area for improvement", "action": "Action", "owner": "Owner", "due": "Due",
		"name": "Name", "role": "Role", "team": "Team", "answer": "Answer", "total": "Total",
		"noDisagree": "On the questions the session answered, the documents do not contradict each other.",
		"whatifText": "Every other option of each choice a world decided, played again by the engine: before and after that question as the world decided; questions the world never saw, as policy recommends.",
		"room":       "The room", "generated": "Prepared", "section": "section",
		"scope.shared": "one shared world for the room", "scope.team": "one world per team", "scope.participant": "one world per participant",
		"by.majority": "majority", "by.facilitator": "the facilitator", "by.participant": "the participant", "by.none": "nobody", "by.role": "the role %s",
		"other": "Nederlands",
	},
}

type htmlQuote struct{ Quote, Source string }

type htmlFinding struct {
	Question, Who, Answer, Score, Tie, Policy string
	Quotes                                    []htmlQuote
}

type htmlTheme struct {
	Title                  string
	Strong, Weak, Silent   []htmlFinding
	HasStrong, HasAnything bool
}

type htmlLensAnswer struct {
	Lens, Answer string
	Quotes       []htmlQuote
}

type htmlDisagreement struct {
	Question string
	Lenses   []htmlLensAnswer
}

type htmlWhatIf struct{ World, Question, Taken, Alt, Ending, Score string }

type htmlPath struct {
	World, Ending, Total string
	Steps                []string
}

type htmlRow struct{ Cells []string }

type htmlReport struct {
	Lang, OtherLang string
	W               map[string]string
	Title           string
	Overview        [][2]string
	Themes          []htmlTheme
	Disagreements   []htmlDisagreement
	WhatIfs         []htmlWhatIf
	Paths           []htmlPath
	People          []htmlRow
	Plan            []string
	Answers         []htmlRow
}

// namer turns the ids of one scenario into names in one language.
type namer struct {
	s    *engine.Scenario
	lib  *engine.Library
	lang string
	w    map[string]string
}

func (n namer) text(t engine.Text) string { return t.In(n.lang) }

func (n namer) question(id string) *engine.Question {
	if n.s == nil {
		return nil
	}
	return n.s.Question(id)
}

func (n namer) prompt(id string) string {
	if q := n.question(id); q != nil {
		return n.text(q.Prompt)
	}
	return n.w["none"]
}

func (n namer) option(q *engine.Question, id string) string {
	if q != nil {
		for _, o := range q.Options {
			if o.ID.Value == id {
				return strings.TrimSuffix(n.text(o.Text), ".")
			}
		}
	}
	return n.w["none"]
}

func (n namer) answer(qid string, a engine.Answer) string {
	q := n.question(qid)
	switch {
	case a.Option != "":
		return n.option(q, a.Option)
	case len(a.Options) > 0:
		var parts []string
		for i, id := range a.Options {
			p := n.option(q, id)
			if q != nil && q.Type == engine.Rank {
				p = strconv.Itoa(i+1) + ". " + p
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, "; ")
	case a.Number != nil:
		s := strconv.FormatFloat(*a.Number, 'f', -1, 64)
		if n.lang == "nl" {
			s = strings.Replace(s, ".", ",", 1)
		}
		if q != nil && !q.Unit.Empty() {
			s += " " + n.text(q.Unit)
		}
		return s
	}
	return a.Text
}

func (n namer) inject(id string) string {
	if n.s != nil {
		if in := n.s.Inject(id); in != nil {
			return strings.TrimPrefix(strings.TrimSpace(in.ClockIn(n.lang)+" · "+n.text(in.Title)), "· ")
		}
	}
	return n.w["none"]
}

func (n namer) ending(id string) string {
	if n.s != nil {
		for _, e := range n.s.Endings {
			if e.ID.Value == id {
				return n.text(e.Title)
			}
		}
	}
	return n.w["none"]
}

func (n namer) role(id string) string {
	if n.s != nil {
		if r := n.s.Role(id); r != nil {
			return n.text(r.Name)
		}
	}
	return ""
}

func (n namer) by(by string) string {
	if r, ok := strings.CutPrefix(by, "role:"); ok {
		return fmt.Sprintf(n.w["by.role"], n.role(r))
	}
	if s, ok := n.w["by."+by]; ok {
		return s
	}
	return n.w["none"]
}

func (n namer) lens(id string) string {
	if l := n.lib.Corpus.Lens(id); l != nil {
		return n.text(l.Title())
	}
	return n.w["none"]
}

func (n namer) score(s engine.Score) string {
	switch {
	case !s.Addressed:
		return n.w["unaddressed"]
	case s.Pending:
		return n.w["pending"]
	}
	return fmt.Sprintf(n.w["points"], num(s.Points, n.lang), num(s.Max, n.lang))
}

func (n namer) total(t engine.Total) string {
	if t.Max == 0 {
		return n.w["none"]
	}
	return fmt.Sprintf("%s / %s (%s%%)", num(t.Points, n.lang), num(t.Max, n.lang), num(t.Percent, n.lang))
}

func num(f float64, lang string) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s) > i+3 {
		s = strconv.FormatFloat(f, 'f', 2, 64)
	}
	if lang == "nl" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (n namer) quotes(r *Report, ids []string) []htmlQuote {
	var out []htmlQuote
	for _, id := range ids {
		st, ok := r.Statements[id]
		if !ok {
			continue
		}
		src := st.Document.Title.NL
		if n.lang == "en" && st.Document.Title.EN != "" {
			src = st.Document.Title.EN
		}
		if st.Document.Year > 0 {
			src += " (" + strconv.Itoa(st.Document.Year) + ")"
		}
		if st.Section != "" {
			src += ", " + n.w["section"] + " " + st.Section
		}
		out = append(out, htmlQuote{Quote: st.Quote, Source: src})
	}
	return out
}

func chosen(s engine.Score) []string {
	var ids []string
	for _, c := range s.Citations {
		if c.Chosen {
			ids = append(ids, c.Statement)
		}
	}
	return ids
}

func (r *Report) worldName(n namer, id string) string {
	if id == "main" {
		return n.w["room"]
	}
	for _, t := range r.Session.Teams {
		if t.ID == id {
			if n.lang == "en" && t.Name.EN != "" {
				return t.Name.EN
			}
			return t.Name.NL
		}
	}
	for _, p := range r.Participants {
		if p.World == id {
			return p.Name
		}
	}
	return n.w["none"]
}

// WriteHTML writes the printable report in lang ("nl" or "en"), naming everything from lib.
func (r *Report) WriteHTML(w io.Writer, lib *engine.Library, lang string) error {
	if lang != "en" {
		lang = "nl"
	}
	n := namer{s: lib.Scenario(r.Session.Scenario), lib: lib, lang: lang, w: htmlWords[lang]}
	v := htmlReport{Lang: lang, OtherLang: map[string]string{"nl": "en", "en": "nl"}[lang], W: n.w}
	v.Title = r.Session.Title.NL
	if lang == "en" && r.Session.Title.EN != "" {
		v.Title = r.Session.Title.EN
	}
	active := 0
	for _, p := range r.Participants {
		if !p.Removed {
			active++
		}
	}
	var endings []string
	for _, wd := range r.Worlds {
		e := n.w["none"]
		if wd.Ending != "" {
			e = n.ending(wd.Ending)
		}
		if len(r.Worlds) > 1 {
			e = r.worldName(n, wd.ID) + ": " + e
		}
		endings = append(endings, e)
	}
	v.Overview = [][2]string{
		{n.w["scenario"], v.Title},
		{n.w["date"], r.Session.Created.Format("2006-01-02 15:04")},
		{n.w["scope"], n.w["scope."+r.Session.Scope]},
		{n.w["lens"], n.lens(r.Lens)},
		{n.w["count"], strconv.Itoa(active)},
		{n.w["endings"], strings.Join(endings, "; ")},
		{n.w["generated"], r.Generated.Format("2006-01-02 15:04 MST")},
	}
	// Themes: each inject a world went through, its decisions sorted by score.
	seen := map[string]bool{}
	for _, wd := range r.Worlds {
		for _, st := range wd.Path {
			seen[st.Inject] = true
		}
	}
	if n.s != nil {
		for _, in := range n.s.Injects {
			if !seen[in.ID.Value] {
				continue
			}
			th := htmlTheme{Title: n.inject(in.ID.Value)}
			for _, q := range in.Questions {
				for _, wd := range r.Worlds {
					for _, d := range wd.Decisions {
						if d.Question != q.ID.Value {
							continue
						}
						f := htmlFinding{Question: n.text(q.Prompt), Answer: n.answer(d.Question, d.Answer), Score: n.score(d.Score),
							Who: n.by(d.By), Quotes: n.quotes(r, chosen(d.Score))}
						if len(r.Worlds) > 1 {
							f.Who = r.worldName(n, wd.ID)
						}
						if d.Tie != nil {
							var opts []string
							for _, o := range d.Tie.Options {
								opts = append(opts, n.option(q, o))
							}
							f.Tie = fmt.Sprintf(n.w["tie"], strings.Join(opts, ", "))
						}
						rv, ok := r.Reveals[d.Question]
						switch {
						case !d.Score.Addressed || d.Score.Pending:
							th.Silent = append(th.Silent, f)
						case d.Score.Points >= d.Score.Max:
							th.Strong = append(th.Strong, f)
						default:
							if ok && rv.DecidedBy == engine.DecidedByLens {
								f.Policy = n.answer(d.Question, rv.Answer)
							}
							th.Weak = append(th.Weak, f)
							v.Plan = append(v.Plan, f.Question)
						}
						th.HasAnything = true
					}
				}
			}
			v.Themes = append(v.Themes, th)
		}
	}
	for _, d := range r.Disagreements {
		hd := htmlDisagreement{Question: n.prompt(d.Question)}
		for _, l := range d.Lenses {
			hd.Lenses = append(hd.Lenses, htmlLensAnswer{Lens: n.lens(l.Lens), Answer: n.answer(d.Question, l.Answer), Quotes: n.quotes(r, l.Statements)})
		}
		v.Disagreements = append(v.Disagreements, hd)
	}
	for _, wd := range r.Worlds {
		for _, wi := range wd.WhatIfs {
			e := n.w["none"]
			if wi.Ending != "" {
				e = n.ending(wi.Ending)
			}
			v.WhatIfs = append(v.WhatIfs, htmlWhatIf{World: r.worldName(n, wd.ID), Question: n.prompt(wi.Question),
				Taken: n.answer(wi.Question, wi.Taken), Alt: n.answer(wi.Question, wi.Alternative), Ending: e, Score: n.total(wi.Total)})
		}
		p := htmlPath{World: r.worldName(n, wd.ID), Ending: n.w["none"], Total: n.total(wd.Total)}
		if wd.Ending != "" {
			p.Ending = n.ending(wd.Ending)
		}
		for _, st := range wd.Path {
			p.Steps = append(p.Steps, n.inject(st.Inject))
		}
		v.Paths = append(v.Paths, p)
	}
	for _, p := range r.Participants {
		team := ""
		if p.Team != "" {
			team = r.worldName(n, p.Team)
		}
		v.People = append(v.People, htmlRow{Cells: []string{p.Name, n.role(p.Role), team, n.total(p.Total)}})
	}
	for _, a := range r.Answers {
		q := ""
		for _, c := range chosen(a.Score) {
			if st, ok := r.Statements[c]; ok {
				q = "“" + st.Quote + "”"
				break
			}
		}
		v.Answers = append(v.Answers, htmlRow{Cells: []string{a.Name, n.prompt(a.Question), n.answer(a.Question, a.Answer), n.score(a.Score), q}})
	}
	return reportHTML.Execute(w, v)
}

var reportHTML = template.Must(template.New("report").Funcs(template.FuncMap{
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"inc": func(i int) int { return i + 1 },
}).Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.W.title}}: {{.Title}}</title>
<style>
@page{size:A4;margin:18mm 16mm}
body{font:10.5pt/1.45 system-ui,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:48em;margin:auto;padding:1em}
h1{font-size:1.6em;margin:.2em 0 .6em}h2{font-size:1.25em;margin:1.4em 0 .4em;border-bottom:1px solid #999;break-after:avoid}
h3{font-size:1.05em;margin:1em 0 .3em;break-after:avoid}h4{font-size:1em;margin:.8em 0 .2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #999;padding:.25em .4em;text-align:left;vertical-align:top}
tr,.finding{break-inside:avoid}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:700}dd{margin:0}
.finding{border-left:3px solid #999;padding:.1em .6em;margin:.4em 0}.strong{border-color:#0a6b2e}.weak{border-color:#a4001d}
blockquote{margin:.2em 0 .1em;font-style:italic}.src,.muted{color:#4f5864;font-size:.92em;margin:0}p{margin:.15em 0}
.plan td{height:2.2em}.switch{float:right}@media print{.switch{display:none}a{color:#000}}
</style></head><body>
<p class="switch"><a href="?lang={{.OtherLang}}" lang="{{.OtherLang}}">{{.W.other}}</a></p>
<h1>{{.W.title}}: {{.Title}}</h1>
<h2>{{.W.overview}}</h2><dl>{{range .Overview}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>
<h2>{{.W.themes}}</h2>
{{range .Themes}}<h3>{{.Title}}</h3>{{if not .HasAnything}}<p class="muted">{{$.W.noDecisions}}</p>{{end}}
{{with .Strong}}<h4>{{$.W.strengths}}</h4>{{range .}}{{template "finding" dict "F" . "C" "strong" "W" $.W}}{{end}}{{end}}
{{with .Weak}}<h4>{{$.W.improve}}</h4>{{range .}}{{template "finding" dict "F" . "C" "weak" "W" $.W}}{{end}}{{end}}
{{with .Silent}}<h4>{{$.W.silent}}</h4>{{range .}}{{template "finding" dict "F" . "C" "" "W" $.W}}{{end}}{{end}}
{{end}}
<h2>{{.W.disagree}}</h2>{{if not .Disagreements}}<p class="muted">{{.W.noDisagree}}</p>{{end}}
{{range .Disagreements}}<h3>{{.Question}}</h3>{{range .Lenses}}<div class="finding"><p><b>{{.Lens}}:</b> {{.Answer}}</p>{{range .Quotes}}<blockquote>“{{.Quote}}”</blockquote><p class="src">— {{.Source}}</p>{{end}}</div>{{end}}{{end}}
<h2>{{.W.whatif}}</h2><p class="muted">{{.W.whatifText}}</p>
{{if .WhatIfs}}<table><tr><th>{{.W.question}}</th><th>{{.W.taken}}</th><th>{{.W.alt}}</th><th>{{.W.ending}}</th><th>{{.W.score}}</th></tr>
{{range .WhatIfs}}<tr><td>{{.Question}}</td><td>{{.Taken}}</td><td>{{.Alt}}</td><td>{{.Ending}}</td><td>{{.Score}}</td></tr>{{end}}</table>{{end}}
<h2>{{.W.paths}}</h2>{{range .Paths}}<h3>{{.World}}</h3><ol>{{range .Steps}}<li>{{.}}</li>{{end}}</ol><p><b>{{$.W.ending}}:</b> {{.Ending}} · {{$.W.total}}: {{.Total}}</p>{{end}}
<h2>{{.W.people}}</h2><table><tr><th>{{.W.name}}</th><th>{{.W.role}}</th><th>{{.W.team}}</th><th>{{.W.total}}</th></tr>
{{range .People}}<tr>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
<h2>{{.W.plan}}</h2><table class="plan"><tr><th>#</th><th>{{.W.issue}}</th><th>{{.W.action}}</th><th>{{.W.owner}}</th><th>{{.W.due}}</th></tr>
{{range $i, $p := .Plan}}<tr><td>{{inc $i}}</td><td>{{$p}}</td><td></td><td></td><td></td></tr>{{end}}<tr><td></td><td></td><td></td><td></td><td></td></tr></table>
<h2>{{.W.answers}}</h2><table><tr><th>{{.W.name}}</th><th>{{.W.question}}</th><th>{{.W.answer}}</th><th>{{.W.score}}</th><th></th></tr>
{{range .Answers}}<tr>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
</body></html>
{{define "finding"}}<div class="finding {{.C}}"><p><b>{{.F.Question}}</b></p><p>{{.W.decided}} ({{.F.Who}}): {{.F.Answer}} · {{.F.Score}}</p>{{with .F.Tie}}<p class="muted">{{.}}</p>{{end}}{{with .F.Policy}}<p class="muted">{{$.W.policy}}: {{.}}</p>{{end}}{{range .F.Quotes}}<blockquote>“{{.Quote}}”</blockquote><p class="src">— {{.Source}}</p>{{end}}</div>{{end}}
`))
