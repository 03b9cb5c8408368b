package scan

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"runtime"
	"time"

	"github.com/distrisearch/distrisearch"
)

// DefaultIgnore are the ignore patterns used when Config.Ignore is nil.
// A pattern without "/" matches a file or directory name (path.Match
// syntax); one with "/" matches the whole share-relative path.
var DefaultIgnore = []string{
	".*", // hidden files and directories: .git, .svn, .DS_Store, .env, editor swap files
	"node_modules", "__pycache__",
	"*~", "*.swp", "*.swo", "*.tmp", "*.temp", "*.part", "*.crdownload",
	"~$*", ".~lock.*#", "#*#", // Office and LibreOffice lock files, Emacs autosaves
	"Thumbs.db", "desktop.ini",
}

// Config configures a Scanner. Zero fields take their DefaultConfig value,
// except Shares and NodeID, which are required.
type Config struct {
	NodeID string  // this node's id, part of every record key and file id
	Shares []Share // the folders to scan; names must be unique

	// Interval between periodic full walks of a share, counted from the end
	// of the previous one. Negative: walk only at start, on Rescan and after
	// watcher trouble.
	Interval time.Duration
	// Debounce: events are handled once no new one arrived for this long...
	Debounce time.Duration
	// MaxDelay: ...or when the oldest unhandled event is this old.
	MaxDelay time.Duration
	// Workers bounds the files hashed and extracted at once, over all shares.
	Workers int
	// BatchSize and BatchBytes bound one Sink.Apply: changes, and bytes of
	// extracted text.
	BatchSize  int
	BatchBytes int64
	// FlushInterval: the longest a finished change waits for its batch to fill.
	FlushInterval time.Duration
	// RetryDelay: after a failed Apply or an unreadable share root, the share
	// is walked again after this long.
	RetryDelay time.Duration
	// Ignore patterns; nil means DefaultIgnore, empty means none.
	Ignore []string
	// NoWatch turns off fsnotify (for file systems without change events,
	// such as network mounts): changes are found by periodic walks only.
	NoWatch bool

	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now; stamps IndexedAt and progress times
}

// DefaultConfig returns the defaults; fill in NodeID and Shares.
func DefaultConfig() Config {
	return Config{
		Interval:      5 * time.Minute,
		Debounce:      200 * time.Millisecond,
		MaxDelay:      time.Second,
		Workers:       runtime.GOMAXPROCS(0),
		BatchSize:     256,
		BatchBytes:    32 << 20,
		FlushInterval: time.Second,
		RetryDelay:    30 * time.Second,
		Ignore:        DefaultIgnore,
		Logger:        slog.New(slog.DiscardHandler),
		Now:           time.Now,
	}
}

// withDefaults returns c with its zero fields set from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Interval == 0 {
		c.Interval = d.Interval
	}
	if c.Debounce == 0 {
		c.Debounce = d.Debounce
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = d.MaxDelay
	}
	if c.Workers == 0 {
		c.Workers = d.Workers
	}
	if c.BatchSize == 0 {
		c.BatchSize = d.BatchSize
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = d.BatchBytes
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = d.FlushInterval
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = d.RetryDelay
	}
	if c.Ignore == nil {
		c.Ignore = d.Ignore
	}
	if c.Logger == nil {
		c.Logger = d.Logger
	}
	if c.Now == nil {
		c.Now = d.Now
	}
	return c
}

// Validate reports every problem of c (after defaults are applied), including
// shares whose root is not an existing directory.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, distrisearch.Errorf(distrisearch.KindInvalid, "bad_config", format, args...))
	}
	if c.NodeID == "" {
		bad("scan: NodeID is required")
	}
	seen := map[string]bool{}
	for _, s := range c.Shares {
		if err := s.Validate(); err != nil {
			errs = append(errs, err)
		}
		if seen[s.Name] {
			bad("scan: share %q defined twice", s.Name)
		}
		seen[s.Name] = true
	}
	if c.Debounce < 0 || c.MaxDelay < c.Debounce || c.FlushInterval < 0 || c.RetryDelay < 0 {
		bad("scan: need 0 <= Debounce <= MaxDelay and non-negative FlushInterval and RetryDelay")
	}
	if c.Workers < 1 || c.BatchSize < 1 || c.BatchBytes < 1 {
		bad("scan: Workers, BatchSize and BatchBytes must be positive")
	}
	for _, p := range c.Ignore {
		if _, err := path.Match(p, ""); err != nil {
			bad("scan: ignore pattern %q: %v", p, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid scan config: %w", err)
	}
	return nil
}
