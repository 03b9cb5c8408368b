package replica

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica/merkle"
)

// AntiEntropyStatus reports anti-entropy progress since the service started.
type AntiEntropyStatus struct {
	Rounds             uint64        `json:"rounds"`
	PartitionsCompared uint64        `json:"partitions_compared"` // (partition, peer) comparisons
	PartitionsDiffered uint64        `json:"partitions_differed"`
	KeysExchanged      uint64        `json:"keys_exchanged"`
	RoundTrips         uint64        `json:"round_trips"`
	LastRun            time.Time     `json:"last_run,omitzero"`
	LastDuration       time.Duration `json:"last_duration"`
	LastError          string        `json:"last_error,omitempty"`
}

// Round is what one anti-entropy round did.
type Round struct {
	Compared, Differed, Keys int
}

// RunAntiEntropy compares every partition this node holds with each other
// ALIVE replica of it and exchanges the keys that differ. Rounds do not
// overlap.
func (s *Service) RunAntiEntropy(ctx context.Context) (Round, error) {
	s.aeRun.Lock()
	defer s.aeRun.Unlock()
	start := s.deps.Now()
	var rd Round
	var errs []error
	var trips int
	l, err := s.layout()
	if err == nil {
		// The partitions shared with each ALIVE peer, in placement order.
		shared := map[string][]int{}
		var peers []string
		for _, p := range l.Table.PartitionsOf(s.self) {
			for _, r := range l.Table.ReplicaSet(p) {
				if r == s.self || !l.Alive(r) {
					continue
				}
				if shared[r] == nil {
					peers = append(peers, r)
				}
				shared[r] = append(shared[r], p)
			}
		}
		for _, r := range peers {
			m := l.Members[r]
			// One roots request per batch of partitions; only those whose
			// roots differ are descended into.
			differ, t, err := s.differingRoots(ctx, m, shared[r])
			trips += t
			rd.Compared += len(shared[r])
			if err != nil {
				errs = append(errs, fmt.Errorf("roots with %s: %w", r, err))
				continue
			}
			for _, p := range differ {
				if ctx.Err() != nil {
					break
				}
				keys, st, err := s.syncPartition(ctx, l, p, m)
				trips += st.RoundTrips
				if keys > 0 {
					rd.Differed++
					rd.Keys += keys
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("partition %d with %s: %w", p, r, err))
				}
			}
		}
	}
	err = errors.Join(err, errors.Join(errs...))
	s.aeMu.Lock()
	defer s.aeMu.Unlock()
	s.ae.Rounds++
	s.ae.PartitionsCompared += uint64(rd.Compared)
	s.ae.PartitionsDiffered += uint64(rd.Differed)
	s.ae.KeysExchanged += uint64(rd.Keys)
	s.ae.RoundTrips += uint64(trips)
	s.ae.LastRun = start
	s.ae.LastDuration = s.deps.Now().Sub(start)
	s.ae.LastError = ""
	if err != nil {
		s.ae.LastError = err.Error()
	}
	s.m.aeRounds.Inc()
	s.m.aeKeys.Add(float64(rd.Keys))
	return rd, err
}

// differingRoots returns the partitions of ps whose Merkle root on m
// differs from this node's, and the round trips it took.
func (s *Service) differingRoots(ctx context.Context, m cluster.Member, ps []int) ([]int, int, error) {
	var differ []int
	trips := 0
	for start := 0; start < len(ps); start += s.cfg.MaxBatch {
		batch := ps[start:min(start+s.cfg.MaxBatch, len(ps))]
		var resp RootsResponse
		trips++
		if err := s.call(ctx, m, http.MethodPost, PathMerkleRoots, RootsRequest{Partitions: batch}, &resp); err != nil {
			return nil, trips, err
		}
		if len(resp.Roots) != len(batch) {
			return nil, trips, fmt.Errorf("%d roots for %d partitions", len(resp.Roots), len(batch))
		}
		for i, p := range batch {
			if resp.Roots[i].Partition != p || resp.Roots[i].Root != hexHash(s.store.Tree(p).Root()) {
				differ = append(differ, p)
			}
		}
	}
	return differ, trips, nil
}

// syncPartition reconciles partition p with member m: it descends the two
// Merkle trees only where they differ, pulls the remote envelopes of the
// differing keys, resolves them into the local copy, then pushes the
// resolved local envelopes back, so both sides end equal. It returns the
// number of keys exchanged.
func (s *Service) syncPartition(ctx context.Context, l *Layout, p int, m cluster.Member) (int, merkle.Stats, error) {
	diffs, st, err := merkle.Reconcile(ctx, s.store.Tree(p), merklePeer{s: s, m: m, p: p})
	if err != nil || len(diffs) == 0 {
		return 0, st, err
	}
	var pull, all []string
	for _, d := range diffs {
		all = append(all, d.Key)
		if d.InRemote {
			pull = append(pull, d.Key)
		}
	}
	for start := 0; start < len(pull); {
		end := min(start+s.cfg.MaxBatch, len(pull))
		var resp EntriesResponse
		if err := s.call(ctx, m, http.MethodPost, PathEntries, EntriesRequest{Partition: p, Keys: pull[start:end]}, &resp); err != nil {
			return 0, st, fmt.Errorf("pull: %w", err)
		}
		st.RoundTrips++
		if len(resp.Entries) == 0 {
			break // nothing fitted: try again next round
		}
		for _, e := range resp.Entries {
			if l.Table.PartitionOf(e.Key) != p {
				return 0, st, fmt.Errorf("peer sent key %q outside partition %d", e.Key, p)
			}
			if _, err := s.applyLocal(p, e); err != nil {
				return 0, st, err
			}
		}
		start += len(resp.Entries)
	}
	local, err := s.store.Entries(p, all)
	if err != nil {
		return 0, st, err
	}
	entries := make([]WriteEntry, len(local))
	for i, e := range local {
		entries[i] = WriteEntry{Partition: p, Envelope: e}
	}
	for _, b := range s.batches(entries) {
		res, err := s.sendWrites(ctx, l, m, b)
		st.RoundTrips++
		if err != nil {
			return 0, st, fmt.Errorf("push: %w", err)
		}
		for _, r := range res {
			if r.Code != CodeOK {
				return 0, st, fmt.Errorf("push refused: %s: %s", r.Code, r.Error)
			}
		}
	}
	return len(diffs), st, nil
}

// AntiEntropy returns the progress so far.
func (s *Service) AntiEntropy() AntiEntropyStatus {
	s.aeMu.Lock()
	defer s.aeMu.Unlock()
	return s.ae
}
