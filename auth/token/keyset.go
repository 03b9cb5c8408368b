package token

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// KeySource supplies keys to a Tokens. The cluster state will implement it
// so every gateway signs with the same current key; KeySet is the
// in-memory implementation.
type KeySource interface {
	// SigningKey returns the current key; it must be able to sign.
	SigningKey() (Key, error)
	// VerificationKey returns the key named kid, if it is still kept.
	VerificationKey(kid string) (Key, bool)
}

var _ KeySource = (*KeySet)(nil)

// KeySet holds the current signing key and older verification keys. It is
// safe for concurrent use.
type KeySet struct {
	mu      sync.RWMutex // guards current and keys
	current string
	keys    map[string]Key
}

// NewKeySet returns a set whose current key is current, also keeping
// older keys for verification.
func NewKeySet(current Key, older ...Key) (*KeySet, error) {
	s := &KeySet{keys: make(map[string]Key, 1+len(older))}
	for _, k := range older {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("new key set: %w", err)
		}
		s.keys[k.ID] = k
	}
	if err := s.setCurrent(current); err != nil {
		return nil, fmt.Errorf("new key set: %w", err)
	}
	return s, nil
}

func (s *KeySet) setCurrent(k Key) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if !k.CanSign() {
		return fmt.Errorf("key %q cannot sign", k.ID)
	}
	if _, dup := s.keys[k.ID]; dup && k.ID != s.current {
		return fmt.Errorf("key id %q already used", k.ID)
	}
	k.RetireAt = time.Time{}
	s.keys[k.ID] = k
	s.current = k.ID
	return nil
}

// Rotate makes next the signing key. The previous current key keeps
// verifying until retireAt, which should be at least now + TTL + Leeway
// so no token it signed is cut short.
func (s *KeySet) Rotate(next Key, retireAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, hadPrev := s.keys[s.current]
	if next.ID == s.current {
		return fmt.Errorf("rotate: key %q is already current", next.ID)
	}
	if err := s.setCurrent(next); err != nil {
		return fmt.Errorf("rotate: %w", err)
	}
	if hadPrev {
		prev.RetireAt = retireAt
		s.keys[prev.ID] = prev
	}
	return nil
}

// Prune drops keys retired before now and returns how many it dropped. The
// current key is never dropped.
func (s *KeySet) Prune(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, k := range s.keys {
		if id != s.current && !k.RetireAt.IsZero() && now.After(k.RetireAt) {
			delete(s.keys, id)
			n++
		}
	}
	return n
}

// SigningKey returns the current key.
func (s *KeySet) SigningKey() (Key, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[s.current]
	if !ok {
		return Key{}, errNoSigningKey
	}
	return k, nil
}

// VerificationKey returns the key named kid.
func (s *KeySet) VerificationKey(kid string) (Key, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.keys[kid]
	return k, ok
}

// IDs returns the ids of all kept keys, sorted.
func (s *KeySet) IDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.keys))
	for id := range s.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
