package audit

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Action names a kind of audited operation. The constants are the ones the
// product records; other values are accepted if they are short identifiers.
type Action string

// Audited actions.
const (
	ActionLoginSuccess Action = "login_success"
	ActionLoginFailure Action = "login_failure"
	ActionLogout       Action = "logout"
	ActionUpload       Action = "upload"
	ActionDelete       Action = "delete"
	ActionFolderDelete Action = "folder_delete"
	ActionFolderMove   Action = "folder_move"
	ActionDownload     Action = "download"
	ActionUserAdd      Action = "user_add"
	ActionUserChange   Action = "user_change"
	ActionRoleChange   Action = "role_change"
	ActionConfigChange Action = "config_change"
	ActionLockGrant    Action = "lock_grant"
	ActionBackup       Action = "backup"
	ActionKeyRotate    Action = "key_rotate"
)

// Result is the outcome of an audited operation.
type Result string

// Results.
const (
	ResultSuccess Result = "success"
	ResultFailure Result = "failure"
	ResultDenied  Result = "denied"
)

// Bounds on user-controlled text. Longer values are cut at a UTF-8
// boundary before they are stored.
const (
	MaxFieldLen      = 512 // user id, username, resource, ip address
	MaxActionLen     = 64  // action and node id
	MaxDetails       = 16  // keys in Details; extra keys (in key order) are dropped
	MaxDetailKeyLen  = 64
	MaxDetailValueLn = 256
)

// HashLen is the length of an entry hash.
const HashLen = 32

// Hash is a sha256 digest. It marshals as lowercase hex.
type Hash [HashLen]byte

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero (the prev_hash of a chain's first entry).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText decodes hex.
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 2*HashLen {
		return fmt.Errorf("audit: hash must be %d hex digits", 2*HashLen)
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// Entry is one audit record. Callers fill UserID, Username, Action,
// Resource, IPAddress, Result and Details; Append assigns ID, Node, Seq,
// Time (from the log's clock), PrevHash and Hash.
type Entry struct {
	ID        string            `json:"id"`
	Node      string            `json:"node"`
	Seq       uint64            `json:"seq"`
	Time      time.Time         `json:"timestamp"`
	UserID    string            `json:"user_id"`
	Username  string            `json:"username"`
	Action    Action            `json:"action"`
	Resource  string            `json:"resource"`
	IPAddress string            `json:"ip_address"`
	Result    Result            `json:"result"`
	Details   map[string]string `json:"details,omitempty"`
	PrevHash  Hash              `json:"prev_hash"`
	Hash      Hash              `json:"hash"`
}

// bound returns s with invalid UTF-8 replaced by U+FFFD and cut to at most
// n bytes at a rune boundary.
func bound(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// validIdent reports whether s is a non-empty short identifier of
// [a-z0-9_.:-] (actions).
func validIdent(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// normalize validates the caller-controlled fields of e and bounds its text.
// It returns a copy; e is not modified.
func normalize(e Entry) (Entry, error) {
	if !validIdent(string(e.Action), MaxActionLen) {
		return Entry{}, fmt.Errorf("%w: action %q", ErrInvalid, bound(string(e.Action), MaxActionLen))
	}
	switch e.Result {
	case ResultSuccess, ResultFailure, ResultDenied:
	default:
		return Entry{}, fmt.Errorf("%w: result %q", ErrInvalid, bound(string(e.Result), MaxActionLen))
	}
	e.UserID = bound(e.UserID, MaxFieldLen)
	e.Username = bound(e.Username, MaxFieldLen)
	e.Resource = bound(e.Resource, MaxFieldLen)
	e.IPAddress = bound(e.IPAddress, MaxFieldLen)
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := make(map[string]string, min(len(keys), MaxDetails))
		for _, k := range keys {
			if len(d) == MaxDetails {
				break
			}
			d[bound(k, MaxDetailKeyLen)] = bound(e.Details[k], MaxDetailValueLn)
		}
		e.Details = d
	} else {
		e.Details = nil
	}
	return e, nil
}
