package analyze

import (
	"slices"
	"unicode/utf8"

	"github.com/paraat-nl/paraat/engine"
)

// optionText is the text whose form is measured: the Dutch (the language the files are
// written in first), or the English when there is no Dutch.
func optionText(o *engine.Option) string {
	if o.Text.NL != "" {
		return o.Text.NL
	}
	return o.Text.EN
}

func chars(o *engine.Option) int  { return utf8.RuneCountInString(optionText(o)) }
func nwords(o *engine.Option) int { return len(words(optionText(o))) }

// rank returns the 1-based rank of options[i] by measure, longest first: 1 plus the number
// of options strictly longer.
func rank(opts []*engine.Option, i int, measure func(*engine.Option) int) int {
	r := 1
	for _, o := range opts {
		if measure(o) > measure(opts[i]) {
			r++
		}
	}
	return r
}

func citations(c engine.Citations) int { return len(c.Supports) + len(c.Conflicts) }

func optRef(o *engine.Option) Ref { return Ref{ID: o.ID.Value, Text: text(o.Text)} }

func pct(points, max float64) float64 {
	if max <= 0 {
		return 0
	}
	return round(100 * points / max)
}

func round(f float64) float64 {
	if f < 0 {
		return -round(-f)
	}
	return float64(int64(f*100+0.5)) / 100
}

func ptr(f float64) *float64 { f = round(f); return &f }

func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	return ptr(100 * float64(n) / float64(of))
}

// keyOf returns the options the lens's policy answer picks (choice: one, multi: the set,
// rank: the first) and whether the lens could not tell the choice key from another option.
func keyOf(q *engine.Question, lens, fallback string) ([]*engine.Option, bool) {
	st := engine.PolicyAnswer(q, lens, fallback, nil)
	a := st.Answer
	var key []*engine.Option
	switch q.Type {
	case engine.Choice:
		if o := q.Option(a.Option); o != nil {
			key = append(key, o)
		}
	case engine.Multi:
		for _, id := range a.Options {
			key = append(key, q.Option(id))
		}
	case engine.Rank:
		if len(a.Options) > 0 {
			key = append(key, q.Option(a.Options[0]))
		}
	}
	return key, q.Type == engine.Choice && len(st.Tied) > 1
}

// cues measures the form of every choice, multi and rank question under the lens.
func cues(s *engine.Scenario, lens string) (Cues, []QuestionCue) {
	var c Cues
	var out []QuestionCue
	var keyCit, disCit, chance, selAll, selNone float64
	longest, shortest, longestWords, firstInFile := 0, 0, 0, 0
	for _, q := range s.Questions() {
		if q.Type != engine.Choice && q.Type != engine.Multi && q.Type != engine.Rank {
			continue
		}
		qc := QuestionCue{ID: q.ID.Value, Prompt: text(q.Prompt), Type: q.Type, Options: len(q.Options),
			Addressed: q.Addressed(lens), AbsoluteInKey: []string{}, AbsoluteInDistractors: []string{}}
		if !qc.Addressed {
			c.LensUnaddressedQuestions++
		}
		key, tied := keyOf(q, lens, s.Lens.Value)
		qc.KeyTied = tied
		if tied {
			c.KeyTiedQuestions++
		}
		isKey := func(o *engine.Option) bool { return slices.Contains(key, o) }
		for _, o := range key {
			qc.Key = append(qc.Key, optRef(o))
		}
		nk, nd := 0, 0
		for _, o := range q.Options {
			abs := append(absolutes(o.Text.NL), absolutes(o.Text.EN)...)
			if isKey(o) {
				nk++
				qc.KeyCitations += float64(citations(o.Citations))
				qc.AbsoluteInKey = append(qc.AbsoluteInKey, abs...)
				c.Keys++
				if len(abs) > 0 {
					c.KeysWithAbsolute++
				}
			} else {
				nd++
				qc.DistractorCitations += float64(citations(o.Citations))
				qc.AbsoluteInDistractors = append(qc.AbsoluteInDistractors, abs...)
				c.Distractors++
				if len(abs) > 0 {
					c.DistractorsWithAbsolute++
				}
				if q.Type == engine.Choice && qc.Addressed &&
					engine.ScoreAnswer(q, engine.Answer{Option: o.ID.Value}, lens, nil).Points > 0 {
					qc.PartialCreditDistractors++
				}
			}
		}
		qc.AbsoluteInKey = uniq(qc.AbsoluteInKey)
		qc.AbsoluteInDistractors = uniq(qc.AbsoluteInDistractors)
		if nk > 0 {
			qc.KeyCitations = round(qc.KeyCitations / float64(nk))
			keyCit += qc.KeyCitations
		}
		if nd > 0 {
			qc.DistractorCitations = round(qc.DistractorCitations / float64(nd))
			disCit += qc.DistractorCitations
		}
		c.PartialCreditDistractors += qc.PartialCreditDistractors
		switch q.Type {
		case engine.Choice:
			if len(key) == 1 && len(q.Options) > 1 {
				c.ChoiceQuestions++
				i := slices.Index(q.Options, key[0])
				qc.KeyCharsRank = rank(q.Options, i, chars)
				qc.KeyWordsRank = rank(q.Options, i, nwords)
				qc.KeyLongest = qc.KeyCharsRank == 1
				qc.KeyShortest = rank(q.Options, i, func(o *engine.Option) int { return -chars(o) }) == 1
				if qc.KeyLongest {
					longest++
				}
				if qc.KeyShortest {
					shortest++
				}
				if qc.KeyWordsRank == 1 {
					longestWords++
				}
				// By chance the key is among the longest as often as the longest are many.
				n := 0
				for _, o := range q.Options {
					if rank(q.Options, slices.Index(q.Options, o), chars) == 1 {
						n++
					}
				}
				chance += float64(n) / float64(len(q.Options))
				qc.KeyFilePosition = i + 1
				qc.KeyShownPosition = slices.Index(engine.ShownOrder(q, ShownSeed), key[0]) + 1
				c.KeyFilePositions = bump(c.KeyFilePositions, qc.KeyFilePosition)
				c.KeyShownPositions = bump(c.KeyShownPositions, qc.KeyShownPosition)
				if i == 0 {
					firstInFile++
				}
			}
		case engine.Multi:
			c.MultiQuestions++
			all := engine.Answer{Options: []string{}}
			for _, o := range q.Options {
				all.Options = append(all.Options, o.ID.Value)
			}
			sa := engine.ScoreAnswer(q, all, lens, nil)
			sn := engine.ScoreAnswer(q, engine.Answer{Options: []string{}}, lens, nil)
			qc.SelectAllPercent = ptr(pct(sa.Points, sa.Max))
			qc.SelectNonePercent = ptr(pct(sn.Points, sn.Max))
			selAll += *qc.SelectAllPercent
			selNone += *qc.SelectNonePercent
		}
		out = append(out, qc)
	}
	c.KeyLongestShare = share(longest, c.ChoiceQuestions)
	c.KeyShortestShare = share(shortest, c.ChoiceQuestions)
	c.KeyLongestWordsShare = share(longestWords, c.ChoiceQuestions)
	c.KeyFirstInFileShare = share(firstInFile, c.ChoiceQuestions)
	if c.ChoiceQuestions > 0 {
		c.KeyLongestChance = ptr(100 * chance / float64(c.ChoiceQuestions))
	}
	if n := len(out); n > 0 {
		c.MeanKeyCitations = ptr(keyCit / float64(n))
		c.MeanDistractorCitations = ptr(disCit / float64(n))
	}
	if c.MultiQuestions > 0 {
		c.MeanSelectAllPercent = ptr(selAll / float64(c.MultiQuestions))
		c.MeanSelectNonePercent = ptr(selNone / float64(c.MultiQuestions))
	}
	if c.KeyFilePositions == nil {
		c.KeyFilePositions, c.KeyShownPositions = []int{}, []int{}
	}
	return c, out
}

// bump counts one more at 1-based position p.
func bump(counts []int, p int) []int {
	for len(counts) < p {
		counts = append(counts, 0)
	}
	if p > 0 {
		counts[p-1]++
	}
	return counts
}

func uniq(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
