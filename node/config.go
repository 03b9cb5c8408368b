package node

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica"
	"github.com/distrisearch/distrisearch/scan"
)

// ShareConfig names a folder the node shares.
type ShareConfig struct {
	Name string `yaml:"name"`
	Path string `yaml:"path"`
	// Roles and Groups restrict who may see the share and anything in it
	// (search hits, counts, facets, snippets, metadata, downloads): a user
	// holding one of the roles or belonging to one of the groups, and
	// admins. Both empty: everyone with read:files.
	Roles  []string `yaml:"roles"`
	Groups []string `yaml:"groups"`
}

// RateLimits are the public API's request limits per minute (token
// buckets whose burst equals the rate). Zero fields take the defaults.
type RateLimits struct {
	PerIP   int `yaml:"per_ip"`   // every request, by client address (IPv6 by /64); default 100
	PerUser int `yaml:"per_user"` // authenticated requests, by user id; default 200
	Login   int `yaml:"login"`    // login attempts, by address and by username; default 10
}

// Config configures a node. Fill it from DefaultConfig, flags and an
// optional YAML file, then Validate.
type Config struct {
	DataDir      string        `yaml:"data_dir"`
	HTTPAddr     string        `yaml:"http_addr"` // host:port; port 0 picks a free port
	Shares       []ShareConfig `yaml:"shares"`
	ScanInterval time.Duration `yaml:"scan_interval"` // full reconciliation walk; real-time events in between
	Role         string        `yaml:"role"`          // hybrid, worker, gateway or coordinator

	// InternalAddr is where the node listens for other nodes (Raft and the
	// node-to-node API, mutual TLS on one port); AdvertiseAddr is the
	// address they dial, when it differs.
	InternalAddr  string `yaml:"internal_addr"`
	AdvertiseAddr string `yaml:"advertise_addr"`
	// Join and Token: on first start, join the cluster through the member
	// at Join with a join token. Without Join, a fresh data directory
	// starts a new cluster (as 'distrisearch init' would).
	Join  string   `yaml:"join"`
	Token string   `yaml:"token"`
	Peers []string `yaml:"peers"` // more internal addresses to find the cluster by
	// AdminPassword sets the first administrator's password when this node
	// creates the cluster; empty means a generated one, shown once.
	AdminPassword string `yaml:"-"`
	// Hosts are extra names or addresses for this node's certificate.
	Hosts []string `yaml:"hosts"`

	// TLSCert and TLSKey are the operator's PEM certificate (chain) and key
	// for the public port. Without them the node serves HTTPS with a
	// certificate from the cluster CA (clients trust CAFile()).
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// InsecureHTTP serves the public API as plain HTTP. Only when the
	// operator asks for it (behind a TLS-terminating proxy, or tests).
	InsecureHTTP bool `yaml:"insecure_http"`
	// AnonymousSearch lets requests without a token search and read files
	// as the guest role (read:files, unrestricted shares only).
	AnonymousSearch bool `yaml:"anonymous_search"`
	// RateLimits bound requests to the public API.
	RateLimits RateLimits `yaml:"rate_limits"`
	// AuditAnchorInterval is how often the node publishes its audit chain's
	// head to the Raft state (when it moved); default 1 minute.
	AuditAnchorInterval time.Duration `yaml:"audit_anchor_interval"`
	// ReadHeaderTimeout bounds the time a client may take to send its
	// request headers (slow-header attacks); default 10s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`

	// MaxUploadBytes bounds one file uploaded through this node (POST
	// /api/files); default 1 GiB.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// UploadRoles and UploadGroups restrict the share of uploaded files
	// ("uploads") as Roles and Groups restrict a shared folder: both empty,
	// everyone with read:files sees them.
	UploadRoles  []string `yaml:"upload_roles"`
	UploadGroups []string `yaml:"upload_groups"`
	// ChunkStoreMaxBytes bounds the file contents this node holds in its
	// chunk store (DATA/chunks: its replicas of uploaded files); a chunk
	// that would pass it is refused (the upload then needs other
	// replicas). Default 64 GiB.
	ChunkStoreMaxBytes int64 `yaml:"chunk_store_max_bytes"`
	// ChunkGCInterval is how often the node removes the chunks no record
	// it holds names any more (deleted or replaced files, partitions it
	// handed over); ChunkGCGrace is how long a chunk written or asked
	// about is kept regardless, which covers uploads whose records have
	// not arrived yet. Defaults 1 h and 1 h.
	ChunkGCInterval time.Duration `yaml:"chunk_gc_interval"`
	ChunkGCGrace    time.Duration `yaml:"chunk_gc_grace"`
	// TransferBytesPerSecond bounds the file contents this node sends to
	// a partition's new owners when it hands the partition over, and
	// fetches to repair its own copies, so that rebalancing leaves room
	// for uploads and downloads. Default 64 MiB/s; negative: unbounded.
	TransferBytesPerSecond int64 `yaml:"transfer_bytes_per_second"`

	// Cluster, if set, adjusts the control plane's configuration (timings)
	// after the fields above are applied; for tests and tuning.
	Cluster func(*cluster.Config) `yaml:"-"`
	// DataPlane, if set, adjusts the data plane's configuration and
	// collaborators (transaction timeouts, fault hooks) after the node
	// filled them; for tests and tuning.
	DataPlane func(*replica.Config, *replica.Deps) `yaml:"-"`

	Logger  *slog.Logger     `yaml:"-"`
	Now     func() time.Time `yaml:"-"`
	Version string           `yaml:"-"`
}

// DefaultConfig returns the defaults: data in ./data, API on 127.0.0.1:8080,
// a reconciliation walk every 5 minutes.
func DefaultConfig() Config {
	return Config{
		DataDir:            "data",
		HTTPAddr:           "127.0.0.1:8080",
		InternalAddr:       "127.0.0.1:7080",
		ScanInterval:       5 * time.Minute,
		Role:               "hybrid",
		ReadHeaderTimeout:  10 * time.Second,
		MaxUploadBytes:     api.DefaultMaxUploadBytes,
		ChunkStoreMaxBytes: DefaultChunkStoreMaxBytes,
		ChunkGCInterval:    time.Hour,
		ChunkGCGrace:       time.Hour,
		Version:            "dev",
	}
}

// DefaultTransferBytesPerSecond is the default bound of rebalancing and
// repair transfers.
const DefaultTransferBytesPerSecond int64 = 64 << 20

// DefaultChunkStoreMaxBytes is the default bound of a node's chunk store.
const DefaultChunkStoreMaxBytes int64 = 64 << 30

// Validate reports the first problem with the configuration in words a
// person can act on.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return fmt.Errorf("the data directory is required (--data DIR)")
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		return fmt.Errorf("http address %q must be host:port: %w", c.HTTPAddr, err)
	}
	if c.AuditAnchorInterval <= 0 {
		c.AuditAnchorInterval = time.Minute
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = api.DefaultMaxUploadBytes
	}
	if c.ChunkStoreMaxBytes <= 0 {
		c.ChunkStoreMaxBytes = DefaultChunkStoreMaxBytes
	}
	if c.TransferBytesPerSecond == 0 {
		c.TransferBytesPerSecond = DefaultTransferBytesPerSecond
	}
	if c.ChunkGCInterval <= 0 {
		c.ChunkGCInterval = time.Hour
	}
	if c.ChunkGCGrace <= 0 {
		c.ChunkGCGrace = time.Hour
	}
	if err := validACL("the upload share", c.UploadRoles, c.UploadGroups); err != nil {
		return err
	}
	if c.ScanInterval < time.Second {
		return fmt.Errorf("scan interval %s is too short (at least 1s)", c.ScanInterval)
	}
	if !cluster.Role(strings.ToUpper(c.Role)).Valid() {
		return fmt.Errorf("role %q must be hybrid, worker, gateway or coordinator", c.Role)
	}
	if _, _, err := net.SplitHostPort(c.InternalAddr); err != nil {
		return fmt.Errorf("internal address %q must be host:port: %w", c.InternalAddr, err)
	}
	if c.Join != "" && c.Token == "" {
		return fmt.Errorf("joining through %s needs a join token (--token, printed by 'distrisearch init')", c.Join)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("give both the TLS certificate and its key (--tls-cert and --tls-key), or neither")
	}
	if c.InsecureHTTP && c.TLSCert != "" {
		return fmt.Errorf("plain HTTP was asked for together with a TLS certificate; choose one")
	}
	for name, v := range map[string]int{"per_ip": c.RateLimits.PerIP, "per_user": c.RateLimits.PerUser, "login": c.RateLimits.Login} {
		if v < 0 {
			return fmt.Errorf("rate limit %s is %d; it must be a positive number of requests per minute (0: default)", name, v)
		}
	}
	seen := map[string]bool{}
	for i, s := range c.Shares {
		if s.Name == api.UploadShare {
			return fmt.Errorf("share name %q is reserved for the files uploaded through the API; choose another name", s.Name)
		}
		if err := validACL(fmt.Sprintf("share %q", s.Name), s.Roles, s.Groups); err != nil {
			return err
		}
		abs, err := filepath.Abs(s.Path)
		if err != nil {
			return fmt.Errorf("share %q: %w", s.Name, err)
		}
		if err := (scan.Share{Name: s.Name, Root: abs}).Validate(); err != nil {
			return err
		}
		if seen[s.Name] {
			return fmt.Errorf("share %q is configured twice", s.Name)
		}
		seen[s.Name] = true
		c.Shares[i].Path = abs
	}
	return nil
}

// validACL checks the roles and groups that restrict what (a share).
func validACL(what string, roles, groups []string) error {
	for _, r := range roles {
		if !rbac.KnownRole(r) {
			return fmt.Errorf("%s: unknown role %q (roles: %s)", what, r, strings.Join(rbac.Roles(), ", "))
		}
	}
	for _, g := range groups {
		if !validGroup(g) {
			return fmt.Errorf("%s: group %q must be 1-64 letters, digits, '.', '_', '@' or '-'", what, g)
		}
	}
	return nil
}

// accessShares are the shares whose ACLs this node enforces: the shared
// folders and the upload share.
func (c *Config) accessShares() []ShareConfig {
	return append(slices.Clone(c.Shares), ShareConfig{Name: api.UploadShare, Roles: c.UploadRoles, Groups: c.UploadGroups})
}

func validGroup(g string) bool {
	if g == "" || len(g) > 64 {
		return false
	}
	for _, r := range g {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._@-", r)) {
			return false
		}
	}
	return true
}

// LoadFile merges a YAML configuration file into c. Unknown keys are errors.
func (c *Config) LoadFile(path string) error {
	f, err := os.Open(path) // #nosec G304 -- the operator's own configuration file, named on the command line
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}
