package extract

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
)

// This file tokenizes PDF syntax: content streams for the interpreter
// (pdfcontent.go) and raw file bytes for the preflight check (pdfcheck.go).
// Strings and arrays are capped; read errors (a limit, a timeout) are
// returned as they are.

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

// pdfObj is a parsed PDF object: a number, name, string, array, dictionary
// or reference.
type pdfObj struct {
	kind byte // tokNum, tokName, tokStr, tokArrOpen, tokDictOpen, or tokOp for a reference
	num  float64
	str  string
	arr  []pdfObj
	cut  bool // arr holds only the first pdfMaxCheckArray elements
	dict map[string]pdfObj
}

const (
	pdfMaxCheckArray  = 4096    // array elements kept by the checker
	pdfMaxCheckDict   = 256     // dictionary entries kept (besides pdfCheckedKeys)
	pdfMaxCheckTokens = 1 << 20 // tokens in one object
)

// pdfCheckedKeys are always kept, whatever the size of their dictionary.
var pdfCheckedKeys = map[string]bool{
	"Type": true, "Size": true, "W": true, "Index": true, "N": true, "First": true,
	"Filter": true, "DecodeParms": true, "Length": true, "Columns": true, "Predictor": true,
}

// errPDFUncheckable: an object too large for the checker to see whole.
var errPDFUncheckable = corruptf("pdf", "object too large to check")

func (o pdfObj) isInt() bool { return o.kind == tokNum && o.num == float64(int64(o.num)) }

type pdfParser struct {
	j    *job
	lex  *pdfLex
	back []pdfOperand
	toks int
}

// next returns the next token; at the end of the data it returns io.EOF.
func (p *pdfParser) next() (pdfOperand, error) {
	if n := len(p.back); n > 0 {
		t := p.back[n-1]
		p.back = p.back[:n-1]
		return t, nil
	}
	if p.toks++; p.toks%4096 == 0 {
		if err := p.j.alive(); err != nil {
			return pdfOperand{}, err
		}
	}
	t, err := p.lex.next()
	if err == nil && t.kind == tokEOF {
		err = io.EOF
	}
	return t, err
}

func (p *pdfParser) unread(t pdfOperand) { p.back = append(p.back, t) }

// object parses one object, at most maxDepth deep and 1<<16 tokens long.
func (p *pdfParser) object(depth, maxDepth int) (pdfObj, error) {
	if depth > maxDepth {
		return pdfObj{}, limitf("too deeply nested: pdf objects deeper than %d levels", maxDepth)
	}
	if p.toks > pdfMaxCheckTokens {
		return pdfObj{}, errPDFUncheckable
	}
	t, err := p.next()
	if err != nil {
		return pdfObj{}, err
	}
	switch t.kind {
	case tokNum:
		// "N G R" is a reference.
		t2, err2 := p.next()
		if err2 == nil && t2.kind == tokNum {
			t3, err3 := p.next()
			if err3 == nil && t3.kind == tokOp && t3.str == "R" {
				return pdfObj{kind: tokOp, num: t.num}, nil
			}
			if err3 == nil {
				p.unread(t3)
			}
		}
		if err2 == nil {
			p.unread(t2)
		}
		return pdfObj{kind: tokNum, num: t.num}, nil
	case tokName, tokStr:
		return pdfObj{kind: t.kind, str: t.str}, nil
	case tokArrOpen:
		o := pdfObj{kind: tokArrOpen}
		for {
			t, err := p.next()
			if err != nil || t.kind == tokArrClose {
				return o, err
			}
			p.unread(t)
			e, err := p.object(depth+1, maxDepth)
			if err != nil {
				return o, err
			}
			if len(o.arr) < pdfMaxCheckArray {
				o.arr = append(o.arr, e)
			} else {
				o.cut = true
			}
		}
	case tokDictOpen:
		o := pdfObj{kind: tokDictOpen, dict: map[string]pdfObj{}}
		for {
			t, err := p.next()
			if err != nil || t.kind == tokDictClose {
				return o, err
			}
			if t.kind != tokName {
				continue
			}
			v, err := p.object(depth+1, maxDepth)
			if err != nil {
				return o, err
			}
			// Later duplicates win, as in the library.
			if _, dup := o.dict[t.str]; dup || len(o.dict) < pdfMaxCheckDict || pdfCheckedKeys[t.str] {
				o.dict[t.str] = v
			}
		}
	}
	return pdfObj{kind: t.kind, str: t.str}, nil
}
