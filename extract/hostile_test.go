package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// zipFile builds a zip archive from name/content pairs, in order.
func zipFile(t testing.TB, entries ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(entries); i += 2 {
		w, err := zw.Create(entries[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, entries[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zipOfZeros builds a zip whose entry name holds n zero bytes, compressed
// as it is written (so the test never holds n bytes).
func zipOfZeros(t testing.TB, name string, n int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func extractBytes(t testing.TB, x *Extractor, name string, b []byte) (Result, error) {
	t.Helper()
	return x.Extract(context.Background(), name, bytes.NewReader(b), int64(len(b)))
}

func smallLimits() Limits {
	l := DefaultLimits()
	l.MaxEntryBytes = 1 << 20
	return l
}

func TestZipBombRefused(t *testing.T) {
	bomb := zipOfZeros(t, "word/document.xml", 4<<20)
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes; expected a small file", len(bomb))
	}
	res, err := extractBytes(t, New(smallLimits()), "bomb.docx", bomb)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want a limit error", err)
	}
	if want := "zip bomb: entry word/document.xml exceeds 1 MiB decompressed"; err.Error() != want {
		t.Errorf("reason = %q, want %q", err, want)
	}
	if res.Type != "docx" || res.MIME == "" {
		t.Errorf("Result = %+v; want the type known", res)
	}
}

// A bomb whose central directory lies about the decompressed size is
// stopped while it is read, without holding the decompressed bytes.
func TestZipBombLyingHeader(t *testing.T) {
	const real = 64 << 20
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	crc := crc32.NewIEEE()
	if _, err := io.CopyN(io.MultiWriter(fw, crc), zeros{}, real); err != nil {
		t.Fatal(err)
	}
	fw.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
		CRC32: crc.Sum32(), CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(comp.Bytes())
	zw.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = extractBytes(t, New(DefaultLimits()), "liar.docx", buf.Bytes())
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a lying zip entry was accepted")
	}
	if want := "corrupt docx: entry word/document.xml: decompressed size does not match its header"; err.Error() != want {
		t.Errorf("reason = %q, want %q", err, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("allocated %d MiB for a %d MiB bomb", alloc>>20, real>>20)
	}
}

func TestZipBombTotal(t *testing.T) {
	// Each part is under the per-entry limit; together they are over it.
	part := "<w:document>" + strings.Repeat(" ", 600<<10) + "</w:document>"
	doc := zipFile(t, "word/document.xml", part, "word/footnotes.xml", part, "word/endnotes.xml", part)
	_, err := extractBytes(t, New(smallLimits()), "many.docx", doc)
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "zip bomb: more than 1 MiB decompressed in total") {
		t.Fatalf("err = %v, want the total decompressed limit", err)
	}
}

func TestTooManyEntries(t *testing.T) {
	var entries []string
	for i := range 50 {
		entries = append(entries, fmt.Sprintf("ppt/slides/slide%d.xml", i+1), "<p:sld/>")
	}
	l := DefaultLimits()
	l.MaxEntries = 10
	_, err := extractBytes(t, New(l), "many.pptx", zipFile(t, entries...))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "too many entries: 50") {
		t.Fatalf("err = %v, want too many entries", err)
	}
}

// Every truncation of a real document fails cleanly, never with a panic.
func TestTruncatedDocuments(t *testing.T) {
	x := New(DefaultLimits())
	for _, name := range []string{"report.docx", "budget.xlsx", "deck.pptx", "report.odt", "report.epub", "report.pdf", "ghost.pdf"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for cut := 0; cut < len(b); cut += 1 + len(b)/97 {
			res, err := extractBytes(t, x, name, b[:cut])
			if !utf8.ValidString(res.Text) {
				t.Fatalf("%s cut at %d: invalid UTF-8", name, cut)
			}
			if err == nil {
				t.Fatalf("%s cut at %d of %d: no error", name, cut, len(b))
			}
			if err != nil && (strings.Contains(err.Error(), "\n") || len(err.Error()) > 300) {
				t.Fatalf("%s cut at %d: reason is not short: %q", name, cut, err)
			}
		}
	}
}

// minimalPDF builds a one-page PDF whose page content is stream.
func minimalPDF(streamDict, stream string) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(s string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), s)
	}
	b.WriteString("%PDF-1.4\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
	obj(fmt.Sprintf("<< /Length %d %s >>\nstream\n%s\nendstream", len(stream), streamDict, stream))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func TestMinimalPDF(t *testing.T) {
	pdf := minimalPDF("", "BT /F1 12 Tf 72 700 Td (Hello minimal) Tj 0 -14 Td [(spaced)-600(words)] TJ ET")
	res, err := extractBytes(t, New(DefaultLimits()), "m.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if got := normalize(res.Text); got != "Hello minimal spaced words" {
		t.Errorf("text = %q", got)
	}
}

// The library panics on an unknown stream filter: the panic is a failure.
func TestCorruptPDFPanicRecovered(t *testing.T) {
	pdf := minimalPDF("/Filter /NoSuchDecode", "BT (x) Tj ET")
	res, err := extractBytes(t, New(DefaultLimits()), "panic.pdf", pdf)
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "corrupt pdf: ") {
		t.Fatalf("err = %v, want corrupt pdf", err)
	}
	if res.Type != "pdf" || res.MIME != "application/pdf" {
		t.Errorf("Result = %+v", res)
	}
}

func TestCorruptPDFNotAPDF(t *testing.T) {
	_, err := extractBytes(t, New(DefaultLimits()), "x.pdf", []byte("%PDF-1.4\nnot really\n"))
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "corrupt pdf: ") {
		t.Fatalf("err = %v", err)
	}
}

// Random damage to real PDFs never escapes as a panic.
func TestMutatedPDFs(t *testing.T) {
	x := New(DefaultLimits())
	rng := rand.New(rand.NewSource(1))
	for _, name := range []string{"report.pdf", "ghost.pdf"} {
		orig, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for range 150 {
			b := bytes.Clone(orig)
			for range 1 + rng.Intn(8) {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
			res, _ := extractBytes(t, x, name, b)
			if !utf8.ValidString(res.Text) {
				t.Fatal("invalid UTF-8")
			}
		}
	}
}

func TestPDFDecompressionBomb(t *testing.T) {
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestSpeed)
	io.CopyN(fw, strings.NewReader(strings.Repeat("0 0 m ", 1<<19)), 3<<20)
	fw.Close()
	var z bytes.Buffer
	z.Write([]byte{0x78, 0x01}) // zlib header
	z.Write(comp.Bytes())
	z.Write([]byte{0, 0, 0, 0}) // checksum, never reached
	pdf := minimalPDF("/Filter /FlateDecode", z.String())
	_, err := extractBytes(t, New(smallLimits()), "bomb.pdf", pdf)
	if !errors.Is(err, ErrLimit) || !strings.HasPrefix(err.Error(), "decompression bomb: pdf content stream exceeds 1 MiB") {
		t.Fatalf("err = %v, want a decompression bomb", err)
	}
}

func TestPDF20Header(t *testing.T) {
	b, err := os.ReadFile("testdata/ghost.pdf")
	if err != nil {
		t.Fatal(err)
	}
	copy(b, "%PDF-2.0")
	res, err := extractBytes(t, New(DefaultLimits()), "v2.pdf", b)
	if err != nil || !strings.Contains(res.Text, "Lighthouse") {
		t.Fatalf("PDF 2.0: err %v, text %q", err, res.Text)
	}
}

func TestDeepNesting(t *testing.T) {
	x := New(DefaultLimits())
	deepXML := "<w:document>" + strings.Repeat("<w:x>", 1000) + strings.Repeat("</w:x>", 1000) + "</w:document>"
	deepMIME := func(depth int) string {
		var b strings.Builder
		b.WriteString("From: a@b.c\nSubject: deep\nMIME-Version: 1.0\n")
		for i := range depth {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\n\nbottom\n")
		for i := depth - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "--b%d--\n", i)
		}
		return b.String()
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"deep.docx", zipFile(t, "word/document.xml", deepXML), "too deeply nested: XML deeper than 64 levels"},
		{"deep.odt", zipFile(t, "content.xml", deepXML), "too deeply nested: XML deeper than 64 levels"},
		{"deep.rtf", []byte(`{\rtf1 ` + strings.Repeat("{", 100000) + "x"), "too deeply nested: RTF groups deeper than 64 levels"},
		{"deep.eml", []byte(deepMIME(100)), "too deeply nested: MIME parts deeper than 64 levels"},
	}
	for _, c := range cases {
		_, err := extractBytes(t, x, c.name, c.data)
		if !errors.Is(err, ErrLimit) || err.Error() != c.want {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	// Deep but within bounds is fine.
	res, err := extractBytes(t, x, "ok.eml", []byte(deepMIME(10)))
	if err != nil || !strings.Contains(res.Text, "bottom") {
		t.Errorf("10 levels of MIME: err %v, text %q", err, res.Text)
	}
	// HTML is tokenized, never built into a tree: depth costs nothing.
	res, err = extractBytes(t, x, "deep.html", []byte(strings.Repeat("<div>", 100000)+"deep text"))
	if err != nil || res.Text != "deep text" {
		t.Errorf("deep HTML: err %v, text %q", err, res.Text)
	}
}

// blockingReader blocks every read until release is closed.
type blockingReader struct{ release chan struct{} }

func (b blockingReader) ReadAt(p []byte, off int64) (int, error) {
	<-b.release
	return 0, io.ErrUnexpectedEOF
}

func TestTimeout(t *testing.T) {
	l := DefaultLimits()
	l.Timeout = 20 * time.Millisecond
	r := blockingReader{release: make(chan struct{})}
	defer close(r.release) // let the abandoned goroutine finish
	res, err := New(l).Extract(context.Background(), "slow.pdf", r, 1<<20)
	if !errors.Is(err, ErrTimeout) || err.Error() != "timed out after 20ms" {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if res.Type != "pdf" || res.MIME != "application/pdf" {
		t.Errorf("Result = %+v; want the type from the name", res)
	}
}

func TestCanceled(t *testing.T) {
	r := blockingReader{release: make(chan struct{})}
	defer close(r.release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(DefaultLimits()).Extract(ctx, "a.txt", r, 10)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want canceled", err)
	}
}

// An abandoned parser stops at its next read: reads after the timeout are
// refused before they reach the file.
func TestTimeoutStopsAbandonedParser(t *testing.T) {
	b, err := os.ReadFile("testdata/report.docx")
	if err != nil {
		t.Fatal(err)
	}
	l := DefaultLimits()
	l.Timeout = 20 * time.Millisecond
	x := New(l)
	exited := make(chan struct{})
	x.afterRun = func() { close(exited) }
	r := &gatedReader{r: bytes.NewReader(b), gate: make(chan struct{})}
	_, err = x.Extract(context.Background(), "report.docx", r, int64(len(b)))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	close(r.gate) // the blocked first read completes now
	<-exited
	if n := r.reads.Load(); n != 1 {
		t.Errorf("the file was read %d times; want only the read in progress at the timeout", n)
	}
}

// gatedReader blocks every read until gate is closed, and counts reads.
type gatedReader struct {
	r     io.ReaderAt
	gate  chan struct{}
	reads atomic.Int32
}

func (g *gatedReader) ReadAt(p []byte, off int64) (int, error) {
	g.reads.Add(1)
	<-g.gate
	return g.r.ReadAt(p, off)
}

func TestMaxInputBytes(t *testing.T) {
	l := DefaultLimits()
	l.MaxInputBytes = 100
	b := []byte(strings.Repeat("hello world ", 20))
	res, err := extractBytes(t, New(l), "big.txt", b)
	if err != nil || res.Extractor != "" || res.Text != "" || res.Meta["skipped"] != "larger than 100 B" || res.Type != "text" {
		t.Fatalf("res %+v, err %v; want metadata only", res, err)
	}
}

func TestMaxTextBytes(t *testing.T) {
	l := DefaultLimits()
	l.MaxTextBytes = 1001
	b := []byte(strings.Repeat("żółw ", 2000)) // multi-byte runes straddle the cut
	for _, name := range []string{"t.txt", "t.md", "t.html", "t.rtf"} {
		data := b
		if name == "t.rtf" {
			data = append([]byte(`{\rtf1\ansi `), b...)
		}
		res, err := extractBytes(t, New(l), name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !res.Truncated || len(res.Text) > 1001 || len(res.Text) < 900 || !utf8.ValidString(res.Text) {
			t.Errorf("%s: truncated %v, %d bytes, valid %v", name, res.Truncated, len(res.Text), utf8.ValidString(res.Text))
		}
	}
}
