package merkle

import (
	"errors"
	"fmt"
)

// Config fixes the shape of a tree: every inner node has 2^FanoutBits
// children and leaves are Depth levels below the root, so there are
// 2^(FanoutBits·Depth) leaf buckets.
type Config struct {
	FanoutBits int
	Depth      int
}

// MaxLeafBits bounds FanoutBits·Depth: at most 2^20 buckets (32 MiB of
// leaf hashes).
const MaxLeafBits = 20

// DefaultConfig returns fan-out 16 and depth 2: 256 buckets and 273
// hashes (8.7 KiB) per tree. With a few thousand records per partition a
// bucket holds tens of keys, so a single changed key costs one leaf list
// of that size, and a node holding hundreds of partitions keeps its trees
// in a few MiB. Raise Depth for partitions of millions of records.
func DefaultConfig() Config { return Config{FanoutBits: 4, Depth: 2} }

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	var errs []error
	if c.FanoutBits < 1 || c.FanoutBits > 8 {
		errs = append(errs, fmt.Errorf("fanout bits %d must be in 1..8", c.FanoutBits))
	}
	if c.Depth < 1 {
		errs = append(errs, fmt.Errorf("depth %d must be at least 1", c.Depth))
	}
	if len(errs) == 0 && c.FanoutBits*c.Depth > MaxLeafBits {
		errs = append(errs, fmt.Errorf("fanout bits × depth = %d exceeds %d", c.FanoutBits*c.Depth, MaxLeafBits))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("merkle config: %w", err)
	}
	return nil
}

// Fanout returns the number of children of an inner node.
func (c Config) Fanout() int { return 1 << c.FanoutBits }

// Buckets returns the number of leaf buckets.
func (c Config) Buckets() int { return 1 << (c.FanoutBits * c.Depth) }
