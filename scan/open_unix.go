//go:build unix

package scan

import (
	"os"
	"syscall"
)

// openFile opens rel for reading without blocking: a fifo that replaced a
// regular file after it was listed must not hang the scan (its type is
// checked after the open).
func openFile(root *os.Root, rel string) (*os.File, error) {
	return root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
}
