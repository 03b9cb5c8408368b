package replica

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/events"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/transport"
)

// ViewSource gives the Raft-committed membership (*cluster.Node does).
type ViewSource interface {
	View() *cluster.View
}

// Router registers node-to-node routes (*cluster.Node does).
type Router interface {
	HandleInternal(pattern string, h http.Handler)
	MemberOnly(h http.Handler) http.Handler
}

// Doer sends node-to-node requests over mutual TLS (*transport.Client does).
type Doer interface {
	Do(req *http.Request, opts ...transport.CallOption) (*http.Response, error)
}

// Decider records and reads the outcomes of transactions (*cluster.Node
// does): the first decision recorded for an id is the outcome, returned to
// every later DecideTxn; TxnDecision reads a local copy, which may lag or
// be absent.
type Decider interface {
	DecideTxn(ctx context.Context, id string, commit bool) (committed bool, err error)
	TxnDecision(id string) (committed, decided bool)
}

// Publisher publishes events (*events.Bus does).
type Publisher interface {
	Publish(ev events.Event) (events.Event, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Self   string     // this node's id
	View   ViewSource // required
	Client Doer       // required
	Store  *kv.Store  // required; the caller opens and closes it
	// Now reads physical time for the hybrid logical clock; default time.Now.
	Now        func() time.Time
	Logger     *slog.Logger          // default: discard
	Registerer prometheus.Registerer // default: none
	Events     Publisher             // optional: conflict events
	// PeerID names the node that sent an internal request; default
	// cluster.PeerID (from its client certificate).
	PeerID func(*http.Request) string
	// Applied, when set, is called after every change of this node's
	// copy of a key is durable, whatever brought it (a write this node
	// coordinated, a replica write, a hint, read repair, anti-entropy),
	// with the partition and the outcome (the stored and the previous
	// envelope). Calls for one key may run concurrently and arrive out of
	// order: a consumer reads the key's current state (Service.Local)
	// rather than trusting a.Stored to be the latest. It must not block.
	Applied func(p int, a kv.Applied)
	// Decider records transaction decisions. Optional: without it Atomic
	// fails with ErrNoDecider and intents held here wait.
	Decider Decider
	// Txn tunes transactions; zero fields take DefaultTxnConfig's values.
	Txn TxnConfig
	// TxnHook, for fault tests only, is called between the coordinator's
	// phases of Atomic: "prepared" (W replicas of every partition hold the
	// intents) and "decided" (the commit is recorded). An error from it
	// ends Atomic there with that error, as if this node crashed: it sends
	// nothing more, and the participants resolve the transaction alone.
	TxnHook func(stage, id string) error
}

var (
	_ ViewSource = (*cluster.Node)(nil)
	_ Router     = (*cluster.Node)(nil)
	_ Decider    = (*cluster.Node)(nil)
	_ Doer       = (*transport.Client)(nil)
	_ Publisher  = (*events.Bus)(nil)
)
