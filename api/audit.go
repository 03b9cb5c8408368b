package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
)

// AuditLog records sensitive operations and answers queries over them.
type AuditLog interface {
	Append(ctx context.Context, e audit.Entry) (audit.Entry, error)
	Query(ctx context.Context, f audit.Filter) (audit.Page, error)
	// Verify walks every chain held and checks each link and anchor.
	Verify(ctx context.Context) (audit.Report, error)
}

// audit appends an audit entry for a request. The caller's identity and
// address are filled in from the request unless e names them. A failure to
// record is logged and counted (distrisearch_audit_failures_total), and
// does not fail the request: the operation has already happened.
func (s *Server) audit(r *http.Request, e audit.Entry) {
	if s.cfg.Audit == nil {
		return
	}
	if p, ok := PrincipalFrom(r.Context()); ok && e.UserID == "" && e.Username == "" {
		e.UserID, e.Username = p.UserID, p.Username
	}
	if e.IPAddress == "" {
		e.IPAddress = remoteHost(r)
	}
	// The entry is written even if the client has gone away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if _, err := s.cfg.Audit.Append(ctx, e); err != nil {
		s.metrics.auditFailures.Inc()
		s.log.Error("audit entry not recorded", "action", e.Action, "resource", e.Resource, "err", err)
	}
}

// handleAudit is GET /api/audit: entries newest first, filtered.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Audit == nil {
		s.writeError(w, r, ds.Errorf(ds.KindUnavailable, "audit_unavailable", "this node keeps no audit log"))
		return
	}
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page, err := s.cfg.Audit.Query(r.Context(), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if page.Entries == nil {
		page.Entries = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": page.Entries, "next_cursor": page.Next})
}

func parseAuditFilter(v url.Values) (audit.Filter, error) {
	var f audit.Filter
	for k, vals := range v {
		if len(vals) > 1 {
			return f, ds.Errorf(ds.KindInvalid, "bad_parameter", "parameter %q is given more than once", truncate(k, 64))
		}
		val := vals[0]
		var err error
		switch k {
		case "since":
			f.Since, err = parseTime(k, val)
		case "until":
			f.Until, err = parseTime(k, val)
		case "node":
			f.Node = val
		case "user_id":
			f.UserID = val
		case "user":
			f.Username = val
		case "action":
			f.Action = audit.Action(val)
		case "resource":
			f.ResourcePrefix = val
		case "result":
			f.Result = audit.Result(val)
		case "cursor":
			f.Cursor = val
		case "limit":
			n, e := strconv.Atoi(val)
			if e != nil || n < 1 || n > 1000 {
				err = ds.Errorf(ds.KindInvalid, "bad_limit", "limit must be a whole number from 1 to 1000")
			}
			f.Limit = n
		default:
			err = ds.Errorf(ds.KindInvalid, "bad_parameter",
				"unknown parameter %q; valid: since, until, node, user_id, user, action, resource, result, limit, cursor", truncate(k, 64))
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}

func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, ds.Errorf(ds.KindInvalid, "bad_parameter", "%s must be an RFC 3339 time such as 2026-01-02T15:04:05Z", name)
	}
	return t, nil
}

// handleAuditVerify is GET /api/audit/verify: the hash chains this node
// holds, checked link by link. ok is false when one is broken.
func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Audit == nil {
		s.writeError(w, r, ds.Errorf(ds.KindUnavailable, "audit_unavailable", "this node keeps no audit log"))
		return
	}
	rep, err := s.cfg.Audit.Verify(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": rep.OK(), "report": rep})
}
