package index

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"github.com/blevesearch/segment"
)

// Names under which the analysis parts are registered with bleve. The
// analyzers built from them are defined in the index mapping (mapping.go).
const (
	codeTokenizerName = "ds_code"
	pathTokenizerName = "ds_path_tree"
	subwordFilterName = "ds_subwords"
)

// Bounds of the analysis of one token.
const (
	maxTokenBytes = 256 // longer tokens are found by their parts only
	maxSubwords   = 32  // sub-words emitted for one token
	maxPathDepth  = 64  // directory levels indexed for path:
)

func init() {
	mustRegister(registry.RegisterTokenizer(codeTokenizerName,
		func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) { return codeTokenizer{}, nil }))
	mustRegister(registry.RegisterTokenizer(pathTokenizerName,
		func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) { return pathTokenizer{}, nil }))
	mustRegister(registry.RegisterTokenFilter(subwordFilterName,
		func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) { return subwordFilter{}, nil }))
}

func mustRegister(err error) {
	if err != nil {
		panic("index: registering analysis: " + err.Error())
	}
}

// codeTokenizer splits text into words the way Unicode word segmentation
// does (UAX #29), then joins words that touch through a short run of
// connector characters (. _ - / \ : @), so that sync.Mutex, read_file,
// foo-bar, a/b/c.go, std::vector and user@example.com stay one token. The
// sub-word filter then adds their parts. Ideographic characters stay
// separate tokens.
type codeTokenizer struct{}

func isConnector(b byte) bool {
	switch b {
	case '.', '_', '-', '/', '\\', ':', '@':
		return true
	}
	return false
}

func (codeTokenizer) Tokenize(input []byte) analysis.TokenStream {
	t := tokenizer{input: input, connEnd: -1}
	for start := 0; start < len(input); {
		end, ascii := nextRegion(input, start)
		if ascii {
			t.asciiWords(start, end)
		} else {
			t.unicodeWords(start, end)
		}
		start = end
	}
	t.closeCur()
	return t.out
}

// tokenizeUnicode is Tokenize with Unicode word segmentation throughout
// (the reference the ASCII fast path must agree with).
func tokenizeUnicode(input []byte) analysis.TokenStream {
	t := tokenizer{input: input, connEnd: -1}
	t.unicodeWords(0, len(input))
	t.closeCur()
	return t.out
}

// nextRegion returns the end of the region of input that starts at start:
// a run of lines made only of ASCII bytes (ascii true), or a single line
// holding other bytes. Word segmentation never joins across a line break,
// and neither do connectors, so regions are tokenized independently.
func nextRegion(input []byte, start int) (end int, ascii bool) {
	lineStart := start
	for i := start; i < len(input); i++ {
		switch c := input[i]; {
		case c == '\n':
			lineStart = i + 1
		case c >= utf8.RuneSelf:
			if lineStart > start {
				return lineStart, true
			}
			for i < len(input) && input[i] != '\n' {
				i++
			}
			return min(i+1, len(input)), false
		}
	}
	return len(input), true
}

// Segment kinds, as Unicode word segmentation reports them.
const (
	segNone   = iota // spaces, punctuation
	segLetter        // a word with letters
	segNumber        // a number
	segIdeo          // one ideographic or kana character
)

// tokenizer builds the token stream from word segments: words that touch
// through up to three connector characters are joined into one token.
type tokenizer struct {
	input   []byte
	out     analysis.TokenStream
	slab    tokenSlab
	cur     *analysis.Token // the token being built, nil if none
	connEnd int             // end of a connector run right after cur, -1 if none
}

func (t *tokenizer) closeCur() {
	if t.cur != nil {
		t.cur.Term = t.input[t.cur.Start:t.cur.End]
		t.cur.Position = len(t.out) + 1
		t.out = append(t.out, t.cur)
		t.cur = nil
	}
	t.connEnd = -1
}

// segment takes the next word segment, input[start:end].
func (t *tokenizer) segment(start, end, kind int) {
	cur := t.cur
	switch kind {
	case segNone:
		run := start
		if t.connEnd >= 0 {
			run = t.connEnd
		} else if cur != nil {
			run = cur.End
		}
		if cur != nil && run == start && end-cur.End <= 3 && allConnectors(t.input[start:end]) {
			t.connEnd = end
			return
		}
		t.closeCur()
	case segIdeo:
		t.closeCur()
		t.cur = t.slab.next(len(t.input))
		t.cur.Start, t.cur.End, t.cur.Type = start, end, analysis.Ideographic
		t.closeCur()
	default:
		if cur != nil && t.connEnd == start && end-cur.Start <= maxTokenBytes {
			cur.End = end
			cur.Type = analysis.AlphaNumeric
			t.connEnd = -1
			return
		}
		t.closeCur()
		t.cur = t.slab.next(len(t.input))
		t.cur.Start, t.cur.End, t.cur.Type = start, end, analysis.AlphaNumeric
		if kind == segNumber {
			t.cur.Type = analysis.Numeric
		}
	}
}

// unicodeWords segments input[start:end] with Unicode word segmentation
// (UAX #29).
func (t *tokenizer) unicodeWords(start, end int) {
	seg := segment.NewWordSegmenterDirect(t.input[start:end])
	off := start
	for seg.Segment() {
		s, e := off, off+len(seg.Bytes())
		off = e
		switch seg.Type() {
		case segment.None:
			t.segment(s, e, segNone)
		case segment.Ideo, segment.Kana:
			t.segment(s, e, segIdeo)
		case segment.Number:
			t.segment(s, e, segNumber)
		default:
			t.segment(s, e, segLetter)
		}
	}
}

// ASCII classes of UAX #29's word rules.
const (
	asciiOther  = iota
	asciiLetter // ALetter
	asciiDigit  // Numeric
	asciiExtend // ExtendNumLet: _
	asciiMidL   // MidLetter: :
	asciiMidNL  // MidNumLet and Single_Quote: . '
	asciiMidN   // MidNum: , ;
)

var asciiClass = func() (c [128]uint8) {
	for b := 'a'; b <= 'z'; b++ {
		c[b], c[b-'a'+'A'] = asciiLetter, asciiLetter
	}
	for b := '0'; b <= '9'; b++ {
		c[b] = asciiDigit
	}
	c['_'], c[':'], c['.'], c['\''], c[','], c[';'] = asciiExtend, asciiMidL, asciiMidNL, asciiMidNL, asciiMidN, asciiMidN
	return c
}()

// asciiWords segments input[start:end], which is all ASCII, as Unicode
// word segmentation would (rules WB5 to WB13b; TestASCIIFastPath checks
// the two agree), without its per-rune table lookups.
func (t *tokenizer) asciiWords(start, end int) {
	in := t.input
	for i := start; i < end; {
		c := asciiClass[in[i]]
		if c != asciiLetter && c != asciiDigit && c != asciiExtend {
			t.segment(i, i+1, segNone)
			i++
			continue
		}
		letters, digits := c == asciiLetter, c == asciiDigit
		j := i + 1
		for j < end {
			c := asciiClass[in[j]]
			if c == asciiLetter || c == asciiDigit || c == asciiExtend {
				letters, digits = letters || c == asciiLetter, digits || c == asciiDigit
				j++
				continue
			}
			if j+1 >= end {
				break
			}
			prev, next := asciiClass[in[j-1]], asciiClass[in[j+1]]
			if prev == asciiLetter && next == asciiLetter && (c == asciiMidL || c == asciiMidNL) ||
				prev == asciiDigit && next == asciiDigit && (c == asciiMidN || c == asciiMidNL) {
				j += 2
				continue
			}
			break
		}
		// A word without letters but with digits is a number.
		kind := segLetter
		if digits && !letters {
			kind = segNumber
		}
		t.segment(i, j, kind)
		i = j
	}
}

// tokenSlab hands out tokens from chunks, to allocate a few large blocks
// instead of one small object per token.
type tokenSlab struct {
	chunk []analysis.Token
}

func (s *tokenSlab) next(inputLen int) *analysis.Token {
	if len(s.chunk) == 0 {
		s.chunk = make([]analysis.Token, min(max(inputLen/8, 16), 1024))
	}
	t := &s.chunk[0]
	s.chunk = s.chunk[1:]
	return t
}

func allConnectors(b []byte) bool {
	for _, c := range b {
		if !isConnector(c) {
			return false
		}
	}
	return len(b) > 0
}

// subwordFilter emits each token whole and, when it has several parts,
// each part too: sync.Mutex → sync.Mutex, sync, Mutex; parseConfig →
// parseConfig, parse, Config; HTTPServer → HTTPServer, HTTP, Server;
// utf8 → utf8, utf, 8. The whole token takes the position of the first
// part and the parts take consecutive positions, so the phrase "read file"
// matches read_file and the phrase "sync.Mutex Lock" matches it in text.
// It must run before lower-casing: case boundaries split the parts.
type subwordFilter struct{}

func (subwordFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	out := make(analysis.TokenStream, 0, len(in)+len(in)/2)
	var slab tokenSlab
	pos := 0
	for _, tok := range in {
		pos++
		parts := subwords(tok.Term)
		if len(parts) == 0 || len(parts) == 1 && parts[0] == [2]int{0, len(tok.Term)} {
			tok.Position = pos
			out = append(out, tok)
			continue
		}
		if len(tok.Term) <= maxTokenBytes { // a long blob is found by its parts only
			tok.Position = pos
			out = append(out, tok)
		}
		// The parts get their own copy of the bytes (later filters change
		// terms in place); each part's capacity ends where it ends.
		buf := append([]byte(nil), tok.Term...)
		for i, p := range parts {
			t := slab.next(len(in) * 2)
			*t = analysis.Token{
				Term:     buf[p[0]:p[1]:p[1]],
				Start:    tok.Start + p[0],
				End:      tok.Start + p[1],
				Position: pos + i,
				Type:     tok.Type,
			}
			out = append(out, t)
		}
		pos += len(parts) - 1
	}
	return out
}

// runeClass classifies a rune for sub-word splitting.
type runeClass uint8

const (
	classOther runeClass = iota // a delimiter
	classLower
	classUpper
	classDigit
	classLetter // a letter without case, a mark
	classApos   // an apostrophe: inside a part, never starts one
)

func classOf(r rune) runeClass {
	switch {
	case unicode.IsUpper(r) || unicode.IsTitle(r):
		return classUpper
	case unicode.IsLower(r):
		return classLower
	case unicode.IsDigit(r):
		return classDigit
	case r == '\'' || r == '’':
		return classApos
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return classLetter
	}
	return classOther
}

// subwords returns the byte ranges of the parts of term: runs of letters
// and digits split at delimiters, at lower-to-upper case changes
// (parseConfig), before the last capital of a capital run followed by a
// lower-case letter (HTTPServer), and between letters and digits (utf8).
func subwords(term []byte) [][2]int {
	var parts [][2]int
	start := -1
	var prev runeClass
	prevStart := 0 // byte offset of the previous rune
	for i := 0; i < len(term) && len(parts) < maxSubwords; {
		r, size := utf8.DecodeRune(term[i:])
		c := classOf(r)
		switch {
		case c == classOther || c == classApos && start < 0:
			if start >= 0 {
				parts = append(parts, [2]int{start, i})
				start = -1
			}
		case start < 0:
			start = i
		case boundary(prev, c):
			parts = append(parts, [2]int{start, i})
			start = i
		case prev == classUpper && c == classLower && prevStart > start:
			// HTTPServer: the S starts the next part.
			parts = append(parts, [2]int{start, prevStart})
			start = prevStart
		}
		prev, prevStart = c, i
		i += size
	}
	if start >= 0 && len(parts) < maxSubwords {
		parts = append(parts, [2]int{start, len(term)})
	}
	return parts
}

// boundary reports whether a part ends between a rune of class a and one
// of class b.
func boundary(a, b runeClass) bool {
	switch {
	case a == classApos || b == classApos:
		return false
	case a == classLower && b == classUpper:
		return true
	}
	return (a == classDigit) != (b == classDigit)
}

// pathTokenizer emits every ancestor of a slash-separated path and the
// path itself: a/b/c.txt → a, a/b, a/b/c.txt. A term query for "a/b" then
// finds everything under a/b.
type pathTokenizer struct{}

func (pathTokenizer) Tokenize(input []byte) analysis.TokenStream {
	for len(input) > 0 && input[0] == '/' {
		input = input[1:]
	}
	for len(input) > 0 && input[len(input)-1] == '/' {
		input = input[:len(input)-1]
	}
	if len(input) == 0 {
		return nil
	}
	var out analysis.TokenStream
	for i := 0; i <= len(input) && len(out) < maxPathDepth; i++ {
		if (i == len(input) || input[i] == '/') && i > 0 && input[i-1] != '/' {
			out = append(out, &analysis.Token{
				Term: input[:i], Start: 0, End: i, Position: len(out) + 1, Type: analysis.AlphaNumeric,
			})
		}
	}
	if len(out) == maxPathDepth && len(out[len(out)-1].Term) != len(input) {
		out[len(out)-1] = &analysis.Token{Term: input, End: len(input), Position: maxPathDepth, Type: analysis.AlphaNumeric}
	}
	return out
}
