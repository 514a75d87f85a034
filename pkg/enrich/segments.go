package enrich

import (
	"container/heap"
	"slices"
)

// A span is an address range [lo, hi] (IPv4 keys) carrying an item.
type span struct {
	lo, hi int64
	item   int // index of what the span names
}

// A segment is a piece of the address space with the item of its best span.
type segment struct {
	lo, hi int64
	item   int
}

// flatten cuts overlapping spans into disjoint segments, each with the item of the best span
// that covers it; better(a, b) orders items. Where no span covers, there is no segment. Ranges
// of address data are nested or disjoint, rarely overlapping, but any overlap works.
func flatten(spans []span, better func(a, b span) bool) []segment {
	if len(spans) == 0 {
		return nil
	}
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b span) int {
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

	active := &spanHeap{better: better}
	var out []segment
	next := 0
	for i, p := range points {
		for next < len(spans) && spans[next].lo == p {
			heap.Push(active, spans[next])
			next++
		}
		for active.Len() > 0 && active.spans[0].hi < p {
			heap.Pop(active)
		}
		if active.Len() == 0 || i+1 == len(points) {
			continue
		}
		best := active.spans[0]
		seg := segment{lo: p, hi: points[i+1] - 1, item: best.item}
		if n := len(out); n > 0 && out[n-1].item == seg.item && out[n-1].hi+1 == seg.lo {
			out[n-1].hi = seg.hi
			continue
		}
		out = append(out, seg)
	}
	return out
}

type spanHeap struct {
	spans  []span
	better func(a, b span) bool
}

func (h *spanHeap) Len() int           { return len(h.spans) }
func (h *spanHeap) Less(i, j int) bool { return h.better(h.spans[i], h.spans[j]) }
func (h *spanHeap) Swap(i, j int)      { h.spans[i], h.spans[j] = h.spans[j], h.spans[i] }
func (h *spanHeap) Push(x any)         { h.spans = append(h.spans, x.(span)) }
func (h *spanHeap) Pop() any {
	n := len(h.spans)
	s := h.spans[n-1]
	h.spans = h.spans[:n-1]
	return s
}

// narrower prefers the smaller span.
func narrower(a, b span) bool { return a.hi-a.lo < b.hi-b.lo }
