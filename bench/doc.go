// Package bench measures DistriSearch against a bare bleve program on the
// same data: how fast files become searchable, how fast searches answer,
// and how well results rank (Cranfield). The distrisearch-bench command runs
// it; the figures go to docs/BENCHMARKS.md and docs/relevance.md.
//
// Contract:
//   - The product is measured only through its public API, as a Target
//     started by a Launcher: a single node today, a cluster's gateway later.
//     Requests go as a user's do: HTTPS trusting the cluster CA, with the
//     bearer token of a login (the launcher's login is part of the ingest
//     time); only the rate limits are lifted.
//     Ingest ends when every node reports its first walk done and a
//     match-all search through the target counts every file of the corpus.
//   - The baseline is a bare bleve index (scorch, BM25, the "en" analyzer)
//     built in-process from text extracted once, up front, with package
//     extract; its timing covers indexing only. The product's timing covers
//     everything from Start: walking, hashing, extraction, storage and
//     indexing. Extraction alone is timed separately.
//   - The cluster benchmark (RunCluster) compares a GatewayCluster — data
//     nodes that each share a contiguous part of the corpus (SplitDocs),
//     searched through a gateway that stores nothing — with one node on
//     the same files. Its ingest ends when a match-all search through the
//     gateway counts every file; search latency runs through both APIs,
//     interleaved; top-10 lists are compared by file path, and nDCG@10 on
//     Cranfield through both.
//   - Ratios compare figures measured in the same run on the same files.
//   - Every run writes into a fresh work directory and removes it unless
//     asked to keep it; nothing outside it and the chosen report file is
//     written. Network traffic stays on 127.0.0.1.
//
// The pure parts (percentiles, query translation, report sections) are
// separate functions tested with tables; the runners do the I/O.
package bench
