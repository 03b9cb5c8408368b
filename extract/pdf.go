package extract

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"
)

// extractPDF extracts the text of a PDF page by page. ledongthuc/pdf parses
// the file structure and the fonts, after pdfPreflight has refused the
// values that would crash it (pdfcheck.go); the content streams are read by
// our own bounded interpreter (pdfcontent.go), so that every decompressed
// byte is counted and words are separated by their positions. The library
// panics on some corrupt files: a panic on one page skips that page, a
// panic elsewhere fails the file. The whole file is held in memory (at most
// MaxInputBytes).
func extractPDF(j *job, r io.ReaderAt, size int64, res *Result) error {
	data, err := readAt(j, r, size)
	if err != nil {
		return err
	}
	if err := pdfPreflight(j, data); err != nil {
		return err
	}
	// The library reads the copy in memory, through the guard that fails
	// its reads once the call is over.
	r = guardedReaderAt{ctx: j.ctx, r: bytes.NewReader(data)}
	pr, err := pdf.NewReader(pdf20(r), size)
	if err != nil {
		if j.alive() != nil {
			return j.alive()
		}
		msg := shortReason(err)
		if errors.Is(err, pdf.ErrInvalidPassword) || strings.Contains(msg, "encrypt") {
			return &failure{msg: "unsupported pdf: encrypted (" + msg + ")", kind: ErrUnsupported}
		}
		return corruptf("pdf", "%s", msg)
	}
	pdfInfo(pr, res)
	pages, capped := pdfPages(j, pr.Trailer().Key("Root").Key("Pages"))
	if capped {
		res.Truncated = true
	}
	setMeta(res, "pages", strconv.Itoa(len(pages)))
	var firstErr error
	failed := 0
	for _, p := range pages {
		if err := j.alive(); err != nil {
			return err
		}
		if j.out.full() {
			break
		}
		if err := pdfPage(j, p); err != nil {
			if _, ok := asFailure(err); ok {
				return err // a limit: the whole file is refused
			}
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
		j.out.paragraph()
	}
	if failed > 0 && failed == len(pages) {
		return corruptf("pdf", "%s", shortReason(firstErr))
	}
	if failed > 0 {
		setMeta(res, "failed_pages", strconv.Itoa(failed))
	}
	return nil
}

// pdf20 lets the library read PDF 2.0 files, whose structure it handles but
// whose header it refuses, by presenting their header as 1.7.
func pdf20(r io.ReaderAt) io.ReaderAt {
	head := make([]byte, 8)
	if _, err := r.ReadAt(head, 0); err != nil || !bytes.Equal(head, []byte("%PDF-2.0")) {
		return r
	}
	return pdfHeaderPatch{r}
}

type pdfHeaderPatch struct{ r io.ReaderAt }

func (p pdfHeaderPatch) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	for i := 0; i < n; i++ {
		switch off + int64(i) {
		case 5:
			b[i] = '1'
		case 7:
			b[i] = '7'
		}
	}
	return n, err
}

// pdfInfo copies the document information dictionary into res.
func pdfInfo(pr *pdf.Reader, res *Result) {
	defer func() { _ = recover() }() // a broken Info dictionary hides nothing else
	info := pr.Trailer().Key("Info")
	if info.Kind() != pdf.Dict {
		return
	}
	res.Title = strings.TrimSpace(info.Key("Title").Text())
	for key, meta := range map[string]string{
		"Author": "author", "Subject": "subject", "Keywords": "keywords", "Creator": "creator",
		"Producer": "producer", "CreationDate": "created", "ModDate": "modified",
	} {
		setMeta(res, meta, info.Key(key).Text())
	}
}

// pdfPages lists the pages of the page tree in order. The tree may be
// hostile (cycles, absurd depth or counts): the walk stops at MaxDepth
// levels, MaxEntries pages and 4*MaxEntries visited nodes; capped reports
// that it stopped early.
func pdfPages(j *job, root pdf.Value) (pages []pdf.Value, capped bool) {
	visits := 0
	var walk func(v pdf.Value, depth int)
	walk = func(v pdf.Value, depth int) {
		if capped || j.alive() != nil {
			return
		}
		if depth > j.lim.MaxDepth || visits >= 4*j.lim.MaxEntries || len(pages) >= j.lim.MaxEntries {
			capped = true
			return
		}
		visits++
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Pages" || kids.Kind() == pdf.Array {
			for i := 0; i < kids.Len() && !capped; i++ {
				walk(kids.Index(i), depth+1)
			}
			return
		}
		if v.Kind() == pdf.Dict {
			pages = append(pages, v)
		}
	}
	func() {
		defer func() {
			if v := recover(); v != nil {
				capped = true // keep the pages found before the damage
			}
		}()
		walk(root, 1)
	}()
	return pages, capped
}

// pdfResources returns the page's resources, inherited from its ancestors
// if need be (following at most MaxDepth parents).
func pdfResources(j *job, page pdf.Value) pdf.Value {
	v := page
	for i := 0; i < j.lim.MaxDepth && !v.IsNull(); i++ {
		if r := v.Key("Resources"); !r.IsNull() {
			return r
		}
		v = v.Key("Parent")
	}
	return pdf.Value{}
}

// pdfPage writes the text of one page. A panic in the library while reading
// the page is returned as an error.
func pdfPage(j *job, page pdf.Value) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if e, ok := v.(error); ok {
				if _, isLimit := asFailure(e); isLimit {
					err = e
					return
				}
			}
			err = errors.New(panicReason(v))
		}
	}()
	in := newPDFInterp(j)
	return in.run(page.Key("Contents"), pdfResources(j, page), 0)
}
