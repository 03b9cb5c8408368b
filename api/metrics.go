package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/distrisearch/distrisearch/auth/ratelimit"
)

// metrics are the API's Prometheus series.
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	limited       *prometheus.CounterVec
	auditFailures prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, limits *ratelimit.Set) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distrisearch", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "distrisearch", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "distrisearch", Subsystem: "http", Name: "rate_limited_total",
			Help: "Requests refused with 429, by limiter (ip, user, login).",
		}, []string{"limiter"}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "distrisearch", Subsystem: "audit", Name: "failures_total",
			Help: "Audit entries that could not be recorded.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.limited, m.auditFailures)
		for name, l := range map[string]*ratelimit.Limiter{"ip": limits.PerIP, "user": limits.PerUser, "login": limits.Login} {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Namespace: "distrisearch", Subsystem: "ratelimit", Name: "evicted_active_total",
				Help:        "Drained buckets evicted to bound memory (a sign of key flooding).",
				ConstLabels: prometheus.Labels{"limiter": name},
			}, func() float64 { return float64(l.Stats().EvictedActive) }))
		}
	}
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (SSE, deadlines).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		code := rec.code
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}
