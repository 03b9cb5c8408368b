package replica

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/distrisearch/distrisearch/replica/quorum"
)

// metrics are the service's Prometheus metrics.
type metrics struct {
	writes, reads                            *prometheus.CounterVec // level, outcome
	hintsStored, hintsReplayed, hintsDropped prometheus.Counter
	readRepairs, conflicts, overwritten      prometheus.Counter
	aeRounds, aeKeys                         prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, s *Service) (*metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "distrisearch", Subsystem: "replica", Name: name, Help: help})
	}
	m := &metrics{
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "distrisearch", Subsystem: "replica", Name: "writes_total",
			Help: "Coordinated writes (puts and deletes) by consistency level and outcome."}, []string{"level", "outcome"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "distrisearch", Subsystem: "replica", Name: "reads_total",
			Help: "Coordinated reads by consistency level and outcome."}, []string{"level", "outcome"}),
		hintsStored:   counter("hints_stored_total", "Hints stored for replicas that were down or failed."),
		hintsReplayed: counter("hints_replayed_total", "Hints acknowledged by their target and deleted."),
		hintsDropped:  counter("hints_dropped_total", "Hints dropped because the target left or no longer holds the partition."),
		readRepairs:   counter("read_repairs_total", "Replicas repaired by reads."),
		conflicts:     counter("conflicts_total", "Concurrent versions merged on this replica."),
		overwritten:   counter("conflicts_overwritten_total", "Concurrent acknowledged writes whose state was overwritten on this replica."),
		aeRounds:      counter("antientropy_rounds_total", "Anti-entropy rounds."),
		aeKeys:        counter("antientropy_keys_total", "Keys exchanged by anti-entropy."),
	}
	if reg == nil {
		return m, nil
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "distrisearch", Subsystem: "replica", Name: "hints_pending",
		Help: "Hints held on this node for other replicas."}, func() float64 {
		n := 0
		for _, c := range s.store.PendingHints() {
			n += c
		}
		return float64(n)
	})
	for _, c := range []prometheus.Collector{m.writes, m.reads, m.hintsStored, m.hintsReplayed, m.hintsDropped,
		m.readRepairs, m.conflicts, m.overwritten, m.aeRounds, m.aeKeys, pending} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) write(l quorum.Level, outcome string) {
	m.writes.WithLabelValues(l.String(), outcome).Inc()
}
func (m *metrics) read(l quorum.Level, outcome string) {
	m.reads.WithLabelValues(l.String(), outcome).Inc()
}
