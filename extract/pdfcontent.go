package extract

import (
	"bufio"
	"io"
	"math"
	"strings"

	"github.com/ledongthuc/pdf"
)

// This file interprets PDF content streams: the text operators, placing
// words by their positions. Every stream is
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
