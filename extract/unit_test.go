package extract

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTypeOf(t *testing.T) {
	cases := []struct{ name, typ, mime string }{
		{"a/b/Report.PDF", "pdf", "application/pdf"},
		{"x.docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"main.go", "code", "text/x-go"},
		{"lib.rs", "code", "text/x-rust"},
		{"Makefile", "code", "text/x-makefile"},
		{"Dockerfile.dev", "code", "text/x-dockerfile"},
		{`C:\docs\README`, "text", "text/plain"},
		{"notes.md", "markdown", "text/markdown"},
		{"mail.eml", "email", "message/rfc822"},
		{"photo.JPG", "image", "image/jpeg"},
		{"song.mp3", "audio", "audio/mpeg"},
		{"clip.mkv", "video", "video/x-matroska"},
		{"backup.tar", "archive", "application/x-tar"},
		{"data.bin", "binary", "application/octet-stream"},
		{"noext", "binary", "application/octet-stream"},
		{"", "binary", "application/octet-stream"},
	}
	for _, c := range cases {
		typ, mime := TypeOf(c.name)
		if typ != c.typ || mime != c.mime {
			t.Errorf("TypeOf(%q) = %q, %q; want %q, %q", c.name, typ, mime, c.typ, c.mime)
		}
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("default limits: %v", err)
	}
	var zero Limits
	err := zero.Validate()
	if err == nil {
		t.Fatal("zero limits validated")
	}
	for _, field := range []string{"MaxInputBytes", "MaxTextBytes", "Timeout", "MaxEntries", "MaxEntryBytes", "MaxDepth"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s: %v", field, err)
		}
	}
	if got := New(Limits{MaxDepth: 5}).Limits(); got.MaxDepth != 5 || got.Timeout != 20*time.Second {
		t.Errorf("New fills zero fields with defaults: got %+v", got)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{17: "17 B", 4096: "4 KiB", 128 << 20: "128 MiB", 1536: "1.5 KiB", 64 << 30: "64 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestContentDetection(t *testing.T) {
	x := New(DefaultLimits())
	var img bytes.Buffer
	png.Encode(&img, image.NewGray(image.Rect(0, 0, 7, 3)))
	pdf, _ := os.ReadFile("testdata/ghost.pdf")
	cases := []struct {
		name      string
		data      []byte
		typ, mime string
		extractor string
		text      string
	}{
		{"blob.txt", []byte("abc\x00\x01\x02def"), "binary", "application/octet-stream", "", ""},
		{"noext", []byte("just some words\n"), "text", "text/plain", "text", "just some words"},
		{"noext", pdf, "pdf", "application/pdf", "pdf", "Lighthouse"},
		{"README", []byte("Read me first.\r\nSecond line.\r\n"), "text", "text/plain", "text", "Read me first.\nSecond line."},
		{"picture.png", img.Bytes(), "image", "image/png", "", ""},
		{"picture", img.Bytes(), "image", "image/png", "", ""},
		{"empty.txt", nil, "text", "text/plain", "text", ""},
		{"latin.txt", []byte("caf\xe9 cr\xe8me"), "text", "text/plain", "text", "café crème"},
		{"bom.txt", []byte("\xef\xbb\xbfwith bom"), "text", "text/plain", "text", "with bom"},
	}
	for _, c := range cases {
		res, err := extractBytes(t, x, c.name, c.data)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if res.Type != c.typ || res.MIME != c.mime || res.Extractor != c.extractor || !strings.Contains(res.Text, c.text) {
			t.Errorf("%s: got %q %q %q %q; want %q %q %q containing %q", c.name, res.Type, res.MIME, res.Extractor, res.Text, c.typ, c.mime, c.extractor, c.text)
		}
	}
	res, _ := extractBytes(t, x, "picture.png", img.Bytes())
	if res.Meta["width"] != "7" || res.Meta["height"] != "3" {
		t.Errorf("image meta = %v", res.Meta)
	}
}

func TestCorruptFormats(t *testing.T) {
	x := New(DefaultLimits())
	cases := []struct{ name, data, want string }{
		{"x.docx", "not a zip", "corrupt docx: not a valid zip archive"},
		{"x.docx", string(zipFile(t, "other.xml", "<a/>")), "corrupt docx: missing word/document.xml"},
		{"x.xlsx", string(zipFile(t, "xl/other.xml", "<a/>")), "corrupt xlsx: no worksheets"},
		{"x.pptx", string(zipFile(t, "ppt/other.xml", "<a/>")), "corrupt pptx: no slides"},
		{"x.odt", string(zipFile(t, "meta.xml", "<a/>")), "corrupt odt: missing content.xml"},
		{"x.epub", string(zipFile(t, "mimetype", "application/epub+zip")), "corrupt epub: missing META-INF/container.xml"},
		{"x.docx", string(zipFile(t, "word/document.xml", "<w:document><w:t>a</w:x></w:document>")), "corrupt docx: entry word/document.xml"},
		{"x.rtf", "plain text", "corrupt rtf: missing {\\rtf header"},
		{"x.pdf", "hello", "corrupt pdf: not a PDF file"},
		{"x.eml", "", "corrupt email:"},
	}
	for _, c := range cases {
		_, err := extractBytes(t, x, c.name, []byte(c.data))
		if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q...", c.name, err, c.want)
		}
	}
}

func TestRTFDetails(t *testing.T) {
	src := `{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0 Arial;}}{\info{\title Doc \'d2\'e5\'f1\'f2}{\author Ivan}}` +
		`{\*\generator Hand;}\uc1 Smile \u-10179?\u-8576? and \u8364? euro\par ` +
		`{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt link text}}\tab tabbed\line next{\pict 0123abcdef}\'c4\'e0 end}`
	res, err := extractBytes(t, New(DefaultLimits()), "d.rtf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := "Smile 🚀 and € euro\nlink text\ttabbed\nnextДа end"
	if res.Text != want {
		t.Errorf("text = %q, want %q", res.Text, want)
	}
	if res.Title != "Doc Тест" || res.Meta["author"] != "Ivan" {
		t.Errorf("title %q, meta %v", res.Title, res.Meta)
	}
}

func TestEmailAlternativeHTMLOnly(t *testing.T) {
	msg := "From: a@example.org\r\nSubject: html only\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n" +
		"--x\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n<p>Ol\xe1 <b>mundo</b></p><script>no()</script>\r\n--x--\r\n"
	res, err := extractBytes(t, New(DefaultLimits()), "m.eml", []byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "Olá mundo") || strings.Contains(res.Text, "no()") || res.Title != "html only" {
		t.Errorf("text %q title %q", res.Text, res.Title)
	}
}

func TestTooManyMIMEParts(t *testing.T) {
	var b strings.Builder
	b.WriteString("Subject: parts\nContent-Type: multipart/mixed; boundary=z\n\n")
	for range 30 {
		b.WriteString("--z\nContent-Type: text/plain\n\npart\n")
	}
	b.WriteString("--z--\n")
	l := DefaultLimits()
	l.MaxEntries = 10
	_, err := extractBytes(t, New(l), "m.eml", []byte(b.String()))
	if !errors.Is(err, ErrLimit) || err.Error() != "too many MIME parts: more than 10" {
		t.Fatalf("err = %v", err)
	}
}

func TestMarkdownInline(t *testing.T) {
	title, text := stripMarkdown("Title Here\n==========\n\nUse `read_file` and __init__ with *stars* and ~~strike~~.\n[ref]: http://x\n")
	if title != "Title Here" {
		t.Errorf("title = %q", title)
	}
	if want := "Title Here\n\nUse read_file and init with stars and strike."; strings.TrimSpace(text) != want {
		t.Errorf("text = %q, want %q", text, want)
	}
}

// Extract is safe for concurrent use.
func TestConcurrentExtract(t *testing.T) {
	x := New(DefaultLimits())
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range fixtures {
				fx := fixtures[(i+g)%len(fixtures)]
				b, err := os.ReadFile(filepath.Join("testdata", fx.file))
				if err != nil {
					t.Error(err)
					return
				}
				res, err := x.Extract(context.Background(), filepath.Base(fx.file), bytes.NewReader(b), int64(len(b)))
				if err != nil || res.Type != fx.typ {
					t.Errorf("%s: %v %q", fx.file, err, res.Type)
				}
			}
		}()
	}
	wg.Wait()
}
