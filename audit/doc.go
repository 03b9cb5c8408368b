// Package audit is DistriSearch's tamper-evident audit log of sensitive
// operations (logins, uploads, deletes, downloads, user, role and config
// changes, lock grants, backups).
//
// Contract:
//   - A Log is one bbolt file opened by one process. Append is durable when
//     it returns: the entry is in a committed, fsynced transaction (unless
//     Config.NoSync). Concurrent appenders share transactions (group commit)
//     without a background goroutine: one of them commits the queue for all.
//   - Entries form a hash chain per node: hash = sha256(prev_hash ||
//     canonical encoding), the canonical encoding being the length-prefixed
//     binary form documented in DESIGN.md and implemented in codec.go.
//   - Every entry carries a globally unique id, the node that recorded it and
//     a per-node sequence number that never goes back, so copies of the log
//     can later be merged across nodes without ambiguity.
//   - Entries and Ingest copy chains between nodes: Ingest accepts another
//     node's entries only if each matches its hash and extends the stored
//     copy, so a store holds its own chain and replicas of others.
//   - Verify walks every chain and reports the first broken link (edited,
//     deleted, reordered entries; a truncated tail when an anchor records a
//     later head). What it cannot detect is listed in DESIGN.md.
//   - User-controlled text is stored as given (invalid UTF-8 replaced, each
//     field bounded in length) and escaped whenever it is rendered as text:
//     String never emits control characters, CR/LF or ANSI escapes raw.
//     JSON produced by encoding/json escapes them too.
//   - Prune deletes entries older than the retention (90 days by default)
//     from the start (oldest end) of a chain only, and records the hash of the last pruned
//     entry as the chain's checkpoint, so the rest still verifies.
//   - Time comes from Config.Now; the only goroutine (periodic pruning)
//     starts in Start and Close waits for it.
package audit
