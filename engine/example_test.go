package engine_test

import (
	"fmt"
	"os"

	"github.com/paraat-nl/paraat/engine"
)

// Load a library (scenarios plus policy/) and inspect a scenario.
func ExampleLoad() {
	lib, diags := engine.Load(os.DirFS("testdata/lib"))
	if err := diags.Err(); err != nil {
		fmt.Println(err)
		return
	}
	s := lib.Scenario("voorbeeld")
	fmt.Println(s.Title.In("en"))
	fmt.Println(len(s.Injects), "injects,", len(s.Questions()), "questions, lens", s.Lens.Value)
	// Output:
	// Example: a damaged cable
	// 4 injects, 5 questions, lens ivs-2026
}

// Answer a question in a world of one learner and read the score with its citations.
func ExampleWorld_Apply() {
	lib, _ := engine.Load(os.DirFS("testdata/lib"))
	w := engine.NewWorld(lib.Scenario("voorbeeld"), engine.Config{Solo: true})
	err := w.Apply(engine.Event{Kind: engine.EventAnswer, Participant: "me", Question: "eerste-stap",
		Answer: &engine.Answer{Option: "partners-informeren"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := w.Response("me", "eerste-stap")
	fmt.Printf("%.0f of %.0f points\n", r.Score.Points, r.Score.Max)
	for _, c := range r.Score.Citations {
		if c.Chosen {
			fmt.Println("supports", c.Statement)
		}
	}
	fmt.Println("cohesie:", w.Var("cohesie"))
	// Output:
	// 10 of 10 points
	// supports ivs-2026/zelf-gekozen-moment
	// supports ivs-2026/coalitieverband-via-eu
	// cohesie: 70
}

// The same answer scores differently under two lenses: 2% of GDP is the 2024 programme's
// figure, not the 2026 strategy's.
func ExampleScoreAnswer() {
	lib, _ := engine.Load(os.DirFS("testdata/lib"))
	q := lib.Scenario("voorbeeld").Question("bbp-doel")
	two := 2.0
	for _, lens := range []string{"ivs-2026", "regeerprogramma-2024"} {
		s := engine.ScoreAnswer(q, engine.Answer{Number: &two}, lens, nil)
		fmt.Printf("%s: %.0f of %.0f\n", lens, s.Points, s.Max)
	}
	s := engine.ScoreAnswer(lib.Scenario("voorbeeld").Question("eerste-stap"), engine.Answer{Option: "afwachten"}, "regeerprogramma-2024", nil)
	fmt.Println("addressed:", s.Addressed)
	// Output:
	// ivs-2026: 0 of 5
	// regeerprogramma-2024: 5 of 5
	// addressed: false
}
