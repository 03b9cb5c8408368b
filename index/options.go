package index

import (
	"fmt"
	"time"
)

// Options configure one partition index.
type Options struct {
	// Name identifies the partition in a Searcher; the result names missing
	// partitions by it. Empty means the base name of the directory, or
	// "memory" for an in-memory index.
	Name string
	// MaxContentBytes caps the extracted text indexed for one file;
	// longer text is cut at a character boundary.
	MaxContentBytes int
	// Text gives the extracted text of a file for content snippets (the
	// index does not store it); nil: searches have no content snippets.
	Text TextSource
	// PartitionOf gives the data-plane partition of a record key; each
	// document then carries it, and ScopedPartitions can search a subset
	// of partitions. nil: documents carry no partition.
	PartitionOf func(key string) int
}

// DefaultOptions returns the options used when nothing is configured.
func DefaultOptions() Options {
	return Options{MaxContentBytes: 8 << 20}
}

// Validate reports whether the options can be used.
func (o Options) Validate() error {
	if o.MaxContentBytes <= 0 || o.MaxContentBytes > 1<<30 {
		return fmt.Errorf("index: MaxContentBytes %d out of range 1..%d", o.MaxContentBytes, 1<<30)
	}
	if len(o.Name) > 200 {
		return fmt.Errorf("index: Name is %d bytes; the limit is 200", len(o.Name))
	}
	return nil
}

// SearchOptions configure a Searcher.
type SearchOptions struct {
	// MaxTermSearchers bounds the term lookups one query may make in one
	// partition, counting every word a prefix or fuzzy term expands to. A
	// query over the bound fails with code "query_too_expensive".
	MaxTermSearchers int
	// FacetSize is the number of buckets of a term facet (type, ext,
	// share, node).
	FacetSize int
	// DefaultLimit is the page size when a request leaves Limit at 0.
	DefaultLimit int
	// Boosts weigh the fields a plain term searches.
	Boosts Boosts
	// MinShould says how many of the plain terms of a query a document
	// must match; see MinShouldMatch.
	MinShould func(terms int) int
	// Timeout bounds a search when the caller's context has no earlier
	// deadline; 0 means no bound of its own.
	Timeout time.Duration
}

// Boosts are the weights of the fields searched by a plain term. An exact
// (unstemmed, whole-token) match adds Exact times the field's weight, and
// the plain terms of a query found next to each other, in order, add
// Phrase times the field's weight. In a query of more than eight plain
// terms, each pair of neighbouring terms found next to each other adds
// Bigram times the field's weight instead.
type Boosts struct {
	Name, Title, Path, Content, Meta, Exact, Phrase, Bigram float64
}

// DefaultSearchOptions returns the options used when nothing is configured.
func DefaultSearchOptions() SearchOptions {
	return SearchOptions{
		MaxTermSearchers: 4096,
		FacetSize:        10,
		DefaultLimit:     20,
		Boosts:           Boosts{Name: 2, Title: 0.5, Path: 1, Content: 1, Meta: 0.5, Exact: 0.25, Phrase: 1, Bigram: 0.75},
		MinShould:        MinShouldMatch,
	}
}

// Validate reports whether the options can be used.
func (o SearchOptions) Validate() error {
	switch {
	case o.MaxTermSearchers < 1:
		return fmt.Errorf("index: MaxTermSearchers must be positive")
	case o.FacetSize < 1 || o.FacetSize > 1000:
		return fmt.Errorf("index: FacetSize %d out of range 1..1000", o.FacetSize)
	case o.DefaultLimit < 1:
		return fmt.Errorf("index: DefaultLimit must be positive")
	case o.MinShould == nil:
		return fmt.Errorf("index: MinShould is nil")
	case o.Timeout < 0:
		return fmt.Errorf("index: Timeout is negative")
	}
	b := o.Boosts
	for _, w := range []float64{b.Name, b.Title, b.Path, b.Content, b.Meta, b.Exact, b.Phrase, b.Bigram} {
		if w < 0 {
			return fmt.Errorf("index: negative boost in %+v", b)
		}
	}
	return nil
}

// MinShouldMatch is the default "AND-ish" rule. A query of up to three
// plain terms is a set of keywords: a document must match all of them, as
// in a web search engine. A longer query reads like a question, whose
// relevant documents often use other words for some of its terms: any two
// must match. Results are ranked by BM25 either way, so documents that
// match more terms come first. (On Cranfield, requiring a quarter of a
// long query's terms cost 0.01 nDCG@10 and 0.03 MAP; three quarters made
// the search useless.)
func MinShouldMatch(terms int) int {
	if terms <= 3 {
		return terms
	}
	return 2
}
