package merkle

import (
	"errors"
	"slices"
	"strings"
)

// CompareChildren returns the positions where two child hash lists of the
// same node differ. Lists of unequal length differ at every position
// beyond the shorter one.
func CompareChildren(local, remote []Hash) []int {
	var out []int
	for i := range max(len(local), len(remote)) {
		if i >= len(local) || i >= len(remote) || local[i] != remote[i] {
			out = append(out, i)
		}
	}
	return out
}

// DiffEntries compares the entries of one leaf on both sides, each sorted
// by key, and returns the keys present on one side only or with different
// versions, in key order.
func DiffEntries(local, remote []Entry) []Difference {
	var out []Difference
	i, j := 0, 0
	for i < len(local) || j < len(remote) {
		switch {
		case j == len(remote) || (i < len(local) && local[i].Key < remote[j].Key):
			out = append(out, Difference{Key: local[i].Key, Local: local[i].Version, InLocal: true})
			i++
		case i == len(local) || remote[j].Key < local[i].Key:
			out = append(out, Difference{Key: remote[j].Key, Remote: remote[j].Version, InRemote: true})
			j++
		default:
			if local[i].Version != remote[j].Version {
				out = append(out, Difference{Key: local[i].Key, Local: local[i].Version, Remote: remote[j].Version, InLocal: true, InRemote: true})
			}
			i++
			j++
		}
	}
	return out
}

// Diff returns the leaf buckets whose hashes differ between two trees of
// the same Config, in bucket order, descending only into differing nodes.
func Diff(a, b *Tree) ([]Path, error) {
	if a.cfg != b.cfg {
		return nil, errors.New("merkle: diff of trees with different configs")
	}
	frontier := []Path{RootPath}
	if a.Root() == b.Root() {
		return nil, nil
	}
	for level := 0; level < a.cfg.Depth && len(frontier) > 0; level++ {
		ca, err := a.Children(frontier)
		if err != nil {
			return nil, err
		}
		cb, err := b.Children(frontier)
		if err != nil {
			return nil, err
		}
		var next []Path
		for i, p := range frontier {
			for _, c := range CompareChildren(ca[i], cb[i]) {
				next = append(next, p.Child(a.cfg, c))
			}
		}
		frontier = next
	}
	return frontier, nil
}

func sortDifferences(d []Difference) {
	slices.SortFunc(d, func(a, b Difference) int { return strings.Compare(a.Key, b.Key) })
}
