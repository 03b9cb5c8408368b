package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// snapshotVersion is the version of the snapshot format; Restore refuses a
// newer one.
const snapshotVersion = 1

// fsm adapts state to raft.FSM and tells watchers when it changed.
type fsm struct {
	mu      sync.RWMutex // guards all fields
	st      *state
	view    *View         // cached copy of st's public part; nil when stale
	changed chan struct{} // closed and replaced after every change

	// The view's slices, shared by successive views until a command changes
	// them, so a lock grant does not copy the membership.
	dirty    uint8
	members  []Member
	services []Service
	locks    []Lock
	keys     []TokenKey
	revoked  map[string]time.Time
	cutoffs  map[string]time.Time
	heads    map[string]AuditHead
	shares   map[string][]Share
}

var _ raft.FSM = (*fsm)(nil)

func newFSM() *fsm {
	return &fsm{st: newState(), changed: make(chan struct{}), dirty: partAll}
}

// Apply implements raft.FSM.
func (f *fsm) Apply(l *raft.Log) any {
	if l.Type != raft.LogCommand {
		return nil
	}
	var c command
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.notifyLocked()
	if err := json.Unmarshal(l.Data, &c); err != nil {
		f.st.Index = l.Index
		return failed(ErrInvalid, "undecodable log entry")
	}
	r := f.st.apply(l.Index, l.Term, c)
	f.dirty |= partsOf[c.Op] | f.st.touched
	f.st.touched = 0
	r.Index = l.Index
	return r
}

func (f *fsm) notifyLocked() {
	f.view = nil
	close(f.changed)
	f.changed = make(chan struct{})
}

// View returns the current public view and a channel closed at the next
// change.
func (f *fsm) View() (*View, <-chan struct{}) {
	f.mu.RLock()
	v, ch := f.view, f.changed
	f.mu.RUnlock()
	if v != nil {
		return v, ch
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.view == nil {
		if f.dirty&partMembers != 0 {
			f.members = f.st.members()
		}
		if f.dirty&partServices != 0 {
			f.services = f.st.services()
		}
		if f.dirty&partLocks != 0 {
			f.locks = f.st.locks()
		}
		if f.dirty&partTokenKeys != 0 {
			f.keys = f.st.tokenKeys()
		}
		if f.dirty&partRevoked != 0 {
			f.revoked = f.st.revoked()
			f.cutoffs = f.st.cutoffs()
		}
		if f.dirty&partAudit != 0 {
			f.heads = maps.Clone(f.st.AuditHeads)
		}
		if f.dirty&partShares != 0 {
			f.shares = f.st.sharesView()
		}
		f.dirty = 0
		s := f.st
		f.view = &View{Index: s.Index, Config: s.Config, Leader: s.Leader, Time: s.Now,
			Members: f.members, Services: f.services, Locks: f.locks,
			TokenKeys: f.keys, CurrentTokenKey: s.CurrentKey, Revoked: f.revoked, TokenCutoffs: f.cutoffs, AuditHeads: f.heads,
			Shares: f.shares, txns: s.Txns}
	}
	return f.view, f.changed
}

// secrets returns the CA and the join token records.
func (f *fsm) secrets() (caCert, caKey []byte, tokens map[string]tokenRecord) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	tokens = make(map[string]tokenRecord, len(f.st.Tokens))
	for id, t := range f.st.Tokens {
		tokens[id] = *t
	}
	return f.st.CACert, f.st.CAKey, tokens
}

// snapshotFile is the on-disk snapshot format.
type snapshotFile struct {
	Version int    `json:"version"`
	State   *state `json:"state"`
}

// Snapshot implements raft.FSM. The state is encoded under the lock (it is
// small: members, services, locks, users, token keys, revocations, audit
// heads and the share registry), and written out by Persist.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	b, err := json.Marshal(snapshotFile{Version: snapshotVersion, State: f.st})
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return &fsmSnapshot{data: b}, nil
}

// Restore implements raft.FSM.
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var sf snapshotFile
	if err := json.NewDecoder(rc).Decode(&sf); err != nil {
		return fmt.Errorf("decode snapshot: %w", err)
	}
	if sf.Version < 1 || sf.Version > snapshotVersion || sf.State == nil {
		return fmt.Errorf("restore: snapshot version %d not supported", sf.Version)
	}
	st := newState()
	*st = *sf.State
	if st.Users == nil {
		st.Users = map[string]*User{}
	}
	for _, m := range []any{&st.Members, &st.Services, &st.Locks, &st.Tokens} {
		ensureMap(m)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
	f.dirty = partAll
	f.notifyLocked()
	return nil
}

func ensureMap(p any) {
	switch m := p.(type) {
	case *map[string]*Member:
		if *m == nil {
			*m = map[string]*Member{}
		}
	case *map[string]*Service:
		if *m == nil {
			*m = map[string]*Service{}
		}
	case *map[string]*Lock:
		if *m == nil {
			*m = map[string]*Lock{}
		}
	case *map[string]*tokenRecord:
		if *m == nil {
			*m = map[string]*tokenRecord{}
		}
	}
}

type fsmSnapshot struct{ data []byte }

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s.data); err != nil {
		sink.Cancel()
		return fmt.Errorf("write snapshot: %w", err)
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() {}
