package replica

import (
	"errors"
	"fmt"
	"time"

	"github.com/distrisearch/distrisearch/placement"
)

// Config tunes the service. Partition count and replication factor are not
// here: they come from the cluster configuration in the view.
type Config struct {
	// VirtualNodes and LoadBound shape the placement ring; every node must
	// use the same values.
	VirtualNodes int
	LoadBound    float64
	// RequestTimeout bounds one call to a replica.
	RequestTimeout time.Duration
	// BackgroundTimeout bounds the work that continues after a caller got
	// its answer: the rest of an EVENTUAL or QUORUM write, read repair.
	BackgroundTimeout time.Duration
	// HintInterval is how often held hints are replayed to targets that
	// are ALIVE again; HintBatch is how many travel in one request.
	HintInterval time.Duration
	HintBatch    int
	// AntiEntropyInterval is how often every held partition is compared
	// with each other replica.
	AntiEntropyInterval time.Duration
	// TombstoneGrace is how long a tombstone is kept before collection;
	// GCInterval how often collection runs.
	TombstoneGrace time.Duration
	GCInterval     time.Duration
	// MaxBodyBytes bounds every request and response body; MaxValueBytes
	// one value; MaxBatch the entries or keys of one request.
	MaxBodyBytes  int64
	MaxValueBytes int
	MaxBatch      int
}

// DefaultConfig returns the production defaults.
func DefaultConfig() Config {
	return Config{
		VirtualNodes:        placement.DefaultVirtualNodes,
		LoadBound:           placement.DefaultLoadBound,
		RequestTimeout:      3 * time.Second,
		BackgroundTimeout:   10 * time.Second,
		HintInterval:        time.Second,
		HintBatch:           128,
		AntiEntropyInterval: time.Minute,
		TombstoneGrace:      7 * 24 * time.Hour,
		GCInterval:          time.Hour,
		MaxBodyBytes:        16 << 20,
		MaxValueBytes:       4 << 20,
		MaxBatch:            256,
	}
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	var errs []error
	if c.VirtualNodes < 1 || c.VirtualNodes > placement.MaxVirtualNodes {
		errs = append(errs, fmt.Errorf("virtual nodes %d outside 1..%d", c.VirtualNodes, placement.MaxVirtualNodes))
	}
	for name, d := range map[string]time.Duration{
		"request timeout": c.RequestTimeout, "background timeout": c.BackgroundTimeout,
		"hint interval": c.HintInterval, "anti-entropy interval": c.AntiEntropyInterval,
		"tombstone grace": c.TombstoneGrace, "gc interval": c.GCInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	if c.HintBatch < 1 || c.MaxBatch < 1 {
		errs = append(errs, errors.New("hint batch and max batch must be positive"))
	}
	if c.MaxValueBytes < 1 || c.MaxBodyBytes < int64(c.MaxValueBytes)*2 {
		errs = append(errs, errors.New("max body bytes must hold at least two maximal values"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("replica config: %w", err)
	}
	return nil
}
