package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// addMember registers id through the membership lock.
func (a *applier) addMember(id string) {
	a.t.Helper()
	lk := a.must(opLockAcquire, lockCmd{Name: MembershipLock, Owner: "leader", TTL: time.Second}, 0)
	a.must(opRegister, registerCmd{Member: Member{ID: id, InternalAddr: "127.0.0.1:2"}, LockName: MembershipLock, LockToken: lk.Token}, 0)
	a.must(opLockRelease, lockCmd{Name: MembershipLock, Owner: "leader", Token: lk.Token}, 0)
}

func TestSharesSetAndChange(t *testing.T) {
	a := newApplier(t)
	a.addMember("n2")
	a.must(opShares, sharesCmd{Node: "n1", Shares: []Share{
		{Name: "docs", Roles: []string{"user", "admin", "user"}, Groups: []string{"eng", "ops"}},
		{Name: "Archive.2024", Groups: []string{}},
	}}, 0)
	want := []Share{{Name: "Archive.2024"}, {Name: "docs", Roles: []string{"admin", "user"}, Groups: []string{"eng", "ops"}}}
	v := a.s.view()
	if got := v.SharesOf("n1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("shares of n1: %+v, want %+v", got, want)
	}
	if _, ok := v.Shares["n2"]; ok || v.SharesOf("n2") != nil {
		t.Fatal("n2 reported nothing yet has an entry")
	}

	// A change replaces the whole list.
	a.must(opShares, sharesCmd{Node: "n1", Shares: []Share{{Name: "media", Roles: []string{"guest"}}}}, 0)
	a.must(opShares, sharesCmd{Node: "n2", Shares: nil}, 0)
	v = a.s.view()
	if got := v.SharesOf("n1"); !reflect.DeepEqual(got, []Share{{Name: "media", Roles: []string{"guest"}}}) {
		t.Fatalf("shares of n1 after the change: %+v", got)
	}
	if l, ok := v.Shares["n2"]; !ok || len(l) != 0 || v.SharesOf("n2") != nil {
		t.Fatalf("n2 reported no shares: entry %v %v", l, ok)
	}

	// Views are copies: changing one changes neither the state nor a later view.
	v.Shares["n1"][0].Roles[0] = "admin"
	v.Shares["n1"][0].Name = "x"
	got := v.SharesOf("n1")
	got[0].Groups = append(got[0].Groups, "eng")
	delete(v.Shares, "n2")
	if l := a.s.Shares["n1"]; l[0].Name != "media" || l[0].Roles[0] != "guest" || len(l[0].Groups) != 0 {
		t.Fatalf("a caller changed the state through a view: %+v", l)
	}
	if _, ok := a.s.view().Shares["n2"]; !ok {
		t.Fatal("deleting from a view removed the state's entry")
	}

	// Members that leave keep their entry.
	a.must(opLeave, leaveCmd{ID: "n1"}, a.fence)
	if got := a.s.view().SharesOf("n1"); len(got) != 1 {
		t.Fatalf("a member that left lost its shares: %+v", got)
	}
}

func TestSharesStateMachineValidates(t *testing.T) {
	a := newApplier(t)
	a.addMember("n2")
	a.must(opShares, sharesCmd{Node: "n1", Shares: []Share{{Name: "docs"}}}, 0)
	a.addMember("n3")
	a.must(opLeave, leaveCmd{ID: "n3"}, a.fence)
	before := a.s.view().Shares
	many := make([]Share, MaxShares+1)
	for i := range many {
		many[i].Name = fmt.Sprintf("s%d", i)
	}
	roles := make([]string, MaxShareRoles+1)
	for i := range roles {
		roles[i] = fmt.Sprintf("r%d", i)
	}
	for name, tc := range map[string]struct {
		cmd  sharesCmd
		want error
	}{
		"no node":         {sharesCmd{Shares: []Share{{Name: "a"}}}, ErrInvalid},
		"unknown member":  {sharesCmd{Node: "n9", Shares: []Share{{Name: "a"}}}, ErrUnknownMember},
		"member left":     {sharesCmd{Node: "n3", Shares: []Share{{Name: "a"}}}, ErrUnknownMember},
		"empty name":      {sharesCmd{Node: "n1", Shares: []Share{{Name: ""}}}, ErrBadShare},
		"bad name":        {sharesCmd{Node: "n1", Shares: []Share{{Name: "a/b"}}}, ErrBadShare},
		"long name":       {sharesCmd{Node: "n1", Shares: []Share{{Name: strings.Repeat("a", 65)}}}, ErrBadShare},
		"duplicate name":  {sharesCmd{Node: "n1", Shares: []Share{{Name: "a"}, {Name: "b"}, {Name: "a"}}}, ErrBadShare},
		"too many shares": {sharesCmd{Node: "n1", Shares: many}, ErrBadShare},
		"too many roles":  {sharesCmd{Node: "n1", Shares: []Share{{Name: "a", Roles: roles}}}, ErrBadShare},
		"too many groups": {sharesCmd{Node: "n1", Shares: []Share{{Name: "a", Groups: roles}}}, ErrBadShare},
		"empty role":      {sharesCmd{Node: "n1", Shares: []Share{{Name: "a", Roles: []string{""}}}}, ErrBadShare},
		"long group":      {sharesCmd{Node: "n1", Shares: []Share{{Name: "a", Groups: []string{strings.Repeat("g", 65)}}}}, ErrBadShare},
		"control char":    {sharesCmd{Node: "n1", Shares: []Share{{Name: "a", Groups: []string{"g\n"}}}}, ErrBadShare},
	} {
		t.Run(name, func(t *testing.T) {
			if r := a.do(opShares, tc.cmd, 0); !errors.Is(r.err(), tc.want) {
				t.Fatalf("got %v, want %v", r.err(), tc.want)
			}
			if after := a.s.view().Shares; !reflect.DeepEqual(after, before) {
				t.Fatalf("a refused command changed the registry: %+v", after)
			}
		})
	}
	// An undecodable payload is refused too.
	c := command{V: commandVersion, Op: opShares, Time: a.now.UnixNano(), Data: json.RawMessage(`{"node":"n1","shares":"docs"}`)}
	a.index++
	if r := a.s.apply(a.index, 1, c); !errors.Is(r.err(), ErrInvalid) {
		t.Fatalf("undecodable share list: %v", r.err())
	}
}

func TestNormalizeShares(t *testing.T) {
	// The limits themselves are accepted.
	max := make([]Share, MaxShares)
	long := strings.Repeat("x", MaxShareACLBytes)
	acl := make([]string, MaxShareRoles)
	for i := range acl {
		acl[i] = fmt.Sprintf("%s%02d", long[:MaxShareACLBytes-2], i)
	}
	for i := range max {
		max[i] = Share{Name: fmt.Sprintf("%s%03d", strings.Repeat("n", MaxShareNameBytes-3), i)}
	}
	max[0].Roles, max[0].Groups = acl, acl
	out, err := normalizeShares(max)
	if err != nil || len(out) != MaxShares {
		t.Fatalf("shares at the limits: %v", err)
	}
	if _, err := normalizeShares([]Share{{Name: "A-z_0.9", Roles: []string{"ünïcode group", long}}}); err != nil {
		t.Fatalf("valid share refused: %v", err)
	}
	// Duplicates count once.
	if _, err := normalizeShares([]Share{{Name: "a", Roles: append(acl, acl[0])}}); err != nil {
		t.Fatalf("a duplicate role was counted: %v", err)
	}
	_, err = normalizeShares([]Share{{Name: "a", Groups: []string{"\xff"}}})
	if !errors.Is(err, ErrBadShare) || !strings.Contains(err.Error(), `share "a": group`) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	_, err = normalizeShares([]Share{{Name: "a b"}})
	if !errors.Is(err, ErrBadShare) || !strings.Contains(err.Error(), "letters, digits and . _ -") {
		t.Fatalf("bad name: %v", err)
	}
	_, err = normalizeShares([]Share{{Name: "b"}, {Name: "b"}})
	if !errors.Is(err, ErrBadShare) || !strings.Contains(err.Error(), `"b" is listed twice`) {
		t.Fatalf("duplicate: %v", err)
	}
	// Order does not matter.
	x, _ := normalizeShares([]Share{{Name: "b", Roles: []string{"u", "a"}}, {Name: "a", Groups: []string{"z", "y", "z"}}})
	y, _ := normalizeShares([]Share{{Name: "a", Groups: []string{"y", "z"}}, {Name: "b", Roles: []string{"a", "u"}}})
	if !sharesEqual(x, y) || !reflect.DeepEqual(x, y) {
		t.Fatalf("normalised lists differ: %+v %+v", x, y)
	}
	if e, _ := normalizeShares(nil); !sharesEqual(e, []Share{}) {
		t.Fatal("nil and empty lists differ")
	}
}

func TestSharesUnchangedNeedsNoCommit(t *testing.T) {
	a := newApplier(t)
	a.addMember("n2")
	a.addMember("n3")
	a.must(opShares, sharesCmd{Node: "n1", Shares: []Share{{Name: "a", Roles: []string{"user", "admin"}}, {Name: "b"}}}, 0)
	a.must(opShares, sharesCmd{Node: "n3", Shares: []Share{}}, 0)
	a.must(opLeave, leaveCmd{ID: "n3"}, a.fence)
	f := newFSM()
	f.st = a.s
	cmd := func(node string, shares ...Share) command {
		c, err := newCommand(opShares, sharesCmd{Node: node, Shares: shares})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	r, ok := f.unchanged(cmd("n1", Share{Name: "b"}, Share{Name: "a", Roles: []string{"admin", "user", "admin"}}))
	if !ok || r.Index != a.s.Index || r.err() != nil {
		t.Fatalf("the same list in another order needs a commit: %+v %v", r, ok)
	}
	for name, c := range map[string]command{
		"changed roles":   cmd("n1", Share{Name: "b"}, Share{Name: "a", Roles: []string{"user"}}),
		"fewer shares":    cmd("n1", Share{Name: "a", Roles: []string{"admin", "user"}}),
		"never reported":  cmd("n2"),
		"member left":     cmd("n3"),
		"unknown member":  cmd("n9"),
		"invalid list":    cmd("n1", Share{Name: "b"}, Share{Name: "b"}),
		"another command": {V: commandVersion, Op: opAuditHead, Data: json.RawMessage(`{}`)},
	} {
		if _, ok := f.unchanged(c); ok {
			t.Errorf("%s: not committed", name)
		}
	}
}

func TestSharesSnapshotRoundTrip(t *testing.T) {
	a := newApplier(t)
	a.addMember("n2")
	a.must(opShares, sharesCmd{Node: "n1", Shares: []Share{{Name: "docs", Roles: []string{"user"}, Groups: []string{"eng"}}}}, 0)
	a.must(opShares, sharesCmd{Node: "n2", Shares: nil}, 0)
	_, g := snapshotOf(t, a.s)
	v, _ := g.View()
	if !reflect.DeepEqual(v.Shares, a.s.view().Shares) || len(v.Shares) != 2 {
		t.Fatalf("restored registry %+v, want %+v", v.Shares, a.s.view().Shares)
	}
	if l, ok := v.Shares["n2"]; !ok || len(l) != 0 {
		t.Fatal("the empty entry was lost")
	}

	// A snapshot written before the registry existed restores to an empty one,
	// and the registry works after it.
	old := `{"version":1,"state":{"index":7,"now":"2026-03-01T12:00:00Z","config":{"cluster_id":"c"},` +
		`"leader":{"id":"n1","term":1,"fence":2},"members":{"n1":{"id":"n1","status":"ALIVE"}},` +
		`"services":{},"locks":{},"tokens":{}}}`
	h := newFSM()
	if err := h.Restore(io.NopCloser(strings.NewReader(old))); err != nil {
		t.Fatal(err)
	}
	if v, _ := h.View(); v.Shares != nil || v.SharesOf("n1") != nil {
		t.Fatalf("an old snapshot restored shares: %+v", v.Shares)
	}
	c, _ := newCommand(opShares, sharesCmd{Node: "n1", Shares: []Share{{Name: "docs"}}})
	c.Time = t0.UnixNano()
	b, _ := json.Marshal(c)
	if r := h.Apply(&raft.Log{Index: 8, Term: 1, Type: raft.LogCommand, Data: b}).(result); r.err() != nil {
		t.Fatal(r.err())
	}
	v, _ = h.View()
	if got := v.SharesOf("n1"); len(got) != 1 || got[0].Name != "docs" || v.Index != 8 {
		t.Fatalf("shares after an old snapshot: %+v at %d", got, v.Index)
	}
	// The cached view is rebuilt only when the registry changes.
	c, _ = newCommand(opLockAcquire, lockCmd{Name: "x", Owner: "o", TTL: time.Second})
	c.Time = t0.UnixNano()
	b, _ = json.Marshal(c)
	h.Apply(&raft.Log{Index: 9, Term: 1, Type: raft.LogCommand, Data: b})
	v2, _ := h.View()
	if !reflect.DeepEqual(v2.Shares, v.Shares) || v2.Index != 9 {
		t.Fatalf("registry after another command: %+v", v2.Shares)
	}
	snap, _ := h.Snapshot()
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil || !strings.Contains(sink.String(), `"shares":{"n1":[{"name":"docs"}]}`) {
		t.Fatalf("snapshot without the registry: %v %s", err, sink.String())
	}
}
