package version

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/distrisearch/distrisearch"
)

// RecordValue is the replicated form of a file record: the record, its
// extracted text (which the record's own JSON leaves out) and a set of
// tags. Meta keys and Tags are set fields; everything else is scalar.
type RecordValue struct {
	Record  distrisearch.Record `json:"record"`
	Content string              `json:"content,omitempty"`
	Tags    []string            `json:"tags,omitempty"`
}

// EncodeRecord returns the canonical encoding of v: JSON with Tags sorted
// and deduplicated (Meta keys are sorted by encoding/json).
func EncodeRecord(v RecordValue) ([]byte, error) {
	v.Tags = normTags(v.Tags)
	if len(v.Record.Meta) == 0 {
		v.Record.Meta = nil
	}
	return json.Marshal(v)
}

// DecodeRecord decodes an encoding made by EncodeRecord.
func DecodeRecord(b []byte) (RecordValue, error) {
	var v RecordValue
	if err := json.Unmarshal(b, &v); err != nil {
		return RecordValue{}, fmt.Errorf("version: decode record: %w", err)
	}
	return v, nil
}

func normTags(t []string) []string {
	if len(t) == 0 {
		return nil
	}
	t = slices.Clone(t)
	slices.Sort(t)
	return slices.Compact(t)
}

// RecordResolver merges concurrent RecordValues: every scalar field of the
// record, and the content, by last-write-wins (the winner's); the union of
// Meta keys (the winner's value where both have a key) and of Tags.
type RecordResolver struct{}

var _ Resolver = RecordResolver{}

// Merge implements Resolver. A value that is not a RecordValue is
// resolved as opaque bytes (last-write-wins), so one bad value never
// stops replication of its key.
func (RecordResolver) Merge(winner, loser []byte) ([]byte, bool, error) {
	w, err1 := DecodeRecord(winner)
	l, err2 := DecodeRecord(loser)
	if err1 != nil || err2 != nil {
		return Bytes{}.Merge(winner, loser)
	}
	overwritten, err := scalarsDiffer(w, l)
	if err != nil {
		return nil, false, err
	}
	if len(l.Record.Meta) > 0 {
		meta := maps.Clone(l.Record.Meta)
		for k, v := range w.Record.Meta {
			if lv, ok := meta[k]; ok && lv != v {
				overwritten = true
			}
			meta[k] = v
		}
		w.Record.Meta = meta
	}
	w.Tags = append(w.Tags, l.Tags...)
	out, err := EncodeRecord(w)
	return out, overwritten, err
}

// scalarsDiffer reports whether a and b differ outside their set fields.
func scalarsDiffer(a, b RecordValue) (bool, error) {
	a.Record.Meta, b.Record.Meta = nil, nil
	a.Tags, b.Tags = nil, nil
	ea, err := json.Marshal(a)
	if err != nil {
		return false, err
	}
	eb, err := json.Marshal(b)
	if err != nil {
		return false, err
	}
	return !bytes.Equal(ea, eb), nil
}
