package query

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds of a query.
const (
	MaxQueryBytes = 1024 // length of the query text
	MaxClauses    = 64   // leaf clauses (terms, phrases, filters)
	MaxDepth      = 8    // nested parentheses
	MaxFuzzy      = 2    // edit distance of term~N
)

// Parse parses the query text q. now resolves relative dates such as
// modified:>-7d; Parse never reads the clock itself.
//
// The result is *All for "*", the single clause itself when the query is
// one plain clause, and an *And otherwise. Errors are *distrisearch.Error
// (KindInvalid, code "bad_query") wrapping a *SyntaxError.
func Parse(q string, now time.Time) (Node, error) {
	n, err := parse(q, now)
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return nil, badQuery(se)
		}
		return nil, err
	}
	return n, nil
}

func parse(q string, now time.Time) (Node, error) {
	if len(q) > MaxQueryBytes {
		return nil, syntaxErr(0, "the query is %d bytes long; the limit is %d", len(q), MaxQueryBytes)
	}
	if !utf8.ValidString(q) {
		return nil, syntaxErr(0, "the query is not valid UTF-8 text")
	}
	toks, err := lex([]rune(q))
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, now: now.UTC()}
	and, err := p.seq(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, syntaxErr(t.pos, "this ) has no matching (")
	}
	if len(and.Clauses) == 0 {
		return nil, syntaxErr(0, "the query is empty")
	}
	return simplify(and), nil
}

type parser struct {
	toks   []token
	i      int
	now    time.Time
	leaves int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// seq parses clauses up to the end of the query or a closing parenthesis,
// which it leaves for the caller.
func (p *parser) seq(depth int) (*And, error) {
	and := &And{}
	andPos := 0 // position of a pending AND
	for {
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen {
			break
		}
		if t.isOp("OR") {
			return nil, syntaxErr(t.pos, "OR needs a term on its left")
		}
		if t.isOp("AND") {
			if len(and.Clauses) == 0 || andPos != 0 {
				return nil, syntaxErr(t.pos, "AND needs a term on its left")
			}
			p.next()
			if last := &and.Clauses[len(and.Clauses)-1]; last.Occur == Default {
				last.Occur = Required
			}
			andPos = t.pos
			continue
		}
		occur, signed := Default, false
		switch {
		case t.kind == tPlus:
			occur, signed = Required, true
		case t.kind == tMinus || t.isOp("NOT"):
			occur, signed = Excluded, true
		}
		if signed {
			p.next()
			if n := p.peek(); n.kind == tPlus || n.kind == tMinus || n.isOp("NOT") {
				return nil, syntaxErr(n.pos, "two signs in a row")
			}
		}
		if andPos != 0 && occur == Default {
			occur = Required
		}
		andPos = 0
		n, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		if o := p.peek(); o.isOp("OR") {
			if signed {
				return nil, syntaxErr(o.pos, "OR cannot follow a clause with +, - or NOT; group it instead, as in +(a OR b)")
			}
			if n, err = p.or(n, depth); err != nil {
				return nil, err
			}
		}
		and.Clauses = append(and.Clauses, Clause{Occur: occur, Node: n})
	}
	if andPos != 0 {
		return nil, syntaxErr(andPos, "AND needs a term on its right")
	}
	return and, nil
}

// or parses the rest of "first OR b OR c".
func (p *parser) or(first Node, depth int) (Node, error) {
	nodes := appendOr(nil, first)
	for p.peek().isOp("OR") {
		o := p.next()
		n := p.peek()
		switch {
		case n.kind == tEOF || n.kind == tRParen || n.isOp("OR") || n.isOp("AND"):
			return nil, syntaxErr(o.pos, "OR needs a term on its right")
		case n.kind == tPlus || n.kind == tMinus || n.isOp("NOT"):
			return nil, syntaxErr(n.pos, "a clause inside OR cannot have +, - or NOT")
		}
		m, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		nodes = appendOr(nodes, m)
	}
	return &Or{Nodes: nodes}, nil
}

// appendOr appends n to an OR list, flattening a nested OR.
func appendOr(nodes []Node, n Node) []Node {
	if o, ok := n.(*Or); ok {
		return append(nodes, o.Nodes...)
	}
	return append(nodes, n)
}

// atom parses one clause without its sign.
func (p *parser) atom(depth int) (Node, error) {
	t := p.next()
	switch t.kind {
	case tEOF:
		return nil, syntaxErr(t.pos, "a term is missing at the end of the query")
	case tRParen:
		return nil, syntaxErr(t.pos, "a term is missing before this )")
	case tPlus, tMinus:
		return nil, syntaxErr(t.pos, "two signs in a row")
	case tLParen:
		if depth+1 > MaxDepth {
			return nil, syntaxErr(t.pos, "parentheses are nested more than %d deep", MaxDepth)
		}
		and, err := p.seq(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, syntaxErr(t.pos, "this ( is never closed")
		}
		if len(and.Clauses) == 0 {
			return nil, syntaxErr(t.pos, "the parentheses are empty")
		}
		return simplify(and), nil
	}
	if err := p.leaf(t.pos); err != nil {
		return nil, err
	}
	if t.kind == tPhrase {
		return phrase("", t)
	}
	for _, op := range []string{"OR", "AND", "NOT"} {
		if t.isOp(op) {
			return nil, syntaxErr(t.pos, "%s needs a term on its right", op)
		}
	}
	return p.word(t)
}

// leaf counts one leaf clause against MaxClauses.
func (p *parser) leaf(pos int) error {
	p.leaves++
	if p.leaves > MaxClauses {
		return syntaxErr(pos, "the query has more than %d clauses", MaxClauses)
	}
	return nil
}

// simplify unwraps an And holding one plain clause.
func simplify(a *And) Node {
	if len(a.Clauses) == 1 && a.Clauses[0].Occur == Default {
		return a.Clauses[0].Node
	}
	return a
}

func phrase(field string, t token) (Node, error) {
	if strings.TrimSpace(t.text()) == "" {
		return nil, syntaxErr(t.pos, "the phrase is empty")
	}
	return &Phrase{Field: field, Text: t.text()}, nil
}

// word interprets a word: a field clause or a term.
func (p *parser) word(t token) (Node, error) {
	c := -1
	for i, r := range t.runes {
		if r == ':' && !t.esc[i] {
			c = i
			break
		}
	}
	if c > 0 && isFieldName(t.runes[:c], t.esc[:c]) {
		name := strings.ToLower(string(t.runes[:c]))
		rest := sub(t, c+1)
		known := isField(name)
		switch {
		case known && len(rest.runes) == 0:
			if n := p.peek(); n.kind == tPhrase && n.pos == t.end {
				p.next()
				return p.fieldPhrase(name, n)
			}
			return nil, syntaxErr(t.pos, "the field %s: needs a value", name)
		case known:
			return p.fieldWord(name, rest)
		case len(rest.runes) > 0 && !(rest.runes[0] == '/' || rest.runes[0] == ':'):
			return nil, syntaxErr(t.pos, "unknown field %q; the fields are %s (write \\: for a literal colon)",
				string(t.runes[:c]), strings.Join(fields, ", "))
		case len(rest.runes) == 0:
			if n := p.peek(); n.kind == tPhrase && n.pos == t.end {
				return nil, syntaxErr(t.pos, "unknown field %q; the fields are %s",
					string(t.runes[:c]), strings.Join(fields, ", "))
			}
		}
	}
	return term("", t)
}

// sub returns the part of a word token from rune index i on.
func sub(t token, i int) token {
	s := token{kind: t.kind, pos: t.pos, end: t.end, runes: t.runes[i:], esc: t.esc[i:], at: t.at[i:]}
	if len(s.at) > 0 {
		s.pos = s.at[0]
	}
	return s
}

func isFieldName(runes []rune, esc []bool) bool {
	for i, r := range runes {
		if esc[i] || !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_') {
			return false
		}
	}
	return true
}

func isField(name string) bool {
	for _, f := range fields {
		if f == name {
			return true
		}
	}
	return false
}

// term interprets a word as a term: "*", text, text*, text~N.
func term(field string, t token) (Node, error) {
	runes, esc, at := t.runes, t.esc, t.at
	if len(runes) == 1 && runes[0] == '*' && !esc[0] {
		if field != "" {
			return nil, syntaxErr(at[0], "%s:* would match everything; leave it out", field)
		}
		return &All{}, nil
	}
	fuzzy, hasFuzzy := 0, false
	if k := lastUnescaped(runes, esc, '~'); k > 0 && allDigits(runes[k+1:], esc[k+1:]) {
		hasFuzzy = true
		fuzzy = MaxFuzzy
		if d := runes[k+1:]; len(d) > 0 {
			if len(d) > 2 {
				return nil, syntaxErr(at[k], "the fuzzy distance is too large; the maximum is %d", MaxFuzzy)
			}
			fuzzy = 0
			for _, r := range d {
				fuzzy = fuzzy*10 + int(r-'0')
			}
			if fuzzy > MaxFuzzy {
				return nil, syntaxErr(at[k], "the fuzzy distance %d is too large; the maximum is %d", fuzzy, MaxFuzzy)
			}
		}
		runes, esc, at = runes[:k], esc[:k], at[:k]
	}
	prefix := false
	for i, r := range runes {
		if r != '*' || esc[i] {
			continue
		}
		if i == 0 {
			return nil, syntaxErr(at[i], "leading wildcards are not supported; put at least one character before * (or write \\* for a literal star)")
		}
		if i != len(runes)-1 {
			return nil, syntaxErr(at[i], "* is allowed only at the end of a term; write \\* for a literal star")
		}
		if hasFuzzy {
			return nil, syntaxErr(at[i], "a term cannot be both a prefix (*) and fuzzy (~)")
		}
		prefix = true
		runes = runes[:i]
	}
	if len(runes) == 0 {
		return nil, syntaxErr(t.pos, "the term is empty")
	}
	return &Term{Field: field, Text: string(runes), Prefix: prefix, Fuzzy: fuzzy}, nil
}

func lastUnescaped(runes []rune, esc []bool, c rune) int {
	for i := len(runes) - 1; i >= 0; i-- {
		if runes[i] == c && !esc[i] {
			return i
		}
	}
	return -1
}

func allDigits(runes []rune, esc []bool) bool {
	for i, r := range runes {
		if esc[i] || r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// fieldWord interprets the value of name:value.
func (p *parser) fieldWord(name string, v token) (Node, error) {
	switch name {
	case FieldName, FieldTitle, FieldContent:
		return term(name, v)
	case FieldType, FieldExt, FieldShare, FieldNode:
		for i, r := range v.runes {
			if r == '*' && !v.esc[i] {
				return nil, syntaxErr(v.at[i], "wildcards are not supported in %s:", name)
			}
		}
		return keyword(name, v.text(), v.pos)
	case FieldPath:
		n := len(v.runes)
		for i, r := range v.runes {
			if r != '*' || v.esc[i] {
				continue
			}
			if i != n-1 {
				return nil, syntaxErr(v.at[i], "* is allowed only at the end of a path")
			}
			prefix := strings.TrimLeft(string(v.runes[:i]), "/")
			if prefix == "" {
				return nil, syntaxErr(v.at[i], "a path prefix needs at least one character before *")
			}
			return &Path{Value: prefix, Prefix: true}, nil
		}
		return path(v.text(), v.pos)
	case FieldSize:
		return parseSize(v.text(), v.pos)
	default: // FieldModified
		return parseModified(v.text(), v.pos, p.now)
	}
}

// fieldPhrase interprets name:"value".
func (p *parser) fieldPhrase(name string, v token) (Node, error) {
	switch name {
	case FieldName, FieldTitle, FieldContent:
		return phrase(name, v)
	case FieldType, FieldExt, FieldShare, FieldNode:
		return keyword(name, v.text(), v.pos)
	case FieldPath:
		return path(v.text(), v.pos)
	case FieldSize:
		return parseSize(v.text(), v.pos)
	default:
		return parseModified(v.text(), v.pos, p.now)
	}
}

func keyword(name, v string, pos int) (Node, error) {
	if name == FieldType || name == FieldExt {
		v = strings.ToLower(v)
	}
	if name == FieldExt {
		v = strings.TrimLeft(v, ".")
	}
	if v == "" {
		return nil, syntaxErr(pos, "the field %s: needs a value", name)
	}
	return &Keyword{Field: name, Value: v}, nil
}

func path(v string, pos int) (Node, error) {
	v = strings.Trim(v, "/")
	if v == "" {
		return nil, syntaxErr(pos, "path: needs a directory or file inside the share")
	}
	return &Path{Value: v}, nil
}
