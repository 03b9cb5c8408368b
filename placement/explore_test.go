package placement

import (
	"fmt"
	"os"
	"testing"
)

// members returns n member ids.
func members(n int) []string { return membersSeed(n, 0) }

func membersSeed(n, seed int) []string {
	out := make([]string, n)
	for i := range out {
		if seed == 0 {
			out[i] = fmt.Sprintf("node-%d", i+1)
		} else {
			out[i] = fmt.Sprintf("s%d-node-%d", seed, i+1)
		}
	}
	return out
}

// loadRange returns the min and max of per-member replica and primary counts.
func loadRange(t *Table) (minR, maxR, minP, maxP int) {
	prim := make(map[string]int)
	for _, m := range t.members {
		prim[m] = 0
	}
	for p := range t.Partitions() {
		prim[t.Primary(p)]++
	}
	minR, minP = 1<<30, 1<<30
	for _, n := range t.Load() {
		minR, maxR = min(minR, n), max(maxR, n)
	}
	for _, n := range prim {
		minP, maxP = min(minP, n), max(maxP, n)
	}
	return
}

// TestExploreVirtualNodes prints the measurements behind the defaults,
// averaged over 20 sets of member ids. Run with
// PLACEMENT_REPORT=1 go test -run Explore -v.
func TestExploreVirtualNodes(t *testing.T) {
	if os.Getenv("PLACEMENT_REPORT") == "" {
		t.Skip("set PLACEMENT_REPORT=1 to print the measurements")
	}
	const seeds = 20
	for _, bound := range []float64{0, 0.25, 0.1} {
		for _, parts := range []int{256, 1024} {
			for _, v := range []int{1, 16, 64, 128, 256, 512} {
				line := fmt.Sprintf("bound=%.2f P=%d V=%3d", bound, parts, v)
				for _, n := range []int{3, 5, 10, 100} {
					cfg := Config{Partitions: parts, ReplicationFactor: 3, VirtualNodes: v, LoadBound: bound}
					var sMinR, sMaxR, sMinP, sMaxP, sFrac, worstFrac float64
					for s := range seeds {
						tb, err := NewTable(cfg, membersSeed(n, s))
						if err != nil {
							t.Fatal(err)
						}
						minR, maxR, minP, maxP := loadRange(tb)
						prev, _ := NewTable(cfg, membersSeed(n-1, s))
						mv, _ := Moves(prev, tb)
						frac := float64(MovedReplicas(mv)) / float64(parts*3)
						sMinR += float64(minR)
						sMaxR += float64(maxR)
						sMinP += float64(minP)
						sMaxP += float64(maxP)
						sFrac += frac
						worstFrac = max(worstFrac, frac)
					}
					avg := float64(parts*min(3, n)) / float64(n)
					line += fmt.Sprintf("\n    N=%3d avg %.1f rep min/max %.1f/%.1f (max/avg %.2f) prim %.1f/%.1f move %.3f worst %.3f (1/N %.3f)",
						n, avg, sMinR/seeds, sMaxR/seeds, sMaxR/seeds/avg, sMinP/seeds, sMaxP/seeds, sFrac/seeds, worstFrac, 1/float64(n))
				}
				t.Log(line)
			}
		}
	}
}
