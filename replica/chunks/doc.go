// Package chunks is the file-content half of the data plane: a
// content-addressed chunk store on local disk, content-defined chunking,
// file manifests, and the replication of chunks to the replica set of the
// partition that owns a file's record key.
//
// Contract:
//   - A chunk is named by the SHA-256 of its bytes (Hash). The store
//     acknowledges a chunk only after its bytes, its name and its directory
//     entry are fsynced; writing a chunk it already holds is a no-op
//     (deduplication per node).
//   - Every read verifies the bytes against the name. A chunk that no
//     longer matches is moved to quarantine, reported as ErrCorrupt and
//     never served; readers then fetch it from another replica.
//   - A Manifest is the ordered list of (hash, size) of a file's chunks
//     plus the whole file's SHA-256 and size. Its binary and JSON codecs
//     are bounded (MaxManifestChunks) and canonical, so a file record can
//     carry it.
//   - Service.PutStream streams a file: it is chunked, and every chunk is
//     sent to every replica of the record key's partition; it returns
//     after W replicas (replica/quorum) stored every chunk durably. Memory
//     is bounded by Config.Window chunks, never the whole file.
//   - Service.Open serves a manifest's bytes from local chunks, fetching
//     missing or corrupt ones from other replicas (each verified), chunk by
//     chunk, seekable for HTTP Range.
//
// See DESIGN.md for the choices and the measured figures.
package chunks
