package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distrisearch/distrisearch"
)

var now = time.Date(2025, 6, 15, 12, 30, 45, 0, time.UTC)

func mustParse(t *testing.T, q string) Node {
	t.Helper()
	n, err := Parse(q, now)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return n
}

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"foo", "foo"},
		{"  foo   bar ", "foo bar"},
		{"*", "*"},
		{"sync.Mutex", "sync.Mutex"},
		{"parseConfig read_file", "parseConfig read_file"},
		{`"hello world"`, `"hello world"`},
		{`"say \"hi\""`, `"say \"hi\""`},
		{"conf*", "conf*"},
		{"colour~1", "colour~1"},
		{"colour~", "colour~2"},
		{"colour~0", "colour"},
		{"+a -b c", "+a -b c"},
		{"a NOT b", "a -b"},
		{"a AND b", "+a +b"},
		{"a AND b OR c", "+a +(b OR c)"},
		{"a OR b", "a OR b"},
		{"a OR b OR c", "a OR b OR c"},
		{"(a OR b) OR c", "a OR b OR c"},
		{"x a OR b", "x a OR b"},
		{"(a b) OR c", "(a b) OR c"},
		{"((a))", "a"},
		{"+(a OR b) -(c d)", "+(a OR b) -(c d)"},
		{"(+a)", "+a"},
		{"lone - dash +", "lone dash"},
		{"type:PDF", "type:pdf"},
		{"ext:.GO", "ext:go"},
		{"Type:pdf", "type:pdf"},
		{`share:"My Docs"`, `share:"My Docs"`},
		{"node:n1", "node:n1"},
		{"name:foo title:bar content:baz", "name:foo title:bar content:baz"},
		{`name:"foo bar"`, `name:"foo bar"`},
		{"name:conf*", "name:conf*"},
		{"path:reports/", "path:reports"},
		{"path:/reports/2024/", "path:reports/2024"},
		{"path:rep*", "path:rep*"},
		{`path:"my docs/x"`, `path:"my docs/x"`},
		{"size:>1MB", "size:>=1000001"},
		{"size:>=1MB", "size:>=1000000"},
		{"size:<10KB", "size:<=9999"},
		{"size:<=1KiB", "size:<=1024"},
		{"size:1KB..10MB", "size:1000..10000000"},
		{"size:1.5mb", "size:1500000"},
		{"size:2GiB..", "size:>=2147483648"},
		{"size:..100", "size:<=100"},
		{"size:0", "size:0"},
		{"modified:2025", "modified:2025-01-01T00:00:00Z..2025-12-31T23:59:59Z"},
		{"modified:2025-02", "modified:2025-02-01T00:00:00Z..2025-02-28T23:59:59Z"},
		{"modified:>=2025-01-01", "modified:>=2025-01-01T00:00:00Z"},
		{"modified:>2025-01-01", "modified:>=2025-01-02T00:00:00Z"},
		{"modified:<2025-01-01", "modified:<=2024-12-31T23:59:59Z"},
		{"modified:<=2025-01", "modified:<=2025-01-31T23:59:59Z"},
		{"modified:2025-01-01..2025-01-31", "modified:2025-01-01T00:00:00Z..2025-01-31T23:59:59Z"},
		{"modified:2025-01-01T10:00+02:00", "modified:2025-01-01T08:00:00Z..2025-01-01T08:00:59Z"},
		{"modified:>-7d", "modified:>=2025-06-08T12:30:46Z"},
		{"modified:-7d", "modified:>=2025-06-08T12:30:45Z"},
		{"modified:-24h..-1h", "modified:2025-06-14T12:30:45Z..2025-06-15T11:30:45Z"},
		{"modified:today", "modified:2025-06-15T00:00:00Z..2025-06-15T23:59:59Z"},
		{"modified:yesterday", "modified:2025-06-14T00:00:00Z..2025-06-14T23:59:59Z"},
		{"modified:>=-1mo", "modified:>=2025-05-15T12:30:45Z"},
		{"http://example.com/x", `http\://example.com/x`},
		{"std::vector", `std\:\:vector`},
		{"note:", `note\:`},
		{`a\:b`, `a\:b`},
		{`\*ptr`, `\*ptr`},
		{`\OR`, `\OR`},
		{`\-x`, `\-x`},
		{`a\ b`, `a\ b`},
		{"~/config", `\~/config`},
		{`-"exact phrase" word`, `-"exact phrase" word`},
	}
	for _, tt := range tests {
		n := mustParse(t, tt.in)
		if got := n.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
			continue
		}
		again := mustParse(t, n.String())
		if !reflect.DeepEqual(again, n) {
			t.Errorf("Parse(%q) does not round-trip: %#v vs %#v", tt.in, n, again)
		}
	}
}

func TestParseTree(t *testing.T) {
	tests := []struct {
		in   string
		want Node
	}{
		{"foo", &Term{Text: "foo"}},
		{"*", &All{}},
		{"conf*", &Term{Text: "conf", Prefix: true}},
		{"name:Foo~1", &Term{Field: FieldName, Text: "Foo", Fuzzy: 1}},
		{`title:"a b"`, &Phrase{Field: FieldTitle, Text: "a b"}},
		{"type:pdf", &Keyword{Field: FieldType, Value: "pdf"}},
		{"path:a/b/", &Path{Value: "a/b"}},
		{"path:a/b*", &Path{Value: "a/b", Prefix: true}},
		{"size:1KB..2KB", &Range{Field: FieldSize, Min: 1000, Max: 2000, HasMin: true, HasMax: true}},
		{"-a", &And{Clauses: []Clause{{Occur: Excluded, Node: &Term{Text: "a"}}}}},
		{"a b OR c", &And{Clauses: []Clause{
			{Node: &Term{Text: "a"}},
			{Node: &Or{Nodes: []Node{&Term{Text: "b"}, &Term{Text: "c"}}}},
		}}},
		{"a AND -b", &And{Clauses: []Clause{
			{Occur: Required, Node: &Term{Text: "a"}},
			{Occur: Excluded, Node: &Term{Text: "b"}},
		}}},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseModifiedTimes(t *testing.T) {
	r := mustParse(t, "modified:2025-03").(*Range)
	from, to := r.Times()
	if !from.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2025, 3, 31, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("Times() = %v, %v", from, to)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in      string
		pos     int    // expected position, -1 = do not check
		message string // substring of the message
	}{
		{"", 0, "empty"},
		{"   ", 0, "empty"},
		{"- +", 0, "empty"},
		{"(a", 1, "never closed"},
		{"a)", 2, "no matching ("},
		{"()", 1, "empty"},
		{`"abc`, 1, "never closed"},
		{`""`, 1, "phrase is empty"},
		{`abc\`, 4, "backslash"},
		{"*foo", 1, "leading wildcards"},
		{"name:*", 6, "everything"},
		{"f*o", 2, "only at the end"},
		{"foo~3", 4, "maximum is 2"},
		{"foo~10", 4, "maximum is 2"},
		{"foo*~1", 4, "both"},
		{"OR a", 1, "OR needs a term on its left"},
		{"a OR", 3, "OR needs a term on its right"},
		{"a OR OR b", 3, "OR needs a term on its right"},
		{"a AND", 3, "AND needs a term on its right"},
		{"AND a", 1, "AND needs a term on its left"},
		{"a NOT", 6, "missing at the end"},
		{"+a OR b", 4, "OR cannot follow"},
		{"a OR -b", 6, "inside OR"},
		{"+-a", 2, "two signs"},
		{"NOT -a", 5, "two signs"},
		{"foo:bar", 1, `unknown field "foo"; the fields are content, ext, modified, name, node, path, share, size, title, type`},
		{`foo:"bar"`, 1, `unknown field "foo"`},
		{"type:", 1, "needs a value"},
		{"type:pd*", 8, "wildcards are not supported"},
		{"ext:.", 5, "needs a value"},
		{"path:/", 6, "path: needs"},
		{"path:*", 6, "at least one character"},
		{"path:a*b", 7, "only at the end"},
		{"size:>1XB", 6, "unknown size unit"},
		{"size:big", 6, "unknown size unit"},
		{"size:10MB..1KB", 6, "empty range"},
		{"size:..", 6, "at least one bound"},
		{"size:<0", 6, "matches nothing"},
		{"size:99999999999TB", 6, "too large"},
		{"modified:2025-13", 10, "expected a date"},
		{"modified:>-7x", 10, "unknown unit"},
		{"modified:-9999999d", 10, "relative date"},
		{"modified:>=-99999y", 10, "out of range"},
		{"modified:2026..2025", 10, "empty range"},
		{strings.Repeat("a ", 65), 129, "more than 64 clauses"},
		{strings.Repeat("(", 9) + "a" + strings.Repeat(")", 9), 9, "nested more than 8"},
		{strings.Repeat("x", 1025), 0, "1025 bytes"},
		{"a \xff", 0, "UTF-8"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in, now)
		if err == nil {
			t.Errorf("Parse(%q): no error", tt.in)
			continue
		}
		var de *distrisearch.Error
		if !errors.As(err, &de) || de.Kind != distrisearch.KindInvalid || de.Code != CodeBadQuery {
			t.Errorf("Parse(%q): error %v is not a bad_query KindInvalid", tt.in, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): error %v does not wrap a *SyntaxError", tt.in, err)
			continue
		}
		if tt.pos >= 0 && se.Pos != tt.pos {
			t.Errorf("Parse(%q): position %d, want %d (%v)", tt.in, se.Pos, tt.pos, err)
		}
		if !strings.Contains(de.Message, tt.message) {
			t.Errorf("Parse(%q): message %q does not contain %q", tt.in, de.Message, tt.message)
		}
		if se.Pos > 0 && !strings.Contains(de.Message, "position") {
			t.Errorf("Parse(%q): message %q does not name the position", tt.in, de.Message)
		}
	}
}

func TestLimitsAccepted(t *testing.T) {
	mustParse(t, strings.Repeat("a ", MaxClauses))
	mustParse(t, strings.Repeat("(", MaxDepth)+"a"+strings.Repeat(")", MaxDepth))
	mustParse(t, strings.Repeat("x", MaxQueryBytes))
}

func TestEscapeTerm(t *testing.T) {
	for _, s := range []string{"plain", "a b", "x:y", "-neg", "+pos", "OR", "AND", "NOT", `back\slash`, `q"uote`, "(p)", "star*", "t~2", "*"} {
		n := mustParse(t, EscapeTerm(s))
		if term, ok := n.(*Term); !ok || term.Text != s || term.Prefix || term.Fuzzy != 0 {
			t.Errorf("Parse(EscapeTerm(%q)) = %#v", s, n)
		}
	}
}

func TestLeaves(t *testing.T) {
	if got := Leaves(mustParse(t, "a (b OR c) -d type:pdf")); got != 5 {
		t.Errorf("Leaves = %d, want 5", got)
	}
}
