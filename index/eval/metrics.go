package eval

import (
	"math"
	"sort"
)

// NDCG returns nDCG@k of a ranking (document ids, best first) against
// graded gains, with the exponential gain 2^g - 1 and log2 discounts. A
// query without relevant documents scores 0.
func NDCG(ranked []string, gains map[string]int, k int) float64 {
	dcg := 0.0
	for i, id := range ranked {
		if i == k {
			break
		}
		if g := gains[id]; g > 0 {
			dcg += (math.Exp2(float64(g)) - 1) / math.Log2(float64(i)+2)
		}
	}
	ideal := make([]int, 0, len(gains))
	for _, g := range gains {
		if g > 0 {
			ideal = append(ideal, g)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ideal)))
	idcg := 0.0
	for i, g := range ideal {
		if i == k {
			break
		}
		idcg += (math.Exp2(float64(g)) - 1) / math.Log2(float64(i)+2)
	}
	if idcg == 0 {
		return 0
	}
	return dcg / idcg
}

// AveragePrecision returns the average precision of a ranking: the mean,
// over every relevant document (gain > 0), of the precision at its rank,
// counting 0 for relevant documents not retrieved. Its mean over queries
// is MAP.
func AveragePrecision(ranked []string, gains map[string]int) float64 {
	relevant := 0
	for _, g := range gains {
		if g > 0 {
			relevant++
		}
	}
	if relevant == 0 {
		return 0
	}
	hits, sum := 0, 0.0
	for i, id := range ranked {
		if gains[id] > 0 {
			hits++
			sum += float64(hits) / float64(i+1)
		}
	}
	return sum / float64(relevant)
}

// Mean returns the arithmetic mean of xs, 0 for none.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
