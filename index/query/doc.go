// Package query parses the DistriSearch query language into an abstract
// syntax tree. It is pure: no I/O, no clock (relative dates are resolved
// against a now passed by the caller), no dependency on the search engine.
//
// Contract:
//   - Parse never panics; on bad input it returns a *distrisearch.Error of
//     kind KindInvalid with code "bad_query" whose message names the
//     position (1-based, in characters) and the problem. The underlying
//     *SyntaxError is reachable with errors.As.
//   - The tree is canonical: Node.String() prints a query that parses back
//     to an equal tree, so String() is a fixed point after one round.
//   - Inputs are bounded: MaxQueryBytes bytes, MaxClauses leaf clauses,
//     MaxDepth nested parentheses, fuzzy distance at most MaxFuzzy, and no
//     leading wildcards.
//
// The language is described for users in docs/query-language.md. In short:
// terms separated by spaces must all match (for long queries most of them,
// see the index package), "phrases" match in order, prefix* and fuzzy~N
// widen a term, +term requires and -term excludes, a OR b matches either
// (OR binds tighter than the implicit AND), parentheses group, and field
// filters (type:, ext:, size:, modified:, path:, share:, node:) restrict
// the results while name:, title: and content: restrict a term to a field.
package query
