package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/paraat-nl/paraat/engine"
)

// ui holds the terminal texts in both languages.
var ui = map[string][2]string{ // key: {nl, en}
	"choose":      {"Kies een nummer", "Choose a number"},
	"multi":       {"Kies een of meer nummers, gescheiden door komma's (leeg: geen)", "Choose one or more numbers, separated by commas (empty: none)"},
	"rank":        {"Zet alle nummers in volgorde, eerste eerst, gescheiden door komma's", "Put all numbers in order, first first, separated by commas"},
	"number":      {"Geef een getal", "Give a number"},
	"text":        {"Typ je antwoord (één regel)", "Type your answer (one line)"},
	"rubric":      {"Aan welke punten voldoet je antwoord? Nummers met komma's, leeg voor geen", "Which points does your answer meet? Numbers with commas, empty for none"},
	"invalid":     {"Dat is geen geldig antwoord", "That is not a valid answer"},
	"score":       {"Score", "Score"},
	"notaddr":     {"dit beleidsdocument zegt hier niets over; telt niet mee", "this policy document says nothing here; does not count"},
	"policy":      {"Wat het beleid zegt", "What the policy says"},
	"supports":    {"ondersteunt", "supports"},
	"conflicts":   {"botst met", "conflicts with"},
	"ending":      {"Einde", "Ending"},
	"total":       {"Totaalscore", "Total score"},
	"review":      {"Terugblik", "Review"},
	"bye":         {"Gestopt.", "Stopped."},
	"lens":        {"Lens", "Lens"},
	"rule":        {"Regel", "Rule"},
	"yours":       {"jouw keuze", "your choice"},
	"unit":        {"eenheid", "unit"},
	"continue":    {"Druk op Enter om verder te gaan", "Press Enter to continue"},
	"notanswered": {"niet beantwoord", "not answered"},
	"seed":        {"Volgorde van de antwoorden: %[1]s (dezelfde volgorde opnieuw: --seed %[1]s)", "Order of the answers: %[1]s (the same order again: --seed %[1]s)"},
}

func tr(lang, key string) string {
	if lang == "en" {
		return ui[key][1]
	}
	return ui[key][0]
}

func runPlay(ctx context.Context, args []string, env func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("play", flag.ContinueOnError)
	fl.SetOutput(stderr)
	lang := fl.String("lang", "nl", "language: nl or en")
	lens := fl.String("lens", "", "policy lens to score under (default: the scenario's)")
	library := fl.String("library", "", "library folder (default: the built-in library)")
	seed := fl.String("seed", "", "seed of the option order, to repeat a run (default: a fresh one)")
	role := fl.String("role", "", "play as this role: its own inject texts and only the questions asked of it")
	var corpus corpusOptions
	corpus.flags(fl)
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: paraat play [--lang nl|en] [--lens ID] [--role ID] [--seed S] [--library DIR] [--policy DIR]... [--no-builtin] SCENARIO")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 1 || (*lang != "nl" && *lang != "en") {
		fl.Usage()
		return 2
	}
	var paths []string
	if *library != "" {
		paths = []string{*library}
	}
	ld := loadLayered(paths, corpus)
	lib, diags := ld.lib, ld.diags
	if diags.Errors() > 0 {
		printDiags(stderr, diags, false)
		return 1
	}
	s := lib.Scenario(fl.Arg(0))
	if s == nil {
		fmt.Fprintf(stderr, "paraat play: no scenario %q; run 'paraat list'\n", fl.Arg(0))
		return 2
	}
	if *lens != "" && lib.Corpus.Lens(*lens) == nil {
		fmt.Fprintf(stderr, "paraat play: unknown lens %q (known: %s)\n", *lens, strings.Join(lib.Corpus.Lenses(), ", "))
		return 2
	}
	if *seed == "" {
		*seed = freshSeed()
	}
	if *role != "" && s.Role(*role) == nil {
		fmt.Fprintf(stderr, "paraat play: %s has no role %q\n", s.ID.Value, *role)
		return 2
	}
	p := &player{lib: lib, s: s, lang: *lang, seed: *seed, role: *role, in: bufio.NewScanner(stdin), out: stdout}
	p.in.Buffer(make([]byte, 64<<10), engine.MaxTextAnswer+1024)
	if err := p.play(*lens); err != nil {
		if err == io.EOF {
			fmt.Fprintln(stdout, "\n"+tr(*lang, "bye"))
			return 0
		}
		fmt.Fprintf(stderr, "paraat play: %v\n", err)
		return 1
	}
	return 0
}

type player struct {
	lib  *engine.Library
	s    *engine.Scenario
	lang string
	seed string // of the option order
	role string // "" : every question, the general inject texts
	in   *bufio.Scanner
	out  io.Writer
	at   time.Duration
}

func (p *player) t(t engine.Text) string { return t.In(p.lang) }

func (p *player) printf(format string, args ...any) { fmt.Fprintf(p.out, format, args...) }

func (p *player) line() (string, error) {
	if !p.in.Scan() {
		if err := p.in.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return strings.TrimSpace(p.in.Text()), nil
}

func (p *player) play(lens string) error {
	w := engine.NewWorld(p.s, engine.Config{Lens: lens, Solo: true, Seed: p.seed})
	l := p.lib.Corpus.Lens(w.Lens())
	p.printf("\n== %s ==\n%s\n%s: %s\n%s\n", p.t(p.s.Title), p.t(p.s.Summary), tr(p.lang, "lens"), p.t(l.Title()),
		fmt.Sprintf(tr(p.lang, "seed"), p.seed))
	fired := 0
	for !w.Done() {
		in := w.Current()
		if p.s.Kind == engine.KindScenario {
			p.printf("\n--- %s  %s ---\n%s\n", in.ClockIn(p.lang), p.t(in.Title), wrap(p.t(in.TextFor(p.role)), 78))
			p.state(w)
		}
		for _, q := range w.Open(p.role) {
			a, err := p.ask(w, q)
			if err != nil {
				return err
			}
			p.at += 30 * time.Second
			if err := w.Apply(engine.Event{Kind: engine.EventAnswer, At: p.at, Participant: "me", Question: q.ID.Value, Answer: &a}); err != nil {
				return err
			}
			p.feedback(w, q)
		}
		for _, f := range w.Fired()[fired:] {
			for _, r := range p.s.Rules {
				if r.ID.Value == f.Rule && !r.Message.Empty() {
					p.printf("\n! %s\n", p.t(r.Message))
				}
			}
		}
		fired = len(w.Fired())
		p.at += time.Minute
		if err := w.Apply(engine.Event{Kind: engine.EventAdvance, At: p.at}); err != nil {
			return err
		}
		if err := w.Err(); err != nil {
			return err
		}
	}
	if e := w.Ending(); e != nil {
		p.printf("\n=== %s: %s ===\n%s\n", tr(p.lang, "ending"), p.t(e.Title), wrap(p.t(e.Text), 78))
	}
	p.state(w)
	t := w.ParticipantTotal("me")
	p.printf("\n%s: %.1f / %.1f (%.0f%%)\n", tr(p.lang, "total"), t.Points, t.Max, t.Percent)
	p.printf("\n%s:\n", tr(p.lang, "review"))
	for _, q := range p.s.Questions() {
		r := w.Response("me", q.ID.Value)
		if r == nil {
			p.printf("  - %s: %s\n", p.t(q.Prompt), tr(p.lang, "notanswered"))
			continue
		}
		p.printf("  - %s: %s\n", p.t(q.Prompt), p.scoreText(r.Score))
	}
	return nil
}

func (p *player) state(w *engine.World) {
	if len(p.s.State) == 0 {
		return
	}
	var parts []string
	for i, v := range w.State() {
		label := p.t(p.s.State[i].Label)
		if label == "" {
			label = v.Name
		}
		parts = append(parts, fmt.Sprintf("%s %v", label, v.Value))
	}
	p.printf("[%s]\n", strings.Join(parts, " | "))
}

func (p *player) ask(w *engine.World, q *engine.Question) (engine.Answer, error) {
	p.printf("\n? %s\n", wrap(p.t(q.Prompt), 78))
	var offered []*engine.Option
	for _, o := range w.Shown(q) {
		if w.Offered(o) {
			offered = append(offered, o)
		}
	}
	for i, o := range offered {
		p.printf("  %d. %s\n", i+1, p.t(o.Text))
	}
	prompt := map[string]string{engine.Choice: "choose", engine.Multi: "multi", engine.Rank: "rank", engine.Number: "number", engine.Free: "text"}[q.Type]
	for {
		hint := tr(p.lang, prompt)
		if q.Type == engine.Number && !q.Unit.Empty() {
			hint += " (" + p.t(q.Unit) + ")"
		}
		p.printf("%s: ", hint)
		s, err := p.line()
		if err != nil {
			return engine.Answer{}, err
		}
		a, ok := p.parse(q, offered, s)
		if ok && q.Type == engine.Free {
			items, err := p.rubric(q)
			if err != nil {
				return a, err
			}
			a.Items = items
		}
		if ok && w.Validate(q, &a) == nil {
			return a, nil
		}
		p.printf("%s.\n", tr(p.lang, "invalid"))
	}
}

func numbers(s string, n int) ([]int, bool) {
	if strings.TrimSpace(s) == "" {
		return nil, true
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || i < 1 || i > n {
			return nil, false
		}
		out = append(out, i-1)
	}
	return out, true
}

func (p *player) parse(q *engine.Question, offered []*engine.Option, s string) (engine.Answer, bool) {
	var a engine.Answer
	switch q.Type {
	case engine.Choice:
		idx, ok := numbers(s, len(offered))
		if !ok || len(idx) != 1 {
			return a, false
		}
		a.Option = offered[idx[0]].ID.Value
	case engine.Multi, engine.Rank:
		idx, ok := numbers(s, len(offered))
		if !ok {
			return a, false
		}
		a.Options = []string{}
		for _, i := range idx {
			a.Options = append(a.Options, offered[i].ID.Value)
		}
	case engine.Number:
		f, err := parseNumber(s, p.lang)
		if err != nil {
			p.printf("%v.\n", err)
			return a, false
		}
		a.Number = &f
	case engine.Free:
		if s == "" {
			return a, false
		}
		a.Text = s
	}
	return a, true
}

func (p *player) rubric(q *engine.Question) ([]string, error) {
	for i, it := range q.Rubric {
		p.printf("  %d. %s\n", i+1, p.t(it.Text))
	}
	for {
		p.printf("%s: ", tr(p.lang, "rubric"))
		s, err := p.line()
		if err != nil {
			return nil, err
		}
		idx, ok := numbers(s, len(q.Rubric))
		if !ok {
			p.printf("%s.\n", tr(p.lang, "invalid"))
			continue
		}
		items := []string{}
		for _, i := range idx {
			items = append(items, q.Rubric[i].ID.Value)
		}
		return items, nil
	}
}

func (p *player) scoreText(s engine.Score) string {
	if !s.Addressed {
		return tr(p.lang, "notaddr")
	}
	return fmt.Sprintf("%s %.1f / %.1f", tr(p.lang, "score"), s.Points, s.Max)
}

func (p *player) feedback(w *engine.World, q *engine.Question) {
	r := w.Response("me", q.ID.Value)
	if r == nil {
		return
	}
	p.printf("\n  %s\n", p.scoreText(r.Score))
	for _, o := range w.Shown(q) {
		if r.Answer.Chose(q, o.ID.Value) && !o.Feedback.Empty() {
			p.printf("  %s\n", wrapIndent(p.t(o.Feedback), 76, "  "))
		}
	}
	if !q.Feedback.Empty() {
		p.printf("  %s\n", wrapIndent(p.t(q.Feedback), 76, "  "))
	}
	seen := map[string]bool{}
	first := true
	for _, c := range r.Score.Citations {
		if seen[c.Statement] {
			continue
		}
		seen[c.Statement] = true
		st := p.lib.Corpus.Statement(c.Statement)
		if st == nil {
			continue
		}
		if first {
			p.printf("  %s:\n", tr(p.lang, "policy"))
			first = false
		}
		rel := tr(p.lang, "supports")
		if !c.Supports {
			rel = tr(p.lang, "conflicts")
		}
		mine := ""
		if c.Chosen {
			mine = "; " + tr(p.lang, "yours")
		}
		via := c.Via
		if o := q.Option(c.Via); o != nil {
			via = p.t(o.Text)
		} else if it := q.Item(c.Via); it != nil {
			via = p.t(it.Text)
		}
		p.printf("  > “%s”\n    — %s, §%s\n    (%s%s%s)\n", wrapIndent(st.Quote, 72, "    "), p.t(st.Doc.Title), st.Section, wrapIndent("“"+via+"” "+rel+mine, 70, "     "), "", "")
	}
	p.context(q, r.Answer)
}

// wrap breaks text into lines of at most width columns.
func wrap(s string, width int) string { return wrapIndent(s, width, "") }

func wrapIndent(s string, width int, indent string) string {
	var b strings.Builder
	col := 0
	for i, word := range strings.Fields(s) {
		if i > 0 {
			if col+1+len([]rune(word)) > width {
				b.WriteString("\n" + indent)
				col = 0
			} else {
				b.WriteByte(' ')
				col++
			}
		}
		b.WriteString(word)
		col += len([]rune(word))
	}
	return b.String()
}

// freshSeed returns a new random seed of the option order: every run shows a fresh order.
func freshSeed() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
