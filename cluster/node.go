package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/distrisearch/distrisearch/cluster/raftstore"
	"github.com/distrisearch/distrisearch/transport"
	"github.com/distrisearch/distrisearch/transport/pki"
	"github.com/hashicorp/raft"
)

// Node is one member of the control plane: it runs Raft (voting, standing
// by, or idle until promoted), serves the internal mutual-TLS API and the
// join endpoint on one port, sends heartbeats to the leader, and, while it
// leads, detects failures, keeps the voter set healthy and registers nodes.
type Node struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	now  func() time.Time
	id   string

	internal    *http.ServeMux // internal routes; other packages add theirs
	fsm         *fsm
	mirror      *mirror
	fences      *FenceGuard // leader actions, floored by the committed leader fence
	fencesLocks *FenceGuard // lock-protected resources
	registered  chan struct{}
	regOnce     sync.Once
	lead        *leaderState
	peers       *peerCache
	sharesMu    sync.Mutex // serialises SetShares

	mu      sync.Mutex // guards started, closed, cancel
	started bool
	closed  bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// Set by Start, read-only afterwards.
	identity  *pki.Identity
	advertise string
	ln        net.Listener
	mux       *transport.Mux
	httpSrv   *http.Server
	joinSrv   *http.Server
	client    *transport.Client
	raft      *raft.Raft
	logs      *raftstore.Store
	boot      *bootstrap
}

// New checks cfg and prepares a node; it starts nothing. The node id is
// read from (or created in) cfg.DataDir unless cfg.NodeID is set.
func New(cfg Config, deps Deps) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cluster config: %w", err)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	id := cfg.NodeID
	if id == "" {
		var err error
		if id, err = LoadOrCreateNodeID(cfg.DataDir); err != nil {
			return nil, err
		}
	} else if !pki.ValidNodeID(id) {
		return nil, fmt.Errorf("cluster config: invalid node id %q", id)
	}
	n := &Node{
		cfg: cfg, deps: deps, now: deps.Now, id: id,
		log:        deps.Logger.With("component", "cluster", "node", id),
		internal:   http.NewServeMux(),
		fsm:        newFSM(),
		mirror:     newMirror(),
		lead:       &leaderState{kick: make(chan struct{}, 1)},
		peers:      newPeerCache(cfg.DataDir, cfg.Peers),
		registered: make(chan struct{}),
	}
	n.fences = NewFenceGuard(func() uint64 { return n.View().Leader.Fence })
	n.fencesLocks = NewFenceGuard(nil)
	n.routes()
	return n, nil
}

// ID returns the node id.
func (n *Node) ID() string { return n.id }

// HandleInternal registers a route on the internal mutual-TLS API (for
// example the data plane's /api/replication/*). Use PeerID in the handler
// to learn the calling node. Routes under /internal/v1/ are reserved.
func (n *Node) HandleInternal(pattern string, h http.Handler) { n.internal.Handle(pattern, h) }

// MemberOnly wraps an internal handler so that only current members (not
// LEFT, known to this node's metadata) may call it; others get 403. The
// mutual-TLS handshake already proved the caller holds a certificate from
// the cluster CA; this also shuts out nodes that left.
func (n *Node) MemberOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, ok := n.View().Member(PeerID(r))
		if !ok || m.Status == StatusLeft {
			http.Error(w, "not a cluster member", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// noUserTokens refuses internal requests that carry an Authorization
// header: node-to-node calls authenticate with the node certificate alone,
// so a user token there is a mistake or an attack, never a credential.
func noUserTokens(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			http.Error(w, "node-to-node routes take no user token", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// PeerID returns the id of the node that made an internal request, taken
// from its verified client certificate.
func PeerID(r *http.Request) string { return transport.PeerNodeID(r.TLS) }

// Start brings the node up: it obtains an identity through the join
// endpoint if it has none (cfg.JoinAddr, cfg.JoinToken), opens the internal
// port, starts Raft (bootstrapping it on the first start after Init) and the
// background loops. It returns once the node serves; registration with the
// leader continues in the background (see WaitReady). ctx bounds only the
// start itself (joining); the node runs until Close.
func (n *Node) Start(ctx context.Context) (err error) {
	n.mu.Lock()
	if n.started || n.closed {
		n.mu.Unlock()
		return errors.New("cluster: node already started or closed")
	}
	n.started = true
	runCtx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.mu.Unlock()
	defer func() {
		if err != nil {
			n.Close()
		}
	}()

	if n.ln = n.deps.Listener; n.ln == nil {
		if n.ln, err = net.Listen("tcp", n.cfg.BindAddr); err != nil {
			return fmt.Errorf("listen internal: %w", err)
		}
	}
	if n.advertise, err = advertiseAddr(n.cfg.AdvertiseAddr, n.ln.Addr()); err != nil {
		return err
	}
	if n.identity, err = pki.LoadIdentity(tlsPath(n.cfg.DataDir)); errors.Is(err, pki.ErrNoIdentity) {
		if n.cfg.JoinAddr == "" {
			return fmt.Errorf("cluster: %w in %s: run init or give a join address and token", err, n.cfg.DataDir)
		}
		if n.identity, err = n.enroll(ctx, n.cfg.JoinAddr, n.cfg.JoinToken); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if n.identity.NodeID != n.id {
		return fmt.Errorf("cluster: certificate names node %q, this node is %q", n.identity.NodeID, n.id)
	}
	if n.boot, err = readBootstrap(n.cfg.DataDir); err != nil {
		return err
	}

	n.mux = transport.NewMux(n.ln, transport.ServerConfig(n.identity, n.now), n.log)
	n.client = transport.NewClient(transport.ClientConfig(n.identity, transport.ProtoHTTP, n.now),
		transport.ClientOptions{Dial: n.deps.Dial, Timeout: n.cfg.ApplyTimeout})
	n.httpSrv = &http.Server{Handler: noUserTokens(n.internal), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelDebug)}
	n.joinSrv = &http.Server{Handler: n.joinRoutes(), ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(n.log.Handler(), slog.LevelDebug)}
	if err := n.startRaft(); err != nil {
		return err
	}

	httpLn, joinLn := n.mux.Listener(transport.ProtoHTTP), n.mux.Listener(transport.ProtoJoin)
	n.spawn(func() { n.mux.Serve(runCtx) })
	n.spawn(func() { serveHTTP(n.httpSrv, httpLn, n.log) })
	n.spawn(func() { serveHTTP(n.joinSrv, joinLn, n.log) })
	n.spawn(func() { n.runLeadership(runCtx) })
	n.spawn(func() { n.runRegistration(runCtx) })
	n.spawn(func() { n.runHeartbeats(runCtx) })
	n.spawn(func() { n.runFollow(runCtx) })
	n.spawn(func() { n.runEvents(runCtx) })
	n.log.Info("cluster node started", "internal", n.advertise, "role", n.cfg.Role)
	return nil
}

// Join obtains an identity through the member at seedAddr with token (if
// the data directory has none) and starts the node. It is Start with
// cfg.JoinAddr and cfg.JoinToken set.
func (n *Node) Join(ctx context.Context, seedAddr, token string) error {
	n.cfg.JoinAddr, n.cfg.JoinToken = seedAddr, token
	if seedAddr != "" {
		n.peers.add(seedAddr)
	}
	return n.Start(ctx)
}

func (n *Node) spawn(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

func serveHTTP(s *http.Server, ln net.Listener, log *slog.Logger) {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		log.Warn("internal server stopped", "err", err)
	}
}

// Close stops the node without leaving the cluster (the others will see it
// SUSPECT, then DEAD). It is safe to call more than once and after a failed
// Start.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	cancel := n.cancel
	n.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	var errs []error
	if n.raft != nil {
		errs = append(errs, n.raft.Shutdown().Error())
	}
	for _, s := range []*http.Server{n.httpSrv, n.joinSrv} {
		if s != nil {
			s.Close()
		}
	}
	if n.mux != nil {
		n.mux.Close()
	} else if n.ln != nil {
		n.ln.Close()
	}
	n.wg.Wait()
	if n.client != nil {
		n.client.CloseIdle()
	}
	if n.logs != nil {
		errs = append(errs, n.logs.Close())
	}
	return errors.Join(errs...)
}

func (n *Node) isClosed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.closed
}

// Addr returns the advertised internal address (valid after Start).
func (n *Node) Addr() string { return n.advertise }

// Identity returns the node's TLS identity (valid after Start).
func (n *Node) Identity() *pki.Identity { return n.identity }

// Client returns the node's mutual-TLS HTTP client for calls to peers'
// internal APIs (valid after Start). Build URLs as "https://" + member
// InternalAddr + path.
func (n *Node) Client() *transport.Client { return n.client }

// ClientTLS returns a client TLS configuration for protocol proto (usually
// transport.ProtoHTTP), for callers that need their own http.Transport.
func (n *Node) ClientTLS(proto string) *tls.Config {
	return transport.ClientConfig(n.identity, proto, n.now)
}

// Dialer returns the function the node uses to open raw connections.
func (n *Node) Dialer() transport.DialFunc { return n.deps.Dial }

func advertiseAddr(configured string, bound net.Addr) (string, error) {
	if configured != "" {
		if _, _, err := net.SplitHostPort(configured); err != nil {
			return "", fmt.Errorf("advertise address: %w", err)
		}
		return configured, nil
	}
	tcp, ok := bound.(*net.TCPAddr)
	if !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		return "", fmt.Errorf("cluster: bound address %s cannot be advertised; set an advertise address", bound)
	}
	return tcp.String(), nil
}
