package quorum

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var three = []string{"a", "b", "c"}

func TestTracker(t *testing.T) {
	type step struct {
		op      string // "ack:a" or "fail:b"
		outcome Outcome
	}
	tests := []struct {
		name  string
		level Level
		write bool
		steps []step
	}{
		{"quorum write succeeds on 2 acks", Quorum, true, []step{{"ack:a", Pending}, {"ack:c", Succeeded}}},
		{"quorum write survives 1 failure", Quorum, true, []step{{"fail:a", Pending}, {"ack:b", Pending}, {"ack:c", Succeeded}}},
		{"quorum write fails on 2 failures", Quorum, true, []step{{"fail:a", Pending}, {"fail:b", Failed}}},
		{"decision is final", Quorum, true, []step{{"fail:a", Pending}, {"fail:b", Failed}, {"ack:c", Failed}, {"ack:a", Failed}}},
		{"strong write fails on first failure", Strong, true, []step{{"ack:a", Pending}, {"fail:b", Failed}}},
		{"strong write needs all", Strong, true, []step{{"ack:a", Pending}, {"ack:b", Pending}, {"ack:c", Succeeded}}},
		{"eventual write succeeds on first ack", Eventual, true, []step{{"ack:b", Succeeded}, {"fail:a", Succeeded}}},
		{"eventual fails only when all fail", Eventual, true, []step{{"fail:a", Pending}, {"fail:b", Pending}, {"fail:c", Failed}}},
		{"duplicate acks count once", Quorum, true, []step{{"ack:a", Pending}, {"ack:a", Pending}, {"ack:b", Succeeded}}},
		{"duplicate failures count once", Quorum, true, []step{{"fail:a", Pending}, {"fail:a", Pending}, {"ack:b", Pending}}},
		{"ack after failure replaces it", Quorum, true, []step{{"fail:a", Pending}, {"ack:a", Pending}, {"fail:b", Pending}, {"ack:c", Succeeded}}},
		{"failure after ack ignored", Quorum, true, []step{{"ack:a", Pending}, {"fail:a", Pending}, {"fail:b", Pending}, {"ack:c", Succeeded}}},
		{"quorum read", Quorum, false, []step{{"ack:a", Pending}, {"ack:b", Succeeded}}},
		{"strong read fails on one failure", Strong, false, []step{{"fail:c", Failed}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tr *Tracker
			var err error
			if tt.write {
				tr, err = ForWrite(tt.level, three)
			} else {
				tr, err = ForRead(tt.level, three)
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range tt.steps {
				op, id, _ := strings.Cut(s.op, ":")
				var got Outcome
				if op == "ack" {
					got, err = tr.Ack(id)
				} else {
					got, err = tr.Fail(id)
				}
				if err != nil {
					t.Fatal(err)
				}
				if got != s.outcome || tr.Outcome() != s.outcome {
					t.Fatalf("step %d (%s): outcome %v, want %v", i, s.op, got, s.outcome)
				}
			}
			if tr.Acks()+tr.Failures()+len(tr.Outstanding()) != 3 {
				t.Fatalf("answers do not add up: %d acks, %d failures, %v outstanding", tr.Acks(), tr.Failures(), tr.Outstanding())
			}
		})
	}
}

func TestTrackerLists(t *testing.T) {
	tr, err := ForWrite(Quorum, three)
	if err != nil {
		t.Fatal(err)
	}
	tr.Fail("b")
	tr.Ack("c")
	if !slices.Equal(tr.Acked(), []string{"c"}) || !slices.Equal(tr.FailedReplicas(), []string{"b"}) || !slices.Equal(tr.Outstanding(), []string{"a"}) {
		t.Fatalf("acked %v failed %v outstanding %v", tr.Acked(), tr.FailedReplicas(), tr.Outstanding())
	}
	if tr.Need() != 2 {
		t.Fatalf("Need = %d", tr.Need())
	}
	if _, err := tr.Ack("z"); !errors.Is(err, ErrUnknownReplica) {
		t.Fatalf("unknown replica: %v", err)
	}
	if _, err := tr.Fail("z"); !errors.Is(err, ErrUnknownReplica) {
		t.Fatalf("unknown replica: %v", err)
	}
	if Outcome(5).String() != "Outcome(5)" || Succeeded.String() != "succeeded" {
		t.Fatal("outcome names")
	}
}

func TestNewTrackerRejects(t *testing.T) {
	tests := []struct {
		name     string
		need     int
		replicas []string
	}{
		{"no replicas", 1, nil},
		{"need zero", 0, three},
		{"need above set", 4, three},
		{"empty id", 1, []string{"a", ""}},
		{"duplicate", 1, []string{"a", "b", "a"}},
	}
	for _, tt := range tests {
		if _, err := NewTracker(tt.need, tt.replicas); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func BenchmarkTrackerQuorumWrite(b *testing.B) {
	for b.Loop() {
		tr, _ := ForWrite(Quorum, three)
		tr.Ack("a")
		tr.Ack("b")
	}
}
