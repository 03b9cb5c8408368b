package cluster

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
)

// FenceHeader carries a fencing token on node-to-node requests made on
// behalf of the leader or of a lock holder.
const FenceHeader = "X-DS-Fencing-Token"

// FenceGuard remembers the largest fencing token seen per resource and
// rejects older ones. A receiver keeps one and checks every fenced request:
// once a newer leader (or lock holder) has reached it, the old one cannot
// act through it any more, however long it was paused. It is safe for
// concurrent use.
type FenceGuard struct {
	mu   sync.Mutex // guards max
	max  map[string]uint64
	base func() uint64 // a floor known from elsewhere (the committed leader fence)
}

// NewFenceGuard returns a guard. floor, if not nil, gives a token below
// which every request is stale whatever the guard has seen.
func NewFenceGuard(floor func() uint64) *FenceGuard {
	return &FenceGuard{max: map[string]uint64{}, base: floor}
}

// Check accepts token for resource if it is at least the largest token seen
// for it (and the floor), and records it. Equal tokens are accepted: the same
// holder may send several requests.
func (g *FenceGuard) Check(resource string, token uint64) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	limit := g.max[resource]
	if g.base != nil {
		limit = max(limit, g.base())
	}
	if token == 0 || token < limit {
		return fmt.Errorf("%w: %s token %d < %d", ErrStaleFence, resource, token, limit)
	}
	g.max[resource] = token
	return nil
}

// Seen returns the largest token accepted for resource.
func (g *FenceGuard) Seen(resource string) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.max[resource]
}

// SetFence puts token in r's FenceHeader.
func SetFence(r *http.Request, token uint64) {
	r.Header.Set(FenceHeader, strconv.FormatUint(token, 10))
}

// FenceOf reads the FenceHeader of r; 0 if absent or malformed.
func FenceOf(r *http.Request) uint64 {
	v, err := strconv.ParseUint(r.Header.Get(FenceHeader), 10, 64)
	if err != nil {
		return 0
	}
	return v
}
