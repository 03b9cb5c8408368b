package query

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Node is one node of a parsed query. The concrete types are *All, *Term,
// *Phrase, *Keyword, *Path, *Range, *Or and *And.
type Node interface {
	// String returns the canonical query text of the node.
	String() string
	node()
}

// Occur says how a clause of an And takes part in matching.
type Occur uint8

// The occurrences of a clause.
const (
	// Default clauses are the plain terms of a query: a document must match
	// all of them (the index may relax this for long queries).
	Default Occur = iota
	// Required clauses (+term, or both sides of AND) must match.
	Required
	// Excluded clauses (-term, NOT term) must not match.
	Excluded
)

// Field names of the language.
const (
	FieldName     = "name"
	FieldTitle    = "title"
	FieldContent  = "content"
	FieldType     = "type"
	FieldExt      = "ext"
	FieldShare    = "share"
	FieldNode     = "node"
	FieldPath     = "path"
	FieldSize     = "size"
	FieldModified = "modified"
)

// fields lists every field name the language accepts, sorted.
var fields = []string{
	FieldContent, FieldExt, FieldModified, FieldName, FieldNode,
	FieldPath, FieldShare, FieldSize, FieldTitle, FieldType,
}

// Fields returns every field name the language accepts, sorted.
func Fields() []string { return append([]string(nil), fields...) }

// All matches every document: the query "*".
type All struct{}

// Term is one word. Field is "" for the default fields (name, title, path,
// content and metadata), or one of FieldName, FieldTitle, FieldContent.
// Text keeps the user's case: the analyzer splits camelCase with it.
type Term struct {
	Field  string
	Text   string
	Prefix bool // text* : every word starting with Text
	Fuzzy  int  // text~N : words within N edits (1 or 2); 0 = exact
}

// Phrase is a quoted sequence of words that must appear in order.
type Phrase struct {
	Field string // "" or FieldName, FieldTitle, FieldContent
	Text  string
}

// Keyword is an exact-value filter on FieldType, FieldExt, FieldShare or
// FieldNode. Type and ext values are lower-cased by the parser.
type Keyword struct {
	Field string
	Value string
}

// Path filters by location inside a share. Without Prefix, Value is a
// slash-separated path without leading or trailing slashes and matches that
// directory's whole subtree or that exact file. With Prefix it matches
// every path that starts with Value.
type Path struct {
	Value  string
	Prefix bool
}

// Range is an inclusive range filter on FieldSize (bytes) or FieldModified
// (Unix seconds, UTC). A missing bound is open.
type Range struct {
	Field  string
	Min    int64
	Max    int64
	HasMin bool
	HasMax bool
}

// Or matches documents matching any of its nodes (at least two).
type Or struct {
	Nodes []Node
}

// And combines clauses: see Occur.
type And struct {
	Clauses []Clause
}

// Clause is one member of an And.
type Clause struct {
	Occur Occur
	Node  Node
}

func (*All) node()     {}
func (*Term) node()    {}
func (*Phrase) node()  {}
func (*Keyword) node() {}
func (*Path) node()    {}
func (*Range) node()   {}
func (*Or) node()      {}
func (*And) node()     {}

// String implements Node.
func (*All) String() string { return "*" }

// String implements Node.
func (t *Term) String() string {
	var b strings.Builder
	if t.Field != "" {
		b.WriteString(t.Field)
		b.WriteByte(':')
	}
	b.WriteString(EscapeTerm(t.Text))
	if t.Prefix {
		b.WriteByte('*')
	}
	if t.Fuzzy > 0 {
		b.WriteByte('~')
		b.WriteString(strconv.Itoa(t.Fuzzy))
	}
	return b.String()
}

// String implements Node.
func (p *Phrase) String() string {
	if p.Field != "" {
		return p.Field + ":" + quote(p.Text)
	}
	return quote(p.Text)
}

// String implements Node.
func (k *Keyword) String() string { return k.Field + ":" + value(k.Value) }

// String implements Node.
func (p *Path) String() string {
	if p.Prefix {
		return FieldPath + ":" + EscapeTerm(p.Value) + "*"
	}
	return FieldPath + ":" + value(p.Value)
}

// String implements Node.
func (r *Range) String() string {
	f := func(v int64) string { return strconv.FormatInt(v, 10) }
	if r.Field == FieldModified {
		f = func(v int64) string { return time.Unix(v, 0).UTC().Format(time.RFC3339) }
	}
	switch {
	case r.HasMin && r.HasMax && r.Min == r.Max:
		return r.Field + ":" + f(r.Min)
	case r.HasMin && r.HasMax:
		return r.Field + ":" + f(r.Min) + ".." + f(r.Max)
	case r.HasMin:
		return r.Field + ":>=" + f(r.Min)
	default:
		return r.Field + ":<=" + f(r.Max)
	}
}

// Times returns the bounds of a FieldModified range as times; a zero time
// stands for an open bound.
func (r *Range) Times() (from, to time.Time) {
	if r.HasMin {
		from = time.Unix(r.Min, 0).UTC()
	}
	if r.HasMax {
		to = time.Unix(r.Max, 0).UTC()
	}
	return from, to
}

// String implements Node.
func (o *Or) String() string {
	parts := make([]string, len(o.Nodes))
	for i, n := range o.Nodes {
		if _, ok := n.(*And); ok {
			parts[i] = "(" + n.String() + ")"
		} else {
			parts[i] = n.String()
		}
	}
	return strings.Join(parts, " OR ")
}

// String implements Node.
func (a *And) String() string {
	parts := make([]string, len(a.Clauses))
	for i, c := range a.Clauses {
		s := c.Node.String()
		switch c.Node.(type) {
		case *And:
			s = "(" + s + ")"
		case *Or:
			if c.Occur != Default {
				s = "(" + s + ")"
			}
		}
		switch c.Occur {
		case Required:
			s = "+" + s
		case Excluded:
			s = "-" + s
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}

// EscapeTerm returns s written as one literal term of the language: every
// character with a meaning (whitespace, quotes, parentheses, colon,
// wildcard, tilde, backslash, a leading sign, an operator word) is escaped
// with a backslash. Parsing the result gives back a Term with Text s.
func EscapeTerm(s string) string {
	if s == "OR" || s == "AND" || s == "NOT" {
		return `\` + s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\' || r == '"' || r == '(' || r == ')' || r == ':' || r == '*' || r == '~':
			b.WriteByte('\\')
		case (r == '+' || r == '-') && i == 0:
			b.WriteByte('\\')
		case unicode.IsSpace(r):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// quote writes s as a quoted phrase.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// value writes a filter value: bare when that parses back unchanged,
// quoted otherwise.
func value(s string) string {
	if s == "" || s == "OR" || s == "AND" || s == "NOT" {
		return quote(s)
	}
	for i, r := range s {
		if r == '\\' || r == '"' || r == '(' || r == ')' || r == '*' || r == '~' ||
			unicode.IsSpace(r) || (i == 0 && (r == '+' || r == '-' || r == '<' || r == '>')) {
			return quote(s)
		}
	}
	return s
}

// Leaves counts the leaf clauses of n (everything but Or and And).
func Leaves(n Node) int {
	switch n := n.(type) {
	case *Or:
		c := 0
		for _, m := range n.Nodes {
			c += Leaves(m)
		}
		return c
	case *And:
		c := 0
		for _, cl := range n.Clauses {
			c += Leaves(cl.Node)
		}
		return c
	default:
		return 1
	}
}
