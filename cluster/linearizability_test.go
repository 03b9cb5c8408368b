package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/internal/testcluster"
)

// Operations recorded against the cluster: leases (acquire, release, read
// the holder) and metadata (put and read a service registry entry).
const (
	opAcquire = iota
	opRelease
	opLockGet
	opPut
	opGet
)

type linIn struct {
	Kind  int
	Key   string
	Owner string
	Token uint64
	Value string
}

type linOut struct {
	Unknown bool // timed out or failed ambiguously: applied or not
	OK      bool
	Held    bool   // acquire refused, or lockget found a holder
	Token   uint64 // acquire: granted token
	Value   string // get: value (Found false: absent); lockget: holder
	Found   bool
}

// linState is one key's state. A lock granted by an operation with an
// unknown outcome has Token 0 (unknown) and Last as a lower bound.
type linState struct {
	Holder string
	Token  uint64
	Last   uint64
	Value  string
	Set    bool
}

var linModel = porcupine.NondeterministicModel{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(linIn).Key
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() []any { return []any{linState{}} },
	Step: func(st, in, out any) []any {
		s, i, o := st.(linState), in.(linIn), out.(linOut)
		holds := s.Holder == i.Owner && (s.Token == i.Token || s.Token == 0)
		switch i.Kind {
		case opAcquire:
			switch {
			case o.Unknown:
				if s.Holder == "" {
					return []any{s, linState{Holder: i.Owner, Last: s.Last + 1}}
				}
				return []any{s}
			case o.Held:
				if s.Holder != "" && s.Holder != i.Owner {
					return []any{s}
				}
			case o.OK && s.Holder == i.Owner:
				if s.Token == o.Token || (s.Token == 0 && o.Token >= s.Last) {
					return []any{linState{Holder: i.Owner, Token: o.Token, Last: max(s.Last, o.Token)}}
				}
			case o.OK && s.Holder == "":
				if o.Token > s.Last {
					return []any{linState{Holder: i.Owner, Token: o.Token, Last: o.Token}}
				}
			}
			return nil
		case opRelease:
			released := linState{Last: s.Last}
			switch {
			case o.Unknown:
				if holds {
					return []any{s, released}
				}
				return []any{s}
			case o.OK:
				if holds {
					return []any{released}
				}
			default: // refused: not the holder with that token
				if !(s.Holder == i.Owner && s.Token == i.Token) {
					return []any{s}
				}
			}
			return nil
		case opLockGet:
			if o.Unknown || (o.Held == (s.Holder != "") && (!o.Held || o.Value == s.Holder)) {
				return []any{s}
			}
			return nil
		case opPut:
			put := linState{Value: i.Value, Set: true}
			if o.Unknown {
				return []any{s, put}
			}
			return []any{put}
		case opGet:
			if o.Unknown || (o.Found == s.Set && o.Value == s.Value) {
				return []any{s}
			}
			return nil
		}
		return nil
	},
	DescribeOperation: func(in, out any) string {
		i, o := in.(linIn), out.(linOut)
		res := fmt.Sprintf("ok=%v held=%v token=%d value=%q found=%v", o.OK, o.Held, o.Token, o.Value, o.Found)
		if o.Unknown {
			res = "unknown"
		}
		return fmt.Sprintf("%s %d %s tok=%d val=%q -> %s", i.Key, i.Kind, i.Owner, i.Token, i.Value, res)
	},
}

// TestLinearizableUnderLeaderFailures records lock and metadata operations
// from several clients on every node while the leader is killed and paused
// over and over, and checks the history with porcupine. Requests that time
// out or fail ambiguously are unknown outcomes, not failures.
func TestLinearizableUnderLeaderFailures(t *testing.T) {
	seconds := 6
	if s, err := strconv.Atoi(os.Getenv("DS_LIN_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	c := testcluster.Start(t, 3, testcluster.Options{})
	first := c.WaitLeader(5 * time.Second)
	c.Eventually(15*time.Second, "3 voters", func() bool { return len(first.Get().Status().Voters) == 3 })

	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	ctx, stop := context.WithTimeout(context.Background(), time.Duration(seconds)*time.Second)
	defer stop()

	var mu sync.Mutex
	var history []porcupine.Operation
	var unknown int
	record := func(client int, in linIn, call int64, out linOut) {
		ret := now()
		mu.Lock()
		defer mu.Unlock()
		if out.Unknown {
			unknown++
			ret = math.MaxInt64 - int64(len(history)) // may take effect any time after the call
		}
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	}

	const clients = 6
	var wg sync.WaitGroup
	for ci := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			owner := fmt.Sprintf("c%d", ci)
			held := map[string]uint64{} // locks this client knows it holds
			seq := 0
			for ctx.Err() == nil {
				nd := c.Node((ci + seq) % 3)
				seq++
				n := nd.Get()
				if n == nil || nd.Gate.Paused() {
					continue
				}
				opCtx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				var in linIn
				var out linOut
				call := now()
				var err error
				switch {
				case len(held) > 0 && rng.IntN(2) == 0:
					for k, tok := range held {
						in = linIn{Kind: opRelease, Key: k, Owner: owner, Token: tok}
						break
					}
					err = n.ReleaseLock(opCtx, in.Key, owner, in.Token)
					out.OK = err == nil
					if err == nil || errors.Is(err, cluster.ErrLockNotHeld) {
						delete(held, in.Key)
					}
				default:
					k := "L" + strconv.Itoa(rng.IntN(2))
					switch rng.IntN(4) {
					case 0:
						in = linIn{Kind: opAcquire, Key: k, Owner: owner}
						var l cluster.Lock
						l, err = n.AcquireLock(opCtx, k, owner, time.Minute)
						if err == nil {
							out.OK, out.Token = true, l.Token
							held[k] = l.Token
						}
						out.Held = errors.Is(err, cluster.ErrLockHeld)
					case 1:
						in = linIn{Kind: opLockGet, Key: k}
						var v *cluster.View
						if v, err = n.ConsistentView(opCtx); err == nil {
							l, ok := v.Lock(k, v.Time)
							out.OK, out.Held, out.Value = true, ok, l.Owner
						}
					case 2:
						k = "K" + strconv.Itoa(rng.IntN(2))
						in = linIn{Kind: opPut, Key: k, Value: fmt.Sprintf("%s-%d", owner, seq)}
						err = n.RegisterService(opCtx, cluster.Service{Type: "kv", NodeID: k, Host: in.Value, Port: 1})
						out.OK = err == nil
					default:
						k = "K" + strconv.Itoa(rng.IntN(2))
						in = linIn{Kind: opGet, Key: k}
						var v *cluster.View
						if v, err = n.ConsistentView(opCtx); err == nil {
							out.OK = true
							for _, s := range v.Services {
								if s.ID == cluster.ServiceID("kv", k, 1) {
									out.Value, out.Found = s.Host, true
								}
							}
						}
					}
				}
				cancel()
				definite := err == nil || errors.Is(err, cluster.ErrLockHeld) || errors.Is(err, cluster.ErrLockNotHeld)
				if !definite {
					out = linOut{Unknown: true}
					if in.Kind == opAcquire || in.Kind == opRelease {
						delete(held, in.Key) // find out by acquiring again
					}
				}
				record(ci, in, call, out)
			}
		}()
	}

	// Chaos: take the leader out (killed, then paused, alternately) and
	// bring it back, over and over.
	kills := 0
	for round := 0; ctx.Err() == nil; round++ {
		sleepOrDone(ctx, 700*time.Millisecond)
		l := c.Leader()
		if l == nil {
			continue
		}
		if round%2 == 0 {
			l.Kill()
		} else {
			l.Pause()
		}
		kills++
		time.Sleep(600 * time.Millisecond)
		if round%2 == 0 {
			if err := l.Restart(); err != nil {
				t.Fatalf("restart: %v", err)
			}
		} else {
			l.Resume()
		}
	}
	wg.Wait()

	t.Logf("%d operations, %d with unknown outcome, %d leader kills/pauses", len(history), unknown, kills)
	res, info := porcupine.CheckOperationsVerbose(linModel.ToModel(), history, 60*time.Second)
	if res == porcupine.Illegal {
		path := filepath.Join(os.TempDir(), "distrisearch-linearizability.html")
		if err := porcupine.VisualizePath(linModel.ToModel(), info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		t.Fatal("history is not linearizable")
	}
	if res != porcupine.Ok {
		t.Fatalf("linearizability check inconclusive: %s", res)
	}
	if len(history)-unknown < 50 {
		t.Fatalf("only %d operations with a known outcome: the cluster was unavailable", len(history)-unknown)
	}
}

// TestLinearizabilityModelRejectsViolations makes sure the model is not
// vacuous: two overlapping grants of one lock, or a stale read, are caught.
func TestLinearizabilityModelRejectsViolations(t *testing.T) {
	op := func(c int, in linIn, call int64, out linOut, ret int64) porcupine.Operation {
		return porcupine.Operation{ClientId: c, Input: in, Call: call, Output: out, Return: ret}
	}
	m := linModel.ToModel()
	twoHolders := []porcupine.Operation{
		op(0, linIn{Kind: opAcquire, Key: "L", Owner: "a"}, 0, linOut{OK: true, Token: 5}, 1),
		op(1, linIn{Kind: opAcquire, Key: "L", Owner: "b"}, 2, linOut{OK: true, Token: 6}, 3),
	}
	if porcupine.CheckOperations(m, twoHolders) {
		t.Error("two holders accepted")
	}
	staleRead := []porcupine.Operation{
		op(0, linIn{Kind: opPut, Key: "K", Value: "1"}, 0, linOut{OK: true}, 1),
		op(0, linIn{Kind: opPut, Key: "K", Value: "2"}, 2, linOut{OK: true}, 3),
		op(1, linIn{Kind: opGet, Key: "K"}, 4, linOut{OK: true, Found: true, Value: "1"}, 5),
	}
	if porcupine.CheckOperations(m, staleRead) {
		t.Error("stale read accepted")
	}
	tokenBack := []porcupine.Operation{
		op(0, linIn{Kind: opAcquire, Key: "L", Owner: "a"}, 0, linOut{OK: true, Token: 5}, 1),
		op(0, linIn{Kind: opRelease, Key: "L", Owner: "a", Token: 5}, 2, linOut{OK: true}, 3),
		op(1, linIn{Kind: opAcquire, Key: "L", Owner: "b"}, 4, linOut{OK: true, Token: 4}, 5),
	}
	if porcupine.CheckOperations(m, tokenBack) {
		t.Error("a fencing token going backwards accepted")
	}
	ok := []porcupine.Operation{
		op(0, linIn{Kind: opAcquire, Key: "L", Owner: "a"}, 0, linOut{Unknown: true}, math.MaxInt64),
		op(1, linIn{Kind: opAcquire, Key: "L", Owner: "b"}, 2, linOut{Held: true}, 3),
		op(1, linIn{Kind: opLockGet, Key: "L"}, 4, linOut{OK: true, Held: true, Value: "a"}, 5),
	}
	if !porcupine.CheckOperations(m, ok) {
		t.Error("a history explained by an unknown outcome rejected")
	}
}

func sleepOrDone(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
