package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a Log. Start from DefaultConfig.
type Config struct {
	// Path is the bbolt file. Required.
	Path string
	// NodeID is the node that records entries. Required, at most
	// MaxActionLen bytes.
	NodeID string
	// Retention is how long entries are kept (90 days by default).
	Retention time.Duration
	// PruneInterval is how often the loop started by Start prunes.
	PruneInterval time.Duration
	// PruneBatch is the number of entries deleted per transaction when
	// pruning.
	PruneBatch int
	// AnchorPath is the file where the head (seq, hash) of the local chain
	// is also written, so a truncated tail is detectable. Empty means
	// Path + ".anchor".
	AnchorPath string
	// AnchorKey, when set, signs the anchor with HMAC-SHA256; Verify then
	// refuses an anchor without a valid signature.
	AnchorKey []byte
	// AnchorEvery writes the anchor after at least this many new entries
	// (and always on Close and Prune). 1 writes it after every commit.
	AnchorEvery int
	// MaxBatch bounds the entries one group commit writes.
	MaxBatch int
	// MaxQueryLimit bounds Filter.Limit; DefaultQueryLimit applies when
	// Limit is zero.
	MaxQueryLimit     int
	DefaultQueryLimit int
	// MaxQueryScan bounds the entries one Query examines; when a page is
	// not full after that many, it ends early with a cursor to continue.
	MaxQueryScan int
	// NoSync skips fsync (tests and benchmarks only).
	NoSync bool
	// OpenTimeout bounds the wait for the file lock.
	OpenTimeout time.Duration
	// Now is the clock. Required (DefaultConfig sets time.Now).
	Now func() time.Time
	// Logger receives warnings. Nil means slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns a Config with the product's defaults; Path and
// NodeID remain to be set.
func DefaultConfig() Config {
	return Config{
		Retention:         90 * 24 * time.Hour,
		PruneInterval:     time.Hour,
		PruneBatch:        1000,
		AnchorEvery:       64,
		MaxBatch:          256,
		MaxQueryLimit:     1000,
		DefaultQueryLimit: 100,
		MaxQueryScan:      100_000,
		OpenTimeout:       time.Second,
		Now:               time.Now,
	}
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("audit: config: path is required")
	case !validIdent(c.NodeID, MaxActionLen) && !validNode(c.NodeID):
		return fmt.Errorf("audit: config: invalid node id %q", c.NodeID)
	case c.Retention <= 0:
		return errors.New("audit: config: retention must be positive")
	case c.PruneInterval <= 0:
		return errors.New("audit: config: prune interval must be positive")
	case c.PruneBatch <= 0 || c.AnchorEvery <= 0 || c.MaxBatch <= 0:
		return errors.New("audit: config: prune batch, anchor every and max batch must be positive")
	case c.MaxQueryLimit <= 0 || c.DefaultQueryLimit <= 0 || c.DefaultQueryLimit > c.MaxQueryLimit:
		return errors.New("audit: config: query limits must be positive and default <= max")
	case c.MaxQueryScan <= 0:
		return errors.New("audit: config: max query scan must be positive")
	case c.OpenTimeout <= 0:
		return errors.New("audit: config: open timeout must be positive")
	case c.Now == nil:
		return errors.New("audit: config: clock is required")
	}
	return nil
}

// validNode accepts node ids of [A-Za-z0-9_.:-], 1..MaxActionLen bytes.
func validNode(s string) bool {
	if s == "" || len(s) > MaxActionLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}
