// Package clienttest is an in-memory fake of the public API's
// authentication contract, served over HTTPS by net/http/httptest, for the
// tests of the client and of the command line. It implements login,
// logout, me, users, key rotation and the audit log as the API documents
// them, enforces bearer tokens and the admin role, and answers health,
// status and search just enough for a client to use them. It is not a
// model of the real server's internals.
package clienttest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// AdminPassword is the fake's password of user "admin".
const AdminPassword = "correct horse battery"

// Server is a running fake.
type Server struct {
	*httptest.Server
	// CAFile is a PEM file that makes clients trust the server.
	CAFile string

	mu       sync.Mutex                  // guards the fields below
	users    map[string]*fakeUser        // by username
	sessions map[string]*fakeSession     // by token
	audit    []map[string]any            // oldest first
	kid      int                         // current signing key
	requests []string                    // "METHOD /path" of every request
	auths    map[string]string           // last Authorization header by path
	now      func() time.Time            // the fake's clock
	ttl      time.Duration               // token lifetime
	extra    map[string]http.HandlerFunc // more authenticated routes
}

type fakeUser struct {
	ID, Username, Password string
	Roles, Groups          []string
	Disabled               bool
	Created, Updated       time.Time
}

type fakeSession struct {
	user    string
	expires time.Time
	revoked bool
}

// New starts a fake with one administrator, "admin", whose password is
// AdminPassword, and stops it when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		users:    map[string]*fakeUser{},
		sessions: map[string]*fakeSession{},
		auths:    map[string]string{},
		now:      time.Now,
		ttl:      time.Hour,
		extra:    map[string]http.HandlerFunc{},
	}
	t0 := s.now().UTC()
	s.users["admin"] = &fakeUser{ID: "u-admin", Username: "admin", Password: AdminPassword, Roles: []string{"admin"}, Groups: []string{}, Created: t0, Updated: t0}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	s.CAFile = filepath.Join(t.TempDir(), "ca.crt")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
	if err := os.WriteFile(s.CAFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// Handle adds an authenticated route ("METHOD /path") to the fake. h runs
// with the fake's lock held: it must not call the fake's methods.
func (s *Server) Handle(pattern string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra[pattern] = h
}

// ExpireAll makes every issued token expired.
func (s *Server) ExpireAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ss := range s.sessions {
		ss.expires = time.Time{}
	}
}

// Requests returns "METHOD /path" of every request so far.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// LastAuthorization returns the Authorization header of the last request
// to path.
func (s *Server) LastAuthorization(path string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auths[path]
}

// User returns a copy of a user's state, password included.
func (s *Server) User(name string) (id, password string, roles, groups []string, disabled, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok {
		return "", "", nil, nil, false, false
	}
	return u.ID, u.Password, slices.Clone(u.Roles), slices.Clone(u.Groups), u.Disabled, true
}

// Audit appends an entry to the fake's audit log as the server would
// write it. GET /api/audit answers newest first.
func (s *Server) Audit(entry map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit = append(s.audit, entry)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	s.auths[r.URL.Path] = r.Header.Get("Authorization")
	route := r.Method + " " + r.URL.Path
	switch route {
	case "GET /api/health":
		writeJSON(w, 200, map[string]any{"status": "ok"})
		return
	case "POST /api/auth/login":
		s.login(w, r)
		return
	}
	u, token, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	admin := slices.Contains(u.Roles, "admin")
	needAdmin := func() bool {
		if !admin {
			writeError(w, 403, "forbidden", "this needs the admin role")
		}
		return admin
	}
	switch {
	case route == "POST /api/auth/logout":
		s.sessions[token].revoked = true
		s.record(u, "logout", "session", "success")
		writeJSON(w, 200, map[string]string{"status": "logged_out"})
	case route == "GET /api/auth/me":
		writeJSON(w, 200, map[string]any{"id": u.ID, "username": u.Username, "roles": u.Roles, "groups": u.Groups,
			"expires_at": s.sessions[token].expires.UTC().Format(time.RFC3339)})
	case route == "GET /api/users":
		if needAdmin() {
			names := make([]string, 0, len(s.users))
			for n := range s.users {
				names = append(names, n)
			}
			slices.Sort(names)
			list := []any{}
			for _, n := range names {
				list = append(list, userJSON(s.users[n]))
			}
			writeJSON(w, 200, map[string]any{"users": list})
		}
	case route == "POST /api/users":
		if needAdmin() {
			s.addUser(w, r, u)
		}
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/api/users/"):
		if needAdmin() {
			s.updateUser(w, r, u, strings.TrimPrefix(r.URL.Path, "/api/users/"))
		}
	case route == "POST /api/auth/keys/rotate":
		if needAdmin() {
			s.kid++
			s.record(u, "key_rotate", "keys", "success")
			writeJSON(w, 200, map[string]any{"kid": "k" + strconv.Itoa(s.kid), "previous_retires_at": s.now().Add(s.ttl).UTC().Format(time.RFC3339)})
		}
	case route == "GET /api/audit":
		if needAdmin() {
			s.listAudit(w, r)
		}
	case route == "GET /api/status":
		writeJSON(w, 200, map[string]any{"node_id": "fake", "version": "fake", "ready": true, "files": 0})
	case route == "GET /api/search":
		writeJSON(w, 200, map[string]any{"query": r.URL.Query().Get("q"), "total": 0, "hits": []any{}})
	default:
		if h, ok := s.extra[route]; ok {
			h(w, r)
			return
		}
		writeError(w, 404, "not_found", "no such endpoint: "+r.URL.Path)
	}
}

// authenticate checks the bearer token as the API does.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*fakeUser, string, bool) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if h == "" || !ok || token == "" {
		writeError(w, 401, "token_missing", "this endpoint needs a bearer token")
		return nil, "", false
	}
	ss, ok := s.sessions[token]
	switch {
	case !ok:
		writeError(w, 401, "token_bad_signature", "the token's signature does not verify")
	case ss.revoked:
		writeError(w, 401, "token_revoked", "the token was revoked")
	case !s.now().Before(ss.expires):
		writeError(w, 401, "token_expired", "the token has expired")
	default:
		u := s.users[ss.user]
		if u == nil || u.Disabled {
			writeError(w, 401, "token_revoked", "the account is disabled")
			return nil, "", false
		}
		return u, token, true
	}
	return nil, "", false
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ Username, Password string }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, 400, "bad_request", "the body must be JSON")
		return
	}
	u, ok := s.users[body.Username]
	if !ok || u.Password != body.Password || u.Disabled {
		writeError(w, 401, "bad_credentials", "wrong username or password")
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := "fake." + hex.EncodeToString(b)
	exp := s.now().Add(s.ttl).UTC().Truncate(time.Second)
	s.sessions[token] = &fakeSession{user: u.Username, expires: exp}
	s.record(u, "login_success", "session", "success")
	writeJSON(w, 200, map[string]any{"token": token, "token_type": "Bearer", "expires_at": exp.Format(time.RFC3339), "user": userJSON(u)})
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, by *fakeUser) {
	var body struct {
		Username, Password string
		Roles, Groups      []string
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, 400, "bad_request", "the body must be JSON")
		return
	}
	switch {
	case body.Username == "" || strings.ContainsAny(body.Username, " /"):
		writeError(w, 400, "bad_username", "a username is 1-64 letters, digits, '.', '_' or '-'")
		return
	case len(body.Password) < 8:
		writeError(w, 400, "bad_password", "a password needs at least 8 characters")
		return
	case s.users[body.Username] != nil:
		writeError(w, 409, "user_exists", fmt.Sprintf("user %q exists", body.Username))
		return
	}
	for _, role := range body.Roles {
		if !slices.Contains([]string{"admin", "user", "guest"}, role) {
			writeError(w, 400, "bad_role", fmt.Sprintf("unknown role %q", role))
			return
		}
	}
	t := s.now().UTC()
	u := &fakeUser{ID: "u-" + body.Username, Username: body.Username, Password: body.Password, Roles: orEmpty(body.Roles), Groups: orEmpty(body.Groups), Created: t, Updated: t}
	s.users[u.Username] = u
	s.record(by, "user_add", "user:"+u.Username, "success")
	writeJSON(w, 201, userJSON(u))
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, by *fakeUser, name string) {
	var body struct {
		Password *string
		Roles    *[]string
		Groups   *[]string
		Disabled *bool
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, 400, "bad_request", "the body must be JSON")
		return
	}
	u, ok := s.users[name]
	if !ok {
		writeError(w, 404, "user_not_found", fmt.Sprintf("no user %q", name))
		return
	}
	losesAdmin := (body.Roles != nil && !slices.Contains(*body.Roles, "admin")) || (body.Disabled != nil && *body.Disabled)
	if slices.Contains(u.Roles, "admin") && losesAdmin && s.admins() == 1 {
		writeError(w, 409, "last_admin", "the last administrator cannot lose the admin role or be disabled")
		return
	}
	if body.Password != nil {
		if len(*body.Password) < 8 {
			writeError(w, 400, "bad_password", "a password needs at least 8 characters")
			return
		}
		u.Password = *body.Password
	}
	if body.Roles != nil {
		u.Roles = orEmpty(*body.Roles)
	}
	if body.Groups != nil {
		u.Groups = orEmpty(*body.Groups)
	}
	if body.Disabled != nil {
		u.Disabled = *body.Disabled
	}
	u.Updated = s.now().UTC()
	s.record(by, "user_change", "user:"+u.Username, "success")
	writeJSON(w, 200, userJSON(u))
}

func (s *Server) admins() int {
	n := 0
	for _, u := range s.users {
		if !u.Disabled && slices.Contains(u.Roles, "admin") {
			n++
		}
	}
	return n
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since, until time.Time
	for name, dst := range map[string]*time.Time{"since": &since, "until": &until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeError(w, 400, "bad_time", name+" must be RFC 3339")
				return
			}
			*dst = t
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, 400, "bad_limit", "limit must be a positive integer")
			return
		}
		limit = n
	}
	start := 0
	if c := q.Get("cursor"); c != "" {
		start, _ = strconv.Atoi(c)
	}
	out := []any{}
	next := ""
	for i := start; i < len(s.audit); i++ {
		e := s.audit[len(s.audit)-1-i] // newest first, as the API answers
		ts, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(e["timestamp"]))
		match := (since.IsZero() || !ts.Before(since)) && (until.IsZero() || ts.Before(until))
		for _, f := range []string{"action", "resource", "result", "node"} {
			if v := q.Get(f); v != "" && fmt.Sprint(e[f]) != v {
				match = false
			}
		}
		if v := q.Get("user"); v != "" && fmt.Sprint(e["username"]) != v {
			match = false
		}
		if v := q.Get("user_id"); v != "" && fmt.Sprint(e["user_id"]) != v {
			match = false
		}
		if !match {
			continue
		}
		if len(out) == limit {
			next = strconv.Itoa(i)
			break
		}
		out = append(out, e)
	}
	resp := map[string]any{"entries": out}
	if next != "" {
		resp["next_cursor"] = next
	}
	writeJSON(w, 200, resp)
}

// record appends an audit entry for an action of u; s.mu is held.
func (s *Server) record(u *fakeUser, action, resource, result string) {
	s.audit = append(s.audit, map[string]any{
		"id": fmt.Sprintf("fake-%d", len(s.audit)+1), "node": "fake", "seq": len(s.audit) + 1,
		"timestamp": s.now().UTC().Format(time.RFC3339Nano), "user_id": u.ID, "username": u.Username,
		"action": action, "resource": resource, "ip_address": "127.0.0.1", "result": result,
	})
}

func userJSON(u *fakeUser) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "roles": u.Roles, "groups": u.Groups, "disabled": u.Disabled,
		"created_at": u.Created.Format(time.RFC3339), "updated_at": u.Updated.Format(time.RFC3339)}
}

func orEmpty(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg, "request_id": "fake-req"}})
}
