package analyze

import (
	"strings"
	"unicode"
)

// AbsoluteWords are the words and phrases, Dutch and English, that state something without
// exception. Test-wise readers learn that options containing them are usually wrong, so an
// honest file has them in keys as often as in distractors. Matching is on whole words,
// case-insensitive, in both languages of an option.
var AbsoluteWords = []string{
	// Dutch
	"altijd", "nooit", "onmiddellijk", "meteen", "alle", "alles", "geen enkele", "geen enkel",
	"uitsluitend", "volledig", "iedereen", "niemand", "nergens", "zonder uitzondering",
	"in geen geval", "per direct",
	// English
	"always", "never", "immediately", "all", "everything", "none", "only", "entirely",
	"completely", "everyone", "nobody", "nowhere", "without exception", "under no circumstances",
	"at once",
}

// words splits a text into lower-case words (letters and digits).
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

var absolutePhrases = func() [][]string {
	out := make([][]string, len(AbsoluteWords))
	for i, w := range AbsoluteWords {
		out[i] = words(w)
	}
	return out
}()

// absolutes returns the absolute words and phrases in a text, in list order, each once.
func absolutes(s string) []string {
	ws := words(s)
	var found []string
	for i, ph := range absolutePhrases {
		for j := 0; j+len(ph) <= len(ws); j++ {
			match := true
			for k := range ph {
				if ws[j+k] != ph[k] {
					match = false
					break
				}
			}
			if match {
				found = append(found, AbsoluteWords[i])
				break
			}
		}
	}
	return found
}
