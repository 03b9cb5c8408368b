package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distrisearch/distrisearch/transport/pki"
)

// Data directory layout.
const (
	nodeIDFile    = "node_id"
	tlsDir        = "tls"
	raftDir       = "raft"
	logFile       = "log.db"
	snapshotDir   = "snapshots"
	clusterDir    = "cluster"
	bootstrapFile = "bootstrap.json"
	peersFile     = "peers.json"
)

func tlsPath(dataDir string) string  { return filepath.Join(dataDir, tlsDir) }
func logPath(dataDir string) string  { return filepath.Join(dataDir, raftDir, logFile) }
func snapPath(dataDir string) string { return filepath.Join(dataDir, raftDir) }
func clusterPath(dataDir, name string) string {
	return filepath.Join(dataDir, clusterDir, name)
}

// LoadOrCreateNodeID returns the node id persisted in dataDir, creating one
// (hostname-uuid) on first use.
func LoadOrCreateNodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, nodeIDFile)
	b, err := os.ReadFile(path) // #nosec G304 -- a fixed file name in the operator's data directory
	if err == nil {
		id := strings.TrimSpace(string(b))
		if !pki.ValidNodeID(id) {
			return "", fmt.Errorf("node id in %s is invalid: %q", path, id)
		}
		return id, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read node id: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	id := sanitizeHost(host) + "-" + newUUID()
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data dir: %w", err)
	}
	if err := pki.WriteFileAtomic(path, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

func sanitizeHost(h string) string {
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" || len(s) > 63 {
		return "node"
	}
	return s
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
