package query

import "unicode"

// tokKind is the kind of a lexical token.
type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tPhrase
	tLParen
	tRParen
	tPlus
	tMinus
)

// token is one lexical token. Word and phrase text is kept rune by rune
// with a flag telling whether the rune was escaped, so that the parser can
// tell a literal \* from a wildcard.
type token struct {
	kind  tokKind
	pos   int // 1-based rune position of the first rune
	end   int // rune position just after the token
	runes []rune
	esc   []bool
	at    []int // position of each rune in the query
}

// text returns the token's runes as a string, escapes resolved.
func (t token) text() string { return string(t.runes) }

// isOp reports whether the token is the unescaped operator word op.
func (t token) isOp(op string) bool {
	if t.kind != tWord || len(t.runes) != len(op) {
		return false
	}
	for i, r := range op {
		if t.runes[i] != r || t.esc[i] {
			return false
		}
	}
	return true
}

// lex splits the query into tokens.
func lex(q []rune) ([]token, error) {
	var toks []token
	i := 0
	for i < len(q) {
		r := q[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{kind: tLParen, pos: i + 1, end: i + 2})
			i++
		case r == ')':
			toks = append(toks, token{kind: tRParen, pos: i + 1, end: i + 2})
			i++
		case r == '+' || r == '-':
			// A sign binds to what follows it; a lone sign is ignored.
			if i+1 < len(q) && !unicode.IsSpace(q[i+1]) && q[i+1] != ')' {
				k := tPlus
				if r == '-' {
					k = tMinus
				}
				toks = append(toks, token{kind: k, pos: i + 1, end: i + 2})
			}
			i++
		case r == '"':
			t, next, err := lexPhrase(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = next
		default:
			t, next, err := lexWord(q, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = next
		}
	}
	toks = append(toks, token{kind: tEOF, pos: len(q) + 1, end: len(q) + 1})
	return toks, nil
}

// lexPhrase reads a quoted phrase starting at q[start] == '"'.
func lexPhrase(q []rune, start int) (token, int, error) {
	t := token{kind: tPhrase, pos: start + 1}
	i := start + 1
	for i < len(q) {
		r := q[i]
		switch r {
		case '\\':
			if i+1 >= len(q) {
				return t, 0, syntaxErr(i+1, "a backslash at the end of the query escapes nothing")
			}
			t.runes = append(t.runes, q[i+1])
			t.esc = append(t.esc, true)
			t.at = append(t.at, i+1)
			i += 2
		case '"':
			t.end = i + 2
			return t, i + 1, nil
		default:
			t.runes = append(t.runes, r)
			t.esc = append(t.esc, false)
			t.at = append(t.at, i+1)
			i++
		}
	}
	return t, 0, syntaxErr(start+1, "the quote is never closed")
}

// lexWord reads a word: everything up to unescaped whitespace, a
// parenthesis or a quote.
func lexWord(q []rune, start int) (token, int, error) {
	t := token{kind: tWord, pos: start + 1}
	i := start
	for i < len(q) {
		r := q[i]
		if unicode.IsSpace(r) || r == '(' || r == ')' || r == '"' {
			break
		}
		if r == '\\' {
			if i+1 >= len(q) {
				return t, 0, syntaxErr(i+1, "a backslash at the end of the query escapes nothing")
			}
			t.runes = append(t.runes, q[i+1])
			t.esc = append(t.esc, true)
			t.at = append(t.at, i+1)
			i += 2
			continue
		}
		t.runes = append(t.runes, r)
		t.esc = append(t.esc, false)
		t.at = append(t.at, i+1)
		i++
	}
	t.end = i + 1
	return t, i, nil
}
