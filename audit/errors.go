package audit

import "errors"

// Errors returned by the package.
var (
	ErrClosed    = errors.New("audit: log closed")
	ErrMalformed = errors.New("audit: malformed entry encoding")
	ErrBadCursor = errors.New("audit: invalid cursor")
	ErrInvalid   = errors.New("audit: invalid entry")
)
