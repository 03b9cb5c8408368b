package placement

import (
	"fmt"
	"testing"
)

func BenchmarkNewTable(b *testing.B) {
	for _, n := range []int{3, 10, 100} {
		ms := members(n)
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := NewTable(DefaultConfig(), ms); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPartitionOf(b *testing.B) {
	key := "node-1\x00docs\x00projects/distrisearch/placement/table.go"
	for b.Loop() {
		_ = PartitionOf(key, DefaultPartitions)
	}
}

func BenchmarkReplicaSet(b *testing.B) {
	tb, _ := NewTable(DefaultConfig(), members(10))
	for b.Loop() {
		_ = tb.ReplicaSet(17)
	}
}

func BenchmarkMoves(b *testing.B) {
	old, _ := NewTable(DefaultConfig(), members(9))
	cur, _ := NewTable(DefaultConfig(), members(10))
	for b.Loop() {
		_, _ = Moves(old, cur)
	}
}
