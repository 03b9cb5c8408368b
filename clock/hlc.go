package clock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// Timestamp is a hybrid logical clock timestamp: a physical part (Unix
// nanoseconds, never behind the largest physical time seen) and a logical
// counter that orders events sharing the same physical part. Timestamps
// are totally ordered by (Wall, Logical); the zero value is before every
// timestamp an HLC issues.
type Timestamp struct {
	Wall    int64  `json:"wall"`    // Unix nanoseconds
	Logical uint32 `json:"logical"` // tie-breaker within one Wall value
}

// TimestampLen is the length of a binary-encoded Timestamp.
const TimestampLen = 12

// Compare returns -1, 0 or +1 as t is before, equal to or after o.
func (t Timestamp) Compare(o Timestamp) int {
	switch {
	case t.Wall < o.Wall:
		return -1
	case t.Wall > o.Wall:
		return 1
	case t.Logical < o.Logical:
		return -1
	case t.Logical > o.Logical:
		return 1
	}
	return 0
}

// Before reports whether t is strictly before o.
func (t Timestamp) Before(o Timestamp) bool { return t.Compare(o) < 0 }

// IsZero reports whether t is the zero timestamp.
func (t Timestamp) IsZero() bool { return t == Timestamp{} }

// Time returns the physical part as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.Unix(0, t.Wall).UTC() }

// String formats t as "<wall nanoseconds>.<logical>".
func (t Timestamp) String() string {
	return strconv.FormatInt(t.Wall, 10) + "." + strconv.FormatUint(uint64(t.Logical), 10)
}

// AppendBinary appends the 12-byte encoding of t to b: Wall with its sign
// bit flipped, then Logical, both big-endian. Byte order of encodings
// equals timestamp order, so encodings can serve as sortable keys.
func (t Timestamp) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint64(b, uint64(t.Wall)^(1<<63))
	return binary.BigEndian.AppendUint32(b, t.Logical), nil
}

// MarshalBinary returns the 12-byte encoding of t.
func (t Timestamp) MarshalBinary() ([]byte, error) {
	return t.AppendBinary(make([]byte, 0, TimestampLen))
}

// UnmarshalBinary decodes exactly TimestampLen bytes made by MarshalBinary.
func (t *Timestamp) UnmarshalBinary(data []byte) error {
	if len(data) != TimestampLen {
		return ErrMalformed
	}
	t.Wall = int64(binary.BigEndian.Uint64(data) ^ (1 << 63))
	t.Logical = binary.BigEndian.Uint32(data[8:])
	return nil
}

// HLCConfig configures a hybrid logical clock.
type HLCConfig struct {
	// Now returns physical time. Required; pass time.Now in production and
	// a fake in tests.
	Now func() time.Time
	// MaxOffset bounds how far a remote timestamp may be ahead of local
	// physical time. Update rejects a timestamp further ahead with
	// ErrClockSkew and leaves the clock unchanged, so one node with a wrong
	// clock cannot drag every clock into the future. 0 disables the check.
	MaxOffset time.Duration
}

// DefaultMaxOffset is the default HLCConfig.MaxOffset: far above the skew
// of NTP-synchronised machines, far below a misconfigured clock.
const DefaultMaxOffset = 5 * time.Second

// DefaultHLCConfig returns a configuration reading physical time from now,
// with MaxOffset = DefaultMaxOffset.
func DefaultHLCConfig(now func() time.Time) HLCConfig {
	return HLCConfig{Now: now, MaxOffset: DefaultMaxOffset}
}

// Validate reports whether the configuration is usable.
func (c HLCConfig) Validate() error {
	if c.Now == nil {
		return errors.New("clock: hlc config: Now is required")
	}
	if c.MaxOffset < 0 {
		return fmt.Errorf("clock: hlc config: MaxOffset %v is negative", c.MaxOffset)
	}
	return nil
}

// HLC is a hybrid logical clock (Kulkarni et al., "Logical Physical Clocks",
// 2014). Its timestamps stay close to physical time, never go backwards on
// this node, and respect causality across nodes: a timestamp issued after
// receiving a message is greater than the message's. It is safe for
// concurrent use.
type HLC struct {
	now       func() time.Time
	maxOffset int64

	mu   sync.Mutex // guards last
	last Timestamp
}

// NewHLC returns a clock with the given configuration.
func NewHLC(cfg HLCConfig) (*HLC, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &HLC{now: cfg.Now, maxOffset: int64(cfg.MaxOffset)}, nil
}

// Now returns a new timestamp for a local or send event, greater than any
// timestamp this clock returned before.
func (h *HLC) Now() Timestamp {
	pt := h.now().UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	if pt > h.last.Wall {
		h.last = Timestamp{Wall: pt}
	} else {
		h.last = h.last.next()
	}
	return h.last
}

// Update merges a timestamp received from another node and returns a new
// timestamp greater than both remote and every timestamp this clock
// returned before. If remote is more than MaxOffset ahead of local
// physical time, Update returns ErrClockSkew and leaves the clock as it
// was.
func (h *HLC) Update(remote Timestamp) (Timestamp, error) {
	pt := h.now().UnixNano()
	if h.maxOffset > 0 && remote.Wall > pt && remote.Wall-pt > h.maxOffset {
		return Timestamp{}, fmt.Errorf("%w: %v ahead", ErrClockSkew, time.Duration(remote.Wall-pt))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.last
	switch {
	case pt > l.Wall && pt > remote.Wall:
		h.last = Timestamp{Wall: pt}
	case l.Wall == remote.Wall:
		h.last = Timestamp{Wall: l.Wall, Logical: max(l.Logical, remote.Logical)}.next()
	case l.Wall > remote.Wall:
		h.last = l.next()
	default: // remote.Wall > l.Wall and remote.Wall >= pt
		h.last = remote.next()
	}
	return h.last, nil
}

// Last returns the latest timestamp issued, without advancing the clock.
func (h *HLC) Last() Timestamp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Restore raises the clock to at least t, e.g. the last timestamp persisted
// before a restart, so timestamps stay monotonic across restarts.
func (h *HLC) Restore(t Timestamp) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last.Before(t) {
		h.last = t
	}
}

// next returns the smallest timestamp after t. When the logical counter
// would overflow, the physical part advances by one nanosecond instead.
func (t Timestamp) next() Timestamp {
	if t.Logical == math.MaxUint32 {
		return Timestamp{Wall: t.Wall + 1}
	}
	return Timestamp{Wall: t.Wall, Logical: t.Logical + 1}
}
