package node

import (
	"context"
	"fmt"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/index/hedge"
)

// hedging holds what hedged searches share across requests: the answer
// times of every node (the hedge delay is their p95, see index/hedge) and
// the outcome counter.
type hedging struct {
	latency  *hedge.Tracker
	outcomes *prometheus.CounterVec
}

func newHedging(reg prometheus.Registerer) (*hedging, error) {
	h := &hedging{
		latency: hedge.New(hedge.DefaultConfig()),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "distrisearch", Subsystem: "search", Name: "hedged_requests_total",
			Help: "Searches of a node's partitions also sent to their other replicas because the node was slow or failed, by outcome: " +
				"won (the other replicas answered first), lost (the node answered first), failed (neither answered)."}, []string{"outcome"}),
	}
	for _, o := range []string{"won", "lost", "failed"} {
		h.outcomes.WithLabelValues(o)
	}
	if reg != nil {
		if err := reg.Register(h.outcomes); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// alternatesFunc returns, for partitions a node was asked to search, the
// other replicas to ask instead, grouped by node; nil when some partition
// has no other replica up (a hedge could not cover it).
type alternatesFunc func(node string, partitions []int) map[string][]int

// hedgedCaller sends a node its partitions' search and, when that node
// has not answered after its hedge delay or has failed, sends the same
// partitions to their other replicas (grouped by node, in parallel); the
// first complete answer is used and the other requests are cancelled.
// A node that loses to its hedge is avoided for a while, so later
// searches go to the faster replicas. failed hears of a node only when
// neither it nor its hedge answered: the search then runs once more.
type hedgedCaller struct {
	peer       index.Caller // peerSearch, whose failures only shun the node
	h          *hedging
	alternates alternatesFunc
	shun       func(node string)
	failed     func(node string)
}

var _ index.Caller = hedgedCaller{}

type hedgeAnswer struct {
	res   *bleve.SearchResult
	err   error
	hedge bool
}

func (c hedgedCaller) Search(ctx context.Context, node string, req index.RemoteRequest) (*bleve.SearchResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the slower of the two stops
	answers := make(chan hedgeAnswer, 2)
	go func() {
		res, err := c.timed(ctx, node, req)
		answers <- hedgeAnswer{res: res, err: err}
	}()
	timer := time.NewTimer(c.h.latency.Delay(node))
	defer timer.Stop()
	hedged, pending := false, 1
	startHedge := func() {
		if hedged || req.Partitions == nil || c.alternates == nil {
			return
		}
		groups := c.alternates(node, req.Partitions)
		if len(groups) == 0 {
			return
		}
		hedged = true
		pending++
		go func() {
			res, err := c.fanOut(ctx, groups, req)
			answers <- hedgeAnswer{res: res, err: err, hedge: true}
		}()
	}
	var firstErr error
	for {
		select {
		case <-timer.C:
			startHedge()
			continue
		case a := <-answers:
			pending--
			if a.err == nil {
				switch {
				case a.hedge:
					c.h.outcomes.WithLabelValues("won").Inc()
					if pending > 0 { // it is still silent: prefer others for a while
						c.shun(node)
					}
				case hedged:
					c.h.outcomes.WithLabelValues("lost").Inc()
				}
				return a.res, nil
			}
			if firstErr == nil || !a.hedge {
				firstErr = a.err // the node's own error says most
			}
			if !a.hedge {
				startHedge() // failed before its delay: hedge at once
			}
			if pending > 0 {
				continue
			}
			if hedged {
				c.h.outcomes.WithLabelValues("failed").Inc()
			}
			if c.failed != nil && ctx.Err() == nil {
				c.failed(node)
			}
			return nil, firstErr
		}
	}
}

// timed runs one node's search and records how long a success took.
func (c hedgedCaller) timed(ctx context.Context, node string, req index.RemoteRequest) (*bleve.SearchResult, error) {
	start := time.Now()
	res, err := c.peer.Search(ctx, node, req)
	if err == nil {
		c.h.latency.Observe(node, time.Since(start))
	}
	return res, err
}

// fanOut asks every node of groups for its partitions and merges the
// answers; it fails if any of them fails.
func (c hedgedCaller) fanOut(ctx context.Context, groups map[string][]int, req index.RemoteRequest) (*bleve.SearchResult, error) {
	type part struct {
		node string
		res  *bleve.SearchResult
		err  error
	}
	ch := make(chan part, len(groups))
	for node, ps := range groups {
		r := req
		r.Partitions = ps
		go func() {
			res, err := c.timed(ctx, node, r)
			ch <- part{node: node, res: res, err: err}
		}()
	}
	var merged *bleve.SearchResult
	for range groups {
		p := <-ch
		switch {
		case p.err != nil:
			return nil, fmt.Errorf("hedge to %s: %w", p.node, p.err)
		case p.res == nil:
			return nil, fmt.Errorf("hedge to %s: no answer", p.node)
		case merged == nil:
			merged = p.res
		default:
			if merged.Status == nil {
				merged.Status = &bleve.SearchStatus{Errors: map[string]error{}}
			}
			if p.res.Status == nil {
				p.res.Status = &bleve.SearchStatus{Errors: map[string]error{}}
			}
			merged.Merge(p.res)
		}
	}
	return merged, nil
}
