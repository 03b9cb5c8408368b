package clock

import "errors"

// Errors returned by the vector clock validation and decoders, and by the
// HLC.
var (
	ErrTooManyEntries = errors.New("clock: vector clock has too many entries")
	ErrBadNodeID      = errors.New("clock: node id empty or too long")
	ErrNotCanonical   = errors.New("clock: vector clock not canonical")
	ErrTooLarge       = errors.New("clock: encoded clock too large")
	ErrMalformed      = errors.New("clock: malformed encoding")
	ErrClockSkew      = errors.New("clock: remote timestamp too far ahead of local time")
)
