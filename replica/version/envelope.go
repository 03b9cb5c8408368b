package version

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/distrisearch/distrisearch/clock"
)

// Bounds of an envelope. Decoders reject anything beyond them.
const (
	MaxKeyLen   = 1024     // bytes of a key
	MaxValueLen = 32 << 20 // bytes of a value
	MaxWriteLen = clock.MaxNodeIDLen
)

// Errors of the envelope codec and checks.
var (
	ErrMalformed = errors.New("version: malformed envelope")
	ErrTooLarge  = errors.New("version: envelope too large")
	ErrBadKey    = errors.New("version: empty or too long key")
)

// Envelope is one stored version of one key: what replicas keep, compare
// and exchange. A tombstone has no value and records when it was deleted,
// so that it can be collected after a grace period.
type Envelope struct {
	Key       string    `json:"key"`
	Version   Version   `json:"version"`
	Tombstone bool      `json:"tombstone,omitempty"`
	DeletedAt time.Time `json:"deleted_at,omitzero"`
	Value     []byte    `json:"value,omitempty"`
}

// Validate checks the bounds of e.
func (e Envelope) Validate() error {
	if e.Key == "" || len(e.Key) > MaxKeyLen {
		return ErrBadKey
	}
	if len(e.Value) > MaxValueLen {
		return ErrTooLarge
	}
	if len(e.Version.Writer) > MaxWriteLen {
		return fmt.Errorf("%w: writer id too long", ErrMalformed)
	}
	if e.Tombstone && len(e.Value) > 0 {
		return fmt.Errorf("%w: tombstone with a value", ErrMalformed)
	}
	return e.Version.Clock.Validate()
}

const codecVersion = 1

// AppendBinary appends the binary encoding of e to b:
//
//	0x01 uvarint(len key) key uvarint(len clock) clock hlc(12)
//	uvarint(len writer) writer flags(1) deleted_at(8, Unix ns, 0 = none)
//	uvarint(len value) value
//
// Equal envelopes encode to equal bytes (the clock encoding is canonical),
// so the encoding's hash is the envelope's digest.
func (e Envelope) AppendBinary(b []byte) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return b, err
	}
	b = append(b, codecVersion)
	b = binary.AppendUvarint(b, uint64(len(e.Key)))
	b = append(b, e.Key...)
	vc, err := e.Version.Clock.MarshalBinary()
	if err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, uint64(len(vc)))
	b = append(b, vc...)
	b, _ = e.Version.Stamp.AppendBinary(b)
	b = binary.AppendUvarint(b, uint64(len(e.Version.Writer)))
	b = append(b, e.Version.Writer...)
	var flags byte
	if e.Tombstone {
		flags |= 1
	}
	b = append(b, flags)
	var del int64
	if !e.DeletedAt.IsZero() {
		del = e.DeletedAt.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(del))
	b = binary.AppendUvarint(b, uint64(len(e.Value)))
	return append(b, e.Value...), nil
}

// MarshalBinary returns the binary encoding of e.
func (e Envelope) MarshalBinary() ([]byte, error) { return e.AppendBinary(nil) }

// UnmarshalBinary decodes an encoding made by MarshalBinary, with no
// trailing bytes.
func (e *Envelope) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if d.byte() != codecVersion {
		return fmt.Errorf("%w: unknown codec version", ErrMalformed)
	}
	var out Envelope
	out.Key = string(d.bytes(MaxKeyLen))
	vc := d.bytes(clock.MaxBinaryLen)
	if d.err == nil {
		if err := out.Version.Clock.UnmarshalBinary(vc); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	ts := d.take(clock.TimestampLen)
	if d.err == nil {
		_ = out.Version.Stamp.UnmarshalBinary(ts)
	}
	out.Version.Writer = string(d.bytes(MaxWriteLen))
	flags := d.byte()
	if flags&^1 != 0 {
		d.fail()
	}
	out.Tombstone = flags&1 != 0
	if del := d.take(8); d.err == nil {
		if n := int64(binary.BigEndian.Uint64(del)); n != 0 {
			out.DeletedAt = time.Unix(0, n).UTC()
		}
	}
	if v := d.bytes(MaxValueLen); len(v) > 0 {
		out.Value = append([]byte(nil), v...)
	}
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	if err := out.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	*e = out
	return nil
}

// Digest returns the SHA-256 of e's binary encoding: the version digest a
// Merkle tree keeps for e's key. Two replicas hold the same state of a key
// iff their digests are equal.
func (e Envelope) Digest() ([32]byte, error) {
	b, err := e.MarshalBinary()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Equal reports whether a and b encode to the same bytes.
func (e Envelope) Equal(o Envelope) bool {
	a, err1 := e.MarshalBinary()
	b, err2 := o.MarshalBinary()
	return err1 == nil && err2 == nil && string(a) == string(b)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrMalformed
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || len(d.b) < n {
		d.fail()
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) bytes(limit int) []byte {
	if d.err != nil {
		return nil
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail()
		return nil
	}
	d.b = d.b[k:]
	if n > uint64(limit) {
		d.err = ErrTooLarge
		return nil
	}
	return d.take(int(n))
}
