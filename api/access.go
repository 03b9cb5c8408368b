package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/auth/ratelimit"
	"github.com/distrisearch/distrisearch/auth/rbac"
)

// Access tells which shares exist and who may see them.
type Access interface {
	// Shares lists every share files can come from, with its ACL.
	Shares() []SharePolicy
}

// SharePolicy is one share's access list.
type SharePolicy struct {
	Node  string
	Share string
	ACL   rbac.ACL
}

// Delegated may be implemented by Files when it also returns records of
// other nodes' shares, which this node's Access does not list: those nodes
// apply their own share ACLs to the caller's principal (Files takes it
// from the request context, see PrincipalFrom) and answer "not found" for
// what it may not see. Delegated reports whether the records of nodeID
// were checked that way.
type Delegated interface {
	Delegated(nodeID string) bool
}

// visible reports whether p may learn that rec exists. A share this node
// does not know is visible to admins only, unless Files says the share's
// own node checked it (Delegated).
func (s *Server) visible(p *Principal, rec ds.Record) bool {
	if s.cfg.Access == nil || rbac.Allowed(p.Roles, "*:*") {
		return true
	}
	if d, ok := s.cfg.Files.(Delegated); ok && d.Delegated(rec.NodeID) {
		return true
	}
	for _, sh := range s.cfg.Access.Shares() {
		if sh.Node == rec.NodeID && sh.Share == rec.Share {
			return rbac.CanSee(p.Roles, p.Groups, sh.ACL)
		}
	}
	return false
}

// errFileNotFound is what a caller who may not see a file gets: the same
// answer as for a file that does not exist.
var errFileNotFound = &ds.Error{Kind: ds.KindNotFound, Code: "file_not_found", Message: "no file has this id"}

// decodeJSON reads one JSON object of at most max bytes into v, refusing
// unknown fields, trailing data and bodies over the limit (before they are
// buffered: the limit is on the reader).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return ds.Errorf(ds.KindInvalid, "bad_content_type", "send the body as application/json")
		}
	}
	if r.ContentLength > max {
		return ds.Errorf(ds.KindTooLarge, "body_too_large", "request body is larger than %d bytes", max)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return ds.Errorf(ds.KindTooLarge, "body_too_large", "request body is larger than %d bytes", max)
		}
		if errors.Is(err, io.EOF) {
			return ds.Errorf(ds.KindInvalid, "bad_json", "the request body is empty; send a JSON object")
		}
		return ds.Errorf(ds.KindInvalid, "bad_json", "the request body is not the JSON expected: %s", truncate(err.Error(), 200))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return ds.Errorf(ds.KindInvalid, "bad_json", "the request body has data after the JSON object")
	}
	return nil
}

// tooMany answers 429 in the API's error shape with Retry-After.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, which string, retry time.Duration) {
	s.metrics.limited.WithLabelValues(which).Inc()
	secs := ratelimit.RetryAfterSeconds(retry)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.writeError(w, r, ds.Errorf(ds.KindRateLimited, "rate_limited", "too many requests; retry in %s", fmt.Sprint(time.Duration(secs)*time.Second)))
}

// remoteHost is the client's address without the port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
