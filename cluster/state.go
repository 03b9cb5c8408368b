package cluster

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// MembershipLock is the lock under which nodes are registered.
const MembershipLock = "cluster/membership"

// Limits on lock requests.
const (
	MinLockTTL = 10 * time.Millisecond
	MaxLockTTL = 24 * time.Hour
)

// state is the replicated cluster metadata. It is changed only by apply,
// which is deterministic: same commands, same state, on every replica.
type state struct {
	Index    uint64                  `json:"index"`
	Now      time.Time               `json:"now"` // max leader time seen; lease clock
	Config   ClusterConfig           `json:"config"`
	Leader   LeaderInfo              `json:"leader"`
	Members  map[string]*Member      `json:"members"`
	Services map[string]*Service     `json:"services"`
	Locks    map[string]*Lock        `json:"locks"`
	Tokens   map[string]*tokenRecord `json:"tokens"`
	Users    map[string]*User        `json:"users,omitempty"`
	CACert   []byte                  `json:"ca_cert,omitempty"`
	CAKey    []byte                  `json:"ca_key,omitempty"`

	TokenKeys  map[string]*TokenKey `json:"token_keys,omitempty"`
	CurrentKey string               `json:"current_token_key,omitempty"`
	Revoked    map[string]time.Time `json:"revoked,omitempty"` // jti -> token expiry
	// Cutoffs void a user's tokens issued before the time: set when the
	// user is disabled or their password, roles or groups change.
	Cutoffs map[string]time.Time `json:"token_cutoffs,omitempty"` // user id -> cutoff
	// AuditHeads anchors each node's audit chain: its latest published head.
	AuditHeads map[string]AuditHead `json:"audit_heads,omitempty"`
	// Shares is the share registry: each member's shares, sorted by name,
	// as it last reported them. Members are never removed from the state
	// (one that left stays, LEFT), so neither are their entries.
	Shares map[string][]Share `json:"shares,omitempty"`
	// Txns are the transaction decisions of the last TxnRetention (txn.go).
	Txns *txnTable `json:"txns,omitempty"`

	// revNext is when the next revocation may be pruned: the earliest
	// expiry + RevocationGrace, or zero when unknown (after a restore). It
	// only saves scans; the set's content never depends on it.
	revNext time.Time
	// touched collects the view parts that pruning changed during apply.
	touched uint8
}

func newState() *state {
	return &state{
		Members:  map[string]*Member{},
		Services: map[string]*Service{},
		Locks:    map[string]*Lock{},
		Tokens:   map[string]*tokenRecord{},
		Users:    map[string]*User{},
		// TokenKeys and Revoked stay nil until used, so the snapshot of a
		// cluster without them is what an older version wrote.
	}
}

// apply applies one command committed at index in term.
func (s *state) apply(index, term uint64, c command) result {
	s.Index = index
	if c.V > commandVersion || c.V < 1 {
		return failed(ErrInvalid, fmt.Sprintf("command version %d not supported", c.V))
	}
	if t := time.Unix(0, c.Time).UTC(); t.After(s.Now) {
		s.Now = t
	}
	s.pruneTokenKeys()
	s.pruneRevoked()
	s.pruneCutoffs()
	s.pruneTxns()
	if leaderOnly[c.Op] && (c.Fence == 0 || c.Fence != s.Leader.Fence) {
		return failed(ErrStaleFence, fmt.Sprintf("leader fence %d, current %d", c.Fence, s.Leader.Fence))
	}
	switch c.Op {
	case opInit:
		return decodeApply(c, func(p initCmd) result { return s.applyInit(p) })
	case opLeader:
		return decodeApply(c, func(p leaderCmd) result { return s.applyLeader(index, p) })
	case opRegister:
		return decodeApply(c, func(p registerCmd) result { return s.applyRegister(p) })
	case opStatus:
		return decodeApply(c, func(p statusCmd) result { return s.applyStatus(p) })
	case opVoter:
		return decodeApply(c, func(p voterCmd) result { return s.applyVoter(p) })
	case opLeave:
		return decodeApply(c, func(p leaveCmd) result { return s.applyLeave(p) })
	case opLiveness:
		return decodeApply(c, func(p livenessCmd) result {
			for _, e := range p.Entries {
				if m := s.Members[e.ID]; m != nil {
					m.Phi, m.LastHeartbeat = e.Phi, e.LastHeartbeat
				}
			}
			return result{}
		})
	case opServicePut:
		return decodeApply(c, func(p Service) result { return s.applyServicePut(p) })
	case opServiceDelete:
		return decodeApply(c, func(p serviceDeleteCmd) result {
			delete(s.Services, p.ID)
			return result{}
		})
	case opTokenAdd:
		return decodeApply(c, func(p tokenRecord) result {
			s.pruneTokens()
			s.Tokens[p.ID] = &p
			return result{}
		})
	case opLockAcquire:
		return decodeApply(c, func(p lockCmd) result { return s.applyAcquire(index, p) })
	case opLockRenew:
		return decodeApply(c, func(p lockCmd) result { return s.applyRenew(p) })
	case opLockRelease:
		return decodeApply(c, func(p lockCmd) result { return s.applyRelease(p) })
	case opUserAdd:
		return decodeApply(c, func(p userAddCmd) result { return s.applyUserAdd(p) })
	case opUserUpdate:
		return decodeApply(c, func(p userUpdateCmd) result { return s.applyUserUpdate(p) })
	case opTokenKey:
		return decodeApply(c, func(p tokenKeyCmd) result { return s.applyTokenKey(p) })
	case opTokenRevoke:
		return decodeApply(c, func(p tokenRevokeCmd) result { return s.applyRevoke(p) })
	case opAuditHead:
		return decodeApply(c, func(p AuditHead) result { return s.applyAuditHead(p) })
	case opShares:
		return decodeApply(c, func(p sharesCmd) result { return s.applyShares(p) })
	case opTxnDecide:
		return decodeApply(c, func(p txnDecideCmd) result { return s.applyTxnDecide(index, p) })
	}
	return failed(ErrInvalid, fmt.Sprintf("unknown command %q", c.Op))
}

func decodeApply[T any](c command, f func(T) result) result {
	var p T
	if err := json.Unmarshal(c.Data, &p); err != nil {
		return failed(ErrInvalid, fmt.Sprintf("decode %s: %v", c.Op, err))
	}
	return f(p)
}

func (s *state) applyInit(p initCmd) result {
	if s.Config.ClusterID != "" {
		return failed(ErrInvalid, "cluster already initialised")
	}
	if p.TokenKey != nil {
		if err := p.TokenKey.validate(); err != nil {
			return failed(ErrInvalid, err.Error())
		}
	}
	s.Config = p.Config
	s.CACert, s.CAKey = p.CACert, p.CAKey
	if p.Token.ID != "" {
		s.Tokens[p.Token.ID] = &p.Token
	}
	if p.Admin != nil {
		admin := *p.Admin
		admin.CreatedAt = s.Now
		s.Users[admin.ID] = &admin
	}
	if p.TokenKey != nil {
		if r := s.applyTokenKey(tokenKeyCmd{Key: *p.TokenKey}); r.Code != "" {
			return r
		}
	}
	m := p.FirstNode
	m.Status, m.Voter, m.StatusSince, m.JoinedAt = StatusAlive, true, s.Now, s.Now
	s.Members[m.ID] = &m
	return result{}
}

func (s *state) applyLeader(index uint64, p leaderCmd) result {
	if p.Term < s.Leader.Term {
		return failed(ErrStaleFence, fmt.Sprintf("leader term %d is older than %d", p.Term, s.Leader.Term))
	}
	s.Leader = LeaderInfo{ID: p.ID, Term: p.Term, Fence: index, Since: s.Now}
	if m := s.Members[p.ID]; m != nil && m.Status != StatusLeft {
		s.setStatus(m, StatusAlive)
		m.Phi = 0
	}
	return result{Token: index}
}

// holds reports whether the named lock is held with token at the lease clock.
func (s *state) holds(name string, token uint64) bool {
	l := s.Locks[name]
	return l != nil && l.Token == token && l.ExpiresAt.After(s.Now)
}

func (s *state) applyRegister(p registerCmd) result {
	if p.LockName != MembershipLock || !s.holds(p.LockName, p.LockToken) {
		return failed(ErrLockNotHeld, "registration requires the membership lock")
	}
	in := p.Member
	m := s.Members[in.ID]
	if m == nil {
		m = &Member{ID: in.ID, JoinedAt: s.Now}
		s.Members[in.ID] = m
	}
	m.RaftAddr, m.InternalAddr, m.HTTPAddr, m.Role = in.RaftAddr, in.InternalAddr, in.HTTPAddr, in.Role
	if m.Role == "" {
		m.Role = RoleHybrid
	}
	s.setStatus(m, StatusAlive)
	m.LastHeartbeat, m.Phi = s.Now, 0
	for _, svc := range p.Services {
		if svc.NodeID == in.ID {
			s.applyServicePut(svc)
		}
	}
	return result{}
}

func (s *state) applyStatus(p statusCmd) result {
	m := s.Members[p.ID]
	if m == nil {
		return failed(ErrUnknownMember, p.ID)
	}
	if m.Status == StatusLeft {
		return result{} // a node that left is not revived by the detector; it must register again
	}
	s.setStatus(m, p.Status)
	m.Phi, m.LastHeartbeat = p.Phi, p.LastHeartbeat
	return result{}
}

// setStatus changes a member's status and its services' health with it.
func (s *state) setStatus(m *Member, st MemberStatus) {
	if m.Status != st {
		m.Status, m.StatusSince = st, s.Now
	}
	h := HealthHealthy
	switch st {
	case StatusSuspect:
		h = HealthDegraded
	case StatusDead, StatusLeft:
		h = HealthDown
	}
	for _, svc := range s.Services {
		if svc.NodeID == m.ID && svc.Health != h {
			svc.Health, svc.UpdatedAt = h, s.Now
		}
	}
}

func (s *state) applyVoter(p voterCmd) result {
	m := s.Members[p.ID]
	if m == nil {
		return failed(ErrUnknownMember, p.ID)
	}
	m.Voter, m.Standby = p.Voter, p.Standby && !p.Voter
	return result{}
}

func (s *state) applyLeave(p leaveCmd) result {
	m := s.Members[p.ID]
	if m == nil {
		return failed(ErrUnknownMember, p.ID)
	}
	s.setStatus(m, StatusLeft)
	m.Voter, m.Standby = false, false
	return result{}
}

func (s *state) applyServicePut(p Service) result {
	if p.ID != ServiceID(p.Type, p.NodeID, p.Port) || strings.Contains(p.Type, ":") || p.Type == "" {
		return failed(ErrInvalid, "service id must be type:node:port")
	}
	if p.Health == "" {
		p.Health = HealthHealthy
	}
	p.UpdatedAt = s.Now
	s.Services[p.ID] = &p
	return result{}
}

func (s *state) pruneTokens() {
	for id, t := range s.Tokens {
		if !t.ExpiresAt.After(s.Now) {
			delete(s.Tokens, id)
		}
	}
}

func validLockCmd(p lockCmd, needTTL bool) bool {
	if p.Name == "" || len(p.Name) > 256 || p.Owner == "" || len(p.Owner) > 256 {
		return false
	}
	return !needTTL || (p.TTL >= MinLockTTL && p.TTL <= MaxLockTTL)
}

// applyAcquire grants the lock when it is free or expired, with the entry's
// index as fencing token. The same owner acquiring a lock it holds renews
// it and keeps its token.
func (s *state) applyAcquire(index uint64, p lockCmd) result {
	if !validLockCmd(p, true) {
		return failed(ErrInvalid, "lock name, owner and ttl required")
	}
	if l := s.Locks[p.Name]; l != nil && l.ExpiresAt.After(s.Now) {
		if l.Owner != p.Owner {
			return result{Code: ErrLockHeld.Code, Msg: "held by " + l.Owner, Lock: clonePtr(l)}
		}
		l.ExpiresAt = s.Now.Add(p.TTL)
		return result{Token: l.Token, Lock: clonePtr(l)}
	}
	l := &Lock{Name: p.Name, Owner: p.Owner, Token: index, AcquiredAt: s.Now, ExpiresAt: s.Now.Add(p.TTL)}
	s.Locks[p.Name] = l
	s.pruneLocks()
	return result{Token: index, Lock: clonePtr(l)}
}

func (s *state) applyRenew(p lockCmd) result {
	if !validLockCmd(p, true) {
		return failed(ErrInvalid, "lock name, owner and ttl required")
	}
	l := s.Locks[p.Name]
	if l == nil || l.Owner != p.Owner || l.Token != p.Token || !l.ExpiresAt.After(s.Now) {
		return failed(ErrLockNotHeld, p.Name)
	}
	l.ExpiresAt = s.Now.Add(p.TTL)
	return result{Token: l.Token, Lock: clonePtr(l)}
}

func (s *state) applyRelease(p lockCmd) result {
	if !validLockCmd(p, false) {
		return failed(ErrInvalid, "lock name and owner required")
	}
	l := s.Locks[p.Name]
	if l == nil || l.Owner != p.Owner || l.Token != p.Token || !l.ExpiresAt.After(s.Now) {
		return failed(ErrLockNotHeld, p.Name)
	}
	delete(s.Locks, p.Name)
	return result{Token: p.Token}
}

// pruneLocks forgets locks that expired more than an hour ago, so the map
// does not grow with every name ever used.
func (s *state) pruneLocks() {
	cutoff := s.Now.Add(-time.Hour)
	for name, l := range s.Locks {
		if l.ExpiresAt.Before(cutoff) {
			delete(s.Locks, name)
		}
	}
}

// Parts of the public view, rebuilt only when a command touched them.
const (
	partMembers uint8 = 1 << iota
	partServices
	partLocks
	partTokenKeys
	partRevoked
	partAudit
	partShares
	partAll = partMembers | partServices | partLocks | partTokenKeys | partRevoked | partAudit | partShares
)

// partsOf says which parts of the view a command may change.
var partsOf = map[op]uint8{
	opInit: partAll, opLeader: partMembers | partServices, opRegister: partMembers | partServices,
	opStatus: partMembers | partServices, opLeave: partMembers | partServices,
	opVoter: partMembers, opLiveness: partMembers,
	opServicePut: partServices, opServiceDelete: partServices,
	opLockAcquire: partLocks, opLockRenew: partLocks, opLockRelease: partLocks,
	opTokenKey: partTokenKeys, opTokenRevoke: partRevoked, opUserUpdate: partRevoked,
	opAuditHead: partAudit, opShares: partShares,
}

func (s *state) members() []Member {
	out := make([]Member, 0, len(s.Members))
	for _, m := range s.Members {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmpStr(a.ID, b.ID) })
	return out
}

func (s *state) services() []Service {
	out := make([]Service, 0, len(s.Services))
	for _, svc := range s.Services {
		out = append(out, *svc)
	}
	slices.SortFunc(out, func(a, b Service) int { return cmpStr(a.ID, b.ID) })
	return out
}

func (s *state) locks() []Lock {
	out := make([]Lock, 0, len(s.Locks))
	for _, l := range s.Locks {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b Lock) int { return cmpStr(a.Name, b.Name) })
	return out
}

// view returns a deep copy of the public part of the state.
func (s *state) view() *View {
	return &View{Index: s.Index, Config: s.Config, Leader: s.Leader, Time: s.Now,
		Members: s.members(), Services: s.services(), Locks: s.locks(),
		TokenKeys: s.tokenKeys(), CurrentTokenKey: s.CurrentKey, Revoked: s.revoked(), TokenCutoffs: s.cutoffs(), AuditHeads: maps.Clone(s.AuditHeads),
		Shares: s.sharesView(), txns: s.Txns}
}

func clonePtr[T any](p *T) *T {
	c := *p
	return &c
}
