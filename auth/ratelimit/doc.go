// Package ratelimit limits request rates with keyed token buckets.
//
// Contract:
//   - A Limiter holds one token bucket per key (an IP, a user id, a login
//     name). A bucket of capacity Burst refills at Rate tokens per Per; a
//     request takes one token. Allow(key, now) answers whether the request
//     may go on and, if not, how long until a token is back.
//   - Time is an argument: nothing here reads the clock except the HTTP
//     middleware, which uses the clock it is given.
//   - Memory is bounded: at most MaxKeys buckets. Past that the least
//     recently used bucket is dropped. A dropped bucket comes back full,
//     which is what an unknown key gets anyway, so rotating keys (many IPs)
//     buys an attacker nothing it did not have; see docs/security.md for
//     why evicting a drained bucket needs more traffic than the other
//     limiters let through.
//   - Limits are per process: with several gateways, a client spread over
//     all of them gets up to N times the limit (docs/security.md).
//   - Middleware answers 429 with Retry-After (whole seconds, at least 1)
//     and the API's error body {"error":{"code":"rate_limited",...}}.
//
// The buckets are hand-written rather than golang.org/x/time/rate: that
// package's Allow reads the wall clock, its Reserve-and-Cancel dance is
// needed to compute a retry delay without spending a token, and it brings
// no memory bound; a bucket here is two fields and one division.
package ratelimit
