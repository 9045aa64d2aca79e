package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStudy plays the example alone from the library to the final score, with feedback
// after every answer, a reload in the middle, and the review of every answer.
func TestStudy(t *testing.T) {
	e := newEnv(t)
	u := e.open("learner", "/#/study")
	u.click(`li[data-scenario=voorbeeld] a.button.primary`)
	u.wait(`document.querySelector("[data-k=start]")`)
	u.typeInto("#study-name", "Sam")
	u.click(`[data-k=start]`)
	u.waitText("#inject-title", "Outage on a data cable")
	u.noRawIDs("study")

	send := func(q string) {
		u.click(fmt.Sprintf(`[data-k="q-%s-send"]`, q))
		u.wait(fmt.Sprintf(`document.querySelector("section[data-question=%s] .status.received")`, q))
	}
	u.click(`input[data-k="q-eerste-stap-partners-informeren"]`)
	send("eerste-stap")
	// Feedback comes at once, with the policy passage and its source.
	u.waitText("section[data-question=eerste-stap] .feedback .score-line", "10 of 10 points")
	u.waitText("section[data-question=eerste-stap] .feedback .option-feedback", "Acting together")
	u.wait(`document.querySelector("section[data-question=eerste-stap] .feedback blockquote")`)

	// A reload resumes the run where it was.
	u.do(chromedp.Reload())
	u.waitText("section[data-question=eerste-stap] .feedback .score-line", "10 of 10 points")

	u.click(`[data-k=next]`)
	u.waitText("#inject-title", "The investigation")
	u.wait(`document.querySelector("[data-k=next]")?.disabled === true`)
	u.click(`input[data-k="q-maatregelen-sancties"]`)
	u.click(`input[data-k="q-maatregelen-cmx"]`)
	send("maatregelen")
	send("prioriteiten") // the order as offered
	u.typeInto(`input[data-k="q-bbp-doel"]`, "2.8")
	send("bbp-doel")
	u.typeInto(`textarea[data-k="q-toelichting"]`, "Op een zelf gekozen moment, met strategische communicatie.")
	u.click(`input[data-k="q-toelichting-item-zelf-kiezen"]`)
	u.click(`input[data-k="q-toelichting-item-communicatie"]`)
	send("toelichting")
	u.waitText("section[data-question=toelichting] .score-line", "10 of 10 points")

	u.wait(`document.querySelector("[data-k=next]")?.disabled === false`)
	u.click(`[data-k=next]`)
	u.waitText("article.ending h2", "Coordinated response")
	u.click(`[data-k=finish]`)
	u.waitText(".final h2", "Final score")
	u.waitText(".big-score", "%")
	u.waitText(".final .ending", "Coordinated response")
	u.wait(`document.querySelectorAll(".review-item").length === 5`)
	u.waitText(".review-item", "Inform allies and start the investigation together.")
	u.wait(`document.querySelectorAll(".review-item blockquote").length >= 5`)
	u.noRawIDs("study result")
	var score string
	u.eval(`document.querySelector(".big-score").textContent`, &score)
	if score == "" {
		t.Fatal("no final score")
	}

	// The library offers to continue the run on this device.
	u.do(chromedp.Navigate(e.url + "/#/study"))
	u.waitText(`li[data-scenario=voorbeeld] a.button.primary`, "Continue")
}
