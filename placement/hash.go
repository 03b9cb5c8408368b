package placement

import (
	"crypto/sha256"
	"encoding/binary"
)

// KeyPosition returns the ring position of a record key: the first four
// bytes of its SHA-256, big-endian.
func KeyPosition(key string) uint32 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint32(sum[:4])
}

// PartitionOf returns the partition of a record key among partitions
// partitions: the arc of the ring its position falls in. It panics if
// partitions < 1.
func PartitionOf(key string, partitions int) int {
	if partitions < 1 {
		panic("placement: PartitionOf with fewer than 1 partition")
	}
	return int(uint64(KeyPosition(key)) * uint64(partitions) >> 32)
}

// partitionStart returns the first ring position of partition p, the
// smallest x with x·P/2^32 ≥ p.
func partitionStart(p, partitions int) uint32 {
	num := uint64(p) << 32
	d := uint64(partitions)
	return uint32((num + d - 1) / d)
}

// vnodePosition returns the ring position of virtual node i of member:
// SHA-256 over the length-prefixed id and the big-endian index, so no two
// (member, index) pairs hash the same input.
func vnodePosition(member string, i int) uint32 {
	buf := make([]byte, 0, binary.MaxVarintLen64+len(member)+4)
	buf = binary.AppendUvarint(buf, uint64(len(member)))
	buf = append(buf, member...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(i))
	sum := sha256.Sum256(buf)
	return binary.BigEndian.Uint32(sum[:4])
}
