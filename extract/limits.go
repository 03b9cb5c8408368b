package extract

import (
	"errors"
	"fmt"
	"time"
)

// Limits bound the work one Extract call may do. The zero value of a field is
// invalid; start from DefaultLimits and change what you need.
type Limits struct {
	// MaxInputBytes: files larger than this are not parsed; their Result has
	// MIME and Type from the name and the first bytes only.
	MaxInputBytes int64
	// MaxTextBytes: extracted text is cut at this many bytes (Result.Truncated).
	MaxTextBytes int
	// Timeout bounds one Extract call.
	Timeout time.Duration
	// MaxEntries bounds the archive entries inspected in zip-based formats,
	// the parts of a MIME message, the chapters of an EPUB and the pages of
	// a PDF.
	MaxEntries int
	// MaxEntryBytes bounds the decompressed bytes of one archive entry (or
	// PDF stream) and, separately, their total for one file.
	MaxEntryBytes int64
	// MaxDepth bounds nesting: XML elements, MIME multiparts, RTF groups,
	// the PDF page tree.
	MaxDepth int
}

// DefaultLimits returns the limits used when a node is not told otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxInputBytes: 64 << 20,
		MaxTextBytes:  4 << 20,
		Timeout:       20 * time.Second,
		MaxEntries:    10000,
		MaxEntryBytes: 128 << 20,
		MaxDepth:      64,
	}
}

// Validate reports every field that is out of range.
func (l Limits) Validate() error {
	var errs []error
	if l.MaxInputBytes <= 0 {
		errs = append(errs, fmt.Errorf("extract: MaxInputBytes must be positive, got %d", l.MaxInputBytes))
	}
	if l.MaxTextBytes <= 0 {
		errs = append(errs, fmt.Errorf("extract: MaxTextBytes must be positive, got %d", l.MaxTextBytes))
	}
	if l.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("extract: Timeout must be positive, got %v", l.Timeout))
	}
	if l.MaxEntries <= 0 {
		errs = append(errs, fmt.Errorf("extract: MaxEntries must be positive, got %d", l.MaxEntries))
	}
	if l.MaxEntryBytes <= 0 {
		errs = append(errs, fmt.Errorf("extract: MaxEntryBytes must be positive, got %d", l.MaxEntryBytes))
	}
	if l.MaxDepth <= 0 {
		errs = append(errs, fmt.Errorf("extract: MaxDepth must be positive, got %d", l.MaxDepth))
	}
	return errors.Join(errs...)
}

// humanBytes formats n as a short size: "128 MiB", "4 KiB", "17 B".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB"}
	v := float64(n) / unit
	i := 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
