package merkle

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Hash is a SHA-256 digest: a node hash or a record version digest.
type Hash [32]byte

// IsZero reports whether h is the zero hash (the hash of an empty subtree).
func (h Hash) IsZero() bool { return h == Hash{} }

// Path names one node of a tree: its level (0 is the root, Depth the
// leaves) and its index within the level, 0..Fanout^Level-1. The children
// of (l, i) are (l+1, i·Fanout + c) for c in 0..Fanout-1.
type Path struct {
	Level int `json:"level"`
	Index int `json:"index"`
}

// RootPath is the path of the root.
var RootPath = Path{}

// String formats p as "level/index".
func (p Path) String() string { return strconv.Itoa(p.Level) + "/" + strconv.Itoa(p.Index) }

// Child returns the path of p's c-th child in a tree of config cfg.
func (p Path) Child(cfg Config, c int) Path {
	return Path{Level: p.Level + 1, Index: p.Index<<cfg.FanoutBits | c}
}

// valid reports whether p names a node of a tree of config cfg.
func (p Path) valid(cfg Config) error {
	if p.Level < 0 || p.Level > cfg.Depth {
		return fmt.Errorf("%w: level %d outside 0..%d", ErrBadPath, p.Level, cfg.Depth)
	}
	if p.Index < 0 || p.Index >= 1<<(cfg.FanoutBits*p.Level) {
		return fmt.Errorf("%w: index %d outside level %d", ErrBadPath, p.Index, p.Level)
	}
	return nil
}

// BucketOf returns the leaf bucket of key: the first FanoutBits·Depth bits
// of SHA-256(key).
func BucketOf(cfg Config, key string) int {
	sum := sha256.Sum256([]byte(key))
	return int(binary.BigEndian.Uint32(sum[:4]) >> (32 - cfg.FanoutBits*cfg.Depth))
}

// LeafPath returns the path of the leaf bucket holding key.
func LeafPath(cfg Config, key string) Path {
	return Path{Level: cfg.Depth, Index: BucketOf(cfg, key)}
}
