package replica

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
)

var errNotAlive = errors.New("replica not ALIVE in the view")

// Put writes value under key at level and returns the new version once W
// replicas stored it durably.
func (s *Service) Put(ctx context.Context, key string, value []byte, level quorum.Level) (version.Version, error) {
	if len(value) > s.cfg.MaxValueBytes {
		return version.Version{}, fmt.Errorf("replica: value of %d bytes exceeds %d", len(value), s.cfg.MaxValueBytes)
	}
	return s.write(ctx, key, value, false, level)
}

// Delete writes a tombstone for key at level.
func (s *Service) Delete(ctx context.Context, key string, level quorum.Level) (version.Version, error) {
	return s.write(ctx, key, nil, true, level)
}

type answer struct {
	replica string
	err     error
	env     *version.Envelope // reads: nil if the replica holds nothing
}

func (s *Service) write(ctx context.Context, key string, value []byte, tombstone bool, level quorum.Level) (version.Version, error) {
	if s.closed.Load() {
		return version.Version{}, ErrClosed
	}
	if key == "" || len(key) > version.MaxKeyLen {
		return version.Version{}, version.ErrBadKey
	}
	l, err := s.layout()
	if err != nil {
		return version.Version{}, err
	}
	p := l.Table.PartitionOf(key)
	set := l.Table.ReplicaSet(p)
	// The base is this node's copy when it holds the partition: a write
	// then descends from everything this replica has seen. Otherwise the
	// write is blind; the HLC counter still orders it after this node's
	// earlier writes (version.Counter).
	var base version.Version
	if l.Table.Holds(s.self, p) {
		if cur, ok, err := s.store.Get(p, key); err == nil && ok {
			base = cur.Version
		}
	}
	v, err := s.nextVersion(base)
	if err != nil {
		return version.Version{}, err
	}
	e := version.Envelope{Key: key, Version: v, Value: value, Tombstone: tombstone}
	if tombstone {
		e.Value = nil
		e.DeletedAt = v.Stamp.Time()
	}
	if err := e.Validate(); err != nil {
		return version.Version{}, err
	}
	tr, err := quorum.ForWrite(level, set)
	if err != nil {
		return version.Version{}, err
	}
	answers := make(chan answer, len(set))
	for _, r := range set {
		s.background(func(ctx context.Context) {
			answers <- answer{replica: r, err: s.writeOne(ctx, l, p, r, e)}
		})
	}
	outcome := quorum.Pending
	for outcome == quorum.Pending {
		select {
		case a := <-answers:
			if a.err != nil {
				outcome, _ = tr.Fail(a.replica)
			} else {
				outcome, _ = tr.Ack(a.replica)
			}
		case <-ctx.Done():
			s.m.write(level, "timeout")
			return version.Version{}, fmt.Errorf("replica: write %q: %d of %d acks: %w", key, tr.Acks(), tr.Need(), ctx.Err())
		case <-s.ctx.Done():
			return version.Version{}, ErrClosed
		}
	}
	if outcome == quorum.Failed {
		s.m.write(level, "unavailable")
		return version.Version{}, fmt.Errorf("%w: write %q at %s: %d of %d required acks", ErrQuorumUnavailable, key, level, tr.Acks(), tr.Need())
	}
	s.m.write(level, "ok")
	return v, nil
}

// writeOne stores e on replica r, or a hint for r when r is not ALIVE or
// fails. It returns nil only when r acknowledged.
func (s *Service) writeOne(ctx context.Context, l *Layout, p int, r string, e version.Envelope) error {
	if r == s.self {
		_, err := s.applyLocal(p, e)
		return err
	}
	var err error
	if !l.Alive(r) {
		err = errNotAlive
	} else {
		var res []WriteResult
		res, err = s.sendWrites(ctx, l, l.Members[r], []WriteEntry{{Partition: p, Envelope: e}})
		if err == nil && res[0].Code != CodeOK {
			err = fmt.Errorf("replica %s: %s: %s", r, res[0].Code, res[0].Error)
		}
	}
	if err != nil {
		s.hint(r, p, e)
	}
	return err
}

// hint stores e durably for target.
func (s *Service) hint(target string, p int, e version.Envelope) {
	if err := s.store.AddHint(target, p, e); err != nil {
		s.log.Error("store hint", "target", target, "key", e.Key, "err", err)
		return
	}
	s.stats.hintsStored.Add(1)
	s.m.hintsStored.Inc()
}

// Result is the answer to Get.
type Result struct {
	// Envelope is the resolved newest envelope (a tombstone if the key was
	// deleted); zero if no replica that answered holds the key.
	Envelope version.Envelope
	// Found reports that the key exists and is not deleted.
	Found bool
	// Answered is how many replicas answered before Get returned.
	Answered int
}

// Get reads key at level: it waits for R answers and returns the resolved
// newest version. Replicas that answered with an older or no copy are
// repaired in the background, after the remaining answers came in.
func (s *Service) Get(ctx context.Context, key string, level quorum.Level) (Result, error) {
	if s.closed.Load() {
		return Result{}, ErrClosed
	}
	if key == "" || len(key) > version.MaxKeyLen {
		return Result{}, version.ErrBadKey
	}
	l, err := s.layout()
	if err != nil {
		return Result{}, err
	}
	p := l.Table.PartitionOf(key)
	set := l.Table.ReplicaSet(p)
	tr, err := quorum.ForRead(level, set)
	if err != nil {
		return Result{}, err
	}
	answers := make(chan answer, len(set))
	for _, r := range set {
		s.background(func(ctx context.Context) {
			env, err := s.readOne(ctx, l, p, r, key)
			answers <- answer{replica: r, env: env, err: err}
		})
	}
	var got []answer
	outcome := quorum.Pending
	for outcome == quorum.Pending {
		select {
		case a := <-answers:
			if a.err != nil {
				outcome, _ = tr.Fail(a.replica)
			} else {
				got = append(got, a)
				outcome, _ = tr.Ack(a.replica)
			}
		case <-ctx.Done():
			s.m.read(level, "timeout")
			return Result{}, fmt.Errorf("replica: read %q: %d of %d answers: %w", key, tr.Acks(), tr.Need(), ctx.Err())
		case <-s.ctx.Done():
			return Result{}, ErrClosed
		}
	}
	if outcome == quorum.Failed {
		s.m.read(level, "unavailable")
		return Result{}, fmt.Errorf("%w: read %q at %s: %d of %d required answers", ErrQuorumUnavailable, key, level, tr.Acks(), tr.Need())
	}
	best, err := s.resolveAnswers(got)
	if err != nil {
		s.m.read(level, "error")
		return Result{}, err
	}
	s.m.read(level, "ok")
	pending := len(set) - len(got) - tr.Failures()
	s.background(func(ctx context.Context) { s.readRepair(ctx, l, p, got, pending, answers) })
	res := Result{Answered: len(got)}
	if best != nil {
		res.Envelope = *best
		res.Found = !best.Tombstone
	}
	return res, nil
}

// resolveAnswers folds the answers' envelopes into the newest one, or nil.
func (s *Service) resolveAnswers(got []answer) (*version.Envelope, error) {
	var best *version.Envelope
	for _, a := range got {
		if a.env == nil {
			continue
		}
		if best == nil {
			e := *a.env
			best = &e
			continue
		}
		out, err := version.Resolve(*best, *a.env, s.store.Resolver())
		if err != nil {
			return nil, err
		}
		best = &out.Result
	}
	return best, nil
}

// readRepair waits for up to pending more answers, resolves all of them
// and writes the result to every replica that answered with something else.
func (s *Service) readRepair(ctx context.Context, l *Layout, p int, got []answer, pending int, answers <-chan answer) {
	for ; pending > 0; pending-- {
		select {
		case a := <-answers:
			if a.err == nil {
				got = append(got, a)
			}
		case <-ctx.Done():
			pending = 0
		}
	}
	best, err := s.resolveAnswers(got)
	if err != nil || best == nil {
		return
	}
	want, err := best.Digest()
	if err != nil {
		return
	}
	for _, a := range got {
		if a.env != nil {
			if d, err := a.env.Digest(); err == nil && d == want {
				continue
			}
		}
		var err error
		if a.replica == s.self {
			_, err = s.applyLocal(p, *best)
		} else {
			var res []WriteResult
			res, err = s.sendWrites(ctx, l, l.Members[a.replica], []WriteEntry{{Partition: p, Envelope: *best}})
			if err == nil && res[0].Code != CodeOK {
				err = errors.New(res[0].Code + ": " + res[0].Error)
			}
		}
		if err != nil {
			s.log.Debug("read repair", "replica", a.replica, "key", best.Key, "err", err)
			continue
		}
		s.stats.readRepairs.Add(1)
		s.m.readRepairs.Inc()
	}
}

// readOne reads key's envelope from replica r.
func (s *Service) readOne(ctx context.Context, l *Layout, p int, r, key string) (*version.Envelope, error) {
	if r == s.self {
		e, ok, err := s.store.Get(p, key)
		if err != nil || !ok {
			return nil, err
		}
		return &e, nil
	}
	if !l.Alive(r) {
		return nil, errNotAlive
	}
	var resp ReadResponse
	path := PathRead + ResourceID(key) + "?partition=" + strconv.Itoa(p)
	if err := s.call(ctx, l.Members[r], http.MethodGet, path, nil, &resp); err != nil {
		return nil, err
	}
	if !resp.Found || resp.Envelope == nil {
		return nil, nil
	}
	if resp.Envelope.Key != key {
		return nil, fmt.Errorf("replica %s answered for key %q", r, resp.Envelope.Key)
	}
	return resp.Envelope, nil
}
