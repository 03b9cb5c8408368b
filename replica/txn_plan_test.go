package replica

import (
	"slices"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
)

func TestPlanTxn(t *testing.T) {
	sets := map[int][]string{0: {"a", "b", "c"}, 1: {"b", "c", "d"}, 2: {"d", "a", "b"}}
	e := func(p int, k string) WriteEntry { return WriteEntry{Partition: p, Envelope: version.Envelope{Key: k}} }
	pl := planTxn([]WriteEntry{e(1, "y"), e(0, "b"), e(1, "x"), e(0, "a")}, func(p int) []string { return sets[p] })
	if !slices.Equal(pl.parts, []int{0, 1}) || !slices.Equal(pl.replicas, []string{"a", "b", "c", "d"}) {
		t.Fatalf("parts %v replicas %v", pl.parts, pl.replicas)
	}
	keys := func(r string) []string {
		var out []string
		for _, en := range pl.byReplica[r] {
			out = append(out, en.Envelope.Key)
		}
		return out
	}
	for r, want := range map[string][]string{"a": {"a", "b"}, "b": {"a", "b", "x", "y"}, "c": {"a", "b", "x", "y"}, "d": {"x", "y"}} {
		if got := keys(r); !slices.Equal(got, want) {
			t.Errorf("replica %s gets %v, want %v", r, got, want)
		}
	}
}

// TestPrepareTally: the prepare phase succeeds once every partition has W
// prepares and fails as soon as one partition cannot reach W; a replica's
// answer counts for each partition it holds.
func TestPrepareTally(t *testing.T) {
	sets := map[int][]string{0: {"a", "b", "c"}, 1: {"b", "c", "d"}}
	e := func(p int) WriteEntry { return WriteEntry{Partition: p, Envelope: version.Envelope{Key: "k"}} }
	pl := planTxn([]WriteEntry{e(0), e(1)}, func(p int) []string { return sets[p] })
	type step struct {
		replica string
		ok      bool
		want    quorum.Outcome
	}
	for _, tc := range []struct {
		name  string
		level quorum.Level
		steps []step
	}{
		{"quorum: one shared replica is not enough", quorum.Quorum, []step{{"b", true, quorum.Pending}, {"a", true, quorum.Pending}, {"d", true, quorum.Succeeded}}},
		{"quorum: c counts for both", quorum.Quorum, []step{{"b", true, quorum.Pending}, {"c", true, quorum.Succeeded}}},
		{"quorum: two of partition 1 fail", quorum.Quorum, []step{{"a", true, quorum.Pending}, {"c", false, quorum.Pending}, {"d", false, quorum.Failed}, {"b", true, quorum.Failed}}},
		{"strong: one failure fails", quorum.Strong, []step{{"a", true, quorum.Pending}, {"d", false, quorum.Failed}}},
		{"strong: all", quorum.Strong, []step{{"a", true, quorum.Pending}, {"b", true, quorum.Pending}, {"c", true, quorum.Pending}, {"d", true, quorum.Succeeded}}},
		{"eventual: one replica of each", quorum.Eventual, []step{{"a", false, quorum.Pending}, {"b", true, quorum.Succeeded}}},
		{"success is final", quorum.Eventual, []step{{"c", true, quorum.Succeeded}, {"b", false, quorum.Succeeded}, {"d", false, quorum.Succeeded}}},
	} {
		tally, err := newPrepareTally(pl, tc.level)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range tc.steps {
			var got quorum.Outcome
			if s.ok {
				got = tally.ack(s.replica)
			} else {
				got = tally.fail(s.replica)
			}
			if got != s.want {
				t.Fatalf("%s: step %d (%s ok=%v): %v, want %v", tc.name, i, s.replica, s.ok, got, s.want)
			}
		}
		if tally.shortfall() == "" {
			t.Errorf("%s: empty shortfall", tc.name)
		}
	}
	if _, err := newPrepareTally(txnPlan{}, quorum.Quorum); err == nil {
		t.Fatal("a tally without partitions")
	}
}

func TestRecoveryAction(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	before, after := now.Add(time.Second), now.Add(-time.Second)
	for _, tc := range []struct {
		deadline           time.Time
		decided, committed bool
		want               recovery
	}{
		{before, false, false, recoverWait},
		{now, false, false, recoverPropose},
		{after, false, false, recoverPropose},
		{before, true, true, recoverCommit}, // decided: no need to wait for the deadline
		{before, true, false, recoverAbort},
		{after, true, true, recoverCommit},
		{after, true, false, recoverAbort},
	} {
		if got := recoveryAction(now, tc.deadline, tc.decided, tc.committed); got != tc.want {
			t.Errorf("deadline %v decided %v committed %v: %v, want %v", tc.deadline.Sub(now), tc.decided, tc.committed, got, tc.want)
		}
	}
}
