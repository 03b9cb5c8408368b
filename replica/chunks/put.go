package chunks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// pending is one chunk in flight to the replicas. Its window slot is
// freed when every sender is done with it.
type pending struct {
	hash Hash
	data []byte
	left atomic.Int32 // senders not yet done with it
}

// result is a sender's verdict: ok once every chunk is stored.
type result struct {
	id  string
	err error
}

// upload is the state shared by one PutStream and its senders.
type upload struct {
	s       *Service
	holder  string          // the member that already holds the bytes, or ""
	ctx     context.Context // the senders'; outlives the call on success
	slots   chan struct{}   // window: one token per chunk in flight
	results chan result     // one per sender
}

func (u *upload) release(pcs ...*pending) {
	for _, pc := range pcs {
		if pc.left.Add(-1) == 0 {
			pc.data = nil
			<-u.slots
		}
	}
}

// PutStream reads r to its end, splits it into chunks, and sends every
// chunk to every replica of the partition that owns recordKey. It returns
// the file's manifest once W replicas of level stored every chunk durably
// (the local store counts when this node is a replica). Replicas slower
// than the W-th keep receiving in the background, bounded by
// BackgroundTimeout. A replica that is not ALIVE, or fails a call, gets
// nothing more of this file: no hint is kept; Repair, or the anti-entropy
// of chunks that will run it (DESIGN.md), fills it in later.
//
// On error the chunks already sent stay where they landed, unreferenced.
func (s *Service) PutStream(ctx context.Context, recordKey string, r io.Reader, level quorum.Level) (Manifest, error) {
	return s.PutStreamHeld(ctx, recordKey, r, level, "")
}

// PutStreamHeld is PutStream for bytes that the member holder already
// keeps elsewhere — a file of its shared folder, which it serves itself
// while it is up: holder, when it is a replica of the partition, is sent
// nothing and counts as an acknowledgement.
func (s *Service) PutStreamHeld(ctx context.Context, recordKey string, r io.Reader, level quorum.Level, holder string) (Manifest, error) {
	l, err := s.layout()
	if err != nil {
		return Manifest{}, err
	}
	_, members := l.Replicas(recordKey)
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	tr, err := quorum.ForWrite(level, ids)
	if err != nil {
		return Manifest{}, err
	}
	ch, err := NewChunker(r, s.cfg.Chunking)
	if err != nil {
		return Manifest{}, err
	}
	sendCtx, cancelSend := context.WithCancel(s.ctx)
	detach := context.AfterFunc(ctx, cancelSend)
	succeeded := false
	defer func() {
		detach()
		if succeeded {
			time.AfterFunc(s.cfg.BackgroundTimeout, cancelSend)
		} else {
			cancelSend()
		}
	}()
	u := &upload{s: s, holder: holder, ctx: sendCtx, slots: make(chan struct{}, s.cfg.Window), results: make(chan result, len(members))}
	queues := make([]chan *pending, len(members))
	for i := range queues {
		queues[i] = make(chan *pending, s.cfg.Window)
	}
	closeQueues := func() {
		for _, q := range queues {
			close(q)
		}
	}
	for i, m := range members {
		q := queues[i]
		if !s.goTracked(func() { u.results <- u.sender(l, m, q) }) {
			closeQueues() // the senders already started return
			return Manifest{}, ErrClosed
		}
	}
	// record notes a sender's verdict and reports whether the upload failed.
	fails := 0
	record := func(res result) error {
		var o quorum.Outcome
		if res.err == nil {
			o, _ = tr.Ack(res.id)
		} else {
			s.log.Debug("chunk replica failed", "replica", res.id, "err", res.err)
			fails++
			o, _ = tr.Fail(res.id)
		}
		if o == quorum.Failed {
			return fmt.Errorf("%w: %d of %d replicas failed, need %d (last: %s: %v)", ErrQuorumUnavailable, fails, len(ids), tr.Need(), res.id, res.err)
		}
		return nil
	}

	var m Manifest
	file := sha256.New()
	for {
		data, err := ch.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			closeQueues()
			return Manifest{}, err
		}
		if len(m.Chunks) == MaxManifestChunks {
			closeQueues()
			return Manifest{}, ErrFileTooLarge
		}
		file.Write(data)
		pc := &pending{hash: Sum(data), data: bytes.Clone(data)}
		pc.left.Store(int32(len(queues)))
		m.Chunks = append(m.Chunks, ChunkRef{Hash: pc.hash, Size: uint32(len(data))})
		m.Size += int64(len(data))
		for acquired := false; !acquired; {
			select {
			case u.slots <- struct{}{}:
				acquired = true
			case res := <-u.results:
				if err := record(res); err != nil {
					closeQueues()
					return Manifest{}, err
				}
			case <-ctx.Done():
				closeQueues()
				return Manifest{}, ctx.Err()
			}
		}
		for _, q := range queues {
			q <- pc // never blocks: a queue holds only chunks in the window
		}
	}
	closeQueues()
	file.Sum(m.SHA256[:0])
	for tr.Outcome() == quorum.Pending {
		select {
		case res := <-u.results:
			if err := record(res); err != nil {
				return Manifest{}, err
			}
		case <-ctx.Done():
			return Manifest{}, ctx.Err()
		}
	}
	succeeded = true
	return m, nil
}

// sender delivers the queued chunks to one replica, asking first which of
// each batch it lacks. After its first failure it only releases chunks.
func (u *upload) sender(l *replica.Layout, m cluster.Member, q <-chan *pending) result {
	s := u.s
	var err error
	held := m.ID == u.holder && u.holder != ""
	switch {
	case m.ID == s.deps.Self || held:
	case m.ID == "" || m.InternalAddr == "":
		err = errors.New("not in the view")
	case m.Status != cluster.StatusAlive:
		err = fmt.Errorf("status %s", m.Status)
	}
	batch := make([]*pending, 0, s.cfg.MissingBatch)
	for pc := range q {
		batch = append(batch[:0], pc)
	fill:
		for len(batch) < s.cfg.MissingBatch {
			select {
			case more, ok := <-q:
				if !ok {
					break fill
				}
				batch = append(batch, more)
			default:
				break fill
			}
		}
		if err == nil && !held {
			err = u.deliver(m, batch)
		}
		u.release(batch...)
	}
	if err == nil {
		err = u.ctx.Err()
	}
	return result{id: m.ID, err: err}
}

// deliver stores a batch on m: locally for this node, else by a missing
// query and one PUT per chunk m lacks.
func (u *upload) deliver(m cluster.Member, batch []*pending) error {
	s := u.s
	if m.ID == s.deps.Self {
		for _, pc := range batch {
			if _, err := s.store.Put(pc.hash, pc.data); err != nil {
				return err
			}
		}
		return nil
	}
	hs := make([]Hash, len(batch))
	for i, pc := range batch {
		hs[i] = pc.hash
	}
	miss, err := s.missing(u.ctx, m, hs)
	if err != nil {
		return err
	}
	for _, pc := range batch {
		if !miss[pc.hash] {
			continue
		}
		delete(miss, pc.hash) // a chunk repeated in the batch goes once
		if err := s.putRemote(u.ctx, m, pc.hash, pc.data); err != nil {
			return fmt.Errorf("put %s: %w", pc.hash, err)
		}
	}
	return nil
}
