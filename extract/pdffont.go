package extract

import (
	"bufio"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

type latin1Encoding struct{}

func (latin1Encoding) Decode(raw string) string { return latin1(raw) }

// pdfFont is what the interpreter needs of a font: how to decode its codes
// and how wide its glyphs are (in thousandths of the font size).
type pdfFont struct {
	enc      pdf.TextEncoding
	twoByte  bool
	first    int
	widths   []float64
	cidWidth map[int]float64
	dw       float64
}

// decode turns the codes of a shown string into text; a failing encoding
// falls back to Latin-1.
func (f *pdfFont) decode(raw string) (text string) {
	defer func() {
		if recover() != nil {
			text = latin1(raw)
		}
	}()
	return f.enc.Decode(raw)
}

// advance is the width of the shown string in text space.
func (f *pdfFont) advance(raw string, fs, tc, tw, th float64) float64 {
	w := 0.0
	if f.twoByte {
		for i := 0; i+1 < len(raw); i += 2 {
			code := int(raw[i])<<8 | int(raw[i+1])
			g, ok := f.cidWidth[code]
			if !ok {
				g = f.dw
			}
			w += g/1000*fs + tc
		}
		return w * th
	}
	for i := 0; i < len(raw); i++ {
		g := f.dw
		if k := int(raw[i]) - f.first; k >= 0 && k < len(f.widths) && f.widths[k] > 0 {
			g = f.widths[k]
		}
		w += g/1000*fs + tc
		if raw[i] == ' ' {
			w += tw
		}
	}
	return w * th
}

// loadPDFFont reads a font dictionary. Failures give a Latin-1 font with
// average widths.
func loadPDFFont(v pdf.Value) (f *pdfFont) {
	f = &pdfFont{enc: latin1Encoding{}, dw: 500}
	defer func() { _ = recover() }()
	if v.Kind() != pdf.Dict {
		return f
	}
	// The library would read the ToUnicode map; if it is too big or
	// declares absurd counts, the codes are read as Latin-1.
	if pdfSafeCMap(v.Key("ToUnicode")) {
		font := pdf.Font{V: v}
		f.enc = font.Encoder()
	}
	switch v.Key("Subtype").Name() {
	case "Type0":
		f.twoByte = true
		desc := v.Key("DescendantFonts").Index(0)
		f.dw = 1000
		if dw := desc.Key("DW"); dw.Kind() == pdf.Integer || dw.Kind() == pdf.Real {
			f.dw = dw.Float64()
		}
		f.cidWidth = make(map[int]float64)
		w := desc.Key("W")
		for i := 0; i < w.Len() && i < pdfMaxArray; {
			c := int(w.Index(i).Int64())
			next := w.Index(i + 1)
			if next.Kind() == pdf.Array {
				for k := 0; k < next.Len() && len(f.cidWidth) < pdfMaxArray; k++ {
					f.cidWidth[c+k] = next.Index(k).Float64()
				}
				i += 2
				continue
			}
			last, width := int(next.Int64()), w.Index(i+2).Float64()
			for code := c; code <= last && code-c < pdfMaxArray && len(f.cidWidth) < pdfMaxArray; code++ {
				f.cidWidth[code] = width
			}
			i += 3
		}
	default:
		scale := 1.0
		if v.Key("Subtype").Name() == "Type3" {
			if m := v.Key("FontMatrix").Index(0).Float64(); m != 0 {
				scale = m * 1000
			}
		}
		f.first = int(v.Key("FirstChar").Int64())
		ws := v.Key("Widths")
		for i := 0; i < ws.Len() && i < 256; i++ {
			f.widths = append(f.widths, ws.Index(i).Float64()*scale)
		}
		if mw := v.Key("FontDescriptor").Key("MissingWidth").Float64(); mw > 0 {
			f.dw = mw * scale
		}
	}
	return f
}

// pdfSafeParms reports whether the library can open stream v without
// allocating a predictor row larger than pdfMaxColumns.
func pdfSafeParms(v pdf.Value) bool {
	ok := func(p pdf.Value) bool {
		c := p.Key("Columns").Int64()
		return c >= 0 && c <= pdfMaxColumns
	}
	parms := v.Key("DecodeParms")
	if parms.Kind() != pdf.Array {
		return ok(parms)
	}
	for i := 0; i < parms.Len() && i < 16; i++ {
		if !ok(parms.Index(i)) {
			return false
		}
	}
	return parms.Len() <= 16
}

// pdfMaxCMap bounds a ToUnicode map the library may parse: its decompressed
// size and the count of each of its range blocks (the format allows 100).
const (
	pdfMaxCMap      = 4 << 20
	pdfMaxCMapBlock = 10000
)

// pdfSafeCMap reports whether a font's ToUnicode map (if any) is safe for
// the library, which allocates what the map's counts say.
func pdfSafeCMap(tu pdf.Value) bool {
	if tu.Kind() != pdf.Stream {
		return true
	}
	if !pdfSafeParms(tu) {
		return false
	}
	rd := io.LimitReader(tu.Reader(), pdfMaxCMap+1)
	cr := &byteCounter{r: rd}
	lex := &pdfLex{r: bufio.NewReader(cr)}
	prev := pdfOperand{}
	for {
		t, err := lex.next()
		if err != nil || cr.n > pdfMaxCMap {
			return false
		}
		switch {
		case t.kind == tokEOF:
			return true
		case t.kind == tokOp && strings.HasPrefix(t.str, "begin") && t.str != "begincmap":
			if prev.kind == tokNum && (prev.num < 0 || prev.num > pdfMaxCMapBlock) {
				return false
			}
		}
		prev = t
	}
}

type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// pdfInterp runs the content streams of one page.
