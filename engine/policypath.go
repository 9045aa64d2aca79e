package engine

import (
	"cmp"
	"slices"
)

// How a step of a policy path was decided.
const (
	// DecidedByLens: the lens itself names the best answer.
	DecidedByLens = "lens"
	// DecidedByDefaultLens: the lens is silent, or its best answers tie, and the scenario's
	// default lens (`lens:` of the file) chose among them.
	DecidedByDefaultLens = "default-lens"
	// DecidedByAmbiguous: neither lens separates the candidates; the fixed last-resort rule
	// (lowest order key under TieSeed, for numbers the lowest value) chose.
	DecidedByAmbiguous = "ambiguous"
)

// PolicyStep is one answer of a policy path and how it was decided.
type PolicyStep struct {
	Question  string `json:"question"`
	Answer    Answer `json:"answer"`
	DecidedBy string `json:"decided_by"` // DecidedByLens, DecidedByDefaultLens or DecidedByAmbiguous
	// Tied are the candidates the lens could not tell apart: the options of equal best weight
	// (choice), the options it gives no weight (multi), the options of equal weight (rank), or
	// the accepted values of equal weight (number, formatted). Empty when the lens decided
	// alone. Option ids are sorted (rank: in the decided order), values ascending, so that the
	// order of the file shows nowhere.
	Tied []string `json:"tied,omitempty"`
}

// PolicyAnswer returns the answer that policy recommends under lens, and how it was decided.
// Where lens is silent on the question, or its best answers tie, the default lens fallback
// chooses among the tied answers; where that does not separate them either, a fixed rule
// that does not depend on the order of the file does (DecidedByAmbiguous). offered restricts
// the options to those available; nil means all.
func PolicyAnswer(q *Question, lens, fallback string, offered func(*Option) bool) PolicyStep {
	st := PolicyStep{Question: q.ID.Value, DecidedBy: DecidedByLens}
	if fallback == lens {
		fallback = "" // the default lens has nothing to add to itself
	}
	var opts []*Option
	for _, o := range q.Options {
		if offered == nil || offered(o) {
			opts = append(opts, o)
		}
	}
	w := func(o *Option, l string) float64 {
		if l == "" {
			return 0
		}
		x, _ := weight(o.Citations, l)
		return x
	}
	switch q.Type {
	case Choice:
		cands := opts
		if q.addressed(lens, offered) {
			cands = best(cands, func(o *Option) float64 { return w(o, lens) })
		}
		if len(cands) > 1 {
			st.Tied = sortedIDs(cands)
			st.DecidedBy = DecidedByDefaultLens
			if fallback != "" && q.addressed(fallback, offered) {
				cands = best(cands, func(o *Option) float64 { return w(o, fallback) })
			}
			if len(cands) > 1 {
				st.DecidedBy = DecidedByAmbiguous
			}
		}
		if o := lowestKey(q, cands); o != nil {
			st.Answer.Option = o.ID.Value
		}
	case Multi:
		st.Answer.Options = []string{}
		silent := !q.addressed(lens, offered)
		usedFallback := false
		for _, o := range opts {
			x := w(o, lens)
			if x == 0 {
				st.Tied = append(st.Tied, o.ID.Value)
				if y := w(o, fallback); y != 0 {
					usedFallback = true
					x = y
				}
			}
			if x > 0 {
				st.Answer.Options = append(st.Answer.Options, o.ID.Value)
			}
		}
		slices.Sort(st.Answer.Options) // a set: sorted, so that no file order shows
		slices.Sort(st.Tied)
		switch {
		case silent && usedFallback:
			st.DecidedBy = DecidedByDefaultLens
		case silent:
			st.DecidedBy = DecidedByAmbiguous
		case usedFallback:
			st.DecidedBy = DecidedByDefaultLens
		default:
			st.Tied = nil // options neither lens weighs are left out, whatever their order
		}
	case Rank:
		sorted := slices.Clone(opts)
		slices.SortFunc(sorted, func(a, b *Option) int {
			if c := cmp.Compare(w(b, lens), w(a, lens)); c != 0 {
				return c
			}
			if c := cmp.Compare(w(b, fallback), w(a, fallback)); c != 0 {
				return c
			}
			return cmpKey(orderKey(TieSeed, q, a), orderKey(TieSeed, q, b), a, b)
		})
		tied, ambiguous := map[string]bool{}, false
		for i, a := range sorted {
			for _, b := range sorted[i+1:] {
				if w(a, lens) == w(b, lens) {
					tied[a.ID.Value], tied[b.ID.Value] = true, true
					if w(a, fallback) == w(b, fallback) {
						ambiguous = true
					}
				}
			}
		}
		for _, o := range sorted {
			st.Answer.Options = append(st.Answer.Options, o.ID.Value)
			if tied[o.ID.Value] {
				st.Tied = append(st.Tied, o.ID.Value)
			}
		}
		switch {
		case ambiguous:
			st.DecidedBy = DecidedByAmbiguous
		case len(tied) > 0:
			st.DecidedBy = DecidedByDefaultLens
		}
	case Number:
		aw := func(a *Accept, l string) float64 {
			if l == "" {
				return 0
			}
			x, _ := weight(a.Citations, l)
			return x
		}
		pick := func(l string, among []*Accept) []*Accept {
			var out []*Accept
			top := 0.0
			for _, a := range among {
				switch x := aw(a, l); {
				case x > top:
					out, top = []*Accept{a}, x
				case x == top && x > 0:
					out = append(out, a)
				}
			}
			return out
		}
		cands := pick(lens, q.Accept)
		if len(cands) != 1 {
			if len(cands) == 0 {
				cands = q.Accept
			}
			cands = slices.Clone(cands)
			slices.SortStableFunc(cands, func(a, b *Accept) int { return cmp.Compare(a.Value, b.Value) })
			for _, a := range cands {
				st.Tied = append(st.Tied, formatNumber(a.Value))
			}
			st.DecidedBy = DecidedByDefaultLens
			if fb := pick(fallback, cands); len(fb) > 0 {
				cands = fb
			}
			if len(cands) != 1 {
				st.DecidedBy = DecidedByAmbiguous
			}
		}
		if len(cands) > 0 {
			v := slices.MinFunc(cands, func(a, b *Accept) int { return cmp.Compare(a.Value, b.Value) }).Value
			st.Answer.Number = &v
		}
	case Free:
		st.Answer.Text = "policy"
		st.Answer.Items = []string{}
		l := lens
		if !q.addressed(lens, nil) {
			l, st.DecidedBy = fallback, DecidedByDefaultLens
			if fallback == "" || !q.addressed(fallback, nil) {
				st.DecidedBy = DecidedByAmbiguous
			}
		}
		for _, it := range q.Rubric {
			if l == "" {
				break
			}
			if x, _ := weight(it.Citations, l); x > 0 {
				st.Answer.Items = append(st.Answer.Items, it.ID.Value)
			}
		}
	}
	return st
}

// best returns the options of highest weight.
func best(opts []*Option, weigh func(*Option) float64) []*Option {
	var out []*Option
	for _, o := range opts {
		switch {
		case len(out) == 0 || weigh(o) > weigh(out[0]):
			out = []*Option{o}
		case weigh(o) == weigh(out[0]):
			out = append(out, o)
		}
	}
	return out
}

func sortedIDs(opts []*Option) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.ID.Value
	}
	slices.Sort(out)
	return out
}
