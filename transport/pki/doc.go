// Package pki issues and checks the cluster's identities: a cluster
// certificate authority (ECDSA P-256), node certificates signed by it from a
// certificate signing request, and join tokens.
//
// Contract:
//   - A CA is created once, by `init`. Its private key never leaves the
//     processes that hold the cluster metadata (see package cluster).
//   - A node generates its own key and sends only a CSR; the CA signs it with
//     the node id as common name, DNS name and URI (distrisearch://node/ID),
//     plus the hosts and IPs the node asked for, valid for client and server
//     authentication.
//   - A join token carries a token id, a random secret and the SHA-256 of the
//     CA certificate. The cluster stores only the secret's hash; comparison is
//     constant-time. The CA hash lets the joining node verify that it talks to
//     the real cluster before it has any certificate.
//
// The package does no network I/O; file helpers read and write PEM files in a
// directory given by the caller. Time is always passed in.
package pki
