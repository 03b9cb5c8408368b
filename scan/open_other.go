//go:build !unix

package scan

import "os"

// openFile opens rel for reading.
func openFile(root *os.Root, rel string) (*os.File, error) {
	return root.Open(rel)
}
