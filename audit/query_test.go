package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
)

// queryLog holds 20 entries one minute apart: users u0..u3, actions
// alternating upload/download, resources a/..., b/..., every fifth denied.
func queryLog(t *testing.T, mut func(*Config)) (*Log, time.Time) {
	clk := newFakeClock()
	cfg := testConfig(t, clk)
	cfg.AnchorEvery = 100
	if mut != nil {
		mut(&cfg)
	}
	l := openLog(t, cfg)
	start := clk.Now()
	for i := 0; i < 20; i++ {
		e := Entry{
			UserID: fmt.Sprint("u", i%4), Username: fmt.Sprint("user", i%4),
			Action: ActionUpload, Resource: fmt.Sprintf("a/%02d", i), Result: ResultSuccess,
		}
		if i%2 == 1 {
			e.Action, e.Resource = ActionDownload, fmt.Sprintf("b/%02d", i)
		}
		if i%5 == 4 {
			e.Result = ResultDenied
		}
		if _, err := l.Append(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	return l, start
}

func seqs(p Page) []uint64 {
	out := make([]uint64, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = e.Seq
	}
	return out
}

func TestQueryFilters(t *testing.T) {
	l, start := queryLog(t, nil)
	at := func(i int) time.Time { return start.Add(time.Duration(i) * time.Minute) }
	for _, tc := range []struct {
		name string
		f    Filter
		want []uint64
	}{
		{"all newest first", Filter{Limit: 3}, []uint64{20, 19, 18}},
		{"user", Filter{UserID: "u1"}, []uint64{18, 14, 10, 6, 2}},
		{"username", Filter{Username: "user3"}, []uint64{20, 16, 12, 8, 4}},
		{"action", Filter{Action: ActionUpload, Limit: 4}, []uint64{19, 17, 15, 13}},
		{"result", Filter{Result: ResultDenied}, []uint64{20, 15, 10, 5}},
		{"resource prefix", Filter{ResourcePrefix: "b/1"}, []uint64{20, 18, 16, 14, 12}},
		{"since inclusive", Filter{Since: at(17)}, []uint64{20, 19, 18}},
		{"until exclusive", Filter{Until: at(3)}, []uint64{3, 2, 1}},
		{"range", Filter{Since: at(5), Until: at(8)}, []uint64{8, 7, 6}},
		{"combined", Filter{Action: ActionDownload, Result: ResultDenied}, []uint64{20, 10}},
		{"node", Filter{Node: "n2"}, []uint64{}},
	} {
		p, err := l.Query(context.Background(), tc.f)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := seqs(p); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestQueryPagination(t *testing.T) {
	l, _ := queryLog(t, nil)
	var got []uint64
	f := Filter{Limit: 3}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		p, err := l.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, seqs(p)...)
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if len(got) != 20 {
		t.Fatalf("got %d entries: %v", len(got), got)
	}
	for i, s := range got {
		if s != uint64(20-i) {
			t.Fatalf("page order %v", got)
		}
	}
	// Entries appended after the first page do not disturb later pages.
	p1, _ := l.Query(context.Background(), Filter{Limit: 5})
	appendN(t, l, 2, nil)
	p2, _ := l.Query(context.Background(), Filter{Limit: 5, Cursor: p1.Next})
	if fmt.Sprint(seqs(p2)) != "[15 14 13 12 11]" {
		t.Fatalf("second page %v", seqs(p2))
	}
}

func TestQueryScanBudget(t *testing.T) {
	l, _ := queryLog(t, func(c *Config) { c.MaxQueryScan = 4 })
	var got []uint64
	f := Filter{Result: ResultDenied}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		p, err := l.Query(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) > 4 {
			t.Fatalf("page of %d exceeds the scan budget", len(p.Entries))
		}
		got = append(got, seqs(p)...)
		if p.Next == "" {
			break
		}
		f.Cursor = p.Next
	}
	if fmt.Sprint(got) != "[20 15 10 5]" {
		t.Fatalf("got %v", got)
	}
}

func TestQueryRejectsBadInput(t *testing.T) {
	l, start := queryLog(t, nil)
	for name, f := range map[string]Filter{
		"limit too high":  {Limit: 1001},
		"negative limit":  {Limit: -1},
		"garbage cursor":  {Cursor: "!!!"},
		"short cursor":    {Cursor: "AAAA"},
		"inverted range":  {Since: start.Add(time.Hour), Until: start},
		"empty range":     {Since: start, Until: start},
		"oversize cursor": {Cursor: string(make([]byte, 200))},
	} {
		if _, err := l.Query(context.Background(), f); distrisearch.KindOf(err) != distrisearch.KindInvalid {
			t.Errorf("%s: err %v, want invalid", name, err)
		}
	}
}
