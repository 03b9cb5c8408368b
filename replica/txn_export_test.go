package replica

// SetTxnHook makes s call f between the coordinator's phases of Atomic:
// "prepared" (W replicas of every partition hold the intents) and
// "decided" (the commit is recorded). An error from f ends Atomic there
// with that error, as if this node crashed: it sends nothing more.
func SetTxnHook(s *Service, f func(stage, id string) error) { s.txn.hook = f }
