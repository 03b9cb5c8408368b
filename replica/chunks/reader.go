package chunks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica"
)

// fetch returns chunk c, verified: from the local store when it holds a
// good copy, else from the other replicas of the partition (ALIVE ones
// first, in replica-set order), else from the other ALIVE members (a
// former replica still holds the chunks of a partition that moved until
// it handed them over), trying the next on any failure. A chunk fetched
// by a node that is itself a replica is stored locally (repair on read).
func (s *Service) fetch(ctx context.Context, members, others []cluster.Member, c ChunkRef) ([]byte, error) {
	b, err := s.store.Get(c.Hash)
	switch {
	case err == nil && len(b) == int(c.Size):
		return b, nil
	case err == nil:
		return nil, fmt.Errorf("chunk %s: stored %d bytes, manifest says %d: %w", c.Hash, len(b), c.Size, ErrBadManifest)
	case errors.Is(err, ErrCorrupt):
		s.log.Warn("corrupt chunk quarantined", "hash", c.Hash.String())
	case !errors.Is(err, ErrNotFound):
		s.log.Warn("read local chunk", "hash", c.Hash.String(), "err", err)
	}
	var errs []error
	for pass := range 3 { // ALIVE replicas, the other replicas, ALIVE others
		list := members
		if pass == 2 {
			list = others
		}
		for _, m := range list {
			if m.ID == s.deps.Self {
				continue
			}
			if (m.Status == cluster.StatusAlive) != (pass != 1) || m.InternalAddr == "" {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b, err := s.getRemote(ctx, m, c.Hash, int(c.Size))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m.ID, err))
				continue
			}
			if s.isMember(members) {
				if _, err := s.store.Put(c.Hash, b); err != nil {
					s.log.Warn("store fetched chunk", "hash", c.Hash.String(), "err", err)
				}
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("chunk %s: %w: %w", c.Hash, ErrUnavailable, errors.Join(errs...))
}

func (s *Service) isMember(members []cluster.Member) bool {
	for _, m := range members {
		if m.ID == s.deps.Self {
			return true
		}
	}
	return false
}

// Open returns a reader of the file m describes, whose record key is
// recordKey. Chunks are read one at a time, verified, from the local store
// or from any replica of the key's partition; ctx bounds those fetches and
// must outlive the reader. The reader seeks (for http.ServeContent and
// Range requests) and holds one chunk in memory.
func (s *Service) Open(ctx context.Context, recordKey string, m Manifest) (*Reader, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	l, err := s.layout()
	if err != nil {
		return nil, err
	}
	members, others := candidates(l, recordKey)
	return &Reader{s: s, ctx: ctx, members: members, others: others, m: m, offs: m.Offsets(), cur: -1}, nil
}

// candidates returns the replicas of recordKey's partition and the other
// storage members, which may still hold chunks of a partition that moved.
func candidates(l *replica.Layout, recordKey string) (members, others []cluster.Member) {
	_, members = l.Replicas(recordKey)
	for _, m := range l.View.Members {
		if replica.StorageMember(m) && !slices.ContainsFunc(members, func(x cluster.Member) bool { return x.ID == m.ID }) {
			others = append(others, m)
		}
	}
	return members, others
}

// Reader reads a file chunk by chunk; see Open. It is not safe for
// concurrent use.
type Reader struct {
	s       *Service
	ctx     context.Context
	members []cluster.Member
	others  []cluster.Member
	m       Manifest
	offs    []int64
	pos     int64
	cur     int // index of the chunk in buf, -1 for none
	buf     []byte
	closed  bool
}

var _ io.ReadSeekCloser = (*Reader)(nil)

// Read reads from the current position.
func (r *Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("chunks: read after close")
	}
	if r.pos >= r.m.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	i := sort.Search(len(r.offs), func(i int) bool { return r.offs[i] > r.pos }) - 1
	if i != r.cur {
		b, err := r.s.fetch(r.ctx, r.members, r.others, r.m.Chunks[i])
		if err != nil {
			r.cur, r.buf = -1, nil
			return 0, err
		}
		r.cur, r.buf = i, b
	}
	n := copy(p, r.buf[r.pos-r.offs[i]:])
	r.pos += int64(n)
	return n, nil
}

// Seek sets the position; positions past the end read io.EOF.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.m.Size + offset
	default:
		return 0, errors.New("chunks: bad whence")
	}
	if abs < 0 {
		return 0, errors.New("chunks: negative position")
	}
	r.pos = abs
	return abs, nil
}

// Close releases the buffered chunk.
func (r *Reader) Close() error {
	r.closed, r.buf = true, nil
	return nil
}

// Repair makes this node hold every chunk of m, fetching missing or
// corrupt ones from the other replicas of recordKey's partition. It is
// what anti-entropy of chunks will call for each manifest of a partition
// this node holds. It returns how many chunks it fetched.
func (s *Service) Repair(ctx context.Context, recordKey string, m Manifest) (int, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	l, err := s.layout()
	if err != nil {
		return 0, err
	}
	members, others := candidates(l, recordKey)
	fetched := 0
	var errs []error
	for _, c := range m.Chunks {
		if s.store.Has(c.Hash) {
			if _, err := s.store.Get(c.Hash); err == nil || !errors.Is(err, ErrCorrupt) {
				continue
			}
		}
		if err := s.throttle(ctx, int(c.Size)); err != nil {
			return fetched, err
		}
		b, err := s.fetch(ctx, members, others, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.store.Put(c.Hash, b); err != nil {
			errs = append(errs, err)
			continue
		}
		fetched++
	}
	return fetched, errors.Join(errs...)
}

// Offer sends the chunks of m that this node holds to every ALIVE replica
// of recordKey's partition that lacks them — how a former replica hands a
// moved partition's contents to its new owners. It returns how many
// chunks it sent.
func (s *Service) Offer(ctx context.Context, recordKey string, m Manifest) (int, error) {
	if err := m.Validate(); err != nil {
		return 0, err
	}
	l, err := s.layout()
	if err != nil {
		return 0, err
	}
	_, members := l.Replicas(recordKey)
	var held []Hash
	for _, h := range m.Hashes() {
		if s.store.Has(h) && !slices.Contains(held, h) {
			held = append(held, h)
		}
	}
	sent := 0
	var errs []error
	for _, r := range members {
		if r.ID == s.deps.Self || r.Status != cluster.StatusAlive || r.InternalAddr == "" || len(held) == 0 {
			continue
		}
		for start := 0; start < len(held); start += s.cfg.MissingBatch {
			batch := held[start:min(start+s.cfg.MissingBatch, len(held))]
			miss, err := s.missing(ctx, r, batch)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", r.ID, err))
				break
			}
			for _, h := range batch {
				if !miss[h] {
					continue
				}
				b, err := s.store.Get(h)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if err := s.throttle(ctx, len(b)); err != nil {
					return sent, err
				}
				if err := s.putRemote(ctx, r, h, b); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", r.ID, err))
					break
				}
				sent++
			}
		}
	}
	return sent, errors.Join(errs...)
}
