package audit

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Escape returns s as a double-quoted Go string literal: control
// characters (NUL, CR, LF, ESC and the rest of C0 and C1), invisible format
// characters (such as bidirectional overrides) and invalid UTF-8 are written
// as backslash escapes, so the result is safe to print on a terminal or in a
// one-line log record.
func Escape(s string) string { return strconv.Quote(s) }

// String renders e on one line with every user-controlled field escaped:
//
//	2026-01-02T03:04:05.000000006Z node="n1" seq=7 id="…" user_id="u1" username="alice"
//	action="login_failure" resource="…" ip="…" result="failure" details={"k":"v"} hash=…
func (e Entry) String() string {
	var b strings.Builder
	b.WriteString(e.Time.UTC().Format(time.RFC3339Nano))
	field := func(name, v string) {
		b.WriteByte(' ')
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(Escape(v))
	}
	field("node", e.Node)
	b.WriteString(" seq=")
	b.WriteString(strconv.FormatUint(e.Seq, 10))
	field("id", e.ID)
	field("user_id", e.UserID)
	field("username", e.Username)
	field("action", string(e.Action))
	field("resource", e.Resource)
	field("ip", e.IPAddress)
	field("result", string(e.Result))
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(" details={")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(Escape(k))
			b.WriteByte(':')
			b.WriteString(Escape(e.Details[k]))
		}
		b.WriteByte('}')
	}
	b.WriteString(" hash=")
	b.WriteString(e.Hash.String())
	return b.String()
}
