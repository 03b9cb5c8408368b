package extract

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// This file reads PDF content streams: a small lexer and an interpreter of
// the text operators that places words by their positions. Every stream is
// read through the job's counting reader, operand stacks and arrays are
// capped, and form XObjects nest at most MaxDepth deep.

const (
	pdfMaxOperands = 64      // a text operator needs at most 6
	pdfMaxArray    = 1 << 16 // elements of one TJ array
	pdfMaxString   = 1 << 20 // bytes of one string operand
	pdfMaxGStack   = 256     // nested q operators
	pdfMaxForms    = 4096    // form XObjects run per page
)

// mat is a PDF transformation matrix [a b c d e f].
type mat [6]float64

var identity = mat{1, 0, 0, 1, 0, 0}

// mul returns m × n.
func (m mat) mul(n mat) mat {
	return mat{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func translate(x, y float64) mat { return mat{1, 0, 0, 1, x, y} }

// pdfOperand is a number, string, name, array or (the ActualText of) a
// dictionary.
type pdfOperand struct {
	kind byte // one of the tok* kinds; tokArrOpen for arrays, tokDictOpen for dictionaries
	num  float64
	str  string
	arr  []pdfOperand
}

const (
	tokEOF byte = iota
	tokNum
	tokStr
	tokName
	tokOp
	tokArrOpen
	tokArrClose
	tokDictOpen
	tokDictClose
)

type pdfLex struct {
	r *bufio.Reader
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	return strings.IndexByte("()<>[]{}/%", c) >= 0
}

// next returns the next token. Read errors other than io.EOF (a limit, a
// timeout) are returned.
func (l *pdfLex) next() (pdfOperand, error) {
	c, err := l.skipSpace()
	if err != nil {
		if err == io.EOF {
			return pdfOperand{kind: tokEOF}, nil
		}
		return pdfOperand{}, err
	}
	switch c {
	case '(':
		s, err := l.literal()
		return pdfOperand{kind: tokStr, str: s}, err
	case '<':
		n, err := l.r.ReadByte()
		if err == nil && n == '<' {
			return pdfOperand{kind: tokDictOpen}, nil
		}
		if err == nil {
			_ = l.r.UnreadByte()
		}
		s, err := l.hex()
		return pdfOperand{kind: tokStr, str: s}, err
	case '>':
		if n, err := l.r.ReadByte(); err == nil && n != '>' {
			_ = l.r.UnreadByte()
		}
		return pdfOperand{kind: tokDictClose}, nil
	case '[':
		return pdfOperand{kind: tokArrOpen}, nil
	case ']':
		return pdfOperand{kind: tokArrClose}, nil
	case '{', '}', ')':
		return l.next()
	case '/':
		s, err := l.regular()
		return pdfOperand{kind: tokName, str: pdfUnescapeName(s)}, err
	}
	_ = l.r.UnreadByte()
	s, err := l.regular()
	if err != nil && err != io.EOF {
		return pdfOperand{}, err
	}
	if n, perr := strconv.ParseFloat(s, 64); perr == nil && s != "" && (s[0] == '-' || s[0] == '+' || s[0] == '.' || s[0] >= '0' && s[0] <= '9') {
		return pdfOperand{kind: tokNum, num: n}, nil
	}
	return pdfOperand{kind: tokOp, str: s}, nil
}

func (l *pdfLex) skipSpace() (byte, error) {
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return 0, err
		}
		if c == '%' {
			for c != '\n' && c != '\r' {
				if c, err = l.r.ReadByte(); err != nil {
					return 0, err
				}
			}
			continue
		}
		if !isPDFSpace(c) {
			return c, nil
		}
	}
}

// regular reads a run of regular characters.
func (l *pdfLex) regular() (string, error) {
	var b []byte
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return string(b), err
		}
		if isPDFSpace(c) || isPDFDelim(c) {
			_ = l.r.UnreadByte()
			return string(b), nil
		}
		if len(b) < 256 {
			b = append(b, c)
		}
	}
}

// literal reads a (string) after its opening parenthesis.
func (l *pdfLex) literal() (string, error) {
	var b []byte
	depth := 1
	add := func(c byte) {
		if len(b) < pdfMaxString {
			b = append(b, c)
		}
	}
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return string(b), err
		}
		switch c {
		case '(':
			depth++
			add(c)
		case ')':
			if depth--; depth == 0 {
				return string(b), nil
			}
			add(c)
		case '\\':
			e, err := l.r.ReadByte()
			if err != nil {
				return string(b), err
			}
			switch e {
			case 'n':
				add('\n')
			case 'r':
				add('\r')
			case 't':
				add('\t')
			case 'b':
				add('\b')
			case 'f':
				add('\f')
			case '\r':
				if n, err := l.r.ReadByte(); err == nil && n != '\n' {
					_ = l.r.UnreadByte()
				}
			case '\n':
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(e - '0')
				for k := 0; k < 2; k++ {
					n, err := l.r.ReadByte()
					if err != nil {
						break
					}
					if n < '0' || n > '7' {
						_ = l.r.UnreadByte()
						break
					}
					v = v*8 + int(n-'0')
				}
				add(byte(v))
			default:
				add(e)
			}
		default:
			add(c)
		}
	}
}

// hex reads a <hex string> after its opening bracket.
func (l *pdfLex) hex() (string, error) {
	var b []byte
	hi, half := byte(0), false
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return string(b), err
		}
		if c == '>' {
			if half {
				b = append(b, hi<<4)
			}
			return string(b), nil
		}
		v, ok := unhex(c)
		if !ok {
			continue
		}
		if half {
			if len(b) < pdfMaxString {
				b = append(b, hi<<4|v)
			}
		} else {
			hi = v
		}
		half = !half
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func pdfUnescapeName(s string) string {
	if !strings.Contains(s, "#") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b.WriteByte(h<<4 | l)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// array reads the elements of an array after its "[". Nested arrays are
// flattened; elements past pdfMaxArray are dropped.
func (l *pdfLex) array() (pdfOperand, error) {
	arr := pdfOperand{kind: tokArrOpen}
	depth := 1
	for {
		t, err := l.next()
		if err != nil {
			return arr, err
		}
		switch t.kind {
		case tokEOF:
			return arr, nil
		case tokArrOpen:
			depth++
		case tokArrClose:
			if depth--; depth == 0 {
				return arr, nil
			}
		case tokNum, tokStr:
			if len(arr.arr) < pdfMaxArray {
				arr.arr = append(arr.arr, t)
			}
		}
	}
}

// dict reads a dictionary after its "<<" and returns it as an operand
// holding only its /ActualText, the one entry the interpreter uses.
func (l *pdfLex) dict() (pdfOperand, error) {
	d := pdfOperand{kind: tokDictOpen}
	depth, prev := 1, ""
	for {
		t, err := l.next()
		if err != nil {
			return d, err
		}
		switch t.kind {
		case tokEOF:
			return d, nil
		case tokDictOpen:
			depth++
		case tokDictClose:
			if depth--; depth == 0 {
				return d, nil
			}
		case tokStr:
			if prev == "ActualText" && depth == 1 {
				d.str = pdfTextString(t.str)
			}
		}
		prev = ""
		if t.kind == tokName {
			prev = t.str
		}
	}
}

// skipInlineImage skips the binary data of an inline image, after its ID
// operator, up to and including the EI operator.
func (l *pdfLex) skipInlineImage() error {
	if _, err := l.r.ReadByte(); err != nil { // the white space after ID
		return err
	}
	prevSpace := true
	for {
		c, err := l.r.ReadByte()
		if err != nil {
			return err
		}
		if prevSpace && c == 'E' {
			n, err := l.r.Peek(2)
			if len(n) >= 1 && n[0] == 'I' && (len(n) == 1 || isPDFSpace(n[1]) || isPDFDelim(n[1])) {
				_, _ = l.r.Discard(1)
				return nil
			}
			if err != nil && len(n) == 0 {
				return err
			}
		}
		prevSpace = isPDFSpace(c)
	}
}

// pdfTextString decodes a PDF text string: UTF-16BE with a byte order
// mark, or PDFDocEncoding (read as Latin-1).
func pdfTextString(s string) string {
	if len(s) >= 2 && s[0] == 0xfe && s[1] == 0xff {
		u := make([]uint16, 0, len(s)/2)
		for i := 2; i+1 < len(s); i += 2 {
			u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
		}
		return string(utf16.Decode(u))
	}
	return latin1(s)
}

func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

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
	cr := &countReader{r: rd}
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

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// pdfInterp runs the content streams of one page.
type pdfInterp struct {
	j        *job
	ctm      mat
	gstack   []mat
	overflow int // q operators beyond pdfMaxGStack
	tm, tlm  mat
	font     *pdfFont
	fs       float64 // font size
	tc, tw   float64 // character and word spacing
	th       float64 // horizontal scaling
	tl       float64 // leading
	// Where the previous string ended, in device space, and at what size.
	havePrev             bool
	prevX, prevY, prevSz float64
	// Marked content: the level whose /ActualText replaces its glyphs.
	mcDepth, actualDepth int
	actual               string
	forms                int
}

func newPDFInterp(j *job) *pdfInterp {
	return &pdfInterp{j: j, ctm: identity, tm: identity, tlm: identity, th: 1, font: loadPDFFont(pdf.Value{})}
}

// run interprets contents (a stream or an array of streams) with the given
// resources; depth counts nested form XObjects.
func (in *pdfInterp) run(contents, resources pdf.Value, depth int) error {
	var rd io.Reader
	switch contents.Kind() {
	case pdf.Stream:
		if !pdfSafeParms(contents) {
			return corruptf("pdf", "predictor columns out of range")
		}
		rd = in.j.counted(contents.Reader(), "pdf content stream")
	case pdf.Array:
		var rs []io.Reader
		for i := 0; i < contents.Len() && i < in.j.lim.MaxEntries; i++ {
			if s := contents.Index(i); s.Kind() == pdf.Stream && pdfSafeParms(s) {
				rs = append(rs, in.j.counted(s.Reader(), "pdf content stream"), strings.NewReader("\n"))
			}
		}
		rd = io.MultiReader(rs...)
	default:
		return nil
	}
	lex := &pdfLex{r: bufio.NewReaderSize(rd, 32<<10)}
	fonts := map[string]*pdfFont{}
	var ops []pdfOperand
	for !in.j.out.full() {
		t, err := lex.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			return nil
		case tokNum, tokStr, tokName:
			ops = append(ops, t)
		case tokArrOpen:
			a, err := lex.array()
			if err != nil {
				return err
			}
			ops = append(ops, a)
		case tokDictOpen:
			d, err := lex.dict()
			if err != nil {
				return err
			}
			ops = append(ops, d)
		case tokOp:
			if err := in.op(t.str, ops, lex, fonts, resources, depth); err != nil {
				return err
			}
			ops = ops[:0]
		}
		if len(ops) > pdfMaxOperands {
			ops = ops[:0]
		}
	}
	return nil
}

// nums returns the last n operands as numbers; ok is false if they are not.
func nums(ops []pdfOperand, n int) ([]float64, bool) {
	if len(ops) < n {
		return nil, false
	}
	out := make([]float64, n)
	for i, o := range ops[len(ops)-n:] {
		if o.kind != tokNum {
			return nil, false
		}
		out[i] = o.num
	}
	return out, true
}

func lastOp(ops []pdfOperand, kind byte) (pdfOperand, bool) {
	if len(ops) == 0 || ops[len(ops)-1].kind != kind {
		return pdfOperand{}, false
	}
	return ops[len(ops)-1], true
}

func (in *pdfInterp) op(op string, ops []pdfOperand, lex *pdfLex, fonts map[string]*pdfFont, resources pdf.Value, depth int) error {
	switch op {
	case "q":
		if len(in.gstack) < pdfMaxGStack {
			in.gstack = append(in.gstack, in.ctm)
		} else {
			in.overflow++
		}
	case "Q":
		if in.overflow > 0 {
			in.overflow--
		} else if n := len(in.gstack); n > 0 {
			in.ctm, in.gstack = in.gstack[n-1], in.gstack[:n-1]
		}
	case "cm":
		if m, ok := nums(ops, 6); ok {
			in.ctm = mat(m).mul(in.ctm)
		}
	case "BT":
		in.tm, in.tlm = identity, identity
	case "Tf":
		if len(ops) >= 2 && ops[len(ops)-2].kind == tokName && ops[len(ops)-1].kind == tokNum {
			name := ops[len(ops)-2].str
			f, ok := fonts[name]
			if !ok {
				f = loadPDFFont(resources.Key("Font").Key(name))
				if len(fonts) < pdfMaxOperands*16 {
					fonts[name] = f
				}
			}
			in.font, in.fs = f, ops[len(ops)-1].num
		}
	case "Tc", "Tw", "TL", "Tz":
		if v, ok := nums(ops, 1); ok {
			switch op {
			case "Tc":
				in.tc = v[0]
			case "Tw":
				in.tw = v[0]
			case "TL":
				in.tl = v[0]
			case "Tz":
				in.th = v[0] / 100
			}
		}
	case "Td", "TD":
		if v, ok := nums(ops, 2); ok {
			if op == "TD" {
				in.tl = -v[1]
			}
			in.tlm = translate(v[0], v[1]).mul(in.tlm)
			in.tm = in.tlm
		}
	case "Tm":
		if m, ok := nums(ops, 6); ok {
			in.tlm, in.tm = mat(m), mat(m)
		}
	case "T*":
		in.nextLine()
	case "Tj":
		if s, ok := lastOp(ops, tokStr); ok {
			in.show(s.str)
		}
	case "'", "\"":
		if op == "\"" {
			if v, ok := nums(ops[:max(len(ops)-1, 0)], 2); ok {
				in.tw, in.tc = v[0], v[1]
			}
		}
		in.nextLine()
		if s, ok := lastOp(ops, tokStr); ok {
			in.show(s.str)
		}
	case "TJ":
		if a, ok := lastOp(ops, tokArrOpen); ok {
			for _, e := range a.arr {
				if e.kind == tokStr {
					in.show(e.str)
				} else {
					in.tm = translate(-e.num/1000*in.fs*in.th, 0).mul(in.tm)
				}
			}
		}
	case "BMC", "BDC":
		in.mcDepth++
		if d, ok := lastOp(ops, tokDictOpen); ok && op == "BDC" && d.str != "" && in.actualDepth == 0 {
			in.actualDepth, in.actual = in.mcDepth, d.str
		}
	case "EMC":
		if in.actualDepth > 0 && in.mcDepth == in.actualDepth {
			if in.actual != "" { // no glyph showed it: write it anyway
				in.j.out.space()
				in.j.out.write(in.actual)
			}
			in.actualDepth, in.actual = 0, ""
		}
		if in.mcDepth > 0 {
			in.mcDepth--
		}
	case "BI":
		for {
			t, err := lex.next()
			if err != nil {
				return err
			}
			if t.kind == tokEOF {
				return nil
			}
			if t.kind == tokOp && t.str == "ID" {
				return lex.skipInlineImage()
			}
		}
	case "Do":
		if n, ok := lastOp(ops, tokName); ok {
			return in.form(resources.Key("XObject").Key(n.str), resources, depth)
		}
	}
	return nil
}

func (in *pdfInterp) nextLine() {
	in.tlm = translate(0, -in.tl).mul(in.tlm)
	in.tm = in.tlm
}

// form runs a form XObject, within the depth and count bounds.
func (in *pdfInterp) form(x, resources pdf.Value, depth int) error {
	if x.Kind() != pdf.Stream || x.Key("Subtype").Name() != "Form" {
		return nil
	}
	if depth+1 > in.j.lim.MaxDepth {
		return limitf("too deeply nested: pdf forms deeper than %d levels", in.j.lim.MaxDepth)
	}
	if in.forms++; in.forms > pdfMaxForms {
		return nil
	}
	saved := in.ctm
	if m := x.Key("Matrix"); m.Len() == 6 {
		var fm mat
		for i := range fm {
			fm[i] = m.Index(i).Float64()
		}
		in.ctm = fm.mul(in.ctm)
	}
	if r := x.Key("Resources"); !r.IsNull() {
		resources = r
	}
	err := in.run(x, resources, depth+1)
	in.ctm = saved
	return err
}

// show writes a shown string, separated from the previous one by a newline
// when it is on another line, or by a space when there is a gap.
func (in *pdfInterp) show(raw string) {
	trm := in.tm.mul(in.ctm)
	x, y := trm[4], trm[5]
	size := math.Abs(in.fs) * math.Hypot(trm[2], trm[3])
	if size < 0.01 {
		size = math.Max(math.Abs(in.fs), 1)
	}
	if in.havePrev {
		if dy := math.Abs(y - in.prevY); dy > 0.5*math.Max(size, in.prevSz) {
			in.j.out.newline()
		} else if gap := x - in.prevX; gap > 0.15*size || gap < -0.5*size {
			in.j.out.space()
		}
	}
	switch {
	case in.actualDepth > 0:
		in.j.out.write(in.actual) // once per marked span
		in.actual = ""
	case in.j.out.last() == '\n':
		in.j.out.write(strings.TrimLeft(in.font.decode(raw), " "))
	default:
		in.j.out.write(in.font.decode(raw))
	}
	in.tm = translate(in.font.advance(raw, in.fs, in.tc, in.tw, in.th), 0).mul(in.tm)
	end := in.tm.mul(in.ctm)
	in.havePrev, in.prevX, in.prevY, in.prevSz = true, end[4], end[5], size
}
