package query

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that an accepted query has
// a canonical form: String() parses back to the same tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"foo bar", `"a b" -c +d`, "a OR (b c) OR d", "type:pdf ext:go size:1KB..10MB",
		"modified:>=-7d modified:2025-01", "path:reports/ path:a*", "name:x~1 title:y* content:\"z\"",
		`a\ b \:c \*`, "http://x", "(((a)))", "a AND b NOT c", `share:"x y"`, "foo:bar", "*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := Parse(q, now)
		if err != nil {
			return
		}
		s := n.String()
		m, err := Parse(s, now)
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", s, q, err)
		}
		if !reflect.DeepEqual(n, m) {
			t.Fatalf("canonical %q of %q parses to a different tree:\n%#v\n%#v", s, q, n, m)
		}
		if m.String() != s {
			t.Fatalf("String is not a fixed point: %q then %q", s, m.String())
		}
	})
}
