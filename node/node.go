package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/events"
	"github.com/distrisearch/distrisearch/extract"
	"github.com/distrisearch/distrisearch/index"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/replica/chunks"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/scan"
	"github.com/distrisearch/distrisearch/store"
	"github.com/distrisearch/distrisearch/transport/pki"
)

// Node is one running DistriSearch node.
type Node struct {
	cfg Config
	log *slog.Logger

	id        string
	startedAt time.Time
	store     *store.Store
	index     *index.Index
	scanner   *scan.Scanner
	shares    map[string]scan.Share
	registry  *prometheus.Registry
	cluster   *cluster.Node
	indexer   *indexer
	ready     chan struct{} // closed once the first scan is indexed
	bus       *events.Bus
	initRes   *cluster.InitResult // set when this start created the cluster
	audit     *audit.Log
	replicas  *kv.Store            // the replicated, partitioned records this node holds
	data      *replica.Service     // quorum writes and reads, hints, anti-entropy
	chunks    *chunks.Service      // contents of uploaded files, replicated as chunks
	extractor *extract.Extractor   // shared by the scanner and uploads
	uploadMu  sync.Mutex           // serialises the record writes of uploads and deletes
	auditWake chan struct{}        // recorded entries wake the replication loop
	held      *holdings            // this node's records and replicas, for lookups
	layouts   replica.LayoutCache  // placement of the current view, for searches
	avoidMu   sync.Mutex           // guards avoid
	avoid     map[string]time.Time // nodes that failed a search, until when searches avoid them
	hedging   *hedging             // answer times of the nodes, for hedged searches
	chunkGC   *chunkGC             // removes chunks no record names
	chunkFix  *chunkRepair         // fetches the chunks of held records this node lacks
	outbox    *replicator          // writes the record store's changes to the data plane
	replIndex *replicaIndexer      // indexes the replicas of other nodes' records
	notices   *noticeBox           // delivers the folder notices this node holds to their owners

	listener net.Listener
	http     *http.Server

	cancel context.CancelFunc
	wg     sync.WaitGroup
	// runErr holds the first error of a background loop (guarded by mu).
	mu     sync.Mutex
	runErr error
}

// New checks cfg and returns a Node that has not started.
func New(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Node{cfg: cfg, log: cfg.Logger.With("component", "node")}, nil
}

// Start opens the node's storage, binds its API listener and starts the
// scanner. It returns once the API answers; the first scan runs on in the
// background (Ready tells when it is done). On error, Close cleans up.
func (n *Node) Start(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			_ = n.Close()
		}
	}()
	if err := os.MkdirAll(n.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if n.id, err = cluster.LoadOrCreateNodeID(n.cfg.DataDir); err != nil {
		return fmt.Errorf("node id: %w", err)
	}
	n.startedAt = n.cfg.Now()
	n.log = n.log.With("node", n.id)
	if n.bus, err = events.NewBus(events.DefaultConfig(n.id, clock.NewLamport(0), n.cfg.Now)); err != nil {
		return err
	}
	// The audit log before the control plane, which reports lock grants.
	if n.audit, err = n.openAudit(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	n.auditWake = make(chan struct{}, 1)
	// The public listener first: its address goes into the membership.
	if n.listener, err = net.Listen("tcp", n.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("listen on %s: %w", n.cfg.HTTPAddr, err)
	}
	if err := n.startCluster(ctx); err != nil {
		return err
	}

	if n.store, err = store.Open(filepath.Join(n.cfg.DataDir, "records.db"), store.Options{}); err != nil {
		return fmt.Errorf("record store: %w", err)
	}
	n.held = &holdings{self: n.id, cluster: n.cluster, store: n.store}
	if n.index, err = n.openIndex(filepath.Join(n.cfg.DataDir, "index", "local")); err != nil {
		return fmt.Errorf("index: %w", err)
	}
	n.held.index = n.index
	n.outbox = newReplicator(n)
	if err := n.outbox.markExisting(); err != nil {
		return fmt.Errorf("record store: %w", err)
	}

	scfg := scan.DefaultConfig()
	scfg.NodeID = n.id
	scfg.Interval = n.cfg.ScanInterval
	scfg.Logger = n.cfg.Logger.With("component", "scan", "node", n.id)
	scfg.Now = n.cfg.Now
	n.shares = map[string]scan.Share{}
	for _, s := range n.cfg.Shares {
		sh := scan.Share{Name: s.Name, Root: s.Path}
		scfg.Shares = append(scfg.Shares, sh)
		n.shares[s.Name] = sh
	}
	n.extractor = extract.New(extract.DefaultLimits())
	n.indexer = newIndexer(n.index, n.bus, n.log)
	if n.scanner, err = scan.New(scfg, n.extractor, catalog{n.store}, n.recordSink()); err != nil {
		return fmt.Errorf("scanner: %w", err)
	}

	head, ingest := auditHandlers(n.audit)
	n.cluster.HandleInternal("GET "+pathAuditHead, n.cluster.MemberOnly(head))
	n.cluster.HandleInternal("POST "+pathAuditIngest, n.cluster.MemberOnly(ingest))
	n.registerClusterRoutes()
	tokens, err := n.tokens(ctx)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	// The metadata is followed now (tokens waited for it): the partition
	// count is known, which every indexed record carries.
	if err := n.reconcileIndex(); err != nil {
		return fmt.Errorf("reconcile index with store: %w", err)
	}
	limits, err := n.cfg.RateLimits.set()
	if err != nil {
		return err
	}

	n.registry = prometheus.NewRegistry()
	n.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if n.hedging, err = newHedging(n.registry); err != nil {
		return err
	}
	n.chunkGC = &chunkGC{n: n}
	n.chunkFix = newChunkRepair(n)
	if err := n.startDataPlane(); err != nil {
		return fmt.Errorf("data plane: %w", err)
	}
	srv, err := api.New(api.Config{
		Searcher: searcher{n}, Files: files{n}, Cluster: clusterInfo{n}, Status: status{n}, Events: n.bus,
		Accounts: accounts{n.cluster}, Tokens: tokens, Access: clusterAccess{n}, Audit: n.auditLog(),
		Limits: limits, AnonymousSearch: n.cfg.AnonymousSearch, DataPlane: dataPlane{s: n.data, outbox: n.outbox, chunks: n.chunkGC},
		Uploads: uploads{n}, Folders: folders{n}, MaxUploadBytes: n.cfg.MaxUploadBytes,
		Logger: n.cfg.Logger, Registry: n.registry, Now: n.cfg.Now,
	})
	if err != nil {
		return err
	}
	n.http = &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: n.cfg.ReadHeaderTimeout,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(n.cfg.Logger.Handler(), slog.LevelWarn),
	}
	if !n.cfg.InsecureHTTP {
		if n.http.TLSConfig, err = n.publicTLS(); err != nil {
			return err
		}
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	n.cancel = cancel
	n.ready = make(chan struct{})
	if err := n.audit.Start(runCtx); err != nil {
		return err
	}
	if err := n.data.Start(runCtx); err != nil {
		return err
	}
	auditCopies := n.newAuditSync()
	n.wg.Add(12)
	go func() {
		defer n.wg.Done()
		n.chunkGC.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.notices.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.chunkFix.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		auditCopies.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.registerShares(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.outbox.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.replIndex.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.rebalance(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		n.indexer.Run(runCtx)
	}()
	go func() {
		defer n.wg.Done()
		select {
		case <-n.scanner.Ready():
		case <-runCtx.Done():
			return
		}
		select {
		case <-n.indexer.Idle():
			close(n.ready)
		case <-runCtx.Done():
		}
	}()
	go func() {
		defer n.wg.Done()
		serve := func() error { return n.http.Serve(n.listener) }
		if n.http.TLSConfig != nil {
			serve = func() error { return n.http.ServeTLS(n.listener, "", "") }
		}
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.fail(fmt.Errorf("http server: %w", err))
		}
	}()
	go func() {
		defer n.wg.Done()
		if err := n.scanner.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			n.fail(fmt.Errorf("scanner: %w", err))
		}
	}()
	n.log.Info("node started", "http", n.URL(), "shares", len(n.cfg.Shares), "data", n.cfg.DataDir)
	return nil
}

// openIndex opens a partition index. An index written by an incompatible
// version of the mapping is rebuilt: it is removed, and reconcileIndex then
// indexes every record again from the store, which holds their text.
//
// Content snippets come from the record store's or the replica's text
// (the index does not store it); every document carries its partition.
func (n *Node) openIndex(dir string) (*index.Index, error) {
	opts := index.DefaultOptions()
	opts.Text = func(ref index.TextRef) (string, error) { return n.held.text(ref) }
	opts.PartitionOf = func(key string) int { return n.held.partitionOf(key) }
	ix, err := index.Open(dir, opts)
	if !errors.Is(err, index.ErrIncompatible) {
		return ix, err
	}
	n.log.Warn("the index was built by another version; rebuilding it from the record store", "dir", dir)
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	return index.Open(dir, opts)
}

func (n *Node) fail(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.runErr == nil {
		n.runErr = err
	}
	n.log.Error("background loop failed", "err", err)
}

// Err returns the first error of a background loop, if any.
func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.runErr
}

// ID returns the node id (valid after Start).
func (n *Node) ID() string { return n.id }

// URL returns the base URL of the node's API (valid after Start): https
// unless the operator asked for plain HTTP.
func (n *Node) URL() string {
	if n.listener == nil {
		return ""
	}
	scheme := "https://"
	if n.cfg.InsecureHTTP {
		scheme = "http://"
	}
	return scheme + n.listener.Addr().String()
}

// CAFile is the PEM file of the cluster CA, which signs the public port's
// default certificate: what clients pass as --ca / DISTRISEARCH_CA.
func (n *Node) CAFile() string {
	return filepath.Join(n.cfg.DataDir, "tls", pki.CACertFile)
}

// JoinToken returns the join token printed when this start created a new
// cluster, or "".
func (n *Node) JoinToken() string {
	if n.initRes == nil {
		return ""
	}
	return n.initRes.JoinToken
}

// AdminPassword returns the generated password of the first administrator
// when this start created the cluster (shown once), or "".
func (n *Node) AdminPassword() string {
	if n.initRes == nil {
		return ""
	}
	return n.initRes.AdminPassword
}

// InternalAddr returns the address other nodes reach this one at.
func (n *Node) InternalAddr() string {
	if n.cluster == nil {
		return ""
	}
	return n.cluster.Addr()
}

// Cluster returns the node's control plane (valid after Start).
func (n *Node) Cluster() *cluster.Node { return n.cluster }

// Ready is closed when the first scan of every share has finished and its
// changes are in the index.
func (n *Node) Ready() <-chan struct{} { return n.ready }

// Close stops the API and the scanner and closes storage. It is safe after a
// partial Start and more than once.
func (n *Node) Close() error {
	var errs []error
	if n.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := n.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = n.http.Close()
		}
		cancel()
		n.http = nil
	} else if n.listener != nil {
		_ = n.listener.Close()
	}
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	if n.chunks != nil { // its background sends use the cluster's transport
		// The pointer stays: a request still running meets a closed
		// service (ErrClosed), not nil. Close is idempotent.
		errs = append(errs, n.chunks.Close())
	}
	if n.cluster != nil {
		errs = append(errs, n.cluster.Close())
		n.cluster = nil
	}
	if n.bus != nil {
		n.bus.Close()
	}
	if n.index != nil {
		errs = append(errs, n.index.Close())
		n.index = nil
	}
	if n.data != nil {
		errs = append(errs, n.data.Close())
		n.data = nil
	}
	if n.replicas != nil {
		errs = append(errs, n.replicas.Close())
		n.replicas = nil
	}
	if n.audit != nil {
		errs = append(errs, n.audit.Close())
		n.audit = nil
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
		n.store = nil
	}
	return errors.Join(errs...)
}
