package clock

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// Encoded size bounds. An encoding longer than these is rejected before it
// is parsed.
const (
	// MaxBinaryLen is the longest valid binary encoding.
	MaxBinaryLen = binary.MaxVarintLen64 + MaxEntries*(binary.MaxVarintLen64+MaxNodeIDLen+binary.MaxVarintLen64)
	// MaxJSONLen bounds the JSON encoding accepted by UnmarshalJSON. Node ids
	// may be escaped (up to 6 bytes per byte) in hand-written input.
	MaxJSONLen = 2 + MaxEntries*(2+6*MaxNodeIDLen+1+20+1)
)

// AppendBinary appends the binary encoding of v to b:
//
//	uvarint(n) then n times: uvarint(len(node)) node uvarint(counter)
//
// with entries in node order and minimal varints, so equal clocks encode to
// equal bytes. It fails if v is not valid (see Validate).
func (v VClock) AppendBinary(b []byte) ([]byte, error) {
	if err := v.Validate(); err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, uint64(len(v.e)))
	for _, e := range v.e {
		b = binary.AppendUvarint(b, uint64(len(e.Node)))
		b = append(b, e.Node...)
		b = binary.AppendUvarint(b, e.Counter)
	}
	return b, nil
}

// MarshalBinary returns the binary encoding of v (see AppendBinary).
func (v VClock) MarshalBinary() ([]byte, error) {
	return v.AppendBinary(nil)
}

// UnmarshalBinary decodes a binary encoding made by MarshalBinary. It
// accepts only the canonical encoding of a valid clock with no trailing
// bytes; on error *v is unchanged.
func (v *VClock) UnmarshalBinary(data []byte) error {
	if len(data) > MaxBinaryLen {
		return ErrTooLarge
	}
	n, rest, err := readUvarint(data)
	if err != nil {
		return err
	}
	if n > MaxEntries {
		return ErrTooManyEntries
	}
	var e []Entry
	if n > 0 {
		e = make([]Entry, 0, n)
	}
	for range n {
		var l, c uint64
		if l, rest, err = readUvarint(rest); err != nil {
			return err
		}
		if l == 0 || l > MaxNodeIDLen {
			return ErrBadNodeID
		}
		if uint64(len(rest)) < l {
			return ErrMalformed
		}
		node := string(rest[:l])
		rest = rest[l:]
		if c, rest, err = readUvarint(rest); err != nil {
			return err
		}
		e = append(e, Entry{Node: node, Counter: c})
	}
	if len(rest) != 0 {
		return ErrMalformed
	}
	nv := VClock{e: e}
	if err := nv.Validate(); err != nil {
		return err
	}
	*v = nv
	return nil
}

// readUvarint reads one minimally encoded uvarint.
func readUvarint(b []byte) (uint64, []byte, error) {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, b, ErrMalformed
	}
	if n > 1 && b[n-1] == 0 { // a trailing zero byte means a non-minimal encoding
		return 0, b, ErrNotCanonical
	}
	return x, b[n:], nil
}

// MarshalJSON encodes v as a JSON object {"node":counter,...} with keys in
// node order, so the encoding is deterministic.
func (v VClock) MarshalJSON() ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	b := []byte{'{'}
	for i, e := range v.e {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(e.Node)
		if err != nil {
			return nil, fmt.Errorf("encode node id: %w", err)
		}
		b = append(b, k...)
		b = append(b, ':')
		b = strconv.AppendUint(b, e.Counter, 10)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON decodes a JSON object of non-zero unsigned integer counters
// (or null, the empty clock). Keys may come in any order; duplicate keys,
// zero or non-integer counters, and input beyond MaxJSONLen or MaxEntries
// are rejected. On error *v is unchanged.
func (v *VClock) UnmarshalJSON(data []byte) error {
	if len(data) > MaxJSONLen {
		return ErrTooLarge
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		*v = VClock{}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return ErrMalformed
	}
	var e []Entry
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return ErrMalformed
		}
		node, ok := tok.(string)
		if !ok {
			return ErrMalformed
		}
		tok, err = dec.Token()
		if err != nil {
			return ErrMalformed
		}
		num, ok := tok.(json.Number)
		if !ok {
			return ErrMalformed
		}
		c, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil || c == 0 {
			return ErrMalformed
		}
		if len(e) == MaxEntries {
			return ErrTooManyEntries
		}
		e = append(e, Entry{Node: node, Counter: c})
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return ErrMalformed
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) != 0 {
		return ErrMalformed // trailing data
	}
	sort.Slice(e, func(i, j int) bool { return e[i].Node < e[j].Node })
	nv := VClock{e: e}
	if err := nv.Validate(); err != nil { // also catches duplicate keys
		return err
	}
	*v = nv
	return nil
}
