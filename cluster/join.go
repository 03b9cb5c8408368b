package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/distrisearch/distrisearch/transport"
	"github.com/distrisearch/distrisearch/transport/pki"
)

type joinRequest struct {
	Token  string `json:"token"`
	NodeID string `json:"node_id"`
	CSR    []byte `json:"csr"`
}

type joinResponse struct {
	Cert      []byte   `json:"cert"`
	CA        []byte   `json:"ca"`
	ClusterID string   `json:"cluster_id"`
	Peers     []string `json:"peers"`
}

// enroll obtains a node certificate through the member at seed: it sends a
// CSR and the join token over TLS, trusting the server only if it presents
// the CA pinned in the token, and saves the identity in the data directory.
func (n *Node) enroll(ctx context.Context, seed, token string) (*pki.Identity, error) {
	tok, err := pki.ParseJoinToken(token)
	if err != nil {
		return nil, fmt.Errorf("join: %w", ErrBadJoinToken)
	}
	host, _, _ := net.SplitHostPort(n.advertise)
	keyPEM, csrPEM, err := pki.NewCSR(n.id, append([]string{host}, n.cfg.Hosts...))
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	body, _ := json.Marshal(joinRequest{Token: token, NodeID: n.id, CSR: csrPEM})
	hc := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return transport.DialTLS(ctx, n.deps.Dial, addr, transport.PinnedClientConfig(tok.CAHash, n.now))
		},
	}}
	defer hc.CloseIdleConnections()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	var resp joinResponse
	for {
		err = postJoin(ctx, hc, seed, body, &resp)
		if err == nil || errors.Is(err, ErrBadJoinToken) || errors.Is(err, transport.ErrCAPinMismatch) || errors.Is(err, ErrInvalid) {
			break
		}
		n.log.Info("join attempt failed, retrying", "seed", seed, "err", err)
		if !sleepCtx(ctx, 500*time.Millisecond) {
			return nil, fmt.Errorf("join through %s: %w", seed, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("join through %s: %w", seed, err)
	}
	ca, err := pki.ParseCertPEM(resp.CA)
	if err != nil || sha256.Sum256(ca.Raw) != tok.CAHash {
		return nil, fmt.Errorf("join: %w", transport.ErrCAPinMismatch)
	}
	id, err := pki.ParseIdentity(resp.Cert, keyPEM, resp.CA)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if id.NodeID != n.id {
		return nil, fmt.Errorf("join: certificate names %q, not %q", id.NodeID, n.id)
	}
	if err := id.Save(tlsPath(n.cfg.DataDir)); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	n.peers.add(seed)
	for _, p := range resp.Peers {
		n.peers.add(p)
	}
	n.log.Info("joined cluster", "cluster", resp.ClusterID, "seed", seed)
	return id, nil
}

func postJoin(ctx context.Context, hc *http.Client, seed string, body []byte, out *joinResponse) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+seed+pathEnroll, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return decodeStatusError(&transport.StatusError{Status: resp.StatusCode, Body: raw})
	}
	return json.Unmarshal(raw, out)
}

// joinRoutes serves the join endpoint (ProtoJoin: no client certificate).
// The receiving member forwards the request to the leader over mutual TLS.
func (n *Node) joinRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+pathEnroll, func(w http.ResponseWriter, r *http.Request) {
		var req joinRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
			n.writeErr(w, fmt.Errorf("%w: %v", ErrInvalid, err))
			return
		}
		var resp joinResponse
		ctx, cancel := context.WithTimeout(r.Context(), 2*n.cfg.ApplyTimeout)
		defer cancel()
		err := n.leaderCall(ctx, func() error {
			var e error
			resp, e = n.signJoin(req)
			return e
		}, http.MethodPost, pathJoin, req, &resp, true)
		if err != nil {
			n.log.Info("join refused", "node", req.NodeID, "remote", r.RemoteAddr, "err", err)
			n.writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
	return mux
}

func (n *Node) handleJoin(w http.ResponseWriter, r *http.Request) {
	var req joinRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		n.writeErr(w, fmt.Errorf("%w: %v", ErrInvalid, err))
		return
	}
	resp, err := n.signJoin(req)
	if err != nil {
		n.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// signJoin checks a join token against the hashes in the metadata (in
// constant time, with expiry by this leader's clock) and signs the CSR with
// the cluster CA.
func (n *Node) signJoin(req joinRequest) (joinResponse, error) {
	if !n.IsLeader() {
		return joinResponse{}, ErrNotLeader
	}
	tok, err := pki.ParseJoinToken(req.Token)
	if err != nil {
		return joinResponse{}, ErrBadJoinToken
	}
	caCert, caKey, tokens := n.fsm.secrets()
	rec, ok := tokens[tok.ID]
	now := n.now()
	if !ok || !rec.ExpiresAt.After(now) || !pki.SecretMatches(tok.Secret, rec.Hash) {
		return joinResponse{}, ErrBadJoinToken
	}
	ca, err := pki.ParseCA(caCert, caKey)
	if err != nil {
		return joinResponse{}, fmt.Errorf("join: cluster ca: %w", err)
	}
	if ca.Fingerprint() != tok.CAHash {
		return joinResponse{}, ErrBadJoinToken
	}
	v := n.View()
	if m, ok := v.Member(req.NodeID); ok && m.Status == StatusAlive {
		return joinResponse{}, fmt.Errorf("%w: node id %s belongs to a live member", ErrInvalid, req.NodeID)
	}
	cert, err := ca.SignCSR(req.CSR, req.NodeID, nil, now, 0)
	if err != nil {
		return joinResponse{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	resp := joinResponse{Cert: cert, CA: caCert, ClusterID: v.Config.ClusterID}
	for _, m := range v.Members {
		if m.Voter && m.Status != StatusLeft {
			resp.Peers = append(resp.Peers, m.InternalAddr)
		}
	}
	n.log.Info("node certificate issued", "node", req.NodeID)
	return resp, nil
}

// CreateJoinToken makes a new join token valid for ttl and stores its hash
// in the metadata (through the leader). The returned string is shown to the
// operator once; the cluster cannot show it again.
func (n *Node) CreateJoinToken(ctx context.Context, ttl time.Duration) (string, time.Time, error) {
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	tok, err := pki.NewJoinToken(sha256.Sum256(n.identity.CA.Raw))
	if err != nil {
		return "", time.Time{}, err
	}
	now := n.now().UTC()
	rec := tokenRecord{ID: tok.ID, Hash: tok.SecretHash(), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if _, err := n.apply(ctx, opTokenAdd, rec); err != nil {
		return "", time.Time{}, fmt.Errorf("create join token: %w", err)
	}
	return tok.String(), rec.ExpiresAt, nil
}
