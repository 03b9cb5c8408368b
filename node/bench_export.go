package node

// ReplicationPending returns how many changes of this node's record store
// were still waiting, at the replicator's last pass, to be written to
// their partitions' replica sets (0 before Start). The benchmark uses it
// to let a node finish its background replication before measuring
// something else on the same machine.
func (n *Node) ReplicationPending() int64 {
	if n.outbox == nil {
		return 0
	}
	return n.outbox.Status().Pending
}
