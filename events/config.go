package events

import (
	"errors"
	"fmt"
	"time"

	"github.com/distrisearch/distrisearch/clock"
)

// Config configures a Bus.
type Config struct {
	// Node is stamped on events published without one.
	Node string
	// Clock stamps every event. Required; share the node's Lamport clock.
	Clock *clock.Lamport
	// Now stamps events published without a time. Required.
	Now func() time.Time
	// ReplaySize is the number of recent events kept for replay.
	ReplaySize int
	// Priorities maps event types to priorities; unlisted types are NORMAL.
	Priorities map[string]Priority
}

// Bounds.
const (
	DefaultReplaySize = 1024
	MaxReplaySize     = 1 << 20
	MaxBuffer         = 1 << 16 // per subscription
)

// DefaultConfig returns a configuration with the default replay size and
// priorities.
func DefaultConfig(node string, lamport *clock.Lamport, now func() time.Time) Config {
	return Config{
		Node:       node,
		Clock:      lamport,
		Now:        now,
		ReplaySize: DefaultReplaySize,
		Priorities: DefaultPriorities(),
	}
}

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	var errs []error
	if c.Clock == nil {
		errs = append(errs, errors.New("clock is required"))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("now is required"))
	}
	if c.ReplaySize < 0 || c.ReplaySize > MaxReplaySize {
		errs = append(errs, fmt.Errorf("replay size %d must be in 0..%d", c.ReplaySize, MaxReplaySize))
	}
	for typ, p := range c.Priorities {
		if p < Low || p > High {
			errs = append(errs, fmt.Errorf("priority %d of %q is not LOW, NORMAL or HIGH", p, typ))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("events config: %w", err)
	}
	return nil
}
