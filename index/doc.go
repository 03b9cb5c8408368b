// Package index keeps the full-text index of DistriSearch: one bleve scorch
// index per partition, scored with BM25, and a Searcher that searches any
// set of partitions as one index.
//
// Contract:
//
//   - Open(dir, opts) opens or creates one partition; dir "" is an
//     in-memory scorch index. An index built with another MappingVersion
//     is refused with ErrIncompatible: rebuild it from the records.
//   - Index.Apply(puts, deletes) is one bleve batch, durable on disk when it
//     returns (scorch without unsafe_batch). Deletes win over puts of the
//     same id. File ids must satisfy distrisearch.IsFileID.
//   - Searcher.Search parses the query language (package index/query),
//     builds a bleve query that names its fields (never the _all field),
//     runs it over every partition with global statistics, and returns
//     one page of hits with snippets, facets and an opaque cursor.
//
// Analysis. Text fields (name, title, path words, content, metadata) use
// TextAnalyzer: words are joined across connectors (sync.Mutex, read_file,
// a/b.go, foo-bar) and emitted whole and in parts (sync, Mutex; parse,
// Config; HTTP, Server), then lower-cased, stop-worded and stemmed. The
// whole token takes the first part's position and the parts consecutive
// positions, so phrases work across both. Name, title and content have an
// exact twin (ExactAnalyzer: whole tokens, unstemmed) whose match adds to
// the score, so exact words and identifiers rank above sub-word and
// stemmed matches.
//
// Query semantics. Up to three plain terms must all match; longer queries
// need any two (MinShouldMatch). A term the analyzer splits (parseConfig)
// matches the whole token or its parts in sequence. Plain terms found next
// to each other add a proximity score. Filters (type:, ext:, share:,
// node:, path:, size:, modified:) restrict without scoring. Prefix and
// fuzzy expansion is bounded by SearchOptions.MaxTermSearchers per
// partition; beyond it the search fails with "query_too_expensive".
//
// Distribution. A partition is any bleve.Index: a local Index.Bleve(), or
// a wrapper for a remote node that implements Name and SearchInContext.
// With more than one partition the Searcher first asks each for its
// statistics (bleve's pre-search: SearchInContext with
// search.PreSearchKey set in the context, answered with
// SearchResult.BM25Stats), sums them, and sends them with the search
// (SearchRequest.PreSearchData, which serialises to JSON). A remote
// wrapper must therefore forward PreSearchKey, PreSearchData and the
// context deadline, and return Status.Errors for partitions it could not
// search. A partition that fails either phase is left out and named in
// the result's Partitions.Missing; the result is then Partial.
//
// Remote is that wrapper, over an injected Caller; Scoped restricts a
// partition to the shares a viewer may see (the access-control filter,
// applied by the node that holds the partition); Unavailable stands for a
// partition known to be out of reach. See DESIGN.md, "Cluster-wide search".
//
// See DESIGN.md in this directory for the measurements behind these
// choices.
package index
