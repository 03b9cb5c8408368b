package index

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/distrisearch/distrisearch"
)

// maxCursorBytes bounds the cursor a client may send back.
const maxCursorBytes = 4096

// cursor is the opaque pagination token: the sort values of the last hit
// of a page, bound to the query and the order that produced it. The next
// page starts after those values (bleve SearchAfter), so paging has no
// depth limit and costs the same on page 1 and page 1,000.
type cursor struct {
	V     int      `json:"v"`
	Order string   `json:"o"`
	Query string   `json:"q"` // hash of the query text
	After []string `json:"a"`
}

const cursorVersion = 1

func queryHash(q string) string {
	h := sha256.Sum256([]byte(q))
	return hex.EncodeToString(h[:6])
}

func encodeCursor(o order, q string, after []string) string {
	b, _ := json.Marshal(cursor{V: cursorVersion, Order: o.key, Query: queryHash(q), After: after})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor checks a cursor against the request and returns the
// SearchAfter values.
func decodeCursor(s string, o order, q string) ([]string, error) {
	if len(s) > maxCursorBytes {
		return nil, badCursor("the cursor is too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, badCursor("the cursor is not one this server issued")
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.V != cursorVersion {
		return nil, badCursor("the cursor is not one this server issued")
	}
	if c.Order != o.key || c.Query != queryHash(q) {
		return nil, badCursor("the cursor belongs to another query or sort order; start again without it")
	}
	if len(c.After) != len(o.kinds) {
		return nil, badCursor("the cursor is damaged")
	}
	for i, v := range c.After {
		if !validSortValue(o.kinds[i], v) {
			return nil, badCursor("the cursor is damaged")
		}
	}
	return c.After, nil
}

func validSortValue(k sortKind, v string) bool {
	switch k {
	case kindScore, kindNumber:
		f, err := strconv.ParseFloat(v, 64)
		return err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	case kindDate:
		_, err := time.Parse(time.RFC3339Nano, v)
		return err == nil
	case kindID:
		return distrisearch.IsFileID(v)
	}
	return true // kindString
}

func badCursor(msg string) error {
	return &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_cursor", Op: "index.Search", Message: msg}
}
