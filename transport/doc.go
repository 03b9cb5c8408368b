// Package transport carries node-to-node traffic over mutual TLS 1.3.
//
// One internal port per node serves three protocols, chosen by ALPN during
// the TLS handshake (see Mux):
//   - ProtoRaft: the Raft stream layer (mutual TLS);
//   - ProtoHTTP: the internal HTTP API (mutual TLS);
//   - ProtoJoin: the join endpoint, the only one reachable without a client
//     certificate; the joining node authenticates the server by the CA hash
//     pinned in its join token.
//
// Plaintext, TLS below 1.3, certificates from another CA and expired
// certificates are refused during the handshake. Client is an HTTP client
// with per-attempt timeouts, a circuit breaker per peer, and retries limited
// to idempotent requests (or to failures where the request never left).
package transport
