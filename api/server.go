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
)

// Config holds what a Server needs. Searcher, Files, Cluster and Status are
// required; the rest have defaults.
type Config struct {
	Searcher Searcher
	Files    Files
	Cluster  Cluster
	Status   Status
	Events   EventSource // optional: GET /api/events answers 503 without it

	Logger   *slog.Logger
	Registry *prometheus.Registry // metrics are registered here and served at /metrics; nil = none
	Now      func() time.Time
	// MaxBodyBytes bounds every request body; default 1 MiB.
	MaxBodyBytes int64
	// Extra routes registered by other subsystems (pattern → handler).
	Extra map[string]http.Handler
}

// Server is the public HTTP API. It is an http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
}

var _ http.Handler = (*Server)(nil)

// New builds a Server. It starts nothing.
func New(cfg Config) (*Server, error) {
	if cfg.Searcher == nil || cfg.Files == nil || cfg.Cluster == nil || cfg.Status == nil {
		return nil, fmt.Errorf("api: Searcher, Files, Cluster and Status are required")
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
	s := &Server{cfg: cfg, log: cfg.Logger.With("component", "api"), mux: http.NewServeMux()}
	var reg prometheus.Registerer
	if cfg.Registry != nil {
		reg = cfg.Registry
	}
	s.metrics = newMetrics(reg)
	s.routes()
	return s, nil
}

// route registers one path with a handler per method; other methods get a
// JSON 405 with an Allow header.
func (s *Server) route(path string, methods map[string]http.HandlerFunc) {
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

func (s *Server) routes() {
	get := func(h http.HandlerFunc) map[string]http.HandlerFunc {
		return map[string]http.HandlerFunc{http.MethodGet: h}
	}
	s.route("/api/health", get(s.handleHealth))
	s.route("/api/status", get(s.handleStatus))
	s.route("/api/search", get(s.handleSearch))
	s.route("/api/files/{file_id}", get(s.handleFile))
	s.route("/api/files/{file_id}/content", get(s.handleContent))
	s.route("/api/files/{file_id}/download", get(s.handleDownload))
	s.route("/api/nodes", get(s.handleNodes))
	s.route("/api/events", get(s.handleEvents))
	s.route("/api/node/leave", map[string]http.HandlerFunc{http.MethodPost: s.handleLeave})
	s.route("/api/openapi.json", get(s.handleOpenAPI))
	for pattern, h := range s.cfg.Extra {
		s.mux.Handle(pattern, s.instrument(pattern, h))
	}
	if s.cfg.Registry != nil {
		s.mux.Handle("/metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
	}
	s.mux.Handle("/api/", s.instrument("/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeErrorBody(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path+" (see /api/openapi.json)", requestID(r.Context()))
	})))
}

// ServeHTTP adds a request id, bounds the body and recovers from panics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := newRequestID()
	w.Header().Set("X-Request-Id", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
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

// handleLeave makes this node leave the cluster gracefully; the process
// keeps serving its API until it is stopped.
func (s *Server) handleLeave(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Cluster.Leave(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "left"})
}

var errBadFileID = ds.Errorf(ds.KindInvalid, "bad_file_id", "a file id is 64 lower-case hexadecimal characters")
