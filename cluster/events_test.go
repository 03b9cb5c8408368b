package cluster

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch/events"
)

type fakeBus struct{ got []events.Event }

func (b *fakeBus) Publish(e events.Event) (events.Event, error) {
	b.got = append(b.got, e)
	return e, nil
}

func TestDiffViews(t *testing.T) {
	old := &View{Index: 5, Leader: LeaderInfo{ID: "a", Term: 1, Fence: 3}, Members: []Member{
		{ID: "a", Status: StatusAlive}, {ID: "b", Status: StatusAlive}, {ID: "c", Status: StatusSuspect}, {ID: "d", Status: StatusLeft},
	}}
	cur := &View{Index: 9, Time: t0, Leader: LeaderInfo{ID: "b", Term: 2, Fence: 8}, Members: []Member{
		{ID: "a", Status: StatusDead}, {ID: "b", Status: StatusAlive}, {ID: "c", Status: StatusAlive},
		{ID: "d", Status: StatusAlive}, {ID: "e", Status: StatusAlive}, {ID: "f", Status: StatusLeft},
	}}
	var got []string
	for _, e := range diffViews(old, cur) {
		got = append(got, string(e.Type)+":"+e.NodeID)
	}
	want := []string{"node_dead:a", "node_alive:c", "node_joined:d", "node_joined:e", "node_joined:f", "leader_elected:b"}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	if diffViews(cur, old) != nil || diffViews(nil, cur) != nil {
		t.Fatal("events from an older or missing view")
	}
}

func TestEventsReachTheBus(t *testing.T) {
	bus := &fakeBus{}
	n := &Node{deps: Deps{Events: bus}}
	n.publish(Event{Type: EventNodeSuspect, NodeID: "n2", Status: StatusSuspect, Index: 7, Time: time.Unix(1, 0)})
	if len(bus.got) != 1 || bus.got[0].Type != events.TypeNodeSuspect || bus.got[0].Node != "n2" {
		t.Fatalf("published %+v", bus.got)
	}
	var ev Event
	if err := json.Unmarshal(bus.got[0].Data, &ev); err != nil || ev.Index != 7 {
		t.Fatalf("data %s: %v", bus.got[0].Data, err)
	}
}
