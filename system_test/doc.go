// Package system runs the real distrisearch binary as several
// processes on 127.0.0.1 and checks what users rely on: a cluster forms,
// survives the loss of its leader, notices dead members and takes them back;
// every node serves HTTPS with a certificate of the cluster CA, and a token
// issued or revoked through one node counts on all of them.
//
// The tests talk to the nodes as a client does: over HTTPS trusting the
// cluster CA, as the administrator (whose password init and the nodes get
// from DISTRISEARCH_ADMIN_PASSWORD), with the API's rate limits lifted for
// their polling.
package system
