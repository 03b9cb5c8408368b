package raftstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// codecVersion is the first byte of every encoded log entry.
const codecVersion = 1

// ErrCorrupt is returned when a stored entry cannot be decoded.
var ErrCorrupt = errors.New("raftstore: corrupt log entry")

// encodeLog encodes l as: version, index, term, type, appended-at (Unix
// nanoseconds, 0 if unset), then data and extensions, each with a uvarint
// length.
func encodeLog(l *raft.Log) []byte {
	b := make([]byte, 0, 1+8+8+1+8+2*binary.MaxVarintLen64+len(l.Data)+len(l.Extensions))
	b = append(b, codecVersion)
	b = binary.BigEndian.AppendUint64(b, l.Index)
	b = binary.BigEndian.AppendUint64(b, l.Term)
	b = append(b, byte(l.Type))
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.AppendUvarint(b, uint64(len(l.Data)))
	b = append(b, l.Data...)
	b = binary.AppendUvarint(b, uint64(len(l.Extensions)))
	b = append(b, l.Extensions...)
	return b
}

// decodeLog decodes b (which it does not retain) into l.
func decodeLog(b []byte, l *raft.Log) error {
	const fixed = 1 + 8 + 8 + 1 + 8
	if len(b) < fixed || b[0] != codecVersion {
		return fmt.Errorf("%w: header", ErrCorrupt)
	}
	l.Index = binary.BigEndian.Uint64(b[1:])
	l.Term = binary.BigEndian.Uint64(b[9:])
	l.Type = raft.LogType(b[17])
	if at := int64(binary.BigEndian.Uint64(b[18:])); at != 0 {
		l.AppendedAt = time.Unix(0, at)
	} else {
		l.AppendedAt = time.Time{}
	}
	rest := b[fixed:]
	var err error
	if l.Data, rest, err = readBytes(rest); err != nil {
		return err
	}
	if l.Extensions, rest, err = readBytes(rest); err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	return nil
}

func readBytes(b []byte) ([]byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || k != len(binary.AppendUvarint(nil, n)) || n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("%w: length", ErrCorrupt)
	}
	if n == 0 {
		return nil, b[k:], nil
	}
	out := make([]byte, n)
	copy(out, b[k:k+int(n)])
	return out, b[k+int(n):], nil
}
