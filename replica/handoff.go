package replica

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica/version"
)

// envelopeCost estimates an envelope's JSON size.
func envelopeCost(e version.Envelope) int64 {
	return int64(len(e.Value))*4/3 + int64(len(e.Key))*2 + 512
}

// batches splits entries into requests of at most MaxBatch entries and
// about half of MaxBodyBytes each.
func (s *Service) batches(entries []WriteEntry) [][]WriteEntry {
	var out [][]WriteEntry
	var cur []WriteEntry
	var size int64
	for _, e := range entries {
		c := envelopeCost(e.Envelope)
		if len(cur) > 0 && (len(cur) == s.cfg.MaxBatch || size+c > s.cfg.MaxBodyBytes/2) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, e)
		size += c
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// ReplayHints sends held hints to every target that is ALIVE in the view.
// A hint is deleted only after its target acknowledged it (fsynced), or
// when the target no longer holds the partition or has left the cluster
// (those are counted as dropped: anti-entropy among the current replicas
// covers them). It returns how many hints were delivered.
func (s *Service) ReplayHints(ctx context.Context) (int, error) {
	l, err := s.layout()
	if err != nil {
		return 0, err
	}
	pending := s.store.PendingHints()
	targets := make([]string, 0, len(pending))
	for t := range pending {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	total := 0
	var errs []error
	for _, t := range targets {
		m, known := l.Members[t]
		switch {
		case !known || m.Status == cluster.StatusLeft:
			n, err := s.dropHints(t)
			s.log.Warn("dropped hints for a member that left", "target", t, "count", n)
			if err != nil {
				errs = append(errs, err)
			}
			continue
		case m.Status != cluster.StatusAlive:
			continue
		}
		n, err := s.replayTo(ctx, l, m)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("hints for %s: %w", t, err))
		}
	}
	return total, errors.Join(errs...)
}

func (s *Service) replayTo(ctx context.Context, l *Layout, m cluster.Member) (int, error) {
	total := 0
	for ctx.Err() == nil {
		hs, err := s.store.Hints(m.ID, s.cfg.HintBatch)
		if err != nil || len(hs) == 0 {
			return total, err
		}
		entries := make([]WriteEntry, len(hs))
		for i, h := range hs {
			entries[i] = WriteEntry{Partition: h.Partition, Envelope: h.Envelope}
		}
		off := 0
		for _, b := range s.batches(entries) {
			res, err := s.sendWrites(ctx, l, m, b)
			if err != nil {
				return total, err
			}
			var done []uint64
			for i, r := range res {
				h := hs[off+i]
				switch r.Code {
				case CodeOK:
					done = append(done, h.Seq)
					total++
				case CodeNotReplica, CodeInvalid:
					done = append(done, h.Seq)
					s.stats.hintsDropped.Add(1)
					s.m.hintsDropped.Inc()
					s.log.Warn("hint refused by its target; dropped", "target", m.ID, "key", h.Envelope.Key, "code", r.Code)
				}
			}
			off += len(b)
			if err := s.store.DeleteHints(m.ID, done); err != nil {
				return total, err
			}
			s.stats.hintsReplayed.Add(uint64(len(done)))
			s.m.hintsReplayed.Add(float64(len(done)))
			if len(done) < len(b) {
				return total, fmt.Errorf("%d of %d hints not acknowledged", len(b)-len(done), len(b))
			}
		}
	}
	return total, ctx.Err()
}

func (s *Service) dropHints(target string) (int, error) {
	n := 0
	for {
		hs, err := s.store.Hints(target, 1024)
		if err != nil || len(hs) == 0 {
			return n, err
		}
		seqs := make([]uint64, len(hs))
		for i, h := range hs {
			seqs[i] = h.Seq
		}
		if err := s.store.DeleteHints(target, seqs); err != nil {
			return n, err
		}
		n += len(hs)
		s.stats.hintsDropped.Add(uint64(len(hs)))
		s.m.hintsDropped.Add(float64(len(hs)))
	}
}
