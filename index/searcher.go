package index

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/highlight/highlighter/html"

	"github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/index/query"
)

// Searcher searches a set of partitions as one index. Any bleve.Index can
// be a partition: a local *Index's Bleve(), or a wrapper around a remote
// node that implements Name and SearchInContext and forwards
// search.PreSearchKey (see the package documentation). Partition names
// must be unique. A Searcher holds no goroutines and is safe for
// concurrent use; NewSearcher is cheap, so a gateway may build one per
// request with the partitions it chose.
type Searcher struct {
	opts  SearchOptions
	parts []bleve.Index
	b     *builder
}

// NewSearcher returns a Searcher over parts.
func NewSearcher(opts SearchOptions, parts ...bleve.Index) (*Searcher, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("index: a searcher needs at least one partition")
	}
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		if p.Name() == "" || seen[p.Name()] {
			return nil, fmt.Errorf("index: partition name %q is empty or not unique", p.Name())
		}
		seen[p.Name()] = true
	}
	m, err := analysisMapping()
	if err != nil {
		return nil, fmt.Errorf("index: mapping: %w", err)
	}
	b, err := newBuilder(m, opts)
	if err != nil {
		return nil, err
	}
	return &Searcher{opts: opts, parts: parts, b: b}, nil
}

// analysisMapping returns the mapping whose analyzers build queries. It
// is built once: analyzers are immutable and safe for concurrent use.
var analysisMapping = sync.OnceValues(NewMapping)

// Search runs one page of a search. now resolves relative dates and the
// modified facet; the deadline comes from ctx (and SearchOptions.Timeout).
// Relevance is always best first; Desc orders the modified, size and name
// sorts. Limit 0 means SearchOptions.DefaultLimit.
//
// Partitions that fail are left out and named in Partitions.Missing, and
// the result is flagged Partial; when none answers, Search fails with
// KindUnavailable. Bad input fails with KindInvalid and the codes
// "bad_query", "bad_cursor", "bad_sort", "bad_limit" or
// "query_too_expensive".
func (s *Searcher) Search(ctx context.Context, req distrisearch.SearchRequest, now time.Time) (distrisearch.SearchResult, error) {
	var res distrisearch.SearchResult
	limit := req.Limit
	if limit == 0 {
		limit = s.opts.DefaultLimit
	}
	if limit < 1 || limit > distrisearch.MaxLimit {
		return res, &distrisearch.Error{
			Kind: distrisearch.KindInvalid, Code: "bad_limit", Op: "index.Search",
			Message: fmt.Sprintf("limit %d is out of range 1..%d", req.Limit, distrisearch.MaxLimit),
		}
	}
	ord, err := orderFor(req.Sort, req.Desc)
	if err != nil {
		return res, err
	}
	tree, err := query.Parse(req.Query, now)
	if err != nil {
		return res, err
	}
	br := bleve.NewSearchRequestOptions(scoped(s.b.build(tree), req.Scope), limit+1, 0, false)
	br.Sort = ord.sorts
	br.Fields = storedFields
	if req.Cursor != "" {
		if br.SearchAfter, err = decodeCursor(req.Cursor, ord, req.Query); err != nil {
			return res, err
		}
	}
	if req.Highlight {
		br.Highlight = bleve.NewHighlightWithStyle(html.Name)
		br.Highlight.Fields = snippetFields
	}
	if req.Facets {
		addFacets(br, s.opts.FacetSize, now)
	}

	if s.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.opts.Timeout)
		defer cancel()
	}
	ctx = context.WithValue(ctx, search.MaxTermSearchersKey, s.opts.MaxTermSearchers)
	// The first page in relevance order is searched by score alone: the
	// file-id tie-break makes bleve load the id of every matching file,
	// which costs a third of the search. The page is then the same unless
	// its last hit ties with the next one; only then is the search run
	// again with the full order.
	_, all := tree.(*query.All)
	byScore := ord.key == distrisearch.SortRelevance && req.Cursor == "" && !all
	if byScore {
		br.Sort = search.SortOrder{&search.SortScore{Desc: true}}
	}
	sr, failed := s.run(ctx, br)
	if err := s.check(ctx, sr, failed); err != nil {
		return res, err
	}
	if byScore {
		if len(sr.Hits) > limit && sr.Hits[limit-1].Score == sr.Hits[limit].Score {
			took := sr.Took
			br.Sort = ord.sorts
			sr, failed = s.run(ctx, br)
			if err := s.check(ctx, sr, failed); err != nil {
				return res, err
			}
			sr.Took += took
		} else {
			sort.SliceStable(sr.Hits, func(i, j int) bool {
				a, b := sr.Hits[i], sr.Hits[j]
				return a.Score > b.Score || a.Score == b.Score && a.ID < b.ID
			})
		}
	}

	res.Total = sr.Total
	res.Hits = make([]distrisearch.Hit, 0, min(len(sr.Hits), limit))
	for i, d := range sr.Hits {
		if i == limit {
			last := sr.Hits[limit-1]
			res.NextCursor = encodeCursor(ord, req.Query, ord.after(last.Score, last.ID, last.DecodedSort))
			break
		}
		res.Hits = append(res.Hits, hit(d))
	}
	res.Facets = facets(sr.Facets)
	res.Took = sr.Took
	res.TookMS = float64(sr.Took.Microseconds()) / 1000
	res.Partitions = s.count(failed)
	res.Partial = res.Partitions.Answered < res.Partitions.Total
	return res, nil
}

// dataPartitions is implemented by the parts of a Searcher that answer for
// a set of data-plane partitions (ScopedPartitions, NewRemotePartitions,
// UnavailablePartitions): the result counts those partitions, and names
// each one that did not answer "partition N". A part without it, or with
// a nil set, counts as one partition named by its Name.
type dataPartitions interface{ DataPartitions() []int }

// count says how many partitions were asked and which did not answer.
func (s *Searcher) count(failed map[string]error) distrisearch.PartitionCount {
	var pc distrisearch.PartitionCount
	var missing []int
	for _, p := range s.parts {
		var set []int
		if d, ok := p.(dataPartitions); ok {
			set = d.DataPartitions()
		}
		k := max(len(set), 1)
		if set != nil {
			k = len(set)
		}
		pc.Total += k
		if _, bad := failed[p.Name()]; !bad {
			pc.Answered += k
			continue
		}
		if set == nil {
			pc.Missing = append(pc.Missing, p.Name())
		}
		missing = append(missing, set...)
	}
	sort.Strings(pc.Missing)
	sort.Ints(missing)
	for _, p := range missing {
		pc.Missing = append(pc.Missing, "partition "+strconv.Itoa(p))
	}
	return pc
}

// replicated reports whether parts are data-plane partitions answered by
// replicas (ScopedPartitions, NewRemotePartitions): then every node's index
// holds whole partitions, many of them replicas of the same data, and its
// own statistics are the coherent ones — bleve's BM25 takes a term's
// document frequency from the index that scores it, so summing the
// document counts of overlapping indexes would inflate every idf. Such
// searches skip the statistics round: one round trip instead of two.
func replicated(parts []bleve.Index) bool {
	for _, p := range parts {
		d, ok := p.(dataPartitions)
		if !ok || d.DataPartitions() == nil {
			return false
		}
	}
	return true
}

// run searches every partition with global BM25 statistics and returns
// the merged result and the partitions that failed. The statistics are
// gathered first (bleve's pre-search protocol); a partition that cannot
// give them is left out rather than failing the whole search.
func (s *Searcher) run(ctx context.Context, br *bleve.SearchRequest) (*bleve.SearchResult, map[string]error) {
	failed := map[string]error{}
	parts := s.parts
	if len(parts) > 1 && !replicated(parts) {
		var stats *search.BM25Stats
		stats, parts = preSearch(ctx, br, parts, failed)
		if len(parts) == 0 {
			return nil, failed
		}
		br.PreSearchData = map[string]any{search.BM25PreSearchDataKey: stats}
	}
	sr, err := bleve.NewIndexAlias(parts...).SearchInContext(ctx, br)
	if err != nil {
		for _, p := range parts {
			failed[p.Name()] = err
		}
		return nil, failed
	}
	if sr.Status != nil {
		for name, err := range sr.Status.Errors {
			failed[name] = err
		}
	}
	return sr, failed
}

// preSearch collects document counts and field statistics from every
// partition and sums them. It returns the partitions that answered.
func preSearch(ctx context.Context, br *bleve.SearchRequest, parts []bleve.Index, failed map[string]error) (*search.BM25Stats, []bleve.Index) {
	type answer struct {
		i     int
		stats *search.BM25Stats
		err   error
	}
	pctx := context.WithValue(ctx, search.PreSearchKey, true)
	ch := make(chan answer, len(parts))
	for i, p := range parts {
		go func() {
			r, err := p.SearchInContext(pctx, &bleve.SearchRequest{Query: br.Query})
			a := answer{i: i, err: err}
			if err == nil {
				switch {
				case r.Status != nil && len(r.Status.Errors) > 0:
					for _, e := range r.Status.Errors {
						a.err = e
						break
					}
				case r.BM25Stats == nil:
					a.err = fmt.Errorf("index: partition %s returned no statistics", p.Name())
				default:
					a.stats = r.BM25Stats
				}
			}
			ch <- a
		}()
	}
	total := &search.BM25Stats{FieldCardinality: map[string]int{}}
	ok := make([]bool, len(parts))
	for range parts {
		a := <-ch
		if a.err != nil {
			failed[parts[a.i].Name()] = a.err
			continue
		}
		ok[a.i] = true
		total.DocCount += a.stats.DocCount
		for f, c := range a.stats.FieldCardinality {
			total.FieldCardinality[f] += c
		}
	}
	// Filters run unscored, and bleve may merge their terms into one
	// searcher of the pseudo-field "*", which still looks up statistics
	// and fails without an entry (its score is never used).
	if _, ok := total.FieldCardinality["*"]; !ok {
		total.FieldCardinality["*"] = int(total.DocCount)
	}
	var answered []bleve.Index
	for i, p := range parts {
		if ok[i] {
			answered = append(answered, p)
		}
	}
	return total, answered
}
