package index

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/distrisearch/distrisearch"
)

// document turns a record into the map bleve indexes. Empty values are left
// out so that a missing field does not index an empty term. Times are cut
// to whole seconds, the precision of the query language.
//
// partition is the record's data-plane partition (PartitionTerm), or
// negative for an index that does not know partitions.
func document(r *distrisearch.Record, maxContent, partition int) map[string]any {
	d := make(map[string]any, 13)
	put := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	put(fieldNode, r.NodeID)
	if partition >= 0 {
		d[fieldPartition] = PartitionTerm(partition)
	}
	put(fieldShare, r.Share)
	put(fieldPath, r.Path)
	put(fieldName, r.Name)
	put(fieldExt, strings.ToLower(r.Ext))
	put(fieldType, strings.ToLower(r.Type))
	put(fieldTitle, r.Title)
	put(fieldContent, truncate(r.Content, maxContent))
	put(fieldMeta, metaText(r.Meta))
	d[fieldSize] = float64(r.Size)
	// Every document has a time, so that sorting and paging by it never
	// meet a missing value: an unknown or unrepresentable time is 1970.
	mod := r.ModTime.UTC().Truncate(time.Second)
	if mod.Before(minTime) || mod.After(maxTime) {
		mod = time.Unix(0, 0).UTC()
	}
	d[fieldModified] = mod
	return d
}

// metaText joins metadata values, ordered by key, one per line.
func metaText(meta map[string]string) string {
	if len(meta) == 0 {
		return ""
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(meta[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// PartitionTerm is the indexed term of partition p.
func PartitionTerm(p int) string { return strconv.Itoa(p) }
