package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/ratelimit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/auth/token"
	"github.com/distrisearch/distrisearch/cluster"
)

// tokens builds the bearer-token issuer and verifier over the cluster's
// replicated signing keys and revocation set. It first waits until this
// node's metadata holds a signing key: at once on a voter, after the first
// metadata it follows on a joining member.
func (n *Node) tokens(ctx context.Context) (*token.Tokens, error) {
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for v := range n.cluster.Watch(wctx) {
		if _, ok := v.TokenKey(v.CurrentTokenKey); ok {
			break
		}
	}
	if err := wctx.Err(); err != nil {
		return nil, fmt.Errorf("no token signing key in the cluster metadata yet (is a coordinator reachable?): %w", err)
	}
	return token.New(token.DefaultConfig(), n.cluster.TokenKeys(), token.Options{
		Now:        n.cfg.Now,
		Revoked:    n.cluster.TokenRevoked,
		VoidBefore: n.cluster.TokensVoidBefore,
	})
}

// rateLimits builds the API's limiters from the configuration.
func (c RateLimits) set() (*ratelimit.Set, error) {
	rc := ratelimit.DefaultConfig()
	if c.PerIP > 0 {
		rc.PerIP = ratelimit.PerMinute(c.PerIP)
	}
	if c.PerUser > 0 {
		rc.PerUser = ratelimit.PerMinute(c.PerUser)
	}
	if c.Login > 0 {
		rc.Login = ratelimit.PerMinute(c.Login)
	}
	return ratelimit.NewSet(rc)
}

// openAudit opens this node's audit log (its own chain plus the copies of
// other nodes' chains it holds).
func (n *Node) openAudit() (*audit.Log, error) {
	cfg := audit.DefaultConfig()
	cfg.Path = filepath.Join(n.cfg.DataDir, "audit.db")
	cfg.NodeID = n.id
	cfg.Now = n.cfg.Now
	cfg.Logger = n.cfg.Logger.With("component", "audit", "node", n.id)
	return audit.Open(cfg)
}

// publicTLS is the public port's TLS configuration: the operator's
// certificate when given, else this node's certificate from the cluster CA
// (valid for its id, localhost, 127.0.0.1, ::1 and every --host).
func (n *Node) publicTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if n.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(n.cfg.TLSCert, n.cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("public TLS certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
		return cfg, nil
	}
	id := n.cluster.Identity()
	if id == nil {
		return nil, fmt.Errorf("public TLS: this node has no certificate from the cluster CA")
	}
	cfg.Certificates = []tls.Certificate{id.TLS}
	return cfg, nil
}

// accounts serves api.Accounts from the control plane.
type accounts struct{ c *cluster.Node }

var _ api.Accounts = accounts{}

func apiUser(u cluster.User) api.User {
	return api.User{ID: u.ID, Username: u.Username, Roles: u.Roles, Groups: u.Groups, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func (a accounts) Authenticate(ctx context.Context, username, password string) (api.User, error) {
	u, err := a.c.Authenticate(ctx, username, password)
	return apiUser(u), err
}

func (a accounts) ListUsers(ctx context.Context) ([]api.User, error) {
	us, err := a.c.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.User, len(us))
	for i, u := range us {
		out[i] = apiUser(u)
	}
	return out, nil
}

func (a accounts) AddUser(ctx context.Context, nu api.NewUser) (api.User, error) {
	u, err := a.c.AddUser(ctx, nu.Username, nu.Password, nu.Roles, nu.Groups)
	return apiUser(u), err
}

func (a accounts) UpdateUser(ctx context.Context, username string, ch api.UserChange) (api.User, error) {
	u, err := a.c.UpdateUser(ctx, username, cluster.UserChange{Password: ch.Password, Roles: ch.Roles, Groups: ch.Groups, Disabled: ch.Disabled})
	return apiUser(u), err
}

func (a accounts) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	return a.c.RevokeToken(ctx, jti, exp)
}

func (a accounts) RotateTokenKey(ctx context.Context, retireAt time.Time) (string, error) {
	return a.c.RotateTokenKey(ctx, retireAt)
}

// access is a list of shares and their ACLs: this node's configuration
// (newAccess), or every node's (Node.access).
type access struct {
	shares []api.SharePolicy
}

func newAccess(nodeID string, shares []ShareConfig) access {
	a := access{}
	for _, s := range shares {
		a.shares = append(a.shares, api.SharePolicy{Node: nodeID, Share: s.Name,
			ACL: rbac.ACL{Roles: s.Roles, Groups: s.Groups}})
	}
	return a
}

func (a access) Shares() []api.SharePolicy { return a.shares }

// access returns every share of the cluster with its ACL: this node's
// from its configuration, the other nodes' from the share registry in
// the Raft state (each node registers its own at start, see
// registerShares), so that a node holding replicas of another node's
// files applies that node's rules to them, even while it is down. A
// share missing from the registry is visible to administrators only.
func (n *Node) access() access {
	a := newAccess(n.id, n.cfg.accessShares())
	for id, shares := range n.cluster.View().Shares {
		if id == n.id {
			continue
		}
		for _, s := range shares {
			a.shares = append(a.shares, api.SharePolicy{Node: id, Share: s.Name, ACL: rbac.ACL{Roles: s.Roles, Groups: s.Groups}})
		}
	}
	return a
}

// clusterAccess serves api.Access with Node.access.
type clusterAccess struct{ n *Node }

func (c clusterAccess) Shares() []api.SharePolicy { return c.n.access().shares }

// registerShares writes this node's shares and their ACLs to the share
// registry once the node is a registered member, retrying until it is
// committed or ctx ends.
func (n *Node) registerShares(ctx context.Context) {
	var shares []cluster.Share
	for _, s := range n.cfg.accessShares() {
		shares = append(shares, cluster.Share{Name: s.Name, Roles: s.Roles, Groups: s.Groups})
	}
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		err := n.cluster.WaitReady(ctx)
		if err == nil {
			err = n.cluster.SetShares(ctx, shares)
		}
		if err == nil || ctx.Err() != nil {
			return
		}
		n.log.Debug("registering shares", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// auditLockGrant records a lease lock this node obtained.
func (n *Node) auditLockGrant(l cluster.Lock) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := n.auditLog().Append(ctx, audit.Entry{UserID: "node:" + n.id, Username: n.id, Action: audit.ActionLockGrant,
		Resource: "lock:" + l.Name, Result: audit.ResultSuccess, Details: map[string]string{
			"owner": l.Owner, "fencing_token": strconv.FormatUint(l.Token, 10), "expires_at": l.ExpiresAt.UTC().Format(time.RFC3339Nano)}})
	if err != nil {
		n.log.Warn("lock grant not audited", "lock", l.Name, "err", err)
	}
}
