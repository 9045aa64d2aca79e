package e2e

import (
	"fmt"
	"io/fs"
	"testing"

	"github.com/paraat-nl/paraat/scenarios"
)

// layoutJS measures the analysis section: it must be on screen, no wider than the page,
// every gate's badge beside its label on one line, table cells side by side, text of a
// readable size, and no raw id (of a gate, lens, question or ending) in what a reader sees.
const layoutJS = `(async () => {
  const sec = document.querySelector(%s);
  if (!sec) return {problem: "no analysis"};
  const src = await (await fetch("/api/scenarios/voorbeeld/source")).json();
  const a = src.analysis;
  const r = sec.getBoundingClientRect();
  const out = {width: r.width, height: r.height, problems: []};
  if (r.width < 300 || r.height < 300) out.problems.push("section too small: " + r.width + "x" + r.height);
  if (r.right > document.documentElement.clientWidth + 1) out.problems.push("section wider than the page: " + r.right);
  const gates = [...sec.querySelectorAll(".an-gate")];
  if (gates.length !== a.gates.length) out.problems.push("gates shown " + gates.length + " of " + a.gates.length);
  for (const g of gates) {
    const b = g.querySelector(".badge").getBoundingClientRect(), l = g.querySelector(".an-gate-label").getBoundingClientRect();
    if (b.width === 0 || l.width === 0) out.problems.push("invisible gate: " + g.textContent);
    if (Math.abs(b.top - l.top) > 12 || b.right > l.left + 1) out.problems.push("badge not beside its label: " + g.textContent);
  }
  for (const tr of sec.querySelectorAll("table tbody tr")) {
    const cells = [...tr.children].map(c => c.getBoundingClientRect());
    for (let i = 1; i < cells.length; i++) {
      if (cells[i].left < cells[i-1].right - 1) out.problems.push("cells overlap in: " + tr.textContent);
      if (Math.abs(cells[i].top - cells[0].top) > 1) out.problems.push("cells not in one row: " + tr.textContent);
    }
    for (const c of tr.children) {
      if (c.textContent.trim() === "") out.problems.push("empty cell in: " + tr.textContent);
      if (parseFloat(getComputedStyle(c).fontSize) < 12) out.problems.push("text too small in: " + tr.textContent);
    }
  }
  const rows = sec.querySelectorAll(".an-strategies tbody tr").length;
  if (rows !== a.strategies.filter(s => s.applies).length + 1) out.problems.push("strategy rows: " + rows);
  const cues = sec.querySelectorAll(".an-cues tbody tr").length;
  if (cues !== a.questions.length) out.problems.push("cue rows: " + cues + " of " + a.questions.length);
  const text = sec.innerText;
  const ids = [...a.gates.map(g => g.id), ...a.lenses.map(l => l.lens), ...a.questions.map(q => q.id), ...a.endings.map(e => e.id)]
    .filter(id => id.includes("-"));
  for (const id of ids) if (new RegExp("(^|[^\\w-])" + id + "($|[^\\w-])").test(text)) out.problems.push("raw id shown: " + id);
  out.text = text;
  return out;
})()`

type layout struct {
	Width, Height float64
	Problems      []string
	Problem       string
	Text          string
}

func checkLayout(t *testing.T, tb *tab, sel string) layout {
	t.Helper()
	var l layout
	tb.eval(fmt.Sprintf(layoutJS, jsString(sel)), &l)
	if l.Problem != "" {
		t.Fatal(l.Problem)
	}
	for _, p := range l.Problems {
		t.Error(p)
	}
	return l
}

// TestViewerAnalysis: the viewer shows the analysis of a library scenario and of a pasted
// draft, laid out readably, in English and in Dutch.
func TestViewerAnalysis(t *testing.T) {
	e := newEnv(t)
	a := e.open("author", "/#/view/voorbeeld")
	a.login()
	var lang string
	a.eval(`document.documentElement.lang`, &lang)
	if lang == "nl" {
		a.click("#lang")
	}
	a.waitText("#analysis h2", "Analysis")
	a.waitText("#analysis .an-gate", "Naive strategies score at most 60% of the policy path")
	a.waitText("#analysis .an-strategies th", "always the longest option")
	a.waitText("#analysis .an-cues th", "What is the cabinet's first step?")
	a.waitText("#analysis .an-lenses th", "")
	l := checkLayout(t, a, "#analysis")
	t.Logf("analysis %vx%v px", l.Width, l.Height)
	if l.Height < 600 {
		t.Errorf("the analysis takes %vpx: too little for gates, strategies and cues", l.Height)
	}

	a.click("#lang")
	a.waitText("#analysis h2", "Analyse")
	a.waitText("#analysis .an-strategies th", "altijd de langste optie")
	checkLayout(t, a, "#analysis")

	good, err := fs.ReadFile(scenarios.FS(), "voorbeeld.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a.do(navigate(e.url + "/#/check"))
	a.wait(`document.querySelector("#check-yaml")`)
	a.eval(`(() => { const el = document.querySelector("#check-yaml"); el.value = `+jsString(string(good))+`;
		el.dispatchEvent(new Event("input")); return true; })()`, nil)
	a.click(`[data-k=check]`)
	a.waitText("#check-result #analysis h2", "Analyse")
	a.waitText("#check-result #analysis .an-gate", "Minstens drie eindes zijn bereikbaar")
	checkLayout(t, a, "#check-result #analysis")
}
