package merkle

import "errors"

// Errors of the tree and of the exchange.
var (
	ErrBadPath     = errors.New("merkle: bad path")
	ErrBadResponse = errors.New("merkle: malformed peer response")
)
