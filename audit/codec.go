package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"time"
)

// codecVersion is the first byte of every canonical encoding.
const codecVersion = 1

// maxEncodedLen bounds a decoded value, so a corrupt or hostile record
// cannot make the decoder allocate without limit.
const maxEncodedLen = 64 << 10

// canonical returns the canonical encoding of e (see DESIGN.md):
//
//	u8  version (1)
//	u64 seq                      big endian
//	i64 time, Unix nanoseconds   big endian
//	str id, node, user_id, username, action, resource, ip_address, result
//	u16 number of details, then per detail in ascending byte order of key:
//	    str key, str value
//
// where str is a u32 big-endian byte length followed by the bytes.
// PrevHash and Hash are not part of it.
func canonical(e *Entry) []byte {
	n := 1 + 8 + 8 + 2
	strs := [...]string{e.ID, e.Node, e.UserID, e.Username, string(e.Action), e.Resource, e.IPAddress, string(e.Result)}
	for _, s := range strs {
		n += 4 + len(s)
	}
	keys := make([]string, 0, len(e.Details))
	for k, v := range e.Details {
		keys = append(keys, k)
		n += 8 + len(k) + len(v)
	}
	sort.Strings(keys)
	b := make([]byte, 0, n)
	b = append(b, codecVersion)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	for _, s := range strs {
		b = appendStr(b, s)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(keys)))
	for _, k := range keys {
		b = appendStr(b, k)
		b = appendStr(b, e.Details[k])
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// chainHash returns sha256(prev || canon).
func chainHash(prev Hash, canon []byte) Hash {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(canon)
	var out Hash
	h.Sum(out[:0])
	return out
}

// encodeRecord returns the stored form of e: canonical || prev_hash || hash.
func encodeRecord(e *Entry) []byte {
	c := canonical(e)
	out := make([]byte, 0, len(c)+2*HashLen)
	out = append(out, c...)
	out = append(out, e.PrevHash[:]...)
	return append(out, e.Hash[:]...)
}

// decodeRecord parses a stored record. It returns the entry and its
// canonical bytes (to recompute the hash); it does not check the hash.
func decodeRecord(b []byte) (Entry, []byte, error) {
	var e Entry
	if len(b) > maxEncodedLen || len(b) < 2*HashLen+1 {
		return e, nil, fmt.Errorf("%w: length %d", ErrMalformed, len(b))
	}
	canon := b[:len(b)-2*HashLen]
	copy(e.PrevHash[:], b[len(canon):])
	copy(e.Hash[:], b[len(canon)+HashLen:])
	d := decoder{b: canon}
	if v := d.u8(); v != codecVersion {
		return e, nil, fmt.Errorf("%w: version %d", ErrMalformed, v)
	}
	e.Seq = d.u64()
	e.Time = time.Unix(0, int64(d.u64())).UTC()
	e.ID, e.Node, e.UserID, e.Username = d.str(), d.str(), d.str(), d.str()
	e.Action, e.Resource, e.IPAddress, e.Result = Action(d.str()), d.str(), d.str(), Result(d.str())
	n := int(d.u16())
	if n > 0 && d.err == nil {
		e.Details = make(map[string]string, min(n, MaxDetails))
		prev := ""
		for i := 0; i < n && d.err == nil; i++ {
			k, v := d.str(), d.str()
			if i > 0 && k <= prev {
				d.err = fmt.Errorf("%w: detail keys not sorted", ErrMalformed)
			}
			prev = k
			e.Details[k] = v
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(d.b))
	}
	if d.err != nil {
		return Entry{}, nil, d.err
	}
	return e, canon, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("%w: truncated", ErrMalformed)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() byte {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if v := d.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) str() string {
	if v := d.take(4); v != nil {
		return string(d.take(int(binary.BigEndian.Uint32(v))))
	}
	return ""
}
