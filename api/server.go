package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/ratelimit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/auth/token"
)

// Config holds what a Server needs. Searcher, Files, Cluster, Status,
// Accounts and Tokens are required; the rest have defaults.
type Config struct {
	Searcher Searcher
	Files    Files
	Cluster  Cluster
	Status   Status
	Events   EventSource // optional: GET /api/events answers 503 without it

	// Accounts checks passwords and manages users; Tokens issues and
	// verifies the bearer tokens every non-public route requires.
	Accounts Accounts
	Tokens   *token.Tokens
	// Access restricts shares to roles or groups; nil: every share is
	// visible to anyone with read:files.
	Access Access
	// Audit records sensitive operations and serves GET /api/audit;
	// optional.
	Audit AuditLog
	// Limits are the request rate limits; nil: ratelimit.DefaultConfig.
	Limits *ratelimit.Set
	// ClientKey picks the per-address bucket; nil: ratelimit.ClientIP
	// (the connection's address; X-Forwarded-For is not trusted).
	ClientKey ratelimit.KeyFunc
	// AnonymousSearch serves requests without a token as the guest role.
	AnonymousSearch bool
	// DataPlane, if set, adds the data plane's state to GET /api/cluster.
	DataPlane DataPlane

	Logger   *slog.Logger
	Registry *prometheus.Registry // metrics are registered here and served at /metrics; nil = none
	Now      func() time.Time
	// MaxBodyBytes bounds every request body but an upload's; default 1 MiB.
	MaxBodyBytes int64
	// Uploads stores files sent to POST /api/files and removes them for
	// DELETE /api/files/{file_id}; optional: both answer 503 without it.
	Uploads Uploads
	// Folders deletes and moves folders of uploaded files (DELETE
	// /api/folders, POST /api/folders/move); optional: both answer 503
	// without it.
	Folders Folders
	// MaxUploadBytes bounds one upload's body; default 1 GiB.
	MaxUploadBytes int64
	// UploadTimeout bounds the time a client may take to send an upload's
	// body (the node's server-wide read timeout is shorter); default 1 h.
	UploadTimeout time.Duration
	// Extra routes registered by other subsystems, each with its
	// permission.
	Extra []Route
}

// Route is an extra endpoint: "METHOD /path", the permission it needs
// (rbac.Public for none) and its handler.
type Route struct {
	Pattern    string
	Permission rbac.Permission
	Handler    http.HandlerFunc
}

// Server is the public HTTP API. It is an http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	limits  *ratelimit.Set
	// table holds the permission of every route served; routes lists them.
	table  rbac.Table
	routes []rbac.Route

	tokenTTL, tokenLeeway time.Duration
}

var _ http.Handler = (*Server)(nil)

// New builds a Server. It starts nothing.
func New(cfg Config) (*Server, error) {
	if cfg.Searcher == nil || cfg.Files == nil || cfg.Cluster == nil || cfg.Status == nil {
		return nil, fmt.Errorf("api: Searcher, Files, Cluster and Status are required")
	}
	if cfg.Accounts == nil || cfg.Tokens == nil {
		return nil, errNoAccounts
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.UploadTimeout <= 0 {
		cfg.UploadTimeout = time.Hour
	}
	if cfg.ClientKey == nil {
		cfg.ClientKey = ratelimit.ClientIP
	}
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "api"), mux: http.NewServeMux(), limits: cfg.Limits,
		table: rbac.Table{}, tokenTTL: cfg.Tokens.Config().TTL, tokenLeeway: cfg.Tokens.Config().Leeway}
	if s.limits == nil {
		var err error
		if s.limits, err = ratelimit.NewSet(ratelimit.DefaultConfig()); err != nil {
			return nil, err
		}
	}
	var reg prometheus.Registerer
	if cfg.Registry != nil {
		reg = cfg.Registry
	}
	s.metrics = newMetrics(reg, s.limits)
	if err := s.register(); err != nil {
		return nil, err
	}
	return s, nil
}

// Routes returns every route the server serves, as "METHOD /pattern".
func (s *Server) Routes() []rbac.Route { return slices.Clone(s.routes) }

// Permissions returns the permission table of the routes served.
func (s *Server) Permissions() rbac.Table { return maps.Clone(s.table) }

func (s *Server) clientIP(r *http.Request) (string, bool) { return s.cfg.ClientKey(r) }

// endpoint is one method of a route: its permission and handler.
type endpoint struct {
	perm rbac.Permission
	h    http.HandlerFunc
}

// route registers one path with a handler per method, each behind the
// guard of its permission (permissions.go); other methods get a JSON 405
// with an Allow header.
func (s *Server) route(path string, eps map[string]endpoint) {
	methods := make(map[string]http.HandlerFunc, len(eps))
	for m, ep := range eps {
		rt := rbac.Route(m + " " + path)
		s.table[rt] = ep.perm
		s.routes = append(s.routes, rt)
		methods[m] = s.guard(ep.perm, ep.h)
	}
	allowHdr := strings.Join(slices.Sorted(maps.Keys(methods)), ", ")
	s.mux.Handle(path, s.instrument(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = methods[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", allowHdr)
			writeErrorBody(w, http.StatusMethodNotAllowed, "method_not_allowed",
				fmt.Sprintf("%s is not allowed here; use %s", r.Method, allowHdr), requestID(r.Context()))
			return
		}
		h(w, r)
	})))
}

// register serves every route with the permission permissions.go
// declares for it; a route without a declaration is a programming error
// and fails New.
func (s *Server) register() error {
	handlers := s.handlers()
	if s.cfg.Registry != nil {
		metrics := promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})
		handlers["GET /metrics"] = metrics.ServeHTTP
	}
	for _, x := range s.cfg.Extra {
		if _, dup := handlers[x.Pattern]; dup {
			return fmt.Errorf("api: extra route %q is already served", x.Pattern)
		}
		handlers[x.Pattern] = x.Handler
	}
	byPath := map[string]map[string]endpoint{}
	var missing []string
	for pattern, h := range handlers {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			return fmt.Errorf("api: route %q is not \"METHOD /path\"", pattern)
		}
		perm, declared := permissions[rbac.Route(pattern)]
		for _, x := range s.cfg.Extra {
			if x.Pattern == pattern {
				perm, declared = x.Permission, x.Permission != ""
			}
		}
		if !declared {
			missing = append(missing, pattern)
			continue
		}
		if byPath[path] == nil {
			byPath[path] = map[string]endpoint{}
		}
		byPath[path][method] = endpoint{perm: perm, h: h}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("api: no permission declared for %s (add it to the table in api/permissions.go)", strings.Join(missing, ", "))
	}
	for _, path := range slices.Sorted(maps.Keys(byPath)) {
		s.route(path, byPath[path])
	}
	slices.Sort(s.routes)
	s.mux.Handle("/api/", s.instrument("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allowAddress(w, r) {
			return
		}
		writeErrorBody(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path+" (see /api/openapi.json)", requestID(r.Context()))
	})))
	return nil
}

// ServeHTTP adds a request id, bounds the body and recovers from panics.
// The unbounded body stays in the context for the upload route, which
// sets its own bound (uploadBody).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := newRequestID()
	w.Header().Set("X-Request-Id", id)
	ctx := context.WithValue(r.Context(), requestIDKey{}, id)
	if r.Body != nil {
		ctx = context.WithValue(ctx, rawBodyKey{}, r.Body)
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	r = r.WithContext(ctx)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic in handler", "path", r.URL.Path, "request_id", id, "panic", v, "stack", string(debug.Stack()))
			writeErrorBody(w, http.StatusInternalServerError, "internal", "internal error", id)
		}
	}()
	s.mux.ServeHTTP(w, r)
}

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "time": s.cfg.Now().UTC()})
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.cfg.Status.Status(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) handleNodes(w http.ResponseWriter, r *http.Request) {
	info, err := s.cfg.Cluster.Info(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if info.Nodes == nil {
		info.Nodes = []NodeInfo{}
	}
	if info.Services == nil {
		info.Services = []ServiceInfo{}
	}
	writeJSON(w, http.StatusOK, info)
}

// handleCluster is GET /api/cluster: the members as GET /api/nodes shows
// them, and the data plane's partitions, replica sets, hints and
// anti-entropy progress as this node sees them.
func (s *Server) handleCluster(w http.ResponseWriter, r *http.Request) {
	info, err := s.cfg.Cluster.Info(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := map[string]any{"cluster": info}
	if s.cfg.DataPlane != nil {
		data, err := s.cfg.DataPlane.DataStatus(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out["data"] = data
	}
	writeJSON(w, http.StatusOK, out)
}

// handleLeave makes this node leave the cluster gracefully; the process
// keeps serving its API until it is stopped.
func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) {
	err := s.cfg.Cluster.Leave(r.Context())
	s.audit(r, audit.Entry{Action: audit.ActionConfigChange, Resource: "node:leave", Result: resultOf(err)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "left"})
}

var errBadFileID = ds.Errorf(ds.KindInvalid, "bad_file_id", "a file id is 64 lower-case hexadecimal characters")
