// Package auth is the home of DistriSearch's security building blocks. Each
// subpackage has one job:
//
//   - auth/rbac: pure policy — roles, permissions, the endpoint permission
//     table and per-share visibility. No I/O, no clock.
//   - auth/token: JWT bearer tokens — issuing, verifying with an algorithm
//     allow-list, key rotation by kid, revocation hook.
//   - auth/ratelimit: keyed token buckets with bounded memory and an
//     net/http middleware answering 429 with Retry-After.
//
// Users and password hashes live in the control plane (package cluster);
// the API wires these blocks together. docs/security.md states the threat
// model and what each block guarantees.
package auth
