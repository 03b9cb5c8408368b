// Package distrisearch holds the domain types shared by every part of
// DistriSearch: file records, the search request and response, and the one
// error type whose kind the API maps to an HTTP status.
//
// The packages below it each have one job: extract turns bytes into text,
// index keeps bleve indexes, store persists records, scan walks and watches
// shares, api serves REST, node wires one node together, cluster runs the
// Raft control plane. None of them imports node or cmd.
package distrisearch
