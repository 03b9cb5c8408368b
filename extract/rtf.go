package extract

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// rtfSkip are destinations whose content is not document text.
var rtfSkip = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "pict": true, "objdata": true,
	"listtable": true, "listoverridetable": true, "rsidtbl": true, "generator": true,
	"xmlnstbl": true, "themedata": true, "colorschememapping": true, "datastore": true,
	"latentstyles": true, "listtext": true, "pntext": true, "pntxta": true, "pntxtb": true,
	"fldinst": true, "filetbl": true, "revtbl": true, "mmathPr": true, "bkmkstart": true,
	"bkmkend": true, "nonshppict": true, "defchp": true, "defpap": true, "pgdsctbl": true,
	"userprops": true, "wgrffmtfilter": true, "xe": true, "tc": true, "template": true,
}

// rtfInfo maps the info destinations we keep to Meta keys.
var rtfInfo = map[string]string{
	"title": "title", "author": "author", "subject": "subject", "keywords": "keywords",
	"operator": "modified_by", "company": "company", "doccomm": "description",
}

// rtfSymbols are control words that stand for text.
var rtfSymbols = map[string]string{
	"par": "\n", "line": "\n", "sect": "\n", "page": "\n", "row": "\n", "cell": "\t",
	"tab": "\t", "emdash": "\u2014", "endash": "\u2013", "bullet": "\u2022", "lquote": "\u2018",
	"rquote": "\u2019", "ldblquote": "\u201c", "rdblquote": "\u201d", "emspace": " ", "enspace": " ",
	"qmspace": " ", "nestcell": "\t", "nestrow": "\n",
}

type rtfGroup struct {
	skip bool   // this group's text is not shown
	info string // the info field this group's text belongs to
	uc   int    // bytes to skip after \uN
}

type rtfParser struct {
	j       *job
	r       *bufio.Reader
	res     *Result
	stack   []rtfGroup
	cur     rtfGroup
	cp      encoding.Encoding // for \'hh and 8-bit bytes
	pending []byte            // \'hh bytes not yet decoded (double-byte code pages)
	skipN   int               // characters still to skip after \uN
	high    rune              // a high surrogate waiting for its pair
	info    map[string]*strings.Builder
}

// extractRTF reads RTF with a small bounded parser: groups (at most
// MaxDepth deep), control words, \uN with \ucN, \'hh in the document code
// page; font, color and style tables, pictures and other non-text
// destinations are skipped; \info fields become the title and Meta.
func extractRTF(j *job, r io.ReaderAt, size int64, res *Result) error {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 32<<10)
	head, _ := br.Peek(5)
	if string(head) != `{\rtf` {
		return corruptf("rtf", "missing {\\rtf header")
	}
	p := &rtfParser{j: j, r: br, res: res, cur: rtfGroup{uc: 1}, cp: charmap.Windows1252,
		info: make(map[string]*strings.Builder)}
	err := p.parse()
	p.flush()
	for field, b := range p.info {
		if field == "title" {
			res.Title = strings.TrimSpace(b.String())
		} else {
			setMeta(res, rtfInfo[field], b.String())
		}
	}
	return err
}

func (p *rtfParser) parse() error {
	for !p.j.out.full() {
		c, err := p.r.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil // unclosed groups are tolerated
		}
		if err != nil {
			return err
		}
		switch c {
		case '{':
			p.flush()
			if len(p.stack) >= p.j.lim.MaxDepth {
				return limitf("too deeply nested: RTF groups deeper than %d levels", p.j.lim.MaxDepth)
			}
			p.stack = append(p.stack, p.cur)
		case '}':
			p.flush()
			if n := len(p.stack); n > 0 {
				p.cur, p.stack = p.stack[n-1], p.stack[:n-1]
			}
			p.skipN = 0
		case '\\':
			if err := p.control(); err != nil {
				return err
			}
		case '\r', '\n':
		default:
			if p.skipN > 0 {
				p.skipN--
				continue
			}
			if c < 0x80 {
				p.flush()
				p.text(string(rune(c)))
			} else {
				p.pending = append(p.pending, c)
			}
		}
	}
	return nil
}

// control reads a control word or symbol after its backslash.
func (p *rtfParser) control() error {
	c, err := p.r.ReadByte()
	if err != nil {
		return nil
	}
	if !isLetter(c) {
		return p.symbol(c)
	}
	word := []byte{c}
	for len(word) < 32 {
		c, err = p.r.ReadByte()
		if err != nil || !isLetter(c) {
			break
		}
		word = append(word, c)
	}
	param, hasParam := 0, false
	if err == nil && (c == '-' || c >= '0' && c <= '9') {
		digits := []byte{c}
		for len(digits) < 11 {
			c, err = p.r.ReadByte()
			if err != nil || c < '0' || c > '9' {
				break
			}
			digits = append(digits, c)
		}
		param, _ = strconv.Atoi(string(digits))
		hasParam = true
	}
	if err == nil && c != ' ' {
		_ = p.r.UnreadByte() // the delimiter belongs to what follows
	}
	return p.word(string(word), param, hasParam)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func (p *rtfParser) symbol(c byte) error {
	switch c {
	case '\'':
		h, err1 := p.r.ReadByte()
		l, err2 := p.r.ReadByte()
		if err1 != nil || err2 != nil {
			return nil
		}
		hi, ok1 := unhex(h)
		lo, ok2 := unhex(l)
		if !ok1 || !ok2 {
			return nil
		}
		if p.skipN > 0 {
			p.skipN--
			return nil
		}
		p.pending = append(p.pending, hi<<4|lo)
	case '*':
		p.cur.skip = true // an ignorable destination we do not know
	case '~':
		p.emit(" ")
	case '_':
		p.emit("-")
	case '{', '}', '\\':
		p.emit(string(rune(c)))
	case '\r', '\n':
		p.emit("\n")
	case '\t':
		p.emit("\t")
	}
	return nil
}

func (p *rtfParser) emit(s string) {
	if p.skipN > 0 {
		p.skipN--
		return
	}
	p.flush()
	p.text(s)
}

func (p *rtfParser) word(w string, param int, hasParam bool) error {
	if rtfSkip[w] {
		p.cur.skip = true
		return nil
	}
	if _, ok := rtfInfo[w]; ok {
		p.cur.info = w
		return nil
	}
	switch w {
	case "info":
		p.cur.skip = true // only the fields above are kept
		return nil
	case "u":
		if !hasParam {
			return nil
		}
		p.flush()
		r := rune(param)
		if r < 0 {
			r += 65536
		}
		p.skipN = p.cur.uc
		p.unicode(r)
		return nil
	case "uc":
		if hasParam && param >= 0 && param < 16 {
			p.cur.uc = param
		}
		return nil
	case "ansicpg":
		if enc := rtfCodePage(param); enc != nil {
			p.flush()
			p.cp = enc
		}
		return nil
	case "mac":
		p.cp = charmap.Macintosh
	case "pc":
		p.cp = charmap.CodePage437
	case "pca":
		p.cp = charmap.CodePage850
	case "bin":
		if hasParam && param > 0 {
			_, err := p.r.Discard(param) // binary data, bounded by the input
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	if s, ok := rtfSymbols[w]; ok {
		if p.skipN > 0 {
			p.skipN--
			return nil
		}
		p.flush()
		if s == "\n" {
			p.newline()
		} else {
			p.text(s)
		}
	}
	return nil
}

// unicode writes a \uN character, pairing UTF-16 surrogates.
func (p *rtfParser) unicode(r rune) {
	switch {
	case utf16.IsSurrogate(r) && r < 0xdc00:
		p.high = r
	case utf16.IsSurrogate(r):
		if p.high != 0 {
			p.text(string(utf16.DecodeRune(p.high, r)))
		}
		p.high = 0
	default:
		p.high = 0
		p.text(string(r))
	}
}

// flush decodes pending code-page bytes.
func (p *rtfParser) flush() {
	if len(p.pending) == 0 {
		return
	}
	out, err := p.cp.NewDecoder().Bytes(p.pending)
	if err != nil {
		out = []byte(latin1(string(p.pending)))
	}
	p.pending = p.pending[:0]
	p.text(string(out))
}

func (p *rtfParser) text(s string) {
	switch {
	case p.cur.info != "":
		b := p.info[p.cur.info]
		if b == nil {
			b = &strings.Builder{}
			p.info[p.cur.info] = b
		}
		if b.Len() < maxMetaValue {
			b.WriteString(s)
		}
	case p.cur.skip:
	default:
		p.j.out.write(s)
	}
}

func (p *rtfParser) newline() {
	if !p.cur.skip && p.cur.info == "" {
		p.j.out.newline()
	}
}

// rtfCodePage returns the encoding of a Windows code page number.
func rtfCodePage(n int) encoding.Encoding {
	switch n {
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	case 866:
		return charmap.CodePage866
	case 874:
		return charmap.Windows874
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1252:
		return charmap.Windows1252
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 10000:
		return charmap.Macintosh
	case 932:
		return japanese.ShiftJIS
	case 936:
		return simplifiedchinese.GBK
	case 949:
		return korean.EUCKR
	case 950:
		return traditionalchinese.Big5
	}
	return nil
}
