package quorum

import (
	"fmt"
	"strconv"
	"strings"
)

// Level is a consistency level. The zero value is Quorum, the default.
type Level uint8

// The consistency levels.
const (
	Quorum   Level = iota // a majority of replicas
	Strong                // every replica
	Eventual              // one replica; the rest in the background
)

// String returns the level's name in upper case, as configuration and the
// API spell it.
func (l Level) String() string {
	switch l {
	case Quorum:
		return "QUORUM"
	case Strong:
		return "STRONG"
	case Eventual:
		return "EVENTUAL"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// ParseLevel parses a level name, ignoring case and surrounding space. The
// empty string is Quorum, the default.
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "QUORUM":
		return Quorum, nil
	case "STRONG":
		return Strong, nil
	case "EVENTUAL":
		return Eventual, nil
	}
	return 0, fmt.Errorf("quorum: unknown consistency level %q (want STRONG, QUORUM or EVENTUAL)", s)
}

// MarshalText encodes the level's name.
func (l Level) MarshalText() ([]byte, error) {
	if l > Eventual {
		return nil, fmt.Errorf("quorum: invalid level %d", l)
	}
	return []byte(l.String()), nil
}

// UnmarshalText decodes a level name as ParseLevel does.
func (l *Level) UnmarshalText(b []byte) error {
	v, err := ParseLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// W returns how many of n replicas must acknowledge a write at level l.
// n < 1 is treated as 1.
func W(n int, l Level) int {
	n = max(n, 1)
	switch l {
	case Strong:
		return n
	case Eventual:
		return 1
	}
	return n/2 + 1
}

// R returns how many of n replicas must answer a read at level l. n < 1
// is treated as 1. Reads wait for as many replicas as writes at the same
// level, so STRONG and QUORUM reads overlap every acknowledged write.
func R(n int, l Level) int { return W(n, l) }

// Overlaps reports whether a read at level read is guaranteed to reach at
// least one replica that acknowledged a write at level write, for n
// replicas: W + R > n.
func Overlaps(n int, write, read Level) bool {
	return W(n, write)+R(n, read) > max(n, 1)
}
