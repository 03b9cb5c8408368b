package node

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	dto "github.com/prometheus/client_model/go"

	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/index/hedge"
)

// fakePeers answers searches in process: a node in stall never answers
// (until its request is cancelled), one in fail fails at once, the others
// return one hit per partition asked.
type fakePeers struct {
	stall, fail map[string]bool
	mu          sync.Mutex
	asked       []string
}

func (f *fakePeers) Search(ctx context.Context, node string, req index.RemoteRequest) (*bleve.SearchResult, error) {
	f.mu.Lock()
	f.asked = append(f.asked, node)
	f.mu.Unlock()
	switch {
	case f.stall[node]:
		<-ctx.Done()
		return nil, ctx.Err()
	case f.fail[node]:
		return nil, errors.New("connection refused")
	}
	res := &bleve.SearchResult{Status: &bleve.SearchStatus{Total: 1, Successful: 1, Errors: map[string]error{}}}
	for _, p := range req.Partitions {
		res.Hits = append(res.Hits, &bsearch.DocumentMatch{ID: node + "/" + string(rune('0'+p))})
	}
	res.Total = uint64(len(res.Hits))
	return res, nil
}

func newTestHedge(t *testing.T, peers *fakePeers) (hedgedCaller, *[]string, *[]string) {
	t.Helper()
	h, err := newHedging(nil)
	if err != nil {
		t.Fatal(err)
	}
	h.latency = hedge.New(hedge.Config{Default: 20 * time.Millisecond, Min: time.Millisecond})
	var mu sync.Mutex
	var shunned, failed []string
	return hedgedCaller{
		peer: peers, h: h,
		alternates: func(node string, ps []int) map[string][]int {
			if node != "a" {
				return nil
			}
			// partitions 0 and 1 also on b, 2 on c
			g := map[string][]int{}
			for _, p := range ps {
				if p < 2 {
					g["b"] = append(g["b"], p)
				} else {
					g["c"] = append(g["c"], p)
				}
			}
			return g
		},
		shun:   func(n string) { mu.Lock(); shunned = append(shunned, n); mu.Unlock() },
		failed: func(n string) { mu.Lock(); failed = append(failed, n); mu.Unlock() },
	}, &shunned, &failed
}

func hitIDs(res *bleve.SearchResult) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestHedgedCaller(t *testing.T) {
	req := index.RemoteRequest{Partitions: []int{0, 1, 2}}
	t.Run("a fast node is asked alone", func(t *testing.T) {
		peers := &fakePeers{}
		c, shunned, failed := newTestHedge(t, peers)
		c.h.latency = hedge.New(hedge.Config{Default: time.Hour, Min: time.Hour, Max: time.Hour})
		res, err := c.Search(context.Background(), "a", req)
		if err != nil || !slices.Equal(hitIDs(res), []string{"a/0", "a/1", "a/2"}) {
			t.Fatalf("%v %v", res, err)
		}
		if !slices.Equal(peers.asked, []string{"a"}) || len(*shunned) > 0 || len(*failed) > 0 {
			t.Fatalf("asked %v, shunned %v, failed %v", peers.asked, *shunned, *failed)
		}
	})
	t.Run("a stalled node is hedged, loses and is avoided", func(t *testing.T) {
		peers := &fakePeers{stall: map[string]bool{"a": true}}
		c, shunned, failed := newTestHedge(t, peers)
		res, err := c.Search(context.Background(), "a", req)
		if err != nil {
			t.Fatal(err)
		}
		if got := hitIDs(res); !slices.Equal(got, []string{"b/0", "b/1", "c/2"}) || res.Total != 3 {
			t.Fatalf("hedged answer %v (total %d), want each partition once from b and c", got, res.Total)
		}
		if !slices.Equal(*shunned, []string{"a"}) || len(*failed) > 0 {
			t.Fatalf("shunned %v, failed %v; want a shunned, no failure reported", *shunned, *failed)
		}
		if won := counterValue(t, c, "won"); won != 1 {
			t.Fatalf("won = %v", won)
		}
	})
	t.Run("a failing node is hedged at once", func(t *testing.T) {
		peers := &fakePeers{fail: map[string]bool{"a": true}}
		c, _, failed := newTestHedge(t, peers)
		c.h.latency = hedge.New(hedge.Config{Default: time.Hour, Min: time.Hour, Max: time.Hour})
		res, err := c.Search(context.Background(), "a", req)
		if err != nil || len(res.Hits) != 3 || len(*failed) > 0 {
			t.Fatalf("%v %v, failed %v", res, err, *failed)
		}
	})
	t.Run("node and hedge fail: the search hears of it", func(t *testing.T) {
		peers := &fakePeers{fail: map[string]bool{"a": true, "c": true}}
		c, _, failed := newTestHedge(t, peers)
		if _, err := c.Search(context.Background(), "a", req); err == nil {
			t.Fatal("no error")
		}
		if !slices.Equal(*failed, []string{"a"}) {
			t.Fatalf("failed %v, want [a]", *failed)
		}
		if f := counterValue(t, c, "failed"); f != 1 {
			t.Fatalf("failed outcome = %v", f)
		}
	})
	t.Run("no alternate: the node's answer is awaited", func(t *testing.T) {
		peers := &fakePeers{}
		c, _, _ := newTestHedge(t, peers)
		c.alternates = func(string, []int) map[string][]int { return nil }
		peers.stall = map[string]bool{"b": true}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		if _, err := c.Search(ctx, "b", req); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v, want the deadline", err)
		}
	})
}

func counterValue(t *testing.T, c hedgedCaller, outcome string) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.h.outcomes.WithLabelValues(outcome).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
