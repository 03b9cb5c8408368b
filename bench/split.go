package bench

import "fmt"

// SplitDocs splits docs (in their walk order: lexical by path) into k
// contiguous parts of about equal extracted text, the work that dominates
// indexing (see SplitPoints). Neighbouring files, and so most folders,
// stay on one node, as when each machine shares its own folders. The
// split depends on the documents only, so every run and every machine
// cuts the same corpus in the same places.
func SplitDocs(docs []Doc, k int) ([][]Doc, error) {
	w := make([]int64, len(docs))
	for i, d := range docs {
		w[i] = int64(len(d.Text))
	}
	ends, err := SplitPoints(w, k)
	if err != nil {
		return nil, err
	}
	parts := make([][]Doc, k)
	start := 0
	for i, end := range ends {
		parts[i] = docs[start:end]
		start = end
	}
	return parts, nil
}

// SplitPoints cuts a sequence of items with the given weights into k
// contiguous, non-empty parts of about equal weight and returns the end
// (exclusive) of each part: part i ends after the first item where the
// running total reaches (i+1)/k of the whole, or earlier when the items
// left are just enough to give every remaining part one. An item weighs
// at least 1, so that empty files count too.
func SplitPoints(weights []int64, k int) ([]int, error) {
	if k < 1 {
		return nil, fmt.Errorf("bench: split into %d parts", k)
	}
	if len(weights) < k {
		return nil, fmt.Errorf("bench: %d items cannot be split into %d non-empty parts", len(weights), k)
	}
	weight := func(i int) int64 { return max(weights[i], 1) }
	var total int64
	for i := range weights {
		total += weight(i)
	}
	ends := make([]int, 0, k)
	var sum int64
	for i := range weights {
		if len(ends) == k-1 {
			break
		}
		sum += weight(i)
		left := k - 1 - len(ends) // cuts still to make, this one included
		if sum*int64(k) >= total*int64(len(ends)+1) || len(weights)-(i+1) == left {
			ends = append(ends, i+1)
		}
	}
	return append(ends, len(weights)), nil
}
