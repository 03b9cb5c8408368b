package cluster

import (
	"encoding/json"
	"errors"

	"github.com/hashicorp/raft"
)

// ShareCommits counts the share-list entries in n's Raft log, for tests
// that check an unchanged list commits nothing.
func ShareCommits(n *Node) (int, error) {
	first, err := n.logs.FirstIndex()
	if err != nil {
		return 0, err
	}
	last, err := n.logs.LastIndex()
	if err != nil {
		return 0, err
	}
	count := 0
	for i := first; i <= last && i > 0; i++ {
		var l raft.Log
		if err := n.logs.GetLog(i, &l); errors.Is(err, raft.ErrLogNotFound) {
			continue
		} else if err != nil {
			return 0, err
		}
		var c command
		if l.Type == raft.LogCommand && json.Unmarshal(l.Data, &c) == nil && c.Op == opShares {
			count++
		}
	}
	return count, nil
}
