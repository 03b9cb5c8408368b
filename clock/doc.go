// Package clock provides the logical clocks DistriSearch orders events and
// record versions with: a Lamport clock, vector clocks and a hybrid logical
// clock (HLC).
//
// Contract:
//   - The package is pure: it never reads the wall clock. The HLC takes its
//     physical time from an injected func() time.Time.
//   - Lamport and HLC are safe for concurrent use; VClock is a value type
//     whose operations never modify their operands (each returns a new
//     clock), so clocks may be shared between goroutines once built.
//   - A VClock is kept in canonical form (entries sorted by node id, no
//     duplicate ids, no zero counters), so equal clocks have equal
//     encodings byte for byte. The decoders accept only canonical input
//     within fixed bounds (MaxEntries, MaxNodeIDLen) and reject anything
//     else, so a peer cannot make a node allocate without limit.
package clock
