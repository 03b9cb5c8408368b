// Package extract turns a file's bytes into searchable text and metadata,
// within bounds.
//
// Contract: Extract never panics and never runs past its limits. It reads at
// most Limits.MaxInputBytes of a file (larger files get metadata only),
// returns at most Limits.MaxTextBytes of valid UTF-8 text (Result.Truncated
// when cut), refuses archives whose entries decompress past
// Limits.MaxEntryBytes (zip bombs), have more than Limits.MaxEntries entries
// or nest deeper than Limits.MaxDepth, and gives up after Limits.Timeout. A
// failure (corrupt file, parser panic, bomb, limit, timeout) is an error whose
// message is a short human reason such as "corrupt pdf: ..." or "timed out
// after 20s"; it matches ErrCorrupt, ErrLimit, ErrTimeout or ErrUnsupported
// with errors.Is (a cancelled ctx gives an error wrapping ctx.Err()), and
// the Result still carries what was determined (MIME, Type, maybe Title,
// Meta and the text read before the failure). Files of formats without an
// extractor get Type and MIME only, with Extractor == "" and no error.
//
// Formats: plain text in UTF-8, UTF-16 (with a byte order mark) and legacy
// encodings (Windows-1252 unless the detector is confident of another),
// Markdown, source code, HTML, PDF, DOCX, XLSX, PPTX, ODT, ODS, ODP, EPUB,
// RTF and e-mail (.eml).
//
// Each call runs its parser in a goroutine and returns when the parser
// finishes or the timeout expires. A parser that is still running then is
// abandoned: it is not killed, but every reader it uses fails once the
// call's context is done, and the byte limits bound the work it can do
// before its next read, so it stops soon after.
//
// Memory: text formats are streamed or read up to 4*MaxTextBytes; archive
// entries are streamed; a PDF is held whole (at most MaxInputBytes) and
// checked for values that would make the PDF library allocate without
// bound or recurse without end (pdfcheck.go) before the library parses it.
// See DESIGN.md for the reasons and the measurements.
package extract

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // image sizes in Meta
	_ "image/jpeg" // image sizes in Meta
	_ "image/png"  // image sizes in Meta
	"io"
	"strconv"
	"strings"
	"sync"
)

// Result is what Extract learned about one file.
type Result struct {
	Text      string            // extracted text, valid UTF-8
	Title     string            // document title when the format has one
	Meta      map[string]string // author, subject, from, to, date, pages, ... (small)
	MIME      string            // detected MIME type, without parameters
	Type      string            // coarse type: "text", "markdown", "code", "html", "pdf", "docx", ...
	Extractor string            // which extractor produced Text ("" = none: metadata only)
	Truncated bool              // Text was cut at Limits.MaxTextBytes (or the input was cut)
}

// Extractor extracts text within fixed limits. It is safe for concurrent use.
type Extractor struct {
	lim      Limits
	afterRun func() // test hook: called when a parser goroutine exits
}

// New returns an Extractor with the given limits. Fields of l that are zero
// or negative take their DefaultLimits value.
func New(l Limits) *Extractor {
	d := DefaultLimits()
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = d.MaxInputBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = d.MaxEntryBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return &Extractor{lim: l}
}

// Limits returns the limits in force.
func (x *Extractor) Limits() Limits { return x.lim }

// extractFunc extracts the text of one format into j.out and fills res.
type extractFunc func(j *job, r io.ReaderAt, size int64, res *Result) error

// extractors maps a coarse type to its extractor.
var extractors = map[string]extractFunc{
	"text":     extractText,
	"code":     extractText,
	"markdown": extractMarkdown,
	"html":     extractHTML,
	"pdf":      extractPDF,
	"docx":     extractDOCX,
	"xlsx":     extractXLSX,
	"pptx":     extractPPTX,
	"odt":      extractODF,
	"ods":      extractODF,
	"odp":      extractODF,
	"epub":     extractEPUB,
	"rtf":      extractRTF,
	"email":    extractEmail,
}

// headSize is how many leading bytes content detection looks at.
const headSize = 8192

// Extract reads the file (name is its name, used for the extension; r and
// size its bytes) and returns its text and metadata. See the package
// documentation for the guarantees.
func (x *Extractor) Extract(ctx context.Context, name string, r io.ReaderAt, size int64) (Result, error) {
	typ, mime := TypeOf(name)
	if size < 0 {
		return Result{Type: typ, MIME: mime}, fmt.Errorf("extract: negative size %d", size)
	}
	ctx, cancel := context.WithTimeout(ctx, x.lim.Timeout)
	defer cancel()

	p := &progress{res: Result{Type: typ, MIME: mime}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if x.afterRun != nil {
			defer x.afterRun()
		}
		res, err := x.run(ctx, name, r, size, p)
		p.finish(res, err)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done: // finished just in time
		default:
			// The parser goroutine is abandoned; see the package doc.
			res := p.snapshot()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return res, &failure{msg: "timed out after " + x.lim.Timeout.String(), kind: ErrTimeout}
			}
			return res, fmt.Errorf("extract: %w", ctx.Err())
		}
	}
	return p.res, p.err
}

// progress carries the result between the parser goroutine and Extract, so
// that a timed-out call still returns the MIME type detected so far.
type progress struct {
	mu  sync.Mutex // guards res and err
	res Result
	err error
}

func (p *progress) detected(typ, mime string) {
	p.mu.Lock()
	p.res.Type, p.res.MIME = typ, mime
	p.mu.Unlock()
}

func (p *progress) finish(res Result, err error) {
	p.mu.Lock()
	p.res, p.err = res, err
	p.mu.Unlock()
}

func (p *progress) snapshot() Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Result{Type: p.res.Type, MIME: p.res.MIME}
}

// run does the work of Extract in the parser goroutine.
func (x *Extractor) run(ctx context.Context, name string, r io.ReaderAt, size int64, p *progress) (res Result, err error) {
	res = p.snapshot()
	var j *job
	defer func() {
		if v := recover(); v != nil {
			err = corruptf(res.Type, "parser panic: %s", panicReason(v))
		}
		if j != nil {
			res.Text = j.out.String()
			res.Truncated = res.Truncated || j.out.truncated
			if err == nil || res.Text != "" {
				res.Extractor = res.Type // it ran, or left text before failing
			}
		}
		res.Meta = trimMeta(res.Meta)
		res.Title = trimValue(res.Title)
		if err != nil && ctx.Err() != nil {
			// The reason is the timeout or cancellation, reported by Extract.
			err = fmt.Errorf("extract: %w", ctx.Err())
		}
	}()

	in := guardedReaderAt{ctx: ctx, r: io.NewSectionReader(r, 0, size)}
	head := make([]byte, min(size, headSize))
	if n, err := in.ReadAt(head, 0); err != nil && !(errors.Is(err, io.EOF) && n == len(head)) {
		return res, fmt.Errorf("extract: read %s: %w", name, err)
	}
	res.Type, res.MIME = detect(name, head)
	p.detected(res.Type, res.MIME)

	if size > x.lim.MaxInputBytes {
		res.Meta = map[string]string{"skipped": "larger than " + humanBytes(x.lim.MaxInputBytes)}
		return res, nil
	}
	fn := extractors[res.Type]
	if fn == nil {
		if res.Type == "image" {
			res.Meta = imageMeta(in, size)
		}
		return res, nil
	}
	j = newJob(ctx, x.lim, res.Type)
	err = fn(j, in, size, &res)
	if err != nil {
		if f, ok := asFailure(err); ok {
			return res, f
		}
		return res, corruptf(res.Type, "%s", shortReason(err))
	}
	return res, nil
}

// panicReason is the first line of a recovered panic value, kept short. The
// stack is not part of the reason.
func panicReason(v any) string {
	return shortReason(fmt.Errorf("%v", v))
}

// shortReason is err's message cut to one short line.
func shortReason(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// imageMeta reads the dimensions of PNG, JPEG and GIF images from their
// headers.
func imageMeta(r io.ReaderAt, size int64) map[string]string {
	cfg, _, err := image.DecodeConfig(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil
	}
	return map[string]string{"width": strconv.Itoa(cfg.Width), "height": strconv.Itoa(cfg.Height)}
}

const (
	maxMetaKeys  = 32
	maxMetaValue = 512
)

// trimValue cleans a title or meta value: one line, valid UTF-8, short.
func trimValue(s string) string {
	s = strings.Join(strings.Fields(clean(s)), " ")
	if len(s) > maxMetaValue {
		cut := maxMetaValue
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// trimMeta keeps Meta small: non-empty cleaned values, a bounded number of
// keys.
func trimMeta(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		v = trimValue(v)
		if v == "" || len(out) >= maxMetaKeys {
			continue
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// setMeta sets key in res.Meta if value is not empty and key is not set yet.
func setMeta(res *Result, key, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	if res.Meta == nil {
		res.Meta = make(map[string]string)
	}
	if _, ok := res.Meta[key]; !ok && len(res.Meta) < maxMetaKeys {
		res.Meta[key] = value
	}
}
