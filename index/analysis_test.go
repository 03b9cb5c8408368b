package index

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// analyzeTerms returns "term@position" for every token.
func analyzeTerms(t *testing.T, analyzer, text string) []string {
	t.Helper()
	m, err := NewMapping()
	if err != nil {
		t.Fatal(err)
	}
	a := m.AnalyzerNamed(analyzer)
	if a == nil {
		t.Fatalf("no analyzer %s", analyzer)
	}
	var out []string
	for _, tok := range a.Analyze([]byte(text)) {
		out = append(out, fmt.Sprintf("%s@%d", tok.Term, tok.Position))
	}
	return out
}

func TestTextAnalyzer(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"sync.Mutex", "sync.mutex@1 sync@1 mutex@2"},
		{"parseConfig", "parseconfig@1 pars@1 config@2"},
		{"read_file", "read_fil@1 read@1 file@2"},
		{"HTTPServer", "httpserver@1 http@1 server@2"},
		{"utf8", "utf8@1 utf@1 8@2"},
		{"foo-bar baz", "foo-bar@1 foo@1 bar@2 baz@3"},
		{"a/b/c.go", "a/b/c.go@1 b@2 c@3 go@4"},
		{"std::vector", "std::vector@1 std@1 vector@2"},
		{"user@example.com", "user@example.com@1 user@1 exampl@2 com@3"},
		{"The lock, then the door.", "lock@2 door@5"},
		{"John's car", "john@1 car@2"},
		{"running runs", "run@1 run@2"},
		{"end.", "end@1"},
		{"--flag", "flag@1"},
		{"a--b", "a--b@1 b@2"},
		{"中文", "中@1 文@2"},
	}
	for _, tt := range tests {
		if got := strings.Join(analyzeTerms(t, TextAnalyzer, tt.in), " "); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", TextAnalyzer, tt.in, got, tt.want)
		}
	}
}

func TestExactAnalyzer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Use sync.Mutex", "use@1 sync.mutex@2"},
		{"parseConfig running", "parseconfig@1 running@2"},
		{"read_file HTTPServer", "read_file@1 httpserver@2"},
	}
	for _, tt := range tests {
		if got := strings.Join(analyzeTerms(t, ExactAnalyzer, tt.in), " "); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", ExactAnalyzer, tt.in, got, tt.want)
		}
	}
}

func TestPathAnalyzer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a/b/c.txt", "a@1 a/b@2 a/b/c.txt@3"},
		{"/a//b/", "a@1 a//b@2"},
		{"file.txt", "file.txt@1"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(analyzeTerms(t, pathAnalyzer, tt.in), " "); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", pathAnalyzer, tt.in, got, tt.want)
		}
	}
	deep := strings.Repeat("d/", 100) + "f"
	toks := analyzeTerms(t, pathAnalyzer, deep)
	if len(toks) != maxPathDepth || toks[len(toks)-1] != fmt.Sprintf("%s@%d", deep, maxPathDepth) {
		t.Errorf("deep path: %d tokens, last %q", len(toks), toks[len(toks)-1])
	}
}

func TestSubwords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"parseConfig", []string{"parse", "Config"}},
		{"HTTPServer", []string{"HTTP", "Server"}},
		{"getHTTPResponseCode", []string{"get", "HTTP", "Response", "Code"}},
		{"x86_64", []string{"x", "86", "64"}},
		{"IPv6", []string{"I", "Pv", "6"}},
		{"don't", []string{"don't"}},
		{"'quoted'", []string{"quoted'"}},
		{"mutex", []string{"mutex"}},
		{"Ünïcode_wörd", []string{"Ünïcode", "wörd"}},
		{"___", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range subwords([]byte(tt.in)) {
			got = append(got, tt.in[p[0]:p[1]])
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("subwords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("aB", 100)
	if n := len(subwords([]byte(long))); n != maxSubwords {
		t.Errorf("subwords of a long token: %d parts, want %d", n, maxSubwords)
	}
}

func TestLongTokensBounded(t *testing.T) {
	// Tokens longer than maxTokenBytes are not indexed whole; the text
	// analyzer still indexes their parts.
	text := strings.Repeat("abc.", 200) + " " + strings.Repeat("x-", 300) + "y"
	for _, a := range []string{TextAnalyzer, ExactAnalyzer} {
		toks := analyzeTerms(t, a, text)
		for _, tok := range toks {
			if len(tok) > maxTokenBytes+8 {
				t.Fatalf("%s: token of %d bytes", a, len(tok))
			}
		}
		if a == TextAnalyzer && (len(toks) == 0 || toks[0] != "abc@1") {
			t.Errorf("%s: parts of a long token are missing: %.60q", a, toks)
		}
	}
}

// TestASCIIFastPath checks that the tokenizer's ASCII fast path gives the
// tokens Unicode word segmentation gives, on tricky text and on this
// package's own Go sources.
func TestASCIIFastPath(t *testing.T) {
	texts := []string{
		"___ a_ _a 1_ x86_64 3.14 1,000 don't a' 'a a:b a::b a.b. 1.a a.1 1;2 1'2 a'1 a  b\r\n\n\t x",
		"sync.Mutex read_file a/b/c.go std::vector user@example.com foo--bar a---b a----b .x. x... 1.2.3 v1.2",
		"mixed ünïcode line\nascii line.x\n中文 and more\r\nend_",
		strings.Repeat("ab.", 200) + " " + strings.Repeat("x", 300),
	}
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) < 10 {
		t.Fatalf("the package's sources: %v, %v", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	for _, text := range texts {
		got, want := codeTokenizer{}.Tokenize([]byte(text)), tokenizeUnicode([]byte(text))
		if len(got) != len(want) {
			t.Fatalf("%.40q: %d tokens, want %d", text, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if string(g.Term) != string(w.Term) || g.Start != w.Start || g.End != w.End || g.Position != w.Position {
				t.Fatalf("%.40q: token %d = %q %d-%d@%d, want %q %d-%d@%d", text, i,
					g.Term, g.Start, g.End, g.Position, w.Term, w.Start, w.End, w.Position)
			}
		}
	}
}
