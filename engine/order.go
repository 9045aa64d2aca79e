package engine

import (
	"hash/fnv"
	"slices"
)

// ShownOrder returns the options of a choice, multi or rank question in the order
// participants see them under a seed. The options are shuffled by a key that depends only on
// the seed, the question id and the option id, so one seed gives the same order on every
// screen and in every replay, and the order in which an author happened to list the options
// (the policy answer first, the longest last) tells a participant nothing. A question with
// `fixed: true` keeps the file's order (an ordinal scale); an option with `fixed: true` keeps
// its position in the file ("none of the above" last) and the others are shuffled around it.
func ShownOrder(q *Question, seed string) []*Option {
	out := slices.Clone(q.Options)
	if q.Fixed {
		return out
	}
	// Each key is hashed once, not in every comparison: views call this on every broadcast.
	type keyed struct {
		o   *Option
		key uint64
	}
	var free []keyed
	for _, o := range q.Options {
		if !o.Fixed {
			free = append(free, keyed{o, orderKey(seed, q, o)})
		}
	}
	slices.SortStableFunc(free, func(a, b keyed) int { return cmpKey(a.key, b.key, a.o, b.o) })
	i := 0
	for k, o := range q.Options {
		if !o.Fixed {
			out[k] = free[i].o
			i++
		}
	}
	return out
}

// orderKey is the hash that places an option: the 64-bit FNV-1a hash of seed, question id and
// option id (separated by a zero byte, which no id contains), mixed by the SplitMix64
// finalizer. FNV alone would leave ids that differ only in their last letter in nearly the
// same order under every seed.
func orderKey(seed string, q *Question, o *Option) uint64 {
	h := fnv.New64a()
	h.Write([]byte(seed))
	h.Write([]byte{0})
	h.Write([]byte(q.ID.Value))
	h.Write([]byte{0})
	h.Write([]byte(o.ID.Value))
	z := h.Sum64()
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// cmpKey orders by hash, and two equal hashes (as good as impossible) by option id, so that
// nothing ever falls back on the file's order.
func cmpKey(ka, kb uint64, a, b *Option) int {
	switch {
	case ka < kb:
		return -1
	case ka > kb:
		return 1
	}
	switch {
	case a.ID.Value < b.ID.Value:
		return -1
	case a.ID.Value > b.ID.Value:
		return 1
	}
	return 0
}

// TieSeed is the fixed seed of the last-resort rule that picks among options nothing else
// separates (see PolicyAnswer): the option with the lowest order key under this seed.
const TieSeed = "paraat-tie"

// lowestKey returns the option of opts with the lowest order key under TieSeed.
func lowestKey(q *Question, opts []*Option) *Option {
	if len(opts) == 0 {
		return nil
	}
	return slices.MinFunc(opts, func(a, b *Option) int {
		return cmpKey(orderKey(TieSeed, q, a), orderKey(TieSeed, q, b), a, b)
	})
}
