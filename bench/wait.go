package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/index/query"
)

// WaitOptions tune WaitSearchable.
type WaitOptions struct {
	// Poll is the time between two checks; 0 means 50 ms.
	Poll time.Duration
	// Stall: give up when every node is ready and the searchable count has
	// not changed for this long; 0 means 60 s.
	Stall time.Duration
}

func (o WaitOptions) withDefaults() WaitOptions {
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.Stall <= 0 {
		o.Stall = 60 * time.Second
	}
	return o
}

// WaitSearchable returns once every node of t reports its first walk done
// and a match-all search through t.SearchURL counts exactly want files.
// It fails when the count goes past want, when it stalls below want, or
// when ctx ends; the error then carries the nodes' scan progress.
func WaitSearchable(ctx context.Context, t Target, want uint64, o WaitOptions) error {
	o = o.withDefaults()
	search, err := client.NewWithOptions(t.SearchURL(), t.ClientOptions())
	if err != nil {
		return err
	}
	var nodes []*client.Client
	for _, u := range t.NodeURLs() {
		c, err := client.NewWithOptions(u, t.ClientOptions())
		if err != nil {
			return err
		}
		nodes = append(nodes, c)
	}
	var last uint64
	lastChange := time.Now()
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	for {
		ready, err := allReady(ctx, nodes)
		if err != nil {
			return err
		}
		if ready {
			n, err := countAll(ctx, search)
			if err != nil {
				return err
			}
			switch {
			case n == want:
				return nil
			case n > want:
				return fmt.Errorf("%d files searchable, more than the %d of the corpus", n, want)
			case n != last:
				last, lastChange = n, time.Now()
			case time.Since(lastChange) > o.Stall:
				return fmt.Errorf("stuck at %d of %d files searchable for %s: %s", n, want, o.Stall, progress(ctx, nodes))
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %d files: %w (%s)", want, ctx.Err(), progress(context.WithoutCancel(ctx), nodes))
		case <-tick.C:
		}
	}
}

func allReady(ctx context.Context, nodes []*client.Client) (bool, error) {
	for _, c := range nodes {
		st, err := c.Status(ctx)
		if err != nil {
			return false, fmt.Errorf("status of %s: %w", c.BaseURL(), err)
		}
		if !st.Ready {
			return false, nil
		}
	}
	return true, nil
}

// countAll returns the number of searchable files: the total of a
// match-all search.
func countAll(ctx context.Context, c *client.Client) (uint64, error) {
	res, err := c.Search(ctx, ds.SearchRequest{Query: "*", Limit: 1})
	if err != nil {
		return 0, fmt.Errorf("match-all search: %w", err)
	}
	if res.Partial {
		return 0, nil // not every partition answered: not done
	}
	return res.Total, nil
}

// progress summarises the nodes' scan state for an error message.
func progress(ctx context.Context, nodes []*client.Client) string {
	out := ""
	for _, c := range nodes {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		st, err := c.Status(ctx)
		cancel()
		if err != nil {
			out += fmt.Sprintf("[%s: %v] ", c.BaseURL(), err)
			continue
		}
		scan, _ := json.Marshal(st.Scan)
		if len(scan) > 2000 {
			scan = append(scan[:2000], "..."...)
		}
		out += fmt.Sprintf("[%s: ready=%v files=%d scan=%s] ", c.BaseURL(), st.Ready, st.Files, scan)
	}
	return out
}

// VerifyPaths checks through a path: search that each path (relative to
// the share) is searchable as exactly one file, and returns the paths that
// are not.
func VerifyPaths(ctx context.Context, c *client.Client, paths []string) (missing []string, err error) {
	for _, p := range paths {
		q := (&query.Path{Value: p}).String()
		res, err := c.Search(ctx, ds.SearchRequest{Query: q, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", q, err)
		}
		if res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].Path != p {
			missing = append(missing, p)
		}
	}
	return missing, nil
}
