// Package events is the in-process event bus: cluster and file events,
// stamped with Lamport time, delivered to subscribers (the SSE stream, the
// metrics, the UI) with priorities, and kept in a ring buffer for replay.
//
// Contract:
//   - No I/O and no clock reads: the Lamport clock and the wall clock
//     (func() time.Time) are injected. No goroutines either: publishing
//     and receiving run on the callers' goroutines.
//   - One mutex serialises Publish, so every event gets a Lamport stamp
//     larger than the previous one and reaches every subscriber in stamp
//     order. The stamp doubles as the event id (SSE Last-Event-ID).
//   - Publish never blocks. Each subscription has a bounded queue; when it
//     is full the lowest-priority event loses: the oldest queued event of
//     a lower priority than the new one is evicted, or else the new event
//     is dropped. So a slow subscriber loses LOW events (file_indexed)
//     first and HIGH events (node_dead, leader_elected) last. Every loss
//     is counted, per subscription and per priority.
//   - Delivery order is publish order; priority decides only what is lost.
//   - The bus keeps the last ReplaySize events. SubscribeSince returns the
//     retained events after a given id and subscribes in one step, so a
//     reconnecting client misses nothing that is still retained and is
//     told when something was not.
package events
