package detect

import (
	"errors"
	"fmt"
	"time"
)

// Config configures a Detector. The defaults assume one heartbeat per
// second; see docs/failure-detection.md for the detection times they give.
type Config struct {
	// Threshold is the φ above which an ALIVE node becomes SUSPECT.
	Threshold float64
	// MaxSampleSize bounds the window of recent heartbeat intervals.
	MaxSampleSize int
	// MinStdDeviation is the least standard deviation assumed for the
	// intervals, so a perfectly regular node is not suspected after the
	// first late heartbeat.
	MinStdDeviation time.Duration
	// AcceptableHeartbeatPause is added to the mean interval: a pause this
	// long (a GC pause, a busy network) costs no suspicion.
	AcceptableHeartbeatPause time.Duration
	// FirstHeartbeatEstimate is the interval assumed before a node has sent
	// two heartbeats (mean = estimate, deviation = estimate/4). Set it to
	// the senders' heartbeat interval.
	FirstHeartbeatEstimate time.Duration
	// DeadAfter is how long a node stays SUSPECT, without a heartbeat,
	// before it is DEAD.
	DeadAfter time.Duration
	// StartupGrace is how long after the detector starts that nobody is
	// suspected: a new leader first hears from everyone.
	StartupGrace time.Duration
}

// DefaultConfig returns the defaults: φ threshold 8, 100 intervals,
// deviation at least 200 ms, 500 ms acceptable pause, 1 s first estimate,
// DEAD 1.5 s after SUSPECT, 3 s startup grace. With heartbeats every second
// a killed node is SUSPECT about 2.5 s and DEAD about 4.0 s after its last
// heartbeat (plus the caller's evaluation interval).
func DefaultConfig() Config {
	return Config{
		Threshold:                8,
		MaxSampleSize:            100,
		MinStdDeviation:          200 * time.Millisecond,
		AcceptableHeartbeatPause: 500 * time.Millisecond,
		FirstHeartbeatEstimate:   time.Second,
		DeadAfter:                1500 * time.Millisecond,
		StartupGrace:             3 * time.Second,
	}
}

// MaxSampleLimit is the largest accepted MaxSampleSize.
const MaxSampleLimit = 10000

// Validate reports whether the configuration is usable.
func (c Config) Validate() error {
	var errs []error
	if !(c.Threshold > 0) {
		errs = append(errs, fmt.Errorf("threshold %v must be positive", c.Threshold))
	}
	if c.MaxSampleSize < 1 || c.MaxSampleSize > MaxSampleLimit {
		errs = append(errs, fmt.Errorf("max sample size %d must be in 1..%d", c.MaxSampleSize, MaxSampleLimit))
	}
	if c.MinStdDeviation <= 0 {
		errs = append(errs, fmt.Errorf("min std deviation %v must be positive", c.MinStdDeviation))
	}
	if c.AcceptableHeartbeatPause < 0 {
		errs = append(errs, fmt.Errorf("acceptable heartbeat pause %v is negative", c.AcceptableHeartbeatPause))
	}
	if c.FirstHeartbeatEstimate <= 0 {
		errs = append(errs, fmt.Errorf("first heartbeat estimate %v must be positive", c.FirstHeartbeatEstimate))
	}
	if c.DeadAfter < 0 {
		errs = append(errs, fmt.Errorf("dead after %v is negative", c.DeadAfter))
	}
	if c.StartupGrace < 0 {
		errs = append(errs, fmt.Errorf("startup grace %v is negative", c.StartupGrace))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detect config: %w", err)
	}
	return nil
}
