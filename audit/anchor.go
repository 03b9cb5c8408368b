package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Anchor is a chain head recorded outside the chain: in the anchor file
// next to the database, and (once wired) in the cluster's Raft state or on
// other nodes. Verify checks that the chain still reaches Seq with Hash, so
// removing entries after an anchor is detected.
type Anchor struct {
	Node    string    `json:"node"`
	Seq     uint64    `json:"seq"`
	Hash    Hash      `json:"hash"`
	Written time.Time `json:"written"`
	MAC     string    `json:"mac,omitempty"` // hex HMAC-SHA256 over the fields above, if a key is configured
}

var errNoAnchor = errors.New("audit: no anchor")

// maxAnchorFile bounds the anchor file read.
const maxAnchorFile = 4 << 10

func (a Anchor) mac(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("distrisearch-audit-anchor-v1\n" + a.Node + "\n" + strconv.FormatUint(a.Seq, 10) + "\n" +
		a.Hash.String() + "\n" + strconv.FormatInt(a.Written.UnixNano(), 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// Head returns the local chain's latest (seq, hash) as an Anchor, for the
// caller to publish elsewhere. Seq 0 means the chain is empty.
func (l *Log) Head() (Anchor, error) {
	a := Anchor{Node: l.cfg.NodeID}
	err := l.db.View(func(tx *bolt.Tx) error {
		_, meta, _ := chainBuckets(tx.Bucket(bucketChains), l.node, false)
		if meta == nil {
			return nil
		}
		h, ok := decodeHead(meta.Get(keyHead))
		if !ok {
			h, _ = decodeHead(meta.Get(keyCheckpoint))
		}
		a.Seq, a.Hash = h.Seq, h.Hash
		return nil
	})
	if err != nil {
		return Anchor{}, fmt.Errorf("audit head: %w", err)
	}
	return a, nil
}

// maybeAnchor writes h to the anchor file if it is at least AnchorEvery
// entries past the last anchor, or (force) if it is new at all.
func (l *Log) maybeAnchor(h head, force bool) error {
	a := Anchor{Node: l.cfg.NodeID, Seq: h.Seq, Hash: h.Hash}
	l.anchorMu.Lock()
	defer l.anchorMu.Unlock()
	if a.Seq == 0 || a.Seq <= l.anchorSeq {
		return nil
	}
	if !force && a.Seq-l.anchorSeq < uint64(l.cfg.AnchorEvery) {
		return nil
	}
	a.Written = l.cfg.Now().UTC()
	if len(l.cfg.AnchorKey) > 0 {
		a.MAC = a.mac(l.cfg.AnchorKey)
	}
	if err := writeFileAtomic(l.cfg.AnchorPath, a, l.cfg.NoSync); err != nil {
		l.log.Warn("audit anchor not written", "err", err)
		return err
	}
	l.anchorSeq = a.Seq
	return nil
}

func writeFileAtomic(path string, a Anchor, noSync bool) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode anchor: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) // #nosec G304 -- Config.AnchorPath (default: the log path + ".anchor") comes from the node's own configuration, never from a request
	if err != nil {
		return fmt.Errorf("write anchor: %w", err)
	}
	_, err = f.Write(b)
	if err == nil && !noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil && !noSync {
		if d, derr := os.Open(filepath.Dir(path)); derr == nil {
			err = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write anchor: %w", err)
	}
	return nil
}

func readAnchor(path string, key []byte) (Anchor, error) {
	var a Anchor
	f, err := os.Open(path) // #nosec G304 -- Config.AnchorPath (default: the log path + ".anchor") comes from the node's own configuration, never from a request
	if errors.Is(err, os.ErrNotExist) {
		return a, errNoAnchor
	}
	if err != nil {
		return a, fmt.Errorf("read anchor: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxAnchorFile+1))
	if err != nil {
		return a, fmt.Errorf("read anchor: %w", err)
	}
	if len(b) > maxAnchorFile {
		return a, errors.New("audit: anchor file too large")
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("decode anchor: %w", err)
	}
	if len(key) > 0 && !hmac.Equal([]byte(a.MAC), []byte(a.mac(key))) {
		return a, errors.New("audit: anchor signature invalid")
	}
	return a, nil
}
