package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// applier drives a state with a fake leader clock.
type applier struct {
	t     *testing.T
	s     *state
	index uint64
	now   time.Time
	fence uint64
}

func newApplier(t *testing.T) *applier {
	a := &applier{t: t, s: newState(), now: t0}
	a.must(opInit, initCmd{Config: ClusterConfig{ClusterID: "c", Voters: 3}, FirstNode: Member{ID: "n1"}}, 0)
	r := a.do(opLeader, leaderCmd{ID: "n1", Term: 1}, 0)
	a.fence = r.Token
	return a
}

func (a *applier) do(o op, data any, fence uint64) result {
	a.t.Helper()
	c, err := newCommand(o, data)
	if err != nil {
		a.t.Fatal(err)
	}
	c.Time, c.Fence = a.now.UnixNano(), fence
	a.index++
	return a.s.apply(a.index, 1, c)
}

func (a *applier) must(o op, data any, fence uint64) result {
	a.t.Helper()
	r := a.do(o, data, fence)
	if err := r.err(); err != nil {
		a.t.Fatalf("%s: %v", o, err)
	}
	return r
}

func TestLockLifecycle(t *testing.T) {
	a := newApplier(t)
	r := a.must(opLockAcquire, lockCmd{Name: "x", Owner: "alice", TTL: time.Second}, 0)
	tok := r.Token
	if tok != a.index {
		t.Fatalf("token %d, want the entry index %d", tok, a.index)
	}
	if r := a.do(opLockAcquire, lockCmd{Name: "x", Owner: "bob", TTL: time.Second}, 0); !errors.Is(r.err(), ErrLockHeld) {
		t.Fatalf("bob acquired a held lock: %v", r.err())
	}
	// Re-acquiring by the holder keeps the token.
	if r := a.must(opLockAcquire, lockCmd{Name: "x", Owner: "alice", TTL: time.Second}, 0); r.Token != tok {
		t.Fatalf("re-acquire changed token %d -> %d", tok, r.Token)
	}
	a.now = a.now.Add(900 * time.Millisecond)
	a.must(opLockRenew, lockCmd{Name: "x", Owner: "alice", Token: tok, TTL: time.Second}, 0)
	a.now = a.now.Add(900 * time.Millisecond) // still inside the renewed lease
	if r := a.do(opLockAcquire, lockCmd{Name: "x", Owner: "bob", TTL: time.Second}, 0); !errors.Is(r.err(), ErrLockHeld) {
		t.Fatal("renewal did not extend the lease")
	}
	a.now = a.now.Add(200 * time.Millisecond) // expired
	r = a.must(opLockAcquire, lockCmd{Name: "x", Owner: "bob", TTL: time.Second}, 0)
	if r.Token <= tok {
		t.Fatalf("new grant token %d not above %d", r.Token, tok)
	}
	if r := a.do(opLockRenew, lockCmd{Name: "x", Owner: "alice", Token: tok, TTL: time.Second}, 0); !errors.Is(r.err(), ErrLockNotHeld) {
		t.Fatal("expired holder renewed")
	}
	if r := a.do(opLockRelease, lockCmd{Name: "x", Owner: "alice", Token: tok}, 0); !errors.Is(r.err(), ErrLockNotHeld) {
		t.Fatal("expired holder released another's lock")
	}
	a.must(opLockRelease, lockCmd{Name: "x", Owner: "bob", Token: r.Token}, 0)
	a.must(opLockAcquire, lockCmd{Name: "x", Owner: "carol", TTL: time.Second}, 0)
}

func TestLeaseClockNeverGoesBack(t *testing.T) {
	a := newApplier(t)
	a.must(opLockAcquire, lockCmd{Name: "x", Owner: "alice", TTL: time.Second}, 0)
	a.now = a.now.Add(2 * time.Second)
	a.must(opLockAcquire, lockCmd{Name: "y", Owner: "alice", TTL: time.Second}, 0)
	// A new leader whose clock is behind cannot revive the expired lease.
	a.now = t0
	if r := a.do(opLockAcquire, lockCmd{Name: "x", Owner: "bob", TTL: time.Second}, 0); r.err() != nil {
		t.Fatalf("lease clock went back: %v", r.err())
	}
}

func TestLeaderOnlyOpsNeedCurrentFence(t *testing.T) {
	a := newApplier(t)
	old := a.fence
	r := a.must(opLeader, leaderCmd{ID: "n2", Term: 2}, 0)
	if r.Token <= old {
		t.Fatal("new leader fence not larger")
	}
	if r := a.do(opStatus, statusCmd{ID: "n1", Status: StatusDead}, old); !errors.Is(r.err(), ErrStaleFence) {
		t.Fatalf("old leader's status change accepted: %v", r.err())
	}
	if r := a.do(opStatus, statusCmd{ID: "n1", Status: StatusDead}, 0); !errors.Is(r.err(), ErrStaleFence) {
		t.Fatal("unfenced status change accepted")
	}
	a.must(opStatus, statusCmd{ID: "n1", Status: StatusDead}, r.Token)
	if r := a.do(opLeader, leaderCmd{ID: "n1", Term: 1}, 0); !errors.Is(r.err(), ErrStaleFence) {
		t.Fatal("leader of an older term accepted")
	}
}

func TestRegisterNeedsMembershipLock(t *testing.T) {
	a := newApplier(t)
	m := Member{ID: "n2", InternalAddr: "127.0.0.1:2"}
	svc := Service{ID: ServiceID("internal", "n2", 2), Type: "internal", NodeID: "n2", Host: "127.0.0.1", Port: 2}
	if r := a.do(opRegister, registerCmd{Member: m}, 0); !errors.Is(r.err(), ErrLockNotHeld) {
		t.Fatal("registered without the lock")
	}
	lk := a.must(opLockAcquire, lockCmd{Name: MembershipLock, Owner: "leader", TTL: time.Second}, 0)
	a.must(opRegister, registerCmd{Member: m, Services: []Service{svc}, LockName: MembershipLock, LockToken: lk.Token}, 0)
	v := a.s.view()
	got, ok := v.Member("n2")
	if !ok || got.Status != StatusAlive || got.Role != RoleHybrid || got.Voter {
		t.Fatalf("member %+v", got)
	}
	if len(v.Services) != 1 || v.Services[0].Health != HealthHealthy {
		t.Fatalf("services %+v", v.Services)
	}
	a.must(opStatus, statusCmd{ID: "n2", Status: StatusSuspect}, a.fence)
	if h := a.s.Services[svc.ID].Health; h != HealthDegraded {
		t.Fatalf("suspect member's service is %s", h)
	}
	a.must(opStatus, statusCmd{ID: "n2", Status: StatusDead}, a.fence)
	if h := a.s.Services[svc.ID].Health; h != HealthDown {
		t.Fatalf("dead member's service is %s", h)
	}
	a.must(opLeave, leaveCmd{ID: "n2"}, a.fence)
	a.must(opStatus, statusCmd{ID: "n2", Status: StatusAlive}, a.fence)
	if st := a.s.Members["n2"].Status; st != StatusLeft {
		t.Fatalf("detector revived a member that left: %s", st)
	}
}

func TestUnknownVersionRefused(t *testing.T) {
	a := newApplier(t)
	c, _ := newCommand(opLockAcquire, lockCmd{Name: "x", Owner: "o", TTL: time.Second})
	c.V = commandVersion + 1
	if r := a.s.apply(99, 1, c); !errors.Is(r.err(), ErrInvalid) {
		t.Fatal("applied a command from the future")
	}
}

// snapshotOf returns an FSM holding s and a new FSM restored from its
// snapshot, through the FSM's own Snapshot, Persist and Restore.
func snapshotOf(t *testing.T, s *state) (f, g *fsm) {
	t.Helper()
	f = newFSM()
	f.st = s
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil {
		t.Fatal(err)
	}
	g = newFSM()
	if err := g.Restore(io.NopCloser(bytes.NewReader(sink.Bytes()))); err != nil {
		t.Fatal(err)
	}
	return f, g
}

func TestSnapshotRoundTrip(t *testing.T) {
	a := newApplier(t)
	a.must(opLockAcquire, lockCmd{Name: "x", Owner: "alice", TTL: time.Minute}, 0)
	f, g := snapshotOf(t, a.s)
	v1, _ := f.View()
	v2, _ := g.View()
	b1, _ := json.Marshal(v1)
	b2, _ := json.Marshal(v2)
	if !bytes.Equal(b1, b2) {
		t.Fatalf("views differ:\n%s\n%s", b1, b2)
	}
	bad := io.NopCloser(bytes.NewReader([]byte(`{"version":99,"state":{}}`)))
	if err := g.Restore(bad); err == nil {
		t.Fatal("restored a snapshot from the future")
	}
}

type memSink struct{ bytes.Buffer }

func (s *memSink) ID() string    { return "mem" }
func (s *memSink) Cancel() error { return nil }
func (s *memSink) Close() error  { return nil }

var _ raft.SnapshotSink = (*memSink)(nil)
