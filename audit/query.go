package audit

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

// Filter selects entries for Query. Zero fields match everything.
type Filter struct {
	Since          time.Time // inclusive
	Until          time.Time // exclusive
	Node           string
	UserID         string
	Username       string
	Action         Action
	ResourcePrefix string
	Result         Result
	// Limit is the page size: 0 means Config.DefaultQueryLimit; it may not
	// exceed Config.MaxQueryLimit.
	Limit int
	// Cursor continues from a previous Page.Next.
	Cursor string
}

// Page is one page of Query results, newest first.
type Page struct {
	Entries []Entry `json:"entries"`
	// Next is the cursor of the next page; empty when there is none. A page
	// may hold fewer than Limit entries and still have a Next when the scan
	// budget (Config.MaxQueryScan) ran out.
	Next string `json:"next,omitempty"`
}

func (f Filter) match(e *Entry) bool {
	return (f.Node == "" || e.Node == f.Node) &&
		(f.UserID == "" || e.UserID == f.UserID) &&
		(f.Username == "" || e.Username == f.Username) &&
		(f.Action == "" || e.Action == f.Action) &&
		(f.Result == "" || e.Result == f.Result) &&
		strings.HasPrefix(e.Resource, f.ResourcePrefix)
}

func badQuery(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_audit_query", Message: err.Error(), Op: "audit.Query", Err: err}
}

// Query returns entries matching f, newest first (by timestamp, then
// sequence number), one page at a time.
func (l *Log) Query(ctx context.Context, f Filter) (Page, error) {
	var p Page
	if err := ctx.Err(); err != nil {
		return p, err
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = l.cfg.DefaultQueryLimit
	case limit < 0 || limit > l.cfg.MaxQueryLimit:
		return p, badQuery("limit must be between 1 and %d", l.cfg.MaxQueryLimit)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return p, badQuery("since must be before until")
	}
	var from []byte
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if err != nil || len(b) < 16 || len(b) > 17+MaxActionLen {
			return p, &distrisearch.Error{Kind: distrisearch.KindInvalid, Code: "bad_cursor", Message: "invalid cursor", Op: "audit.Query", Err: ErrBadCursor}
		}
		from = b
	}
	var sinceKey []byte
	if !f.Since.IsZero() {
		sinceKey = timeKey(f.Since, 0, nil)
	}
	err := l.db.View(func(tx *bolt.Tx) error {
		chains := tx.Bucket(bucketChains)
		c := tx.Bucket(bucketTime).Cursor()
		var k []byte
		switch {
		case from != nil:
			if k, _ = c.Seek(from); k == nil {
				k, _ = c.Last()
			}
			for k != nil && string(k) >= string(from) {
				k, _ = c.Prev()
			}
		case !f.Until.IsZero():
			// Sequence numbers start at 1, so every key stamped Until is
			// after this one: Seek lands at or after Until, Prev before it.
			if k, _ = c.Seek(timeKey(f.Until, 0, nil)); k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		default:
			k, _ = c.Last()
		}
		for scanned := 0; k != nil; k, _ = c.Prev() {
			if sinceKey != nil && string(k[:8]) < string(sinceKey[:8]) {
				return nil
			}
			if len(p.Entries) == limit || scanned == l.cfg.MaxQueryScan {
				p.Next = base64.RawURLEncoding.EncodeToString(cursorKey(k))
				return nil
			}
			scanned++
			e, ok, err := lookup(chains, k)
			if err != nil {
				return err
			}
			if ok && f.match(&e) {
				p.Entries = append(p.Entries, e)
			}
			if scanned%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("audit query: %w", err)
	}
	return p, nil
}

// cursorKey returns the cursor for a page that stopped before examining k:
// the next page starts at the greatest key below the cursor, and k plus a
// zero byte is the smallest key above k, so that is k itself.
func cursorKey(k []byte) []byte {
	return append(append([]byte(nil), k...), 0)
}

// lookup returns the entry a time-index key points at; ok is false if it
// was pruned meanwhile.
func lookup(chains *bolt.Bucket, k []byte) (Entry, bool, error) {
	if len(k) < 16 {
		return Entry{}, false, fmt.Errorf("%w: time index key", ErrMalformed)
	}
	entries, _, _ := chainBuckets(chains, k[16:], false)
	if entries == nil {
		return Entry{}, false, nil
	}
	v := entries.Get(k[8:16])
	if v == nil {
		return Entry{}, false, nil
	}
	e, _, err := decodeRecord(v)
	if err != nil {
		return Entry{}, false, fmt.Errorf("entry %d: %w", beUint64(k[8:16]), err)
	}
	return e, true, nil
}
