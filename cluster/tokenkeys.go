package cluster

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/distrisearch/distrisearch/auth/token"
)

// TokenKey is a user token signing key as the cluster keeps it. Every member
// follows the keys, private halves included, because every gateway signs
// and verifies tokens: members are trusted, each having proved a node
// certificate from the cluster CA, and the keys travel only over mutual
// TLS between members (Raft and the internal state endpoint). Password
// hashes and the CA key, in contrast, stay on the voters.
type TokenKey struct {
	ID        string             `json:"id"`
	Alg       token.Alg          `json:"alg"` // EdDSA
	Private   ed25519.PrivateKey `json:"private"`
	Public    ed25519.PublicKey  `json:"public"`
	CreatedAt time.Time          `json:"created_at"`
	// RetireAt is set when the key stops being current: from then on the
	// tokens it signed are refused, and the key is forgotten.
	RetireAt time.Time `json:"retire_at,omitzero"`
}

func (k TokenKey) validate() error {
	return k.token().Validate()
}

// token returns k as package token uses it.
func (k TokenKey) token() token.Key {
	return token.Key{ID: k.ID, Alg: k.Alg, Private: k.Private, Public: k.Public, RetireAt: k.RetireAt}
}

// newTokenKey generates a new Ed25519 key (on the proposer: the state
// machine never draws randomness).
func newTokenKey() (TokenKey, error) {
	k, err := token.GenerateEd25519(nil)
	if err != nil {
		return TokenKey{}, err
	}
	return TokenKey{ID: k.ID, Alg: k.Alg, Private: k.Private, Public: k.Public}, nil
}

// TokenKeys returns the cluster's token keys as a token.KeySource. It reads
// this node's current view on every call, so a rotation committed anywhere
// takes effect here as soon as the view has it.
func (n *Node) TokenKeys() token.KeySource { return clusterKeys{n} }

// clusterKeys is the KeySource over a node's view.
type clusterKeys struct{ n *Node }

var _ token.KeySource = clusterKeys{}

// SigningKey returns the current key.
func (c clusterKeys) SigningKey() (token.Key, error) {
	v := c.n.View()
	k, ok := v.TokenKey(v.CurrentTokenKey)
	if !ok {
		return token.Key{}, ErrNoTokenKey
	}
	return k.token(), nil
}

// VerificationKey returns the key named kid, without its private half, if
// it is kept and its retire time has not passed by the node's clock.
func (c clusterKeys) VerificationKey(kid string) (token.Key, bool) {
	k, ok := c.n.View().TokenKey(kid)
	if !ok || (!k.RetireAt.IsZero() && c.n.now().After(k.RetireAt)) {
		return token.Key{}, false
	}
	return k.token().VerifyOnly(), true
}

// RotateTokenKey makes a new Ed25519 key current; the previous current key
// keeps verifying until retireAt, which should be at least now + token TTL
// + leeway so no token it signed is cut short (a time already past retires
// it at once: an emergency rotation after a leak). retireAt may be at most
// MaxRetireAhead away. It returns the new key's id.
func (n *Node) RotateTokenKey(ctx context.Context, retireAt time.Time) (string, error) {
	if retireAt.IsZero() || retireAt.After(n.now().Add(MaxRetireAhead)) {
		return "", detail(ErrBadRetireAt, "the previous key's retire time is required and may be at most %v ahead", MaxRetireAhead)
	}
	k, err := newTokenKey()
	if err != nil {
		return "", fmt.Errorf("rotate token key: %w", err)
	}
	if _, err := n.apply(ctx, opTokenKey, tokenKeyCmd{Key: k, RetireAt: retireAt}); err != nil {
		return "", err
	}
	return k.ID, nil
}

// ensureTokenKey gives a cluster created by an older version its first
// token key; the leader calls it once leading. IfNone makes it harmless
// when a key exists or is being added concurrently.
func (n *Node) ensureTokenKey() error {
	if v, _ := n.fsm.View(); v.CurrentTokenKey != "" {
		return nil
	}
	k, err := newTokenKey()
	if err != nil {
		return err
	}
	_, err = n.proposeLocal(opTokenKey, tokenKeyCmd{Key: k, IfNone: true}, 0)
	return err
}

// RevokeToken revokes the token with id jti (its jti claim) until exp, its
// expiry. Revoking a token that has already expired does nothing; one that
// expires more than MaxRevocationAhead ahead is refused, which bounds the
// replicated set.
func (n *Node) RevokeToken(ctx context.Context, jti string, exp time.Time) error {
	now := n.now()
	switch {
	case jti == "" || len(jti) > maxJTIBytes || exp.IsZero():
		return detail(ErrBadRevocation, "a revocation needs a token id of 1 to %d bytes and the token's expiry", maxJTIBytes)
	case exp.After(now.Add(MaxRevocationAhead)):
		return detail(ErrBadRevocation, "a token that expires more than %v ahead cannot be revoked", MaxRevocationAhead)
	case now.After(exp.Add(RevocationGrace)):
		return nil // expired tokens are refused anyway
	}
	_, err := n.apply(ctx, opTokenRevoke, tokenRevokeCmd{JTI: jti, Exp: exp})
	return err
}

// TokenRevoked reports whether the token with id jti is revoked, from this
// node's view (a map lookup; every member has the set).
func (n *Node) TokenRevoked(jti string) bool {
	_, ok := n.View().Revoked[jti]
	return ok
}

// TokensVoidBefore returns the time before which the user's tokens are
// void (disabled, new password, roles or groups), or zero. From the local
// view, fast, on every member.
func (n *Node) TokensVoidBefore(userID string) time.Time {
	return n.View().TokenCutoffs[userID]
}
