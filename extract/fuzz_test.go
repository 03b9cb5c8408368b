package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets check the contract on any input: no panic escapes, the
// text is valid UTF-8 within the limit, a failure has a short one-line
// reason, and nothing runs into the timeout. Run one with, for example:
//
//	go test -run='^$' -fuzz=FuzzExtractPDF -fuzztime=20000x -fuzzminimizetime=5s ./extract
//
// The seeds are whole documents of tens of KB: without -fuzzminimizetime
// the fuzzer spends long quiet stretches minimizing new inputs. A
// duration -fuzztime (5s) works too, but Go 1.26's fuzz coordinator may
// then end a clean run with a bare "context deadline exceeded" and no
// failing input (golang/go#75804); a count (Nx) avoids that race.

func fuzzLimits() Limits {
	l := DefaultLimits()
	l.MaxTextBytes = 1 << 20
	l.MaxEntryBytes = 16 << 20
	l.Timeout = 10 * time.Second
	return l
}

func fuzzCheck(t *testing.T, name string, data []byte) {
	t.Helper()
	l := fuzzLimits()
	res, err := New(l).Extract(context.Background(), name, bytes.NewReader(data), int64(len(data)))
	if !utf8.ValidString(res.Text) || !utf8.ValidString(res.Title) {
		t.Fatalf("%s: invalid UTF-8 in text or title", name)
	}
	if len(res.Text) > l.MaxTextBytes {
		t.Fatalf("%s: %d bytes of text, limit %d", name, len(res.Text), l.MaxTextBytes)
	}
	if len(res.Meta) > maxMetaKeys {
		t.Fatalf("%s: %d meta keys", name, len(res.Meta))
	}
	for k, v := range res.Meta {
		if !utf8.ValidString(v) || len(v) > maxMetaValue {
			t.Fatalf("%s: meta %s = %q", name, k, v)
		}
	}
	if res.Type == "" || res.MIME == "" {
		t.Fatalf("%s: no type or MIME: %+v", name, res)
	}
	if err == nil {
		return
	}
	if errors.Is(err, ErrTimeout) {
		t.Fatalf("%s: %v", name, err)
	}
	if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") || len(msg) > 400 {
		t.Fatalf("%s: reason is not one short line: %q", name, msg)
	}
}

func seedFiles(f *testing.F, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// entry returns the content of one entry of a fixture archive.
func entry(f *testing.F, file, name string) []byte {
	zr, err := zip.OpenReader(filepath.Join("testdata", file))
	if err != nil {
		f.Fatal(err)
	}
	defer zr.Close()
	rc, err := zr.Open(name)
	if err != nil {
		f.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func FuzzExtractText(f *testing.F) {
	seedFiles(f, "cp1252.txt", "utf16le.txt", "utf16be.txt", "notes.md", "code/server.go")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "f.txt", data)
		fuzzCheck(t, "f.md", data)
		fuzzCheck(t, "unknown", data)
	})
}

func FuzzExtractHTML(f *testing.F) {
	seedFiles(f, "page.html")
	f.Add([]byte(`<table><tr><td><p>a<td>b</table><title>t`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "f.html", data)
	})
}

func FuzzExtractPDF(f *testing.F) {
	seedFiles(f, "report.pdf", "ghost.pdf")
	f.Add(minimalPDF("", "BT /F1 12 Tf 72 700 Td (Hello) Tj [(a)-300(b)] TJ ET"))
	f.Add(xrefStreamPDF(0, [3]int{}, false, "1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <0042> endbfchar"))
	f.Add(minimalPDF("", "BI /W 1 /H 1 ID \x00\x01 EI q 1 0 0 1 0 0 cm /Span <</ActualText (x)>> BDC (y) Tj EMC Q"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "f.pdf", data)
	})
}

// FuzzExtractOOXML fuzzes whole files and, to reach the XML readers more
// often, the main parts wrapped in a valid archive.
func FuzzExtractOOXML(f *testing.F) {
	for i, file := range []string{"report.docx", "budget.xlsx", "deck.pptx"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(3), entry(f, "report.docx", "word/document.xml"))
	f.Add(uint8(4), entry(f, "budget.xlsx", "xl/worksheets/sheet1.xml"))
	f.Add(uint8(4), entry(f, "budget.xlsx", "xl/sharedStrings.xml"))
	f.Add(uint8(5), entry(f, "deck.pptx", "ppt/slides/slide1.xml"))
	f.Add(uint8(6), entry(f, "report.docx", "docProps/core.xml"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		s := string(data)
		switch kind % 7 {
		case 0:
			fuzzCheck(t, "f.docx", data)
		case 1:
			fuzzCheck(t, "f.xlsx", data)
		case 2:
			fuzzCheck(t, "f.pptx", data)
		case 3:
			fuzzCheck(t, "f.docx", zipFile(t, "word/document.xml", s, "word/footnotes.xml", s))
		case 4:
			fuzzCheck(t, "f.xlsx", zipFile(t, "xl/workbook.xml", s, "xl/_rels/workbook.xml.rels", s,
				"xl/sharedStrings.xml", s, "xl/worksheets/sheet1.xml", s))
		case 5:
			fuzzCheck(t, "f.pptx", zipFile(t, "ppt/slides/slide1.xml", s, "ppt/slides/_rels/slide1.xml.rels", s))
		case 6:
			fuzzCheck(t, "f.docx", zipFile(t, "docProps/core.xml", s, "docProps/app.xml", s, "word/document.xml", "<w:document/>"))
		}
	})
}

func FuzzExtractODF(f *testing.F) {
	for i, file := range []string{"report.odt", "budget.ods", "deck.odp"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
	}
	f.Add(uint8(3), entry(f, "report.odt", "content.xml"))
	f.Add(uint8(4), entry(f, "budget.ods", "content.xml"))
	f.Add(uint8(3), entry(f, "report.odt", "meta.xml"))
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		names := []string{"f.odt", "f.ods", "f.odp"}
		switch k := kind % 6; {
		case k < 3:
			fuzzCheck(t, names[k], data)
		default:
			fuzzCheck(t, names[k-3], zipFile(t, "content.xml", string(data), "meta.xml", string(data)))
		}
	})
}

func FuzzExtractEPUB(f *testing.F) {
	b, err := os.ReadFile("testdata/report.epub")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(uint8(0), b)
	f.Add(uint8(1), entry(f, "report.epub", "OEBPS/content.opf"))
	f.Add(uint8(2), entry(f, "report.epub", "OEBPS/sections/section0001.xhtml"))
	const container = `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`
	const opf = `<package><metadata><title>T</title></metadata><manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/></spine></package>`
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		switch kind % 3 {
		case 0:
			fuzzCheck(t, "f.epub", data)
		case 1:
			fuzzCheck(t, "f.epub", zipFile(t, "META-INF/container.xml", container, "c.opf", string(data), "a.xhtml", "<p>x</p>"))
		case 2:
			fuzzCheck(t, "f.epub", zipFile(t, "META-INF/container.xml", container, "c.opf", opf, "a.xhtml", string(data)))
		}
	})
}

func FuzzExtractRTF(f *testing.F) {
	seedFiles(f, "report.rtf")
	f.Add([]byte(`{\rtf1\ansi\ansicpg932{\info{\title a}}\uc2\u26085\'93\'fa{\*\x y}\bin3 abc\'8a end}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "f.rtf", data)
	})
}

func FuzzExtractEmail(f *testing.F) {
	seedFiles(f, "mail.eml")
	f.Add([]byte("Subject: =?utf-8?q?caf=C3=A9?=\nContent-Type: message/rfc822\n\nFrom: x\nContent-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9\xd7\xc5\xd4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "f.eml", data)
	})
}
