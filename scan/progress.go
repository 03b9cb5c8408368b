package scan

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Phase is what a share's loop is doing.
type Phase string

// Phases of a share.
const (
	PhaseStarting Phase = "starting" // Run not called yet, or before the first walk
	PhaseWalking  Phase = "walking"  // a full walk is running
	PhaseWatching Phase = "watching" // between walks, handling file events
	PhaseIdle     Phase = "idle"     // between walks, without file events (NoWatch or watcher failure)
	PhaseStopped  Phase = "stopped"  // Run returned
)

// Counters count files. Every file seen ends up in exactly one of Indexed,
// Unchanged, Skipped and Failed once handled, so Seen minus their sum is
// the work in progress. Failed files are indexed too (by name and metadata)
// with extraction state "failed".
type Counters struct {
	Seen           int64 `json:"seen"`
	Indexed        int64 `json:"indexed"`   // new or changed, extracted (or metadata only)
	Unchanged      int64 `json:"unchanged"` // same size and mtime, or same hash
	Skipped        int64 `json:"skipped"`   // not indexed; see ShareProgress.SkipReasons
	Failed         int64 `json:"failed"`    // extraction failed
	Deleted        int64 `json:"deleted"`   // records removed
	BytesSeen      int64 `json:"bytes_seen"`
	BytesProcessed int64 `json:"bytes_processed"` // bytes hashed (and extracted)
}

func (c *Counters) add(o Counters) {
	c.Seen += o.Seen
	c.Indexed += o.Indexed
	c.Unchanged += o.Unchanged
	c.Skipped += o.Skipped
	c.Failed += o.Failed
	c.Deleted += o.Deleted
	c.BytesSeen += o.BytesSeen
	c.BytesProcessed += o.BytesProcessed
}

// ErrorSample is one recent problem, for people to read.
type ErrorSample struct {
	Time  time.Time `json:"time"`
	Path  string    `json:"path,omitempty"`
	Error string    `json:"error"`
}

// maxErrorSamples bounds ShareProgress.Errors.
const maxErrorSamples = 20

// ShareProgress is the state of one share.
type ShareProgress struct {
	Name  string `json:"name"`
	Root  string `json:"root"`
	Phase Phase  `json:"phase"`
	// Walk counts the running full walk, or the last one.
	Walk         Counters  `json:"walk"`
	WalkStarted  time.Time `json:"walk_started,omitzero"`
	WalkFinished time.Time `json:"walk_finished,omitzero"` // zero while the first walk runs
	Walks        int       `json:"walks"`                  // full walks completed
	// Events counts the files handled because of file events since Run began.
	Events Counters `json:"events"`
	// WatchedDirs is the number of directories with a watch.
	WatchedDirs int `json:"watched_dirs"`
	// SkipReasons counts skipped files and directories by reason since Run began.
	SkipReasons map[string]int64 `json:"skip_reasons,omitempty"`
	// Errors holds the latest problems, oldest first.
	Errors []ErrorSample `json:"errors,omitempty"`
}

// Progress is a snapshot of a Scanner's state.
type Progress struct {
	// Phase is "walking" while any share walks, else the phase they share
	// ("starting", "watching", "idle", "stopped"; "watching" when mixed).
	Phase  Phase           `json:"phase"`
	Walk   Counters        `json:"walk"`   // sum of the shares' Walk
	Events Counters        `json:"events"` // sum of the shares' Events
	Shares []ShareProgress `json:"shares"`
}

// counterSet selects which Counters a piece of work counts toward.
type counterSet int

const (
	walkSet  counterSet = iota // a full walk
	eventSet                   // file events, including walks of new directories
)

// stats is the live, mutex-guarded ShareProgress of one share.
type stats struct {
	mu sync.Mutex // guards p
	p  ShareProgress
}

func (s *stats) update(fn func(p *ShareProgress)) {
	s.mu.Lock()
	fn(&s.p)
	s.mu.Unlock()
}

func (s *stats) count(set counterSet, fn func(c *Counters)) {
	s.mu.Lock()
	if set == walkSet {
		fn(&s.p.Walk)
	} else {
		fn(&s.p.Events)
	}
	s.mu.Unlock()
}

func (s *stats) sample(e ErrorSample) {
	s.mu.Lock()
	if len(s.p.Errors) == maxErrorSamples {
		s.p.Errors = slices.Delete(s.p.Errors, 0, 1)
	}
	s.p.Errors = append(s.p.Errors, e)
	s.mu.Unlock()
}

func (s *stats) snapshot() ShareProgress {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.p
	p.SkipReasons = maps.Clone(s.p.SkipReasons)
	p.Errors = slices.Clone(s.p.Errors)
	return p
}

// summarize builds a Progress from share snapshots.
func summarize(shares []ShareProgress) Progress {
	p := Progress{Shares: shares}
	for i, s := range shares {
		p.Walk.add(s.Walk)
		p.Events.add(s.Events)
		switch {
		case i == 0:
			p.Phase = s.Phase
		case s.Phase == PhaseWalking || p.Phase == PhaseWalking:
			p.Phase = PhaseWalking
		case s.Phase != p.Phase:
			p.Phase = PhaseWatching
		}
	}
	return p
}
