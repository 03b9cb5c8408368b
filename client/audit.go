package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	Since, Until time.Time
	User         string // username
	UserID       string
	Action       string
	Resource     string
	Result       string
	Node         string
	Limit        int
	Cursor       string // a previous page's NextCursor
}

// AuditPage is one page of audit entries, in the server's order (newest
// first).
type AuditPage struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// AuditEntry is one audit record. The typed fields are read loosely (a
// field of another type than expected stays zero, or for strings holds its
// JSON text); Fields keeps every field as sent, and an entry encodes back
// to exactly those.
type AuditEntry struct {
	ID        string
	Node      string
	Seq       uint64
	Timestamp time.Time
	UserID    string
	Username  string
	Action    string
	Resource  string
	IPAddress string
	Result    string
	Detail    json.RawMessage // "detail" or "details" as sent: a string, an object or absent

	Fields map[string]json.RawMessage
}

// UnmarshalJSON reads an entry loosely; see AuditEntry.
func (e *AuditEntry) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*e = AuditEntry{Fields: m}
	for key, dst := range map[string]*string{
		"id": &e.ID, "node": &e.Node, "user_id": &e.UserID, "username": &e.Username, "action": &e.Action,
		"resource": &e.Resource, "ip_address": &e.IPAddress, "result": &e.Result,
	} {
		*dst = looseString(m[key])
	}
	if raw, ok := m["seq"]; ok {
		e.Seq, _ = strconv.ParseUint(looseString(raw), 10, 64)
	}
	if raw, ok := m["timestamp"]; ok {
		_ = json.Unmarshal(raw, &e.Timestamp)
	}
	e.Detail = m["detail"]
	if e.Detail == nil {
		e.Detail = m["details"]
	}
	return nil
}

// MarshalJSON writes the entry's fields as they were received, or the
// typed fields for an entry built in code.
func (e AuditEntry) MarshalJSON() ([]byte, error) {
	if e.Fields != nil {
		return json.Marshal(e.Fields)
	}
	m := map[string]any{
		"id": e.ID, "node": e.Node, "seq": e.Seq, "timestamp": e.Timestamp, "user_id": e.UserID, "username": e.Username,
		"action": e.Action, "resource": e.Resource, "ip_address": e.IPAddress, "result": e.Result,
	}
	if len(e.Detail) > 0 {
		m["detail"] = e.Detail
	}
	return json.Marshal(m)
}

// looseString returns a JSON string's value, or the JSON text of anything
// else but null.
func looseString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// Audit returns a page of the audit log (admin only).
func (c *Client) Audit(ctx context.Context, f AuditFilter) (AuditPage, error) {
	q := map[string]string{
		"user": f.User, "user_id": f.UserID, "action": f.Action, "resource": f.Resource, "result": f.Result, "node": f.Node, "cursor": f.Cursor,
	}
	if !f.Since.IsZero() {
		q["since"] = f.Since.UTC().Format(time.RFC3339Nano)
	}
	if !f.Until.IsZero() {
		q["until"] = f.Until.UTC().Format(time.RFC3339Nano)
	}
	if f.Limit > 0 {
		q["limit"] = strconv.Itoa(f.Limit)
	}
	values := url.Values{}
	for k, v := range q {
		if v != "" {
			values.Set(k, v)
		}
	}
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/audit", values, nil)
	if err != nil {
		return AuditPage{}, err
	}
	var page AuditPage
	err = c.do(hr, &page)
	return page, err
}

// AuditVerification is the answer of GET /api/audit/verify.
type AuditVerification struct {
	OK     bool `json:"ok"`
	Report struct {
		Entries int `json:"entries"`
		Chains  []struct {
			Node    string          `json:"node"`
			First   uint64          `json:"first"`
			Last    uint64          `json:"last"`
			Entries int             `json:"entries"`
			Broken  json.RawMessage `json:"broken,omitempty"`
		} `json:"chains"`
		AnchorWarning string `json:"anchor_warning,omitempty"`
	} `json:"report"`
}

// VerifyAudit asks the node to check every audit hash chain it holds
// (admin only).
func (c *Client) VerifyAudit(ctx context.Context) (AuditVerification, error) {
	var v AuditVerification
	hr, err := c.newRequest(ctx, http.MethodGet, "/api/audit/verify", nil, nil)
	if err != nil {
		return v, err
	}
	return v, c.do(hr, &v)
}
