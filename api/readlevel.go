package api

import (
	"context"
	"net/http"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// ReadConsistency is how a file request reads the file's record
// (?consistency= on GET /api/files/{id}, /content and /download): the
// replicas of its partition must answer at Level, and their newest version
// is the one served (stale replicas are repaired). A request that names
// no level reads at QUORUM but is not Strict: when too few replicas are
// up, it is served from the nearest copy, and Achieved says so. Files
// sets Achieved to what it could do; the API returns it in the
// X-Read-Consistency header.
type ReadConsistency struct {
	Level    quorum.Level
	Strict   bool
	Achieved string // "strong", "quorum", "eventual" or "local" (no replica read)
}

type readLevelKey struct{}

// ReadConsistencyFrom returns the read consistency of a file request; nil
// outside one (node-to-node lookups read what they hold).
func ReadConsistencyFrom(ctx context.Context) *ReadConsistency {
	rc, _ := ctx.Value(readLevelKey{}).(*ReadConsistency)
	return rc
}

// WithReadConsistency returns ctx carrying rc (for tests and adapters).
func WithReadConsistency(ctx context.Context, rc *ReadConsistency) context.Context {
	return context.WithValue(ctx, readLevelKey{}, rc)
}

var errBadReadConsistency = ds.Errorf(ds.KindInvalid, "bad_consistency", "consistency must be strong, quorum (the default) or eventual")

// readConsistency parses ?consistency= of a file request.
func readConsistency(r *http.Request) (*ReadConsistency, error) {
	raw := r.URL.Query().Get("consistency")
	level, err := quorum.ParseLevel(raw)
	if err != nil {
		return nil, errBadReadConsistency
	}
	return &ReadConsistency{Level: level, Strict: raw != ""}, nil
}
