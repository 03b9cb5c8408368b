package extract

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// xrefStreamPDF builds a PDF 1.5 file with a cross-reference stream and
// an object stream holding the font. size, w and selfContained alter the
// xref stream for hostile variants; zero values give a valid file.
func xrefStreamPDF(size int64, w [3]int, selfContained bool, cmap string) []byte {
	var b bytes.Buffer
	offs := map[int]int{}
	obj := func(n int, s string) {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", n, s)
	}
	stream := func(n int, dict string, data []byte) {
		offs[n] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
	}
	flate := func(s string) []byte {
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write([]byte(s))
		zw.Close()
		return z.Bytes()
	}
	b.WriteString("%PDF-1.5\n")
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")
	obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> >>")
	stream(4, "/Filter /FlateDecode", flate("BT /F1 12 Tf 72 700 Td (Object streams work) Tj ET"))
	font := "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
	if cmap != "" {
		font = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 8 0 R >>"
		stream(8, "/Filter /FlateDecode", flate(cmap))
	}
	head := "6 0 "
	stream(5, fmt.Sprintf("/Type /ObjStm /N 1 /First %d /Filter /FlateDecode", len(head)), flate(head+font))
	if size == 0 {
		size = 9
	}
	if w == [3]int{} {
		w = [3]int{1, 4, 2}
	}
	var x bytes.Buffer
	entry := func(typ, f2, f3 int) {
		x.WriteByte(byte(typ))
		var f [8]byte
		binary.BigEndian.PutUint32(f[:4], uint32(f2))
		x.Write(f[:4])
		binary.BigEndian.PutUint16(f[:2], uint16(f3))
		x.Write(f[:2])
	}
	offs[7] = b.Len()
	entry(0, 0, 65535)
	for n := 1; n <= 5; n++ {
		if n == 5 && selfContained {
			entry(2, 5, 0) // the object stream claims to live in itself
			continue
		}
		entry(1, offs[n], 0)
	}
	entry(2, 5, 0) // object 6 is in object stream 5
	entry(1, offs[7], 0)
	entry(1, offs[8], 0)
	fmt.Fprintf(&b, "7 0 obj\n<< /Type /XRef /Size %d /W [%d %d %d] /Root 1 0 R /Length %d >>\nstream\n", size, w[0], w[1], w[2], x.Len())
	b.Write(x.Bytes())
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", offs[7])
	return b.Bytes()
}

func TestPDFXRefStream(t *testing.T) {
	res, err := extractBytes(t, New(DefaultLimits()), "x.pdf", xrefStreamPDF(0, [3]int{}, false, ""))
	if err != nil || normalize(res.Text) != "Object streams work" {
		t.Fatalf("err %v, text %q", err, res.Text)
	}
}

// Values that would make the PDF library exhaust memory or the stack (a
// fatal error, not a panic) are refused before the library sees them.
func TestPDFPreflight(t *testing.T) {
	x := New(DefaultLimits())
	table := minimalPDF("", "BT (x) Tj ET")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"size", xrefStreamPDF(99999999999, [3]int{}, false, ""), "corrupt pdf: xref stream size out of range"},
		{"widths", xrefStreamPDF(0, [3]int{1, 4, 200}, false, ""), "corrupt pdf: xref stream widths out of range"},
		{"recursion", xrefStreamPDF(0, [3]int{}, true, ""), "corrupt pdf: object stream stored inside an object stream"},
		{"subsection", bytes.Replace(table, []byte("xref\n0 6"), []byte("xref\n0 99999999999"), 1), "corrupt pdf: xref subsection out of range"},
		{"columns", minimalPDF("/DecodeParms << /Predictor 12 /Columns 99999999999 >>", "x"), "corrupt pdf: predictor columns out of range"},
		{"hidden", bytes.Replace(xrefStreamPDF(99999999999, [3]int{}, false, ""), []byte("7 0 obj"), []byte("7 0 %c\nobj"), 1), "corrupt pdf: xref stream size out of range"},
		{"dup", bytes.Replace(xrefStreamPDF(99999999999, [3]int{}, false, ""), []byte("/Type /XRef"), []byte("/Type /XRef /Size 9 "+strings.Repeat("/K 1 ", 300)), 1), "corrupt pdf: xref stream size out of range"},
	}
	for _, c := range cases {
		_, err := extractBytes(t, x, c.name+".pdf", c.data)
		if !errors.Is(err, ErrCorrupt) || err.Error() != c.want {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// A ToUnicode map declaring absurd counts is not given to the library; the
// text is still read.
func TestPDFHostileCMap(t *testing.T) {
	cmap := "/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <00> <FF> endcodespacerange " +
		"999999999 beginbfchar endbfchar endcmap"
	res, err := extractBytes(t, New(DefaultLimits()), "c.pdf", xrefStreamPDF(0, [3]int{}, false, cmap))
	if err != nil || !strings.Contains(res.Text, "Object streams work") {
		t.Fatalf("err %v, text %q", err, res.Text)
	}
}

func TestPDFObjNumber(t *testing.T) {
	for in, want := range map[string]int64{"7 0 obj": 7, "x\n12  3\r\nobj": 12, "obj": -1, "a 0 obj": -1, "5 obj": -1} {
		n, ok := pdfObjNumber([]byte(in), len(in))
		if !ok {
			n = -1
		}
		if n != want {
			t.Errorf("pdfObjNumber(%q) = %d, want %d", in, n, want)
		}
	}
}
