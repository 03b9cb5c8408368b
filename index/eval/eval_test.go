package eval

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

const docsText = `.I 1
.T
experimental investigation of the aerodynamics of a
wing in a slipstream .
.A
brenckman,m.
.B
j. ae. scs. 25, 1958, 324.
.W
experimental investigation of the aerodynamics of a
wing in a slipstream .
  an experimental study of a wing .
.I 2
.T
simple shear flow .
.A
.B
.W
simple shear flow past a flat plate .
`

const queriesText = `.I 001
.W
what similarity laws must be obeyed
when constructing models .
.I 004
.W
heat conduction in slabs .
`

const qrelsText = `1 184 2
1 29 -1
2 12 4
2 13 1
`

func TestParseDocs(t *testing.T) {
	docs, err := ParseDocs(strings.NewReader(docsText))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("%d docs", len(docs))
	}
	want := Doc{
		ID:     "1",
		Title:  "experimental investigation of the aerodynamics of a\nwing in a slipstream .",
		Author: "brenckman,m.",
		Biblio: "j. ae. scs. 25, 1958, 324.",
		Text:   "experimental investigation of the aerodynamics of a\nwing in a slipstream .\n  an experimental study of a wing .",
	}
	if docs[0] != want {
		t.Errorf("doc 1 = %#v", docs[0])
	}
	if docs[1].ID != "2" || docs[1].Author != "" || docs[1].Text != "simple shear flow past a flat plate ." {
		t.Errorf("doc 2 = %#v", docs[1])
	}
}

func TestParseQueriesByPosition(t *testing.T) {
	qs, err := ParseQueries(strings.NewReader(queriesText))
	if err != nil {
		t.Fatal(err)
	}
	want := []Query{
		{Num: 1, ID: "001", Text: "what similarity laws must be obeyed\nwhen constructing models ."},
		{Num: 2, ID: "004", Text: "heat conduction in slabs ."},
	}
	if !reflect.DeepEqual(qs, want) {
		t.Errorf("queries = %#v", qs)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{".I\n.W\nx\n", ".W\nx\n", ".I 1\nstray text\n"} {
		if _, err := ParseDocs(strings.NewReader(in)); err == nil {
			t.Errorf("ParseDocs(%q): no error", in)
		}
	}
	for _, in := range []string{"1 2\n", "a 2 3\n"} {
		if _, err := ParseQrels(strings.NewReader(in)); err == nil {
			t.Errorf("ParseQrels(%q): no error", in)
		}
	}
}

func TestQrels(t *testing.T) {
	q, err := ParseQrels(strings.NewReader(qrelsText))
	if err != nil {
		t.Fatal(err)
	}
	if got := q.Gains(1); !reflect.DeepEqual(got, map[string]int{"184": 3}) {
		t.Errorf("gains of query 1 = %v", got)
	}
	if got := q.Gains(2); !reflect.DeepEqual(got, map[string]int{"12": 1, "13": 4}) {
		t.Errorf("gains of query 2 = %v", got)
	}
	for grade, want := range map[int]int{1: 4, 2: 3, 3: 2, 4: 1, 5: 0, -1: 0} {
		if Gain(grade) != want {
			t.Errorf("Gain(%d) = %d, want %d", grade, Gain(grade), want)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestNDCG(t *testing.T) {
	gains := map[string]int{"a": 3, "b": 1}
	// Ideal order scores 1.
	if got := NDCG([]string{"a", "b", "x"}, gains, 10); !near(got, 1) {
		t.Errorf("ideal nDCG = %v", got)
	}
	// Swapped: DCG = 1/1 + 7/log2(3); IDCG = 7/1 + 1/log2(3).
	want := (1 + 7/math.Log2(3)) / (7 + 1/math.Log2(3))
	if got := NDCG([]string{"b", "a"}, gains, 10); !near(got, want) {
		t.Errorf("swapped nDCG = %v, want %v", got, want)
	}
	// Cut at k=1: only "x", worth nothing.
	if got := NDCG([]string{"x", "a"}, gains, 1); got != 0 {
		t.Errorf("nDCG@1 = %v", got)
	}
	if got := NDCG([]string{"a"}, map[string]int{}, 10); got != 0 {
		t.Errorf("no relevant: %v", got)
	}
}

func TestAveragePrecision(t *testing.T) {
	gains := map[string]int{"a": 1, "b": 2, "c": 1}
	// a at 1, b at 3, c missing: (1/1 + 2/3 + 0) / 3.
	want := (1 + 2.0/3) / 3
	if got := AveragePrecision([]string{"a", "x", "b"}, gains); !near(got, want) {
		t.Errorf("AP = %v, want %v", got, want)
	}
	if got := AveragePrecision([]string{"a"}, nil); got != 0 {
		t.Errorf("AP without relevant = %v", got)
	}
	if got := Mean([]float64{1, 2, 3}); got != 2 {
		t.Errorf("Mean = %v", got)
	}
	if Mean(nil) != 0 {
		t.Error("Mean(nil) != 0")
	}
}
