package enrich

import (
	"slices"
)

// A span is an address range [lo, hi] (IPv4 keys) carrying an item.
type span struct {
	lo, hi int64
	item   int // index of what the span names
}

// A segment is a piece of the address space with the item of its best span, and the items of
// every span that covers it (in the order of the spans given).
type segment struct {
	lo, hi int64
	item   int
	all    []int
}

// flatten cuts overlapping spans into disjoint segments, each with the item of the best span
// that covers it (better(a, b) orders spans) and the items of all that cover it. Where no span
// covers, there is no segment; neighbouring pieces with the same best item and the same cover
// are one segment. Ranges of address data are nested or disjoint, rarely overlapping, and
// shallow: each piece's cover is found by a scan of the spans open at that point.
func flatten(spans []span, better func(a, b span) bool) []segment {
	if len(spans) == 0 {
		return nil
	}
	spans = slices.Clone(spans)
	slices.SortStableFunc(spans, func(a, b span) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	points := make([]int64, 0, 2*len(spans))
	for _, s := range spans {
		points = append(points, s.lo, s.hi+1)
	}
	slices.Sort(points)
	points = slices.Compact(points)

	var active []span
	var out []segment
	next := 0
	for i, p := range points {
		for next < len(spans) && spans[next].lo == p {
			active = append(active, spans[next])
			next++
		}
		active = slices.DeleteFunc(active, func(s span) bool { return s.hi < p })
		if len(active) == 0 || i+1 == len(points) {
			continue
		}
		best := active[0]
		all := make([]int, 0, len(active))
		for _, s := range active {
			if better(s, best) {
				best = s
			}
			all = append(all, s.item)
		}
		slices.Sort(all)
		seg := segment{lo: p, hi: points[i+1] - 1, item: best.item, all: all}
		if n := len(out); n > 0 && out[n-1].item == seg.item && out[n-1].hi+1 == seg.lo && slices.Equal(out[n-1].all, seg.all) {
			out[n-1].hi = seg.hi
			continue
		}
		out = append(out, seg)
	}
	return out
}

// narrower prefers the smaller span.
func narrower(a, b span) bool { return a.hi-a.lo < b.hi-b.lo }
