package extract

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind: the
// timeout tests release their abandoned parsers before they return.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
