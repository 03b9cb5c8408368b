package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Sentinel errors that Extract's errors match with errors.Is. The message of
// an Extract error is a short human reason; these only classify it.
var (
	// ErrCorrupt: the file is not a valid instance of its format (or a parser
	// panicked on it).
	ErrCorrupt = errors.New("corrupt file")
	// ErrLimit: a bound was hit: a zip bomb, too many entries, too deep a
	// nesting.
	ErrLimit = errors.New("limit exceeded")
	// ErrTimeout: the file took longer than Limits.Timeout.
	ErrTimeout = errors.New("timed out")
	// ErrUnsupported: the file uses a feature the extractor does not
	// handle, such as PDF encryption.
	ErrUnsupported = errors.New("unsupported file")
)

// failure is an error whose message is the whole human reason and whose kind
// is one of the sentinels above.
type failure struct {
	msg  string
	kind error
}

func (f *failure) Error() string        { return f.msg }
func (f *failure) Is(target error) bool { return target == f.kind }

func corruptf(typ, format string, args ...any) error {
	return &failure{msg: "corrupt " + typ + ": " + fmt.Sprintf(format, args...), kind: ErrCorrupt}
}

func limitf(format string, args ...any) error {
	return &failure{msg: fmt.Sprintf(format, args...), kind: ErrLimit}
}

// asFailure returns err's *failure if it has one in its chain.
func asFailure(err error) (*failure, bool) {
	var f *failure
	ok := errors.As(err, &f)
	return f, ok
}

// job is the state of one Extract call. It is owned by the parser goroutine.
type job struct {
	ctx   context.Context
	lim   Limits
	typ   string
	out   *sink
	total int64 // decompressed bytes read so far, all entries together
}

func newJob(ctx context.Context, lim Limits, typ string) *job {
	return &job{ctx: ctx, lim: lim, typ: typ, out: &sink{max: lim.MaxTextBytes}}
}

// alive returns the context's error once the call is cancelled or timed out.
// Parsers call it in their loops so an abandoned goroutine stops soon.
func (j *job) alive() error { return j.ctx.Err() }

// counted wraps r so that reading more than MaxEntryBytes from it, or more
// than MaxEntryBytes from all counted readers of the job together, fails
// with a "zip bomb" (or "decompression bomb") error naming what, and reading
// after cancellation fails.
func (j *job) counted(r io.Reader, what string) io.Reader {
	return &countingReader{j: j, r: r, what: what}
}

type countingReader struct {
	j    *job
	r    io.Reader
	what string
	n    int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.j.ctx.Err(); err != nil {
		return 0, err
	}
	// Never read far past the limit: a bomb is refused after at most one
	// buffer beyond it.
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.j.total += int64(n)
	bomb := "zip bomb"
	if c.j.typ == "pdf" || c.j.typ == "email" {
		bomb = "decompression bomb"
	}
	if c.n > c.j.lim.MaxEntryBytes {
		return n, limitf("%s: %s exceeds %s decompressed", bomb, c.what, humanBytes(c.j.lim.MaxEntryBytes))
	}
	if c.j.total > c.j.lim.MaxEntryBytes {
		return n, limitf("%s: more than %s decompressed in total (at %s)", bomb, humanBytes(c.j.lim.MaxEntryBytes), c.what)
	}
	return n, err
}

// guardedReaderAt fails every read once ctx is done, so that a parser that
// keeps running after a timeout stops at its next read.
type guardedReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (g guardedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	return g.r.ReadAt(p, off)
}

// sink collects extracted text up to max bytes. Writes past the limit are
// dropped and mark it truncated. Invalid UTF-8 becomes U+FFFD; control
// characters other than tab and newline are dropped.
type sink struct {
	b         strings.Builder
	max       int
	truncated bool
	pending   bool // a space is due before the next text
}

// full reports whether the text limit was reached; parsers stop then.
func (s *sink) full() bool { return s.truncated }

func (s *sink) String() string { return strings.TrimSpace(s.b.String()) }

func (s *sink) last() byte {
	str := s.b.String()
	if len(str) == 0 {
		return '\n'
	}
	return str[len(str)-1]
}

// write appends text, cleaned.
func (s *sink) write(text string) {
	if s.truncated || text == "" {
		return
	}
	if s.pending {
		s.pending = false
		if c := s.last(); c != ' ' && c != '\n' && c != '\t' && !startsSpace(text) {
			s.write(" ")
		}
	}
	if !cleanText(text) {
		text = clean(text)
	}
	room := s.max - s.b.Len()
	if len(text) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
		s.truncated = true
	}
	s.b.WriteString(text)
}

// space asks for a space before the next text, unless that text or the
// text so far has white space there.
func (s *sink) space() { s.pending = true }

func startsSpace(text string) bool {
	return text[0] == ' ' || text[0] == '\n' || text[0] == '\t' || text[0] == '\r'
}

// newline ends the current line unless it is already ended.
func (s *sink) newline() {
	s.pending = false
	if s.last() != '\n' {
		s.write("\n")
	}
}

// paragraph ends the current line and leaves one blank line.
func (s *sink) paragraph() {
	s.newline()
	str := s.b.String()
	if len(str) >= 2 && str[len(str)-2] != '\n' {
		s.write("\n")
	}
}

// cleanText reports whether text needs no cleaning.
func cleanText(text string) bool {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && n == 1 || dropRune(r) {
			return false
		}
		i += n
	}
	return true
}

// dropRune reports whether r is never text: C1 controls, private-use
// characters (symbol-font bullets), byte order marks.
func dropRune(r rune) bool {
	return r >= 0x80 && r < 0xa0 || r >= 0xe000 && r <= 0xf8ff || r == 0xfeff
}

// clean replaces invalid UTF-8 with U+FFFD and drops control characters
// except tab and newline, and the runes of dropRune; a carriage return
// becomes a newline unless a newline follows it.
func clean(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	for i, r := range text {
		switch {
		case r == '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || dropRune(r):
		default:
			b.WriteRune(r) // RuneError for invalid bytes
		}
	}
	return b.String()
}
