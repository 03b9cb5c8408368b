package placement

import (
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

func mustTable(t testing.TB, cfg Config, ms []string) *Table {
	t.Helper()
	tb, err := NewTable(cfg, ms)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no partitions", func(c *Config) { c.Partitions = 0 }, "partitions"},
		{"too many partitions", func(c *Config) { c.Partitions = MaxPartitions + 1 }, "partitions"},
		{"rf zero", func(c *Config) { c.ReplicationFactor = 0 }, "replication factor"},
		{"rf huge", func(c *Config) { c.ReplicationFactor = MaxReplicationFactor + 1 }, "replication factor"},
		{"no vnodes", func(c *Config) { c.VirtualNodes = 0 }, "virtual nodes"},
		{"negative bound", func(c *Config) { c.LoadBound = -0.1 }, "load bound"},
		{"NaN bound", func(c *Config) { c.LoadBound = math.NaN() }, "load bound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want error about %q", err, tt.want)
			}
			if _, err := NewTable(c, members(3)); err == nil {
				t.Fatal("NewTable accepted an invalid config")
			}
		})
	}
}

func TestNewTableRejects(t *testing.T) {
	tests := []struct {
		name    string
		members []string
	}{
		{"no members", nil},
		{"empty id", []string{"a", ""}},
		{"duplicate", []string{"a", "b", "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTable(DefaultConfig(), tt.members); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// Golden values: every node of every version must compute the same
// placement, so a change to the hashing or the walk must be deliberate.
func TestGolden(t *testing.T) {
	tb := mustTable(t, DefaultConfig(), members(5))
	keys := map[string]int{
		"":  PartitionOf("", 256),
		"a": PartitionOf("a", 256),
	}
	if keys[""] != 227 || keys["a"] != 202 {
		t.Fatalf("PartitionOf golden values changed: %v", keys)
	}
	want := map[int]string{
		0:   "node-1,node-3,node-2",
		1:   "node-1,node-2,node-5",
		100: "node-1,node-2,node-5",
		255: "node-5,node-2,node-1",
	}
	for p, w := range want {
		if got := strings.Join(tb.ReplicaSet(p), ","); got != w {
			t.Errorf("ReplicaSet(%d) = %s, want %s", p, got, w)
		}
	}
	d := tb.Digest()
	if got := hex.EncodeToString(d[:8]); got != "2931746af47b43c8" {
		t.Errorf("Digest prefix = %s", got)
	}
}

func TestDeterministicAndOrderIndependent(t *testing.T) {
	ms := members(10)
	a := mustTable(t, DefaultConfig(), ms)
	rev := slices.Clone(ms)
	slices.Reverse(rev)
	b := mustTable(t, DefaultConfig(), rev)
	if a.Digest() != b.Digest() {
		t.Fatal("member order changed the table")
	}
	for p := range a.Partitions() {
		if !slices.Equal(a.ReplicaSet(p), b.ReplicaSet(p)) {
			t.Fatalf("partition %d differs", p)
		}
	}
	c := mustTable(t, DefaultConfig(), members(11))
	if a.Digest() == c.Digest() {
		t.Fatal("different membership, same digest")
	}
	cfg := DefaultConfig()
	cfg.VirtualNodes++
	if mustTable(t, cfg, ms).Digest() == a.Digest() {
		t.Fatal("different config, same digest")
	}
}

func TestPartitionOf(t *testing.T) {
	const parts = 256
	tb := mustTable(t, Config{Partitions: parts, ReplicationFactor: 3, VirtualNodes: 8}, members(3))
	counts := make([]int, parts)
	const keys = 100_000
	for i := range keys {
		k := fmt.Sprintf("node-1\x00docs\x00dir/file-%d.txt", i)
		p := tb.PartitionOf(k)
		if p < 0 || p >= parts || p != PartitionOf(k, parts) {
			t.Fatalf("PartitionOf(%q) = %d", k, p)
		}
		counts[p]++
	}
	lo, hi := slices.Min(counts), slices.Max(counts)
	mean := float64(keys) / parts
	t.Logf("100k keys over %d partitions: min %d max %d (mean %.0f)", parts, lo, hi, mean)
	if float64(lo) < 0.75*mean || float64(hi) > 1.25*mean {
		t.Fatalf("keys badly spread over partitions: min %d max %d", lo, hi)
	}
}

// partitionStart(p) is the first ring position whose partition is p.
func TestPartitionStart(t *testing.T) {
	for _, parts := range []int{1, 3, 7, 256, 1000, MaxPartitions} {
		for _, p := range []int{0, 1, parts / 2, parts - 1} {
			if p >= parts {
				continue
			}
			s := partitionStart(p, parts)
			if got := int(uint64(s) * uint64(parts) >> 32); got != p {
				t.Fatalf("P=%d: start of %d is in partition %d", parts, p, got)
			}
			if p > 0 {
				if got := int(uint64(s-1) * uint64(parts) >> 32); got != p-1 {
					t.Fatalf("P=%d: position before start of %d is in %d", parts, p, got)
				}
			}
		}
	}
}

func TestReplicaSets(t *testing.T) {
	tests := []struct {
		name    string
		rf      int
		members int
		want    int
	}{
		{"rf 3 of 5", 3, 5, 3},
		{"rf 1", 1, 5, 1},
		{"rf equals members", 3, 3, 3},
		{"rf above members", 3, 2, 2},
		{"single member", 3, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.ReplicationFactor = tt.rf
			tb := mustTable(t, cfg, members(tt.members))
			for p := range tb.Partitions() {
				set := tb.ReplicaSet(p)
				if len(set) != tt.want {
					t.Fatalf("partition %d: %v, want %d members", p, set, tt.want)
				}
				s := slices.Clone(set)
				slices.Sort(s)
				if len(slices.Compact(s)) != len(set) {
					t.Fatalf("partition %d: duplicate member in %v", p, set)
				}
				if tb.Primary(p) != set[0] || !tb.Holds(set[len(set)-1], p) {
					t.Fatalf("Primary/Holds disagree with %v", set)
				}
			}
			total := 0
			for m, n := range tb.Load() {
				if got := len(tb.PartitionsOf(m)); got != n {
					t.Fatalf("PartitionsOf(%s) = %d, Load says %d", m, got, n)
				}
				total += n
			}
			if total != tb.Partitions()*tt.want {
				t.Fatalf("replicas total %d", total)
			}
		})
	}
	tb := mustTable(t, DefaultConfig(), members(3))
	if tb.ReplicaSet(-1) != nil || tb.ReplicaSet(256) != nil || tb.Primary(256) != "" || tb.Holds("node-1", -1) {
		t.Fatal("out-of-range partitions not refused")
	}
	set := tb.ReplicaSet(0)
	set[0] = "mutated"
	if tb.ReplicaSet(0)[0] == "mutated" {
		t.Fatal("ReplicaSet exposes internal state")
	}
	if got := tb.Members(); !slices.Equal(got, []string{"node-1", "node-2", "node-3"}) {
		t.Fatalf("Members = %v", got)
	}
}

// Balance of partition replicas per member with the defaults, the figure
// docs/placement.md reports.
func TestBalance(t *testing.T) {
	tests := []struct {
		members  int
		maxRatio float64 // busiest member / mean
	}{
		{3, 1.0},
		{5, 1.15},
		{10, 1.2},
		{100, 1.0 + DefaultLoadBound + 0.1}, // the cap is rounded up: ⌈7.68·1.25⌉ = 10
	}
	for _, tt := range tests {
		tb := mustTable(t, DefaultConfig(), members(tt.members))
		minR, maxR, minP, maxP := loadRange(tb)
		mean := float64(256*min(3, tt.members)) / float64(tt.members)
		t.Logf("N=%3d: replicas per member min/max %d/%d (mean %.1f), primaries min/max %d/%d",
			tt.members, minR, maxR, mean, minP, maxP)
		if float64(maxR) > tt.maxRatio*mean+1e-9 {
			t.Errorf("N=%d: busiest member holds %d replicas, mean %.1f", tt.members, maxR, mean)
		}
	}
}

// Records per member: 100k record keys on 10 members (DEPENDENCIES.md
// compares rendezvous hashing on the same test).
func TestKeyBalance(t *testing.T) {
	tb := mustTable(t, DefaultConfig(), members(10))
	prim := map[string]int{}
	held := map[string]int{}
	for i := range 100_000 {
		p := tb.PartitionOf(fmt.Sprintf("key-%d", i))
		prim[tb.Primary(p)]++
		for _, m := range tb.ReplicaSet(p) {
			held[m]++
		}
	}
	vals := func(m map[string]int) (int, int) {
		var v []int
		for _, n := range m {
			v = append(v, n)
		}
		return slices.Min(v), slices.Max(v)
	}
	pl, ph := vals(prim)
	hl, hh := vals(held)
	t.Logf("100k keys, 10 members: primary min/max %d/%d, held (RF 3) min/max %d/%d (mean 30000)", pl, ph, hl, hh)
	if hh > 36000 || hl < 24000 {
		t.Fatalf("held keys min/max %d/%d", hl, hh)
	}
}
