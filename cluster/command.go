package cluster

import (
	"encoding/json"
	"fmt"
	"time"
)

// commandVersion is the version of the command envelope. A node refuses to
// apply a command with a newer version than it knows, so a rolling upgrade
// must upgrade every voter before the leader proposes new commands.
const commandVersion = 1

// op names a command.
type op string

const (
	opInit          op = "init"
	opLeader        op = "leader"
	opRegister      op = "member.register"
	opStatus        op = "member.status"
	opVoter         op = "member.voter"
	opLeave         op = "member.leave"
	opLiveness      op = "member.liveness"
	opServicePut    op = "service.put"
	opServiceDelete op = "service.delete"
	opTokenAdd      op = "token.add"
	opLockAcquire   op = "lock.acquire"
	opLockRenew     op = "lock.renew"
	opLockRelease   op = "lock.release"
	opUserAdd       op = "user.add"
	opUserUpdate    op = "user.update"
	opTokenKey      op = "token_key.rotate"
	opTokenRevoke   op = "token.revoke"
	opAuditHead     op = "audit.head"
	opShares        op = "shares.set"
	opTxnDecide     op = "txn.decide"
)

// leaderOnly ops are proposed by the leader for itself and carry its fence;
// the state machine drops them when the fence is not the current leader's.
var leaderOnly = map[op]bool{opStatus: true, opVoter: true, opLeave: true, opLiveness: true}

// command is the versioned envelope of every Raft log entry. Time is the
// proposing leader's clock (Unix nanoseconds) stamped when it proposes the
// entry: the state machine never reads a clock, so every replica decides
// lease expiry identically.
type command struct {
	V     int             `json:"v"`
	Op    op              `json:"op"`
	Time  int64           `json:"t"`
	Fence uint64          `json:"f,omitempty"`
	Data  json.RawMessage `json:"d,omitempty"`
}

func newCommand(o op, data any) (command, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return command{}, fmt.Errorf("encode %s: %w", o, err)
	}
	return command{V: commandVersion, Op: o, Data: raw}, nil
}

// result is what applying a command returns; it crosses the wire when the
// command was forwarded to the leader.
type result struct {
	Index uint64       `json:"index"`
	Token uint64       `json:"token,omitempty"`
	Lock  *Lock        `json:"lock,omitempty"`
	User  *User        `json:"user,omitempty"` // without its password hash
	Txn   *TxnDecision `json:"txn,omitempty"`  // the recorded decision (txn.decide)
	Code  string       `json:"code,omitempty"` // a cluster error code, "" on success
	Msg   string       `json:"msg,omitempty"`
}

func (r result) err() error {
	if r.Code == "" {
		return nil
	}
	base, ok := errByCode[r.Code]
	if !ok {
		return fmt.Errorf("cluster: %s", r.Msg)
	}
	if detailed[r.Code] && r.Msg != "" {
		return detail(base, "%s", r.Msg)
	}
	if r.Msg == "" || r.Msg == base.Message {
		return base
	}
	return fmt.Errorf("%w: %s", base, r.Msg)
}

func failed(e error, msg string) result {
	return result{Code: codeOf(e), Msg: msg}
}

// Command payloads.

type initCmd struct {
	Config    ClusterConfig `json:"config"`
	CACert    []byte        `json:"ca_cert"`
	CAKey     []byte        `json:"ca_key"`
	Token     tokenRecord   `json:"token"`
	FirstNode Member        `json:"first_node"`
	Admin     *User         `json:"admin,omitempty"`     // the first administrator
	TokenKey  *TokenKey     `json:"token_key,omitempty"` // the first token signing key
}

type leaderCmd struct {
	ID   string `json:"id"`
	Term uint64 `json:"term"`
}

type registerCmd struct {
	Member    Member    `json:"member"`
	Services  []Service `json:"services,omitempty"`
	LockName  string    `json:"lock_name"`
	LockToken uint64    `json:"lock_token"`
}

type statusCmd struct {
	ID            string       `json:"id"`
	Status        MemberStatus `json:"status"`
	Phi           float64      `json:"phi"`
	LastHeartbeat time.Time    `json:"last_heartbeat"`
}

type voterCmd struct {
	ID      string `json:"id"`
	Voter   bool   `json:"voter"`
	Standby bool   `json:"standby"`
}

type leaveCmd struct {
	ID string `json:"id"`
}

type livenessCmd struct {
	Entries []statusCmd `json:"entries"`
}

type serviceDeleteCmd struct {
	ID string `json:"id"`
}

type lockCmd struct {
	Name  string        `json:"name"`
	Owner string        `json:"owner"`
	Token uint64        `json:"token,omitempty"`
	TTL   time.Duration `json:"ttl,omitempty"`
}

// tokenRecord is a join token as stored: never the secret, only its hash.
type tokenRecord struct {
	ID        string    `json:"id"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// userAddCmd creates a user. The proposer validated the fields, made the id
// and hashed the password; the state machine checks them again (it must
// not trust a forwarded command to be well formed) but never hashes.
type userAddCmd struct {
	User User `json:"user"`
}

// userUpdateCmd changes the fields that are set. PasswordHash is the new
// password's bcrypt hash, made by the proposer.
type userUpdateCmd struct {
	Username     string    `json:"username"`
	PasswordHash []byte    `json:"password_hash,omitempty"`
	Roles        *[]string `json:"roles,omitempty"`
	Groups       *[]string `json:"groups,omitempty"`
	Disabled     *bool     `json:"disabled,omitempty"`
}

// tokenKeyCmd makes Key the current token signing key and retires the
// previous current key at RetireAt. With IfNone it does nothing when a
// current key exists (a leader repairing a cluster made by an older
// version).
type tokenKeyCmd struct {
	Key      TokenKey  `json:"key"`
	RetireAt time.Time `json:"retire_at,omitzero"`
	IfNone   bool      `json:"if_none,omitempty"`
}

// tokenRevokeCmd revokes the token with id JTI until it expires.
type tokenRevokeCmd struct {
	JTI string    `json:"jti"`
	Exp time.Time `json:"exp"`
}
